/**
 * Which kind of server answered, from what it said: ParameterStatus set,
 * version(), BackendKeyData and error wording. Heuristics, pure; each
 * returns the evidence so the report can show why.
 */
import type { ServerKind } from './diagnose.js';
import { PASSWORD_AUTH_FAILED } from './server-log/wording.js';

export interface KindEvidence {
  parameters: Record<string, string>;
  versionText: string | null;
  errorMessages: string[];
  /** The SQLSTATEs of those errors, in the same order. */
  errorCodes?: Array<string | null>;
  /** Some ErrorResponse carried PostgreSQL's file/line/routine fields. */
  errorHadRoutine: boolean;
  backendKeyPid: number | null;
  /** ParameterStatus names in the order received. */
  parameterOrder?: string[];
  /** The first authentication request seen was answered by the peer at all. */
  spoke: boolean;
}

/**
 * PgBouncer's client-facing error texts (src/client.c, src/proto.c,
 * src/janitor.c of 1.18): one copy, read here and by the pass-through
 * diagnosis (pass-through.ts).
 */
export const PGBOUNCER_MESSAGES = {
  passwordFailed: /^password authentication failed$/,
  saslFailed: /^SASL authentication failed$/,
  noSuchUser: /^no such user$/,
  noSuchDatabase: /^no such database: /,
  loginRejected: /^login rejected$/,
  noAuthMethod: /^no authentication method is found$/,
  /** Its own login to the server failed; the group is the server's (or its own) reason. */
  serverLoginFailed: /^server login failed: (.*)$/,
  /** Its logins to the server for this pool keep failing: clients are turned away until server_login_retry passes. */
  serverLoginRetry: /^server login has been failing, try again later \(server_login_retry\)$/,
  cannotConnect: /^pgbouncer cannot connect to server$/,
  maxClientConn: /^no more connections allowed \(max_client_conn\)$/,
  sslRequired: /^SSL required$/,
  configError: /^bouncer config error$/,
  trustFailed: /^"trust" authentication failed$/,
  // Any startup protocol but 3.0 (PgBouncer 1.18, observed with 3.2 and 3.9999).
  badPacketHeader: /^bad packet header: '[0-9a-f]+'$/,
} as const;

const PGBOUNCER_ERRORS: readonly RegExp[] = Object.values(PGBOUNCER_MESSAGES);

export function detectServerKind(e: KindEvidence): { kind: ServerKind; why: string } {
  const version = e.versionText ?? '';
  const sv = e.parameters.server_version ?? '';
  if (/pgauth/i.test(version) || /pgauth/i.test(sv) || /pgauth/i.test(e.parameters.application_name ?? '') && !e.parameters.in_hot_standby) {
    return { kind: 'pgauth', why: 'version() names pgauth' };
  }
  if (e.errorMessages.some((m) => PGBOUNCER_ERRORS.some((r) => r.test(m)))) return { kind: 'pgbouncer', why: 'PgBouncer error wording' };
  // PostgreSQL's 28P01 as PgBouncer forwards it in SCRAM pass-through: SQLSTATE 08P01, no source fields.
  const forwarded = e.errorMessages.some((m, i) => PASSWORD_AUTH_FAILED.test(m) && e.errorCodes?.[i] === '08P01');
  if (forwarded && !e.errorHadRoutine) return { kind: 'pgbouncer', why: "PostgreSQL's login error forwarded by PgBouncer (SQLSTATE 08P01, no source fields)" };
  if (e.errorMessages.length > 0 && !e.errorHadRoutine && e.errorMessages.some((m) => /^(password authentication failed|no pg_hba)/.test(m) && !/for user|for host/.test(m))) {
    return { kind: 'pgbouncer', why: 'PgBouncer error wording' };
  }
  // PgBouncer makes up its cancel keys, so the "pid" half is random: beyond Linux's
  // pid_max (4194304) or negative almost always. And it replays the server's
  // parameters with the five it tracks per client moved to the end (PgBouncer 1.18,
  // observed): client_encoding, DateStyle, TimeZone, standard_conforming_strings, application_name.
  const pidLooksRandom = e.backendKeyPid !== null && (e.backendKeyPid < 0 || e.backendKeyPid > 4194304);
  const tail = (e.parameterOrder ?? []).slice(-5).join(',');
  const bouncerTail = tail === 'client_encoding,DateStyle,TimeZone,standard_conforming_strings,application_name';
  if (Object.keys(e.parameters).length > 0 && (pidLooksRandom || bouncerTail)) {
    return {
      kind: 'pgbouncer',
      why: [pidLooksRandom ? `BackendKeyData pid ${e.backendKeyPid} is not a process id` : '', bouncerTail ? "PgBouncer's ParameterStatus order" : ''].filter(Boolean).join(', '),
    };
  }
  const pgOnlyParams = 'in_hot_standby' in e.parameters || 'default_transaction_read_only' in e.parameters;
  if (/^PostgreSQL \d/.test(version)) return { kind: 'postgresql', why: 'version()' };
  if (e.errorHadRoutine) return { kind: 'postgresql', why: 'ErrorResponse with source file/line/routine fields' };
  if (sv !== '' && pgOnlyParams) return { kind: 'postgresql', why: 'ParameterStatus set' };
  if (sv !== '') return { kind: 'other', why: `server_version ${sv} without PostgreSQL's full ParameterStatus set` };
  if (e.errorMessages.length > 0 && !e.errorHadRoutine) {
    return { kind: 'other', why: "errors without PostgreSQL's source-location fields: a pooler or a protocol-compatible server (pgauth serve answers this way)" };
  }
  return { kind: e.spoke ? 'unknown' : 'unknown', why: 'not enough evidence' };
}

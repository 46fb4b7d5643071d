/**
 * The diagnosis catalogue, pure: facts about a failed (or successful) login
 * in, `{code, cause, fix}` out. Built from the failure catalogue in
 * shared/reference/postgres-auth.md §6 (PostgreSQL's and libpq's real
 * messages) and pgbouncer-auth.md §6 (PgBouncer's wording).
 */
import type { AuthMethodName, SslMode } from './conninfo.js';
import { diagnoseProtocol, PROTOCOL_DIAGNOSIS_CODES } from './diagnose-protocol.js';
import { noChallengeMethods, type CatalogueEntry } from './diagnose-entry.js';
import { LOGIN_ENTRIES } from './diagnose-login.js';
import { NETWORK_ENTRIES, notInCatalogue } from './diagnose-network.js';
import { diagnoseOAuth } from './diagnose-oauth.js';
import { TLS_ENTRIES } from './diagnose-tls.js';
import type { OAuthInfo } from './attempt.js';

export const DIAGNOSIS_CODES = [
  'ok',
  'oauth-token-required',
  'oauth-token-rejected',
  'auth-failed',
  'password-required',
  'no-hba-entry',
  'tls-required',
  'hba-reject',
  'role-missing',
  'login-not-permitted',
  'database-missing',
  'connect-denied',
  'too-many-connections',
  'server-starting',
  'server-shutting-down',
  'tls-unsupported',
  'tls-verify-failed',
  'tls-client-cert',
  'channel-binding-unavailable',
  'channel-binding-failed',
  'server-signature-invalid',
  'auth-method-refused',
  'auth-method-unsupported',
  'pam-failed',
  'peer-failed',
  'connection-refused',
  'timeout',
  'dns-failure',
  'not-postgres',
  'protocol-error',
  'other',
  // Protocol versions and certificates (SPEC §7; diagnose-protocol.ts).
  'protocol-negotiation-failed',
  'protocol-version-unsupported',
  'channel-binding-unsupported-certificate',
  // From class to cause (SPEC §11): a 28P01 refined by the server log (server-log/), SCRAM pass-through (pass-through.ts).
  'password-mismatch',
  'password-expired',
  'no-password-set',
  'secret-not-scram',
  'pass-through-mismatch',
  'pass-through-wrong-secret-type',
] as const;
export type DiagnosisCode = (typeof DIAGNOSIS_CODES)[number];

/** Where a connection parameter came from: -U/-d, TARGET, PGUSER/PGDATABASE, or libpq's default. */
export type NameSource = 'flag' | 'target' | 'env' | 'default';

export type ServerKind = 'postgresql' | 'pgbouncer' | 'pgauth' | 'other' | 'unknown';

/** ErrorResponse fields as the probe keeps them. */
export interface ServerError {
  severity: string | null;
  code: string | null;
  message: string;
  detail: string | null;
  hint: string | null;
  /** PostgreSQL adds source file/line/routine; poolers usually do not. */
  routine: string | null;
}

/** What went wrong in one attempt. */
export type Failure =
  | { origin: 'server'; error: ServerError; afterAuthOk: boolean }
  | { origin: 'client'; code: DiagnosisCode; message: string; reason?: ClientFailureReason };

export type TlsVerifyReason = 'unknown-ca' | 'expired' | 'not-yet-valid' | 'wrong-host' | 'no-root-file' | 'other';

/**
 * What a client-side failure's code alone does not say, for the catalogue to
 * switch on (never on the text): the certificate check that failed
 * (tls-verify-failed), an 'N' to SSLRequest or a closed direct TLS
 * handshake (tls-unsupported), channel_binding=require without TLS or
 * against a method without binding (channel-binding-unavailable),
 * SCRAM-SHA-256-PLUS offered without TLS (channel-binding-failed), direct
 * TLS without ALPN postgresql (protocol-error).
 */
export type ClientFailureReason =
  | TlsVerifyReason
  | 'ssl-refused'
  | 'direct-tls-closed'
  | 'no-tls'
  | 'method-without-binding'
  | 'plus-without-tls'
  | 'alpn'
  // A timeout after ReadyForQuery: the peer spoke, then held the first query (a pooler waiting for its server login).
  | 'after-login';

export interface DiagnosisFacts {
  failure: Failure | null;
  serverKind: ServerKind;
  user: string;
  dbname: string;
  host: string;
  port: number;
  unix: boolean;
  /** The failing attempt used TLS. */
  tls: boolean;
  sslmode: SslMode;
  /** The method the server asked for (libpq require_auth names), if any. */
  authMethod: AuthMethodName | null;
  /** Where the password came from ('pgpass' matters for stale entries). */
  passwordSource: string | null;
  passfile?: string;
  /** The password file was not read at all, and why (its mode: libpq's warning). */
  pgpassIgnored?: string;
  /** Where the user and database names came from (the default user is the OS user, the default database the user name). */
  userSource?: NameSource;
  dbnameSource?: NameSource;
  /** A side attempt over TLS was admitted by pg_hba.conf (for tls-required). */
  tlsWouldBeAdmitted?: boolean;
  /**
   * Direct TLS was closed on: what the same server answered to an SSLRequest
   * in a diagnostic side attempt ('S' has TLS, 'N' has none, null no answer).
   */
  sslRequestAnswer?: 'S' | 'N' | null;
  /** The pg_hba.conf line that would admit this connection (no-hba-entry). */
  hbaLine?: string | null;
  /** --discover: the method was discovered and no secret was sent. */
  discoveryOnly?: boolean;
  requireAuthText?: string;
  // For the protocol and certificate codes (diagnose-protocol.ts):
  /** channel_binding as set (disable, prefer, require). */
  channelBindingMode?: string;
  /** The probe logged in with SCRAM without binding after libpq's own failure. */
  loggedInWithoutBinding?: boolean;
  /** server_version from ParameterStatus, when known. */
  serverVersion?: string | null;
  /** OAUTHBEARER: what the server advertised and whether a token was sent (diagnose-oauth.ts). */
  oauth?: OAuthInfo | null;
}

export interface Diagnosis {
  code: DiagnosisCode;
  cause: string;
  fix: string;
  /** For no-hba-entry: the pg_hba.conf line that would admit this connection. */
  hbaLine: string | null;
}

/** Classifies a server ErrorResponse into a diagnosis code (PostgreSQL and PgBouncer wording). */
export function classifyServerError(e: ServerError, afterAuthOk: boolean, tlsWouldBeAdmitted = false): DiagnosisCode {
  const m = e.message;
  const sqlstate = e.code ?? '';
  // PgBouncer's own words first: its SQLSTATEs are often 08P01 for auth failures.
  if (/^password authentication failed\b/.test(m) || /^SASL authentication failed/.test(m)) return 'auth-failed';
  if (/^no such user\b/.test(m) || /wrong password type/.test(m)) return 'auth-failed';
  if (/^login rejected\b/.test(m)) return 'hba-reject';
  if (/^no authentication method is found/.test(m)) return 'no-hba-entry';
  if (/^SSL required\b/.test(m)) return 'tls-required';
  if (/^no more connections allowed/.test(m) || /^sorry, too many clients already/.test(m)) return 'too-many-connections';
  if (/^no such database/.test(m)) return 'database-missing';
  if (/^"trust" authentication failed/.test(m)) return 'auth-failed';
  if (/^empty password returned by client/.test(m)) return 'password-required';
  if (/^OAuth bearer authentication failed for user/.test(m)) return 'oauth-token-rejected';
  switch (sqlstate) {
    case '28P01':
      return 'auth-failed';
    case '28000':
      if (/^no pg_hba\.conf entry/.test(m)) return tlsWouldBeAdmitted && /no encryption$/.test(m) ? 'tls-required' : 'no-hba-entry';
      if (/^pg_hba\.conf rejects/.test(m)) return 'hba-reject';
      if (/^role ".*" does not exist$/.test(m)) return 'role-missing';
      if (/is not permitted to log in$/.test(m)) return 'login-not-permitted';
      if (/^connection requires a valid client certificate/.test(m) || /^certificate authentication failed/.test(m)) return 'tls-client-cert';
      if (/^PAM authentication failed/.test(m)) return 'pam-failed';
      if (/^(Peer|Ident) authentication failed/.test(m)) return 'peer-failed';
      if (/SCRAM channel binding/.test(m)) return 'channel-binding-failed';
      return afterAuthOk ? 'other' : 'auth-failed';
    case 'F0000':
      return 'tls-client-cert';
    case '3D000':
      return 'database-missing';
    case '42501':
      return /^permission denied for database/.test(m) ? 'connect-denied' : 'other';
    case '53300':
      return 'too-many-connections';
    case '57P03':
      return /shutting down/.test(m) ? 'server-shutting-down' : 'server-starting';
    case '57P01':
    case '57P02':
      return 'server-shutting-down';
    case '08P01':
    case '0A000':
      return 'protocol-error';
    default:
      return 'other';
  }
}

/** Every entry of the catalogue, by code (protocol and OAuth codes have their own builders). */
const CATALOGUE: Partial<Record<DiagnosisCode, CatalogueEntry>> = { ...LOGIN_ENTRIES, ...TLS_ENTRIES, ...NETWORK_ENTRIES };

/** The catalogue: cause and fix in plain words for each code. */
export function diagnose(f: DiagnosisFacts): Diagnosis {
  if (!f.failure) return notFailed(f);
  const failure = f.failure;
  const classified = failure.origin === 'server' ? classifyServerError(failure.error, failure.afterAuthOk, f.tlsWouldBeAdmitted) : failure.code;
  // A refusal after the discovery round (no token sent) asks for a token rather than refusing one.
  const code = classified === 'oauth-token-rejected' && f.oauth && !f.oauth.tokenSent ? 'oauth-token-required' : classified;
  const msg = failure.origin === 'server' ? failure.error.message : failure.message;
  // Protocol negotiation and channel-binding certificates: their own catalogue (diagnose-protocol.ts).
  if (PROTOCOL_DIAGNOSIS_CODES.has(code)) return { ...diagnoseProtocol(code, msg, f), code, hbaLine: null };
  if (code === 'oauth-token-required' || code === 'oauth-token-rejected') return { ...diagnoseOAuth(code, f), code, hbaLine: null };
  if (code === 'ok') return { code, cause: '', fix: '', hbaLine: null };
  const reason = failure.origin === 'client' ? failure.reason : undefined;
  const facts = { f, failure, msg, reason, where: f.unix ? `the socket in ${f.host}` : `${f.host}:${f.port}`, bouncer: f.serverKind === 'pgbouncer' };
  return { code, ...(CATALOGUE[code] ?? notInCatalogue)(facts) };
}

/** A login, or a discovery that sent no secret (--discover). */
function notFailed(f: DiagnosisFacts): Diagnosis {
  const none: Diagnosis = { code: 'ok', cause: '', fix: '', hbaLine: null };
  if (!f.discoveryOnly) return { ...none, cause: 'logged in', fix: 'nothing to fix' };
  return {
    ...none,
    cause: f.authMethod
      ? `the server asks for ${f.authMethod === 'none' ? `no password (${noChallengeMethods(f.unix, f.tls)})` : f.authMethod}; no password was sent (--discover)`
      : 'the server answered the startup; no password was sent (--discover)',
    fix: 'nothing to fix',
  };
}

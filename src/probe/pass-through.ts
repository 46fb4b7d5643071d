/**
 * SCRAM pass-through behind PgBouncer (1.14+; PostgreSQL 18's
 * use_scram_passthrough works the same way): the pooler verifies the client
 * against its own verifier, keeps the ClientKey/ServerKey of that exchange,
 * and logs into the server with them. The server accepts only when its
 * verifier is the identical one (same salt and iterations, not just the same
 * password): a `passwd` on one tier only breaks it while both tiers still
 * "know the password".
 *
 * What the client sees then (PgBouncer 1.18, observed in
 * test/cause/pass-through.test.ts):
 * - no pool yet: the SCRAM exchange with PgBouncer succeeds (server
 *   signature verified), then the server's "password authentication failed
 *   for user" arrives, forwarded by PgBouncer (08P01, no source fields);
 * - a pool that logged in before: AuthenticationOk and ReadyForQuery from
 *   PgBouncer's cache, then the first query is held while it retries, or the
 *   connection ends with "server login has been failing, try again later
 *   (server_login_retry)".
 * Pure: the probe's facts in, a diagnosis (or null: not this) out.
 */
import { settleExit, type Expectations, type ProbeResult } from './report.js';
import type { ServerKind } from './diagnose.js';
import { PGBOUNCER_MESSAGES } from './server-kind.js';
import { PASSWORD_AUTH_FAILED } from './server-log/wording.js';

export interface PassThroughFacts {
  serverKind: ServerKind;
  user: string;
  /** The ErrorResponse the client got (PgBouncer's own or forwarded), or null. */
  errorMessage: string | null;
  /** The client's SCRAM exchange ended with a verified server signature: the first tier accepted the password. */
  serverSignatureVerified: boolean;
  /** AuthenticationOk arrived. */
  authOk: boolean;
  /** How the session ended without an ErrorResponse: closed, or no answer within connect_timeout. */
  ended: 'closed' | 'timeout' | null;
}

export type PassThroughCode = 'pass-through-mismatch' | 'pass-through-wrong-secret-type' | 'pooler-auth-failed';

export interface PassThroughDiagnosis {
  code: PassThroughCode;
  /** 'certain' when the client saw a password failure after the first tier verified it; 'likely' from PgBouncer's retry state or a held query. */
  confidence: 'certain' | 'likely';
  cause: string;
  fix: string;
  /** PgBouncer's own error, kept as it was sent. */
  poolerError: string | null;
}

const { serverLoginRetry: SERVER_LOGIN_RETRY, serverLoginFailed: SERVER_LOGIN_FAILED, saslFailed: SASL_FAILED } = PGBOUNCER_MESSAGES;
/** Inside "server login failed: ...": the secret kinds of the two tiers differ (src/proto.c). */
const WRONG_PASSWORD_TYPE = /wrong password type/;

const identicalVerifierFix = (user: string): string =>
  `Both tiers need the identical verifier for "${user}". Run \`pgauth check-roles --against postgresql://…\` to see which secret differs, ` +
  'then bring the server in line with the role file (`pgauth export --format sql --sync | psql`) or take the server\'s verifier into the file ' +
  '(`pgauth import postgresql://… --replace`); never re-hash the password on one tier only.';

function mismatch(f: PassThroughFacts, confidence: PassThroughDiagnosis['confidence'], what: string): PassThroughDiagnosis {
  return {
    code: 'pass-through-mismatch',
    confidence,
    cause: `${what} PgBouncer logs into the server with SCRAM pass-through (the keys of your own SCRAM exchange), which works only when the server stores the identical verifier for "${f.user}" as PgBouncer's auth_file: same salt and iterations, not just the same password.`,
    fix: identicalVerifierFix(f.user),
    poolerError: f.errorMessage,
  };
}

export function diagnosePassThrough(f: PassThroughFacts): PassThroughDiagnosis | null {
  const msg = f.errorMessage;
  if (msg !== null && SERVER_LOGIN_RETRY.test(msg)) {
    return mismatch(f, 'likely', "PgBouncer's own logins to the server for this pool keep failing, so it turns clients away until server_login_retry has passed.");
  }
  const login = msg === null ? null : SERVER_LOGIN_FAILED.exec(msg);
  if (login && WRONG_PASSWORD_TYPE.test(login[1]!)) {
    return {
      code: 'pass-through-wrong-secret-type',
      confidence: 'certain',
      cause: `PgBouncer cannot log into the server as "${f.user}": the secret kinds differ (md5 on one tier, SCRAM on the other), so SCRAM pass-through has no keys to use.`,
      fix: `Store a SCRAM-SHA-256 verifier on both tiers, the identical one. ${identicalVerifierFix(f.user)}`,
      poolerError: msg,
    };
  }
  // Only a refused password is a verifier mismatch: NOLOGIN, a missing database or a full server are not.
  if (login && /password authentication failed|SASL authentication failed/.test(login[1]!)) {
    return mismatch(f, 'certain', `PgBouncer accepted your password but the server refused PgBouncer ("${login[1]}").`);
  }
  if (msg !== null && PASSWORD_AUTH_FAILED.test(msg) && f.serverSignatureVerified) {
    return mismatch(f, 'certain', 'The pooler verified your password (its SCRAM server signature checked out), then the server behind it refused the login.');
  }
  if (msg !== null && SASL_FAILED.test(msg) && f.serverKind === 'pgbouncer') {
    return {
      code: 'pooler-auth-failed',
      confidence: 'certain',
      cause: `PgBouncer itself refused the SCRAM exchange for "${f.user}": the password does not match its auth_file, or the file holds an md5 secret under auth_type scram-sha-256.`,
      fix: `Check the role file PgBouncer reads (\`pgauth check-roles\`, \`pgauth verify ${f.user}\`); for pass-through, keep a SCRAM verifier there identical to the server's.`,
      poolerError: msg,
    };
  }
  const heldAfterPooler = f.ended !== null && f.serverSignatureVerified && (f.serverKind === 'pgbouncer' || !f.authOk);
  if (msg === null && heldAfterPooler) {
    const what = f.authOk
      ? 'PgBouncer accepted the login from its cache of server parameters, then held or dropped the session: its own server login failed, or the server behind it is down or busy.'
      : 'The password was verified, then no AuthenticationOk came: a pooler waiting for its own server login (failing, or the server down or busy).';
    return mismatch(f, 'likely', what);
  }
  return null;
}

/** The facts of a probe result that decide it. */
export function passThroughFactsOf(r: ProbeResult): PassThroughFacts {
  const client = r.attempts.find((a) => a.cause)?.clientFailure ?? null;
  const ended = r.error.code !== null ? null : client === 'timeout' ? 'timeout' : client === 'other' ? 'closed' : null;
  return {
    serverKind: r.server.kind,
    user: r.target.user,
    errorMessage: r.error.code !== null ? r.error.message : null,
    serverSignatureVerified: r.auth.serverSignature === 'verified',
    authOk: r.steps.some((s) => s.step === 'authentication-ok' && s.ok),
    ended,
  };
}

/**
 * The pass-through diagnosis wired into a probe's result: its code and words
 * replace the generic ones (auth-failed, other, timeout), PgBouncer's own
 * error stays in `error`, and a pooler that hung up after verifying the
 * password counts as a refusal (exit 1), not as "no response". PgBouncer
 * refusing the password itself (pooler-auth-failed) keeps auth-failed.
 */
export function withPassThrough(r: ProbeResult, expect: Expectations): ProbeResult {
  if (r.ok) return r;
  const d = diagnosePassThrough(passThroughFactsOf(r));
  if (!d || d.code === 'pooler-auth-failed') return r;
  r.passThrough = d;
  r.diagnosis = { code: d.code as Exclude<PassThroughCode, 'pooler-auth-failed'>, cause: d.cause, fix: d.fix, hbaLine: null };
  settleExit(r, expect, 'rejected');
  return r;
}

/**
 * libpq's `require_auth` (PostgreSQL 16+, `fe-connect.c pqConnectOptions2`
 * parses it, `fe-auth.c check_expected_areq` applies it), pure: which
 * authentication requests the client answers, refused before any secret
 * leaves. The SASL mechanism half is in sasl-mechanism.ts.
 */
import { ConninfoError } from '../conninfo-keywords.js';

/** A libpq `require_auth` name (PostgreSQL 16). */
export type AuthMethodName = 'none' | 'password' | 'md5' | 'scram-sha-256' | 'gss' | 'sspi' | 'oauth';
export const AUTH_METHOD_NAMES: readonly AuthMethodName[] = ['none', 'password', 'md5', 'scram-sha-256', 'gss', 'sspi', 'oauth'];

export interface RequireAuth {
  /** The text as given, for messages. */
  text: string;
  /** Methods the client accepts. */
  allowed: ReadonlySet<AuthMethodName>;
}

/**
 * Parses `require_auth` as libpq 16 does (`pqConnectOptions2`): a comma list,
 * all negated with `!` or none, no repeats. A negated list starts from "all".
 */
export function parseRequireAuth(text: string): RequireAuth {
  const items = text.split(',').map((s) => s.trim());
  const negated = items.map((s) => s.startsWith('!'));
  const names: AuthMethodName[] = [];
  for (let i = 0; i < items.length; i++) {
    const raw = items[i]!;
    const name = negated[i] ? raw.slice(1) : raw;
    if (!(AUTH_METHOD_NAMES as readonly string[]).includes(name)) throw new ConninfoError(`invalid require_auth value: "${raw}"`);
    if (i > 0 && negated[i] !== negated[0]) {
      throw new ConninfoError(
        negated[0] ? `require_auth method "${name}" cannot be mixed with negative methods` : `negative require_auth method "${raw}" cannot be mixed with non-negative methods`,
      );
    }
    if (names.includes(name as AuthMethodName)) throw new ConninfoError(`require_auth method "${name}" is specified more than once`);
    names.push(name as AuthMethodName);
  }
  const allowed = negated[0]
    ? new Set(AUTH_METHOD_NAMES.filter((m) => !names.includes(m)))
    : new Set(names);
  return { text, allowed };
}

/** The authentication requests check_expected_areq sorts, named as the protocol docs name them. */
export type AuthRequestName =
  | 'AuthenticationOk'
  | 'AuthenticationCleartextPassword'
  | 'AuthenticationMD5Password'
  | 'AuthenticationKerberosV5'
  | 'AuthenticationGSS'
  | 'AuthenticationGSSContinue'
  | 'AuthenticationSSPI'
  | 'AuthenticationSASL';

/** The require_auth name each challenge counts as, and libpq's reason when it is not allowed. */
const CHALLENGES: Record<Exclude<AuthRequestName, 'AuthenticationOk' | 'AuthenticationSASL'>, { method: AuthMethodName; reason: string }> = {
  AuthenticationCleartextPassword: { method: 'password', reason: 'server requested a cleartext password' },
  AuthenticationMD5Password: { method: 'md5', reason: 'server requested a hashed password' },
  // libpq has no require_auth name for Kerberos V5 (removed in PostgreSQL 9.4); the probe counts it as gss.
  AuthenticationKerberosV5: { method: 'gss', reason: 'server requested GSSAPI authentication' },
  AuthenticationGSS: { method: 'gss', reason: 'server requested GSSAPI authentication' },
  AuthenticationGSSContinue: { method: 'gss', reason: 'server requested GSSAPI authentication' },
  AuthenticationSSPI: { method: 'sspi', reason: 'server requested SSPI authentication' },
};

/** The require_auth name a challenge counts as (null for AuthenticationOk and SASL, which depend on more). */
export const methodOfRequest = (request: AuthRequestName): AuthMethodName | null =>
  request === 'AuthenticationOk' || request === 'AuthenticationSASL' ? null : CHALLENGES[request].method;

/**
 * libpq's require_auth verdict on one authentication request: null when the
 * client goes on, else its error text. `completed` says an exchange already
 * ran (AuthenticationOk without one is the method "none"). AuthenticationSASL
 * passes when scram-sha-256 or oauth is allowed; the mechanism is checked
 * once chosen (saslMechanismRefusal).
 */
export function requireAuthRefusal(ra: RequireAuth | undefined, request: AuthRequestName, completed = false): string | null {
  if (!ra) return null;
  let reason: string | null;
  if (request === 'AuthenticationOk') reason = completed || ra.allowed.has('none') ? null : 'server did not complete authentication';
  else if (request === 'AuthenticationSASL') reason = ra.allowed.has('scram-sha-256') || ra.allowed.has('oauth') ? null : 'server requested SASL authentication';
  else reason = ra.allowed.has(CHALLENGES[request].method) ? null : CHALLENGES[request].reason;
  return reason === null ? null : requirementFailed(ra, reason);
}

/** pg_SASL_init's require_auth check of the chosen mechanism: OAUTHBEARER needs oauth, SCRAM needs scram-sha-256. */
export function saslMechanismRefusal(ra: RequireAuth | undefined, mechanism: string): string | null {
  if (!ra || ra.allowed.has(mechanism === 'OAUTHBEARER' ? 'oauth' : 'scram-sha-256')) return null;
  return requirementFailed(ra, `server requested ${mechanism} authentication`);
}

const requirementFailed = (ra: RequireAuth, reason: string): string => `authentication method requirement "${ra.text}" failed: ${reason}`;

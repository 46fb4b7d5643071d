/**
 * PostgreSQL's log texts that name a failed password login, as formatters
 * (one copy: `pgauth serve` can write them, the server-log refiner reads
 * them back through `patternOf`). Names are printed raw, quotes and all
 * (`%s` in the C source), so a name may itself hold `"`.
 */

export type PasswordFailureCause = 'password-mismatch' | 'role-missing' | 'password-expired' | 'no-password-set' | 'secret-not-scram';

/** errmsg of auth_failed() for password, md5 and scram-sha-256 (auth.c), SQLSTATE 28P01. */
export const passwordAuthFailed = (user: string): string => `password authentication failed for user "${user}"`;

/**
 * The log DETAIL of each cause (errdetail_log: never sent to the client).
 * get_role_password() in crypt.c for the first four; md5_crypt_verify() and
 * plain_crypt_verify() for the mismatch (a SCRAM proof mismatch logs none).
 */
export const CAUSE_DETAILS: ReadonlyArray<{ code: PasswordFailureCause; text: (user: string) => string }> = [
  { code: 'role-missing', text: (user) => `Role "${user}" does not exist.` },
  { code: 'no-password-set', text: (user) => `User "${user}" has no password assigned.` },
  { code: 'password-expired', text: (user) => `User "${user}" has an expired password.` },
  { code: 'secret-not-scram', text: (user) => `User "${user}" does not have a valid SCRAM secret.` },
  { code: 'password-mismatch', text: (user) => `Password does not match for user "${user}".` },
];

/** The hba line auth_failed() appends: PostgreSQL 15 and older, then 16+ (which names the file). */
export const hbaMatchedDetail = (line: number | string, text: string, file?: string): string =>
  file === undefined ? `Connection matched pg_hba.conf line ${line}: "${text}"` : `Connection matched file "${file}" line ${line}: "${text}"`;

/** log_connections' first line (BackendInitialize): ties the client's host and port to the backend's PID. */
export const connectionReceived = (host: string, port: number | string): string => `connection received: host=${host} port=${port}`;

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A formatter's text as a whole-line pattern, each argument a capture group. */
export function patternOf(format: (...args: string[]) => string, arity = 1): RegExp {
  const marks = Array.from({ length: arity }, (_, i) => `\u0000${i}\u0000`);
  let body = escapeRegex(format(...marks));
  for (const m of marks) body = body.replace(m, '(.*)');
  return new RegExp(`^${body}$`);
}

/** The 28P01 message as a pattern; its group is the user. */
export const PASSWORD_AUTH_FAILED = patternOf(passwordAuthFailed);

/**
 * The catalogue entries of the five causes of a 28P01 that only the
 * server's log tells apart (SPEC §11): the cause in plain words and the fix,
 * with the pg_hba.conf line the server matched.
 */
import type { Diagnosis } from '../diagnose.js';
import type { HbaLineRef, PasswordFailureCause } from './refine.js';

const q = (s: string): string => `"${s.replace(/"/g, '""')}"`;

const ENTRIES: Record<PasswordFailureCause, (user: string, method: string) => { cause: string; fix: string }> = {
  'password-mismatch': (user, method) => ({
    cause: `The password is wrong: the role ${q(user)} exists, has a ${method === 'md5' || method === 'password' ? 'password' : 'secret'} and is not expired, but the password sent does not match it.`,
    fix: `Send the right password (check PGPASSWORD, --password-env and the first matching ~/.pgpass line), or set a new one: ALTER ROLE ${q(user)} PASSWORD '...' (psql \\password ${q(user)}).`,
  }),
  'role-missing': (user) => ({
    cause: `The role ${q(user)} does not exist on this server (PostgreSQL answers "password authentication failed" rather than tell a client which roles exist).`,
    fix: `Check the user name (-U, PGUSER, the URI); or create the role: CREATE ROLE ${q(user)} LOGIN PASSWORD '...' (pgauth export --format sql | psql brings the role file's roles over).`,
  }),
  'password-expired': (user) => ({
    cause: `The password of ${q(user)} has expired: its VALID UNTIL (rolvaliduntil) has passed, so PostgreSQL refuses even the right password.`,
    fix: `ALTER ROLE ${q(user)} VALID UNTIL 'infinity' (or a new date); pgauth export --format sql --sync does it for roles the file gives no expiry.`,
  }),
  'no-password-set': (user) => ({
    cause: `The role ${q(user)} has no password at all (rolpassword is NULL), so no password can match.`,
    fix: `Set one: ALTER ROLE ${q(user)} PASSWORD '...' (or store the role file's verifier: pgauth export --format sql | psql); or let it in another way in pg_hba.conf (peer, cert).`,
  }),
  'secret-not-scram': (user) => ({
    cause: `The role ${q(user)} stores an md5 secret while pg_hba.conf asks for scram-sha-256: SCRAM cannot use an md5 hash, so even the right password fails.`,
    fix: `Re-set the password with password_encryption = 'scram-sha-256' (SET password_encryption = 'scram-sha-256'; \\password ${q(user)}), or store a SCRAM verifier from the role file (pgauth export --format sql | psql); md5 is deprecated in PostgreSQL 18.`,
  }),
};

/** The diagnosis of a 28P01 whose cause the server log named. */
export function causeDiagnosis(code: PasswordFailureCause, user: string, hba: HbaLineRef | null): Diagnosis {
  const { cause, fix } = ENTRIES[code](user, hba?.method ?? '');
  const where = hba ? ` The server matched ${hba.file ?? 'pg_hba.conf'} line ${hba.line}: ${hba.text}` : '';
  return { code, cause: cause + where, fix, hbaLine: null };
}

/**
 * The finding for a role's secret, and its kind for list-roles: PgBouncer
 * and PostgreSQL read a string that only looks like a verifier as a
 * plaintext password (an error); a verifier they read but that is not in
 * canonical form is a warning.
 */
import { SCRAM_SCHEME, malformedSecretReason, parseSecret, type ScramSecret } from '../secrets/index.js';
import type { Finding, RoleEntry } from './role-file.js';

/** A SCRAM verifier exactly as PostgreSQL writes it (what the strict parse accepts). */
function isCanonicalScram(v: ScramSecret): boolean {
  const canonical = `${SCRAM_SCHEME}$${v.iterations}:${v.salt.toString('base64')}$${v.storedKey.toString('base64')}:${v.serverKey.toString('base64')}`;
  return v.iterations >= 1 && v.salt.length > 0 && v.text === canonical;
}

/**
 * The secret's kind (kept on the entry for list-roles) and its finding, if
 * any. One parse as PostgreSQL reads it; the strict reason is only looked
 * for when the verifier is not in canonical form (the common case is one
 * parse, not two, per role).
 */
export function checkSecret(entry: RoleEntry): Omit<Finding, 'line' | 'fix'> | undefined {
  if (entry.secret === '') {
    entry.kind = 'empty';
    return { severity: 'warning', code: 'empty-secret', message: `role ${JSON.stringify(entry.name)} has an empty secret and can never log in (PgBouncer refuses empty stored passwords)` };
  }
  const parsedAs = parseSecret(entry.secret);
  entry.kind = parsedAs.kind;
  if (parsedAs.kind === 'scram-sha-256') entry.iterations = parsedAs.iterations;
  const malformed = parsedAs.kind === 'md5' || (parsedAs.kind === 'scram-sha-256' && isCanonicalScram(parsedAs)) ? undefined : malformedSecretReason(entry.secret);
  if (malformed !== undefined) {
    // An error only when PgBouncer mis-reads it (as a plaintext password; the reason says so).
    // A verifier PostgreSQL and PgBouncer do parse (a "+4096" count, an iteration count of 0) is a warning.
    if (parsedAs.kind === 'plain') {
      return { severity: 'error', code: 'malformed-secret', message: `the secret of ${JSON.stringify(entry.name)} looks like a SCRAM or md5 secret but is malformed: ${malformed}` };
    }
    const consequence =
      parsedAs.kind === 'scram-sha-256' && parsedAs.iterations < 1
        ? 'no client can log in with it (libpq refuses an iteration count below 1)'
        : 'it works, but it is not in the canonical form PostgreSQL writes';
    return {
      severity: 'warning',
      code: 'malformed-secret',
      message: `the secret of ${JSON.stringify(entry.name)} is read as a SCRAM verifier by PostgreSQL and PgBouncer, but ${malformed.replace(/^malformed SCRAM-SHA-256 secret: /, '')}: ${consequence}`,
    };
  }
  if (parsedAs.kind === 'plain') return { severity: 'warning', code: 'plaintext-secret', message: `role ${JSON.stringify(entry.name)} has a plaintext password (prefer a SCRAM-SHA-256 verifier)` };
  return undefined;
}

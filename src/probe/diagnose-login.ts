/**
 * The catalogue entries for a refused login: the password, pg_hba.conf, the
 * role and database, connection limits, server state, require_auth and the
 * method-specific failures (PAM, peer). Pure; PostgreSQL's and PgBouncer's
 * words from shared/reference/postgres-auth.md §6 and pgbouncer-auth.md §6.
 */
import type { DiagnosisCode, DiagnosisFacts } from './diagnose.js';
import { causeFix, originsNote, q, type CatalogueEntry } from './diagnose-entry.js';

/** Cause and fix for each login-refusal code. */
export const LOGIN_ENTRIES: Partial<Record<DiagnosisCode, CatalogueEntry>> = {
  'auth-failed': ({ f, msg, bouncer }) => {
    if (bouncer || /^SASL authentication failed/.test(msg)) {
      if (/^SASL authentication failed/.test(msg)) {
        return causeFix(
          'PgBouncer refused the SCRAM login: either the password is wrong, or the role\'s secret in its auth_file is an md5 hash while auth_type is scram-sha-256 (PgBouncer logs "SCRAM authentication failed: user has MD5 secret").',
          'Check the password; store a SCRAM verifier (or the plaintext) for this user in the auth_file (pgauth add-role --replace), then RELOAD PgBouncer.',
        );
      }
      if (/^no such user/.test(msg)) {
        return causeFix('PgBouncer\'s auth_query found no row for this user (or the database alias maps elsewhere).', 'Check the user name, the auth_user/auth_query set-up and the [databases] alias.');
      }
      if (/wrong password type/.test(msg)) {
        return causeFix('PgBouncer could not log in to the server: the secret it holds does not fit the method the server asks for.', 'Store the identical SCRAM verifier in PgBouncer\'s auth_file and in PostgreSQL (pgauth export --format sql), or a plaintext password.');
      }
      return causeFix(
        'PgBouncer refused the password: wrong password, or the user is not in its auth_file (PgBouncer answers unknown users the same way).',
        'Check the password and that the user is listed in the auth_file (pgauth list-roles --roles <auth_file>); PgBouncer re-reads it only on RELOAD.',
      );
    }
    const fromFile = f.passwordSource === 'pgpass' ? ` The password came from ${f.passfile ?? '.pgpass'} (the first matching line wins; it may be stale).` : '';
    // An md5 challenge or a cleartext request cannot fail for a missing SCRAM secret (reference 3.13, 6.7).
    const scram = f.authMethod !== 'md5' && f.authMethod !== 'password';
    return causeFix(
      `The server refused the password for ${q(f.user)}${f.authMethod ? ` (it asked for ${f.authMethod})` : ''}. PostgreSQL says the same for several causes; its log's DETAIL line tells them apart: ${
        // Checked on 14 to 18: a wrong SCRAM proof logs no DETAIL of its own, only "Connection matched ...".
        scram ? 'only "Connection matched ..." (wrong password)' : '"Password does not match" (wrong password)'
      }, "Role ... does not exist" (unknown role), "User ... has an expired password" (VALID UNTIL passed)${scram ? ', "User ... has no password assigned", or "User ... does not have a valid SCRAM secret" (the stored secret is md5 while pg_hba.conf says scram-sha-256)' : ', or "User ... has no password assigned"'}.${fromFile}`,
      `Check the server log for that DETAIL (pgauth probe --server-log FILE reads it and names the cause). Then: fix the password, CREATE ROLE "${f.user}" LOGIN PASSWORD '...', ALTER ROLE "${f.user}" VALID UNTIL 'infinity'${scram ? ", or re-set the password with password_encryption = 'scram-sha-256'" : ", or ALTER ROLE ... PASSWORD '...'"}.`,
    );
  },
  'password-required': ({ f }) =>
    causeFix(
      `The server asked for a password (${f.authMethod ?? 'a password method'}) and none was given: no --password-stdin/--password-env, no password in the target, no PGPASSWORD, and ${passfileState(f)}.`,
      f.pgpassIgnored !== undefined
        ? `chmod 0600 ${f.passfile ?? '~/.pgpass'} so that libpq reads it, or give a password with --password-stdin or --password-env VAR (or PGPASSWORD), or run on a terminal without -w to be asked.`
        : 'Give a password with --password-stdin or --password-env VAR (or PGPASSWORD / a .pgpass line), run on a terminal without -w to be asked (or with -W), or use --discover to only discover the method.',
    ),
  'no-hba-entry': ({ f }) =>
    causeFix(
      `No pg_hba.conf line matches this connection (connection type, database ${q(f.dbname)}, user ${q(f.user)}, client address${f.tls ? ', with TLS' : ', without TLS'}). The server checks the lines top to bottom and found none.`,
      f.hbaLine
        ? `Add this line to pg_hba.conf (before any broader reject) and reload (SELECT pg_reload_conf()): ${f.hbaLine}${originsNote(f)}`
        : 'Add a host/hostssl line for this database, user and address to pg_hba.conf and reload (SELECT pg_reload_conf()); check pg_hba_file_rules for lines with errors.',
      f.hbaLine ?? null,
    ),
  'tls-required': ({ f, bouncer }) =>
    causeFix(
      bouncer
        ? 'PgBouncer requires TLS from clients (client_tls_sslmode=require or stricter) and this connection did not use it.'
        : 'pg_hba.conf has no line for an unencrypted connection from here, but a TLS connection is admitted (hostssl lines only, as on many managed services).',
      'Connect with TLS: sslmode=require (or verify-full with sslrootcert=...), e.g. "host=... sslmode=require".' +
        (f.hbaLine && !bouncer ? ` Or, if unencrypted connections from here should be admitted, add this line to pg_hba.conf and reload: ${f.hbaLine}` : ''),
      bouncer ? null : (f.hbaLine ?? null),
    ),
  'hba-reject': ({ bouncer }) =>
    causeFix(
      bouncer ? 'PgBouncer\'s auth_hba_file has a reject line that matches this connection.' : 'A "reject" line in pg_hba.conf matched this connection before any line that would admit it.',
      'Move the line that should admit this connection above the reject line (first match wins) and reload.',
    ),
  'role-missing': ({ f }) =>
    causeFix(
      `Authentication succeeded (${f.authMethod ?? 'no password'}), but no role ${q(f.user)} exists in the database.`,
      `CREATE ROLE "${f.user}" LOGIN; or connect as an existing role (names are case-sensitive when quoted).`,
    ),
  'login-not-permitted': ({ f }) => causeFix(`The role ${q(f.user)} exists but has NOLOGIN (for example a group role).`, `ALTER ROLE "${f.user}" LOGIN; or log in as a member role.`),
  'database-missing': ({ f }) =>
    causeFix(
      `Authentication succeeded, but the database ${q(f.dbname)} does not exist.${
        f.dbnameSource === 'default' ? ' No database was given (no -d, PGDATABASE or dbname=), so libpq used the user name.' : f.dbnameSource === 'env' ? ' The name came from PGDATABASE.' : ''
      }`,
      `Pass the right database (-d NAME or dbname=NAME), or CREATE DATABASE "${f.dbname}".`,
    ),
  'connect-denied': ({ f }) => causeFix(`Authentication succeeded, but ${q(f.user)} lacks the CONNECT privilege on database ${q(f.dbname)}.`, `GRANT CONNECT ON DATABASE "${f.dbname}" TO "${f.user}";`),
  'too-many-connections': ({ f, msg }) =>
    causeFix(
      /for role/.test(msg)
        ? `The role ${q(f.user)} has reached its connection limit (CONNECTION LIMIT).`
        : /for database/.test(msg)
          ? `The database ${q(f.dbname)} has reached its connection limit.`
          : /reserved/.test(msg)
            ? 'Only the reserved superuser slots are left (max_connections is nearly reached).'
            : 'The server has reached max_connections (or the pooler its client limit).',
      'Close idle sessions, use a connection pooler, or raise the limit (ALTER ROLE ... CONNECTION LIMIT, max_connections).',
    ),
  'server-starting': () => causeFix('The server is up but not accepting connections yet (starting up, in recovery, or a standby without hot_standby).', 'Wait and retry; check the server log for recovery progress.'),
  'server-shutting-down': () => causeFix('The server is shutting down (or an administrator ended the session).', 'Wait until it is back up, then retry.'),
  'auth-method-refused': ({ f }) =>
    causeFix(
      `The server asked for ${f.authMethod ?? 'a method'}, which require_auth=${f.requireAuthText ?? '...'} does not allow; the client stopped before sending any secret.`,
      'Change pg_hba.conf to a method the client accepts, or widen require_auth.',
    ),
  'auth-method-unsupported': ({ f, msg }) =>
    causeFix(
      `The server asked for ${f.authMethod ?? 'a method'} (${msg}), which pgauth probe does not implement (GSSAPI/SSPI/Kerberos or an unknown SASL mechanism).`,
      'Test this server with psql built with GSSAPI, or add a scram-sha-256 line for this user to pg_hba.conf.',
    ),
  'pam-failed': ({ f }) =>
    causeFix(
      `PAM refused ${q(f.user)}: a wrong OS password, or a PAM service file (/etc/pam.d/postgresql) that is missing or cannot read what it needs (pam_unix and /etc/shadow).`,
      'Check the password; see the server log for "pam_authenticate failed: ..."; test with pgauth pam-check --service postgresql --user NAME.',
    ),
  'peer-failed': ({ f }) =>
    causeFix(
      `The operating-system user does not match the database user ${q(f.user)} (peer/ident authentication).`,
      'Run as the matching OS user (sudo -u postgres ...), add map= with a pg_ident.conf entry, or connect over TCP (-h localhost) to use password lines.',
    ),
};

/** The password file's part in a missing password: not read at all (its mode), or read without a matching line. */
function passfileState(f: DiagnosisFacts): string {
  if (f.pgpassIgnored !== undefined) return `the password file was not read: ${f.pgpassIgnored}`;
  return `no matching line in ${f.passfile ?? '~/.pgpass'}`;
}

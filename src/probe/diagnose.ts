/**
 * The diagnosis catalogue, pure: facts about a failed (or successful) login
 * in, `{code, cause, fix}` out. Built from the failure catalogue in
 * shared/reference/postgres-auth.md §6 (PostgreSQL's and libpq's real
 * messages) and pgbouncer-auth.md §6 (PgBouncer's wording).
 */
import type { AuthMethodName, SslMode } from './conninfo.js';
import { diagnoseProtocol, PROTOCOL_DIAGNOSIS_CODES } from './diagnose-protocol.js';
import { diagnoseOAuth } from './diagnose-oauth.js';
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
] as const;
export type DiagnosisCode = (typeof DIAGNOSIS_CODES)[number];

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
  | { origin: 'client'; code: DiagnosisCode; message: string; reason?: TlsVerifyReason };

export type TlsVerifyReason = 'unknown-ca' | 'expired' | 'not-yet-valid' | 'wrong-host' | 'no-root-file' | 'other';

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
  /** A side attempt over TLS was admitted by pg_hba.conf (for tls-required). */
  tlsWouldBeAdmitted?: boolean;
  /**
   * Direct TLS was closed on: what the same server answered to an SSLRequest
   * in a diagnostic side attempt ('S' has TLS, 'N' has none, null no answer).
   */
  sslRequestAnswer?: 'S' | 'N' | null;
  /** The pg_hba.conf line that would admit this connection (no-hba-entry). */
  hbaLine?: string | null;
  /** --no-password: the method was discovered and no secret was sent. */
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

const q = (s: string) => `"${s}"`;

/** The catalogue: cause and fix in plain words for each code. */
export function diagnose(f: DiagnosisFacts): Diagnosis {
  const none: Diagnosis = { code: 'ok', cause: '', fix: '', hbaLine: null };
  if (!f.failure) {
    if (f.discoveryOnly) {
      return {
        ...none,
        cause: f.authMethod
          ? `the server asks for ${f.authMethod === 'none' ? 'no password (trust or certificate)' : f.authMethod}; no password was sent (--no-password)`
          : 'the server answered the startup; no password was sent (--no-password)',
        fix: 'nothing to fix',
      };
    }
    return { ...none, cause: 'logged in', fix: 'nothing to fix' };
  }
  const failure = f.failure;
  const classified = failure.origin === 'server' ? classifyServerError(failure.error, failure.afterAuthOk, f.tlsWouldBeAdmitted) : failure.code;
  // A refusal after the discovery round (no token sent) asks for a token rather than refusing one.
  const code = classified === 'oauth-token-rejected' && f.oauth && !f.oauth.tokenSent ? 'oauth-token-required' : classified;
  const d = (cause: string, fix: string, hbaLine: string | null = null): Diagnosis => ({ code, cause, fix, hbaLine });
  const where = f.unix ? `the socket in ${f.host}` : `${f.host}:${f.port}`;
  const bouncer = f.serverKind === 'pgbouncer';
  const msg = failure.origin === 'server' ? failure.error.message : failure.message;
  // Protocol negotiation and channel-binding certificates: their own catalogue (diagnose-protocol.ts).
  if (PROTOCOL_DIAGNOSIS_CODES.has(code)) return { ...diagnoseProtocol(code, msg, f), code, hbaLine: null };
  if (code === 'oauth-token-required' || code === 'oauth-token-rejected') return { ...diagnoseOAuth(code, f), code, hbaLine: null };
  switch (code) {
    case 'ok':
      return none;
    case 'auth-failed': {
      if (bouncer || /^SASL authentication failed/.test(msg)) {
        if (/^SASL authentication failed/.test(msg)) {
          return d(
            'PgBouncer refused the SCRAM login: either the password is wrong, or the role\'s secret in its auth_file is an md5 hash while auth_type is scram-sha-256 (PgBouncer logs "SCRAM authentication failed: user has MD5 secret").',
            'Check the password; store a SCRAM verifier (or the plaintext) for this user in the auth_file (pgauth add-role --replace), then RELOAD PgBouncer.',
          );
        }
        if (/^no such user/.test(msg)) {
          return d('PgBouncer\'s auth_query found no row for this user (or the database alias maps elsewhere).', 'Check the user name, the auth_user/auth_query set-up and the [databases] alias.');
        }
        if (/wrong password type/.test(msg)) {
          return d('PgBouncer could not log in to the server: the secret it holds does not fit the method the server asks for.', 'Store the identical SCRAM verifier in PgBouncer\'s auth_file and in PostgreSQL (pgauth export --format sql), or a plaintext password.');
        }
        return d(
          'PgBouncer refused the password: wrong password, or the user is not in its auth_file (PgBouncer answers unknown users the same way).',
          'Check the password and that the user is listed in the auth_file (pgauth list-roles --roles <auth_file>); PgBouncer re-reads it only on RELOAD.',
        );
      }
      const fromFile = f.passwordSource === 'pgpass' ? ` The password came from ${f.passfile ?? '.pgpass'} (the first matching line wins; it may be stale).` : '';
      // An md5 challenge or a cleartext request cannot fail for a missing SCRAM secret (reference 3.13, 6.7).
      const scram = f.authMethod !== 'md5' && f.authMethod !== 'password';
      return d(
        `The server refused the password for ${q(f.user)}${f.authMethod ? ` (it asked for ${f.authMethod})` : ''}. PostgreSQL says the same for several causes; its log's DETAIL line tells them apart: ${
          // Checked on 14 to 18: a wrong SCRAM proof logs no DETAIL of its own, only "Connection matched ...".
          scram ? 'only "Connection matched ..." (wrong password)' : '"Password does not match" (wrong password)'
        }, "Role ... does not exist" (unknown role), "User ... has an expired password" (VALID UNTIL passed)${scram ? ', "User ... has no password assigned", or "User ... does not have a valid SCRAM secret" (the stored secret is md5 while pg_hba.conf says scram-sha-256)' : ', or "User ... has no password assigned"'}.${fromFile}`,
        `Check the server log for that DETAIL. Then: fix the password, CREATE ROLE "${f.user}" LOGIN PASSWORD '...', ALTER ROLE "${f.user}" VALID UNTIL 'infinity'${scram ? ", or re-set the password with password_encryption = 'scram-sha-256'" : ", or ALTER ROLE ... PASSWORD '...'"}.`,
      );
    }
    case 'password-required':
      return d(
        `The server asked for a password (${f.authMethod ?? 'a password method'}) and none was given: no --password-stdin/--password-env, no password in the target, no PGPASSWORD and no matching .pgpass line.`,
        'Give a password with --password-stdin or --password-env VAR (or PGPASSWORD / a .pgpass line), run on a terminal to be asked, or use --no-password to only discover the method.',
      );
    case 'no-hba-entry':
      return d(
        `No pg_hba.conf line matches this connection (connection type, database ${q(f.dbname)}, user ${q(f.user)}, client address${f.tls ? ', with TLS' : ', without TLS'}). The server checks the lines top to bottom and found none.`,
        f.hbaLine
          ? `Add this line to pg_hba.conf (before any broader reject) and reload (SELECT pg_reload_conf()): ${f.hbaLine}`
          : 'Add a host/hostssl line for this database, user and address to pg_hba.conf and reload (SELECT pg_reload_conf()); check pg_hba_file_rules for lines with errors.',
        f.hbaLine ?? null,
      );
    case 'tls-required':
      return d(
        bouncer
          ? 'PgBouncer requires TLS from clients (client_tls_sslmode=require or stricter) and this connection did not use it.'
          : 'pg_hba.conf has no line for an unencrypted connection from here, but a TLS connection is admitted (hostssl lines only, as on many managed services).',
        'Connect with TLS: sslmode=require (or verify-full with sslrootcert=...), e.g. "host=... sslmode=require".' +
          (f.hbaLine && !bouncer ? ` Or, if unencrypted connections from here should be admitted, add this line to pg_hba.conf and reload: ${f.hbaLine}` : ''),
        bouncer ? null : (f.hbaLine ?? null),
      );
    case 'hba-reject':
      return d(
        bouncer ? 'PgBouncer\'s auth_hba_file has a reject line that matches this connection.' : 'A "reject" line in pg_hba.conf matched this connection before any line that would admit it.',
        'Move the line that should admit this connection above the reject line (first match wins) and reload.',
      );
    case 'role-missing':
      return d(
        `Authentication succeeded (${f.authMethod ?? 'no password'}), but no role ${q(f.user)} exists in the database.`,
        `CREATE ROLE "${f.user}" LOGIN; or connect as an existing role (names are case-sensitive when quoted).`,
      );
    case 'login-not-permitted':
      return d(`The role ${q(f.user)} exists but has NOLOGIN (for example a group role).`, `ALTER ROLE "${f.user}" LOGIN; or log in as a member role.`);
    case 'database-missing':
      return d(
        `Authentication succeeded, but the database ${q(f.dbname)} does not exist. When no database is given, libpq uses the user name.`,
        `Pass the right database (-d NAME or dbname=NAME), or CREATE DATABASE "${f.dbname}".`,
      );
    case 'connect-denied':
      return d(`Authentication succeeded, but ${q(f.user)} lacks the CONNECT privilege on database ${q(f.dbname)}.`, `GRANT CONNECT ON DATABASE "${f.dbname}" TO "${f.user}";`);
    case 'too-many-connections':
      return d(
        /for role/.test(msg)
          ? `The role ${q(f.user)} has reached its connection limit (CONNECTION LIMIT).`
          : /for database/.test(msg)
            ? `The database ${q(f.dbname)} has reached its connection limit.`
            : /reserved/.test(msg)
              ? 'Only the reserved superuser slots are left (max_connections is nearly reached).'
              : 'The server has reached max_connections (or the pooler its client limit).',
        'Close idle sessions, use a connection pooler, or raise the limit (ALTER ROLE ... CONNECTION LIMIT, max_connections).',
      );
    case 'server-starting':
      return d('The server is up but not accepting connections yet (starting up, in recovery, or a standby without hot_standby).', 'Wait and retry; check the server log for recovery progress.');
    case 'server-shutting-down':
      return d('The server is shutting down (or an administrator ended the session).', 'Wait until it is back up, then retry.');
    case 'tls-unsupported':
      if (/^server does not support SSL/.test(msg)) {
        return d(
          `The server answered "N" to the TLS request: it has no TLS (ssl = off, or no certificate), while sslmode=${f.sslmode} demands TLS.`,
          'Enable TLS on the server (ssl = on, ssl_cert_file, ssl_key_file) or, on a trusted network only, use sslmode=prefer or disable.',
        );
      }
      if (/sslnegotiation=direct/.test(msg)) return d(...directTlsClosed(f.sslRequestAnswer));
      return d(
        `The TLS handshake failed (${msg.split('\n')[0]}): no TLS version or cipher in common (ssl_min_protocol_version, ssl_ciphers), or the server closed the connection during the handshake (see its log).`,
        'Compare the server\'s ssl_min_protocol_version/ssl_ciphers with what the client offers (TLS 1.2 or newer), and read the server log for the failed handshake.',
      );
    case 'tls-verify-failed': {
      const reason = failure.origin === 'client' ? failure.reason : undefined;
      const why =
        reason === 'wrong-host'
          ? 'the certificate does not name the host you connected to'
          : reason === 'unknown-ca'
            ? 'the certificate is not signed by a CA in sslrootcert (unknown CA)'
            : reason === 'expired'
              ? 'the certificate has expired'
              : reason === 'not-yet-valid'
                ? 'the certificate is not valid yet'
                : reason === 'no-root-file'
                  ? 'there is no root certificate file to verify against'
                  : 'the certificate chain did not verify';
      return d(
        `TLS certificate verification failed: ${why}.`,
        reason === 'wrong-host'
          ? 'Connect with a host name the certificate lists (see its subjectAltName), or reissue the certificate with this name.'
          : reason === 'no-root-file'
            ? 'Give the CA file with sslrootcert=/path/ca.crt (or sslrootcert=system for public CAs), or lower sslmode.'
            : 'Give the CA that signed the server certificate with sslrootcert=/path/ca.crt (or sslrootcert=system), or renew the certificate.',
      );
    }
    case 'tls-client-cert':
      return d(
        failure.origin === 'server' && /^certificate authentication failed/.test(msg)
          ? `The client certificate was accepted by TLS but its CN does not match the user ${q(f.user)} (cert authentication).`
          : failure.origin === 'server' && /root certificate store/.test(msg)
            ? 'The server cannot check client certificates: ssl_ca_file is not set.'
            : failure.origin === 'server'
              ? 'The server requires a valid client certificate (cert method or clientcert=verify-ca/verify-full) and none was presented.'
              : 'The server rejected the client certificate during the TLS handshake (not signed by its ssl_ca_file, or expired).',
        'Give a client certificate and key signed by the server\'s CA, with CN equal to the user name: sslcert=/path/client.crt sslkey=/path/client.key (key mode 0600).',
      );
    case 'channel-binding-unavailable':
      return d(
        /SSL not in use/.test(msg)
          ? 'channel_binding=require needs TLS, and this connection does not use TLS.'
          : /without channel binding|not supported by server's authentication request/.test(msg)
            ? 'channel_binding=require, but the server used a method without channel binding (trust, password, md5 or certificate).'
            : `channel_binding=require, but the server did not offer SCRAM-SHA-256-PLUS${bouncer ? ' (PgBouncer never offers channel binding)' : ' (a TLS-terminating proxy or a pooler is in between, or the server lacks TLS)'}.`,
        'Connect directly to PostgreSQL over TLS with scram-sha-256 in pg_hba.conf, or lower channel_binding to prefer.',
      );
    case 'channel-binding-failed':
      if (/over a non-SSL connection/.test(msg)) {
        return d(
          'The server offered SCRAM-SHA-256-PLUS on a connection without TLS: PostgreSQL offers it only over TLS, so something in between removed TLS (SSL stripping) or a broken proxy is speaking for the server.',
          'Connect with sslmode=verify-full (or at least require) and channel_binding=require, and find out what sits between client and server.',
        );
      }
      return d(
        'The SCRAM channel-binding check failed: the certificate the client saw is not the server\'s own. A TLS-terminating proxy or an attacker in the middle sits between client and server.',
        'Connect directly to PostgreSQL (or make the proxy pass TLS through); investigate if you did not expect a proxy.',
      );
    case 'server-signature-invalid':
      return d(
        'The server\'s SCRAM signature is wrong (or missing): it does not know the password. This is an impostor, a mock, or a pooler misusing SCRAM pass-through.',
        'Do not trust this server; check that you reached the real one (verify-full TLS), and that a pooler holds the identical verifier.',
      );
    case 'auth-method-refused':
      return d(
        `The server asked for ${f.authMethod ?? 'a method'}, which require_auth=${f.requireAuthText ?? '...'} does not allow; the client stopped before sending any secret.`,
        'Change pg_hba.conf to a method the client accepts, or widen require_auth.',
      );
    case 'auth-method-unsupported':
      return d(
        `The server asked for ${f.authMethod ?? 'a method'} (${msg}), which pgauth probe does not implement (GSSAPI/SSPI/Kerberos or an unknown SASL mechanism).`,
        'Test this server with psql built with GSSAPI, or add a scram-sha-256 line for this user to pg_hba.conf.',
      );
    case 'pam-failed':
      return d(
        `PAM refused ${q(f.user)}: a wrong OS password, or a PAM service file (/etc/pam.d/postgresql) that is missing or cannot read what it needs (pam_unix and /etc/shadow).`,
        'Check the password; see the server log for "pam_authenticate failed: ..."; test with pgauth pam-check --service postgresql --user NAME.',
      );
    case 'peer-failed':
      return d(
        `The operating-system user does not match the database user ${q(f.user)} (peer/ident authentication).`,
        'Run as the matching OS user (sudo -u postgres ...), add map= with a pg_ident.conf entry, or connect over TCP (-h localhost) to use password lines.',
      );
    case 'connection-refused':
      return d(
        f.unix
          ? `Nothing listens on ${where}: the server is down, or it uses another unix_socket_directories/port.`
          : `Nothing accepts connections on ${where}: the server is down, the port is wrong, listen_addresses does not include this interface, or a firewall rejects the connection.`,
        f.unix
          ? 'Start the server, or pass the right socket directory (-h /dir) and port (-p).'
          : "Start the server; check port and listen_addresses (e.g. listen_addresses = '*' and a restart) in postgresql.conf, and firewalls.",
      );
    case 'timeout':
      return d(
        `No answer from ${where} within connect_timeout: a firewall drops packets, the host is unreachable, or the peer accepted the connection and never spoke.`,
        'Check routing and firewalls (security groups) for the port; check that the right service listens there.',
      );
    case 'dns-failure':
      return d(`The host name ${q(f.host)} does not resolve.`, 'Fix the name (typo, DNS, /etc/hosts) or connect by address (hostaddr=IP).');
    case 'not-postgres':
      return d(
        `The peer at ${where} does not speak the PostgreSQL protocol (${msg}).`,
        'Check the port: it is probably another service (HTTP, SSH, ...), or a proxy that expects something else.',
      );
    case 'protocol-error':
      if (/ALPN/.test(msg)) {
        return d(
          `Direct TLS (sslnegotiation=direct) reached a TLS endpoint that did not agree on ALPN "postgresql" (${msg}): a proxy or load balancer terminates TLS, or the server is not PostgreSQL 17+.`,
          'Use sslnegotiation=postgres, or configure ALPN "postgresql" on the proxy.',
        );
      }
      return d(`The server broke the protocol: ${msg}`, 'Check the server or pooler version; capture the exchange with --trace.');
    default:
      if (failure.origin === 'server' && failure.error.code === '55000' && /not currently accepting connections/.test(msg)) {
        return d(`The database ${q(f.dbname)} does not accept connections (datallowconn is false, as for template0).`, `Connect to another database, or ALTER DATABASE "${f.dbname}" ALLOW_CONNECTIONS true.`);
      }
      if (failure.origin === 'server' && failure.error.code === '42704') {
        return d(`The startup packet set a parameter the server does not know (${msg}): from PGOPTIONS/options or a driver setting.`, 'Remove or correct the -c setting in options/PGOPTIONS.');
      }
      return d(
        /server closed the connection unexpectedly/.test(msg)
          ? 'The server closed the connection without an error message: a backend crash, authentication_timeout, a proxy or load balancer cutting the connection, or a TLS failure on the server side.'
          : `Not in the catalogue: ${msg.split('\n')[0]}`,
        'See the server log (and any proxy log) for the same moment; run again with --trace.',
      );
  }
}

/**
 * Direct TLS closed at the ClientHello. PostgreSQL 17+ closes it when it has
 * no TLS (ssl = off), 16 and older always (they read the ClientHello as a
 * startup packet of absurd length); the SSLRequest side attempt tells which.
 */
function directTlsClosed(answer: 'S' | 'N' | null | undefined): [string, string] {
  if (answer === 'N') {
    return [
      'The server closed the connection at the direct TLS handshake (sslnegotiation=direct), and it answers an SSLRequest with "N": it has no TLS at all (ssl = off, or no certificate), whatever its version.',
      'Enable TLS on the server (ssl = on, ssl_cert_file, ssl_key_file) and reload; direct TLS also needs PostgreSQL 17 or newer (otherwise use sslnegotiation=postgres).',
    ];
  }
  if (answer === 'S') {
    return [
      'The server closed the connection at the direct TLS handshake (sslnegotiation=direct) but takes TLS after an SSLRequest: it does not speak direct TLS. PostgreSQL 16 and older, and poolers or proxies that expect an SSLRequest first, do this.',
      'Use sslnegotiation=postgres (the default) against this server, or upgrade it to PostgreSQL 17 or newer.',
    ];
  }
  return [
    'The server closed the connection at the direct TLS handshake (sslnegotiation=direct): either it does not speak direct TLS (PostgreSQL 16 and older, most poolers), or it has no TLS at all (ssl = off).',
    'Use sslnegotiation=postgres (the default), or check ssl = on and the server version (17 or newer for direct TLS).',
  ];
}

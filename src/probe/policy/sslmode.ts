/**
 * libpq's sslmode as data (`fe-connect.c select_next_encryption_method`,
 * `PQconnectPoll`), pure: which encryptions an address gets in which order,
 * and what comes after a failed attempt. gssencmode: pgauth has no GSSAPI,
 * so (as libpq without a credential cache) `prefer` never adds a GSS attempt
 * and `require` is refused when the parameters are resolved (conninfo.ts).
 */
import type { AttemptResult, Encryption } from '../attempt.js';
import type { ConnParams, HostSpec, SslMode } from '../conninfo.js';
import type { DiagnosisCode } from '../diagnose.js';

/** The modes an 'N' answer to SSLRequest fails (libpq: "server does not support SSL, but SSL was required"). */
export const tlsRequired = (sslmode: SslMode): boolean => sslmode === 'require' || sslmode === 'verify-ca' || sslmode === 'verify-full';

/** The encryptions to try on one address, in order. */
export function encryptionPlan(p: Pick<ConnParams, 'sslmode' | 'sslnegotiation'>, host: Pick<HostSpec, 'unix'>): Encryption[] {
  if (host.unix) return ['plain']; // libpq: sslmode is ignored on Unix sockets
  if (p.sslnegotiation === 'direct') return ['direct'];
  switch (p.sslmode) {
    case 'disable':
      return ['plain'];
    case 'allow':
      return ['plain', 'ssl'];
    case 'prefer':
      return ['ssl', 'plain'];
    default:
      return ['ssl'];
  }
}

/** Client-side failures of the TLS handshake itself (libpq: pqsecure_open_client failed). */
const TLS_NEGOTIATION_FAILURES: ReadonlySet<DiagnosisCode> = new Set(['tls-unsupported', 'tls-verify-failed', 'tls-client-cert']);

/**
 * What libpq does after a failed attempt (fe-connect.c PQconnectPoll):
 * - no connection, or connect_timeout expired: the next address (then host);
 * - 57P03 "cannot connect now": the next host;
 * - an ErrorResponse before AuthenticationOk, or a failed TLS handshake: the
 *   other encryption of sslmode prefer/allow, once (not after an 'N' answer,
 *   which already continued in plaintext on the same connection);
 * - anything else (a client-side refusal such as no password, require_auth or
 *   channel_binding, an error after AuthenticationOk, a broken protocol): stop.
 *   No further address or host is tried: "If a connection is established
 *   successfully, but authentication fails, the remaining hosts in the list
 *   are not tried" (libpq-connect.html).
 */
export function nextAfterFailure(a: Pick<AttemptResult, 'failure' | 'sslResponse' | 'encryption' | 'tlsUsed'>): 'next-address' | 'next-host' | 'other-encryption' | 'stop' {
  const f = a.failure;
  if (!f) return 'stop';
  if (f.origin === 'client' && (f.code === 'connection-refused' || f.code === 'timeout')) return 'next-address';
  if (f.origin === 'server' && f.error.code === '57P03') return 'next-host';
  if (a.sslResponse === 'N') return 'stop';
  if (f.origin === 'server' && !f.afterAuthOk) return 'other-encryption';
  if (f.origin === 'client' && a.encryption === 'ssl' && a.sslResponse === 'S') {
    // libpq checks the certificate inside its handshake (open_client_SSL); the probe just after it.
    if (f.code === 'tls-verify-failed') return 'other-encryption';
    // A TLS 1.3 alert about our certificate arrives after the handshake: libpq stops there.
    if (!a.tlsUsed && TLS_NEGOTIATION_FAILURES.has(f.code)) return 'other-encryption';
  }
  return 'stop';
}

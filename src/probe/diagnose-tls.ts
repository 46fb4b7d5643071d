/**
 * The catalogue entries for TLS and what rides on it: no TLS, a certificate
 * that does not verify, client certificates, channel binding and the SCRAM
 * server signature. Pure.
 */
import type { DiagnosisCode } from './diagnose.js';
import { causeFix, q, type CatalogueEntry } from './diagnose-entry.js';

/** Cause and fix for each TLS, channel-binding and server-signature code. */
export const TLS_ENTRIES: Partial<Record<DiagnosisCode, CatalogueEntry>> = {
  'tls-unsupported': ({ f, msg, reason }) => {
    if (reason === 'ssl-refused') {
      return causeFix(
        `The server answered "N" to the TLS request: it has no TLS (ssl = off, or no certificate), while sslmode=${f.sslmode} demands TLS.`,
        'Enable TLS on the server (ssl = on, ssl_cert_file, ssl_key_file) or, on a trusted network only, use sslmode=prefer or disable.',
      );
    }
    if (reason === 'direct-tls-closed') return causeFix(...directTlsClosed(f.sslRequestAnswer));
    return causeFix(
      `The TLS handshake failed (${msg.split('\n')[0]}): no TLS version or cipher in common (ssl_min_protocol_version, ssl_ciphers), or the server closed the connection during the handshake (see its log).`,
      'Compare the server\'s ssl_min_protocol_version/ssl_ciphers with what the client offers (TLS 1.2 or newer), and read the server log for the failed handshake.',
    );
  },
  'tls-verify-failed': ({ reason }) => {
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
    return causeFix(
      `TLS certificate verification failed: ${why}.`,
      reason === 'wrong-host'
        ? 'Connect with a host name the certificate lists (see its subjectAltName), or reissue the certificate with this name.'
        : reason === 'no-root-file'
          ? 'Give the CA file with sslrootcert=/path/ca.crt (or sslrootcert=system for public CAs), or lower sslmode.'
          : 'Give the CA that signed the server certificate with sslrootcert=/path/ca.crt (or sslrootcert=system), or renew the certificate.',
    );
  },
  'tls-client-cert': ({ f, failure, msg }) =>
    causeFix(
      failure.origin === 'server' && /^certificate authentication failed/.test(msg)
        ? `The client certificate was accepted by TLS but its CN does not match the user ${q(f.user)} (cert authentication).`
        : failure.origin === 'server' && /root certificate store/.test(msg)
          ? 'The server cannot check client certificates: ssl_ca_file is not set.'
          : failure.origin === 'server'
            ? 'The server requires a valid client certificate (cert method or clientcert=verify-ca/verify-full) and none was presented.'
            : 'The server rejected the client certificate during the TLS handshake (not signed by its ssl_ca_file, or expired).',
      'Give a client certificate and key signed by the server\'s CA, with CN equal to the user name: sslcert=/path/client.crt sslkey=/path/client.key (key mode 0600).',
    ),
  'channel-binding-unavailable': ({ reason, bouncer }) =>
    causeFix(
      reason === 'no-tls'
        ? 'channel_binding=require needs TLS, and this connection does not use TLS.'
        : reason === 'method-without-binding'
          ? 'channel_binding=require, but the server used a method without channel binding (trust, password, md5 or certificate).'
          : `channel_binding=require, but the server did not offer SCRAM-SHA-256-PLUS${bouncer ? ' (PgBouncer never offers channel binding)' : ' (a TLS-terminating proxy or a pooler is in between, or the server lacks TLS)'}.`,
      'Connect directly to PostgreSQL over TLS with scram-sha-256 in pg_hba.conf, or lower channel_binding to prefer.',
    ),
  'channel-binding-failed': ({ reason }) => {
    if (reason === 'plus-without-tls') {
      return causeFix(
        'The server offered SCRAM-SHA-256-PLUS on a connection without TLS: PostgreSQL offers it only over TLS, so something in between removed TLS (SSL stripping) or a broken proxy is speaking for the server.',
        'Connect with sslmode=verify-full (or at least require) and channel_binding=require, and find out what sits between client and server.',
      );
    }
    return causeFix(
      'The SCRAM channel-binding check failed: the certificate the client saw is not the server\'s own. A TLS-terminating proxy or an attacker in the middle sits between client and server.',
      'Connect directly to PostgreSQL (or make the proxy pass TLS through); investigate if you did not expect a proxy.',
    );
  },
  'server-signature-invalid': () =>
    causeFix(
      'The server\'s SCRAM signature is wrong (or missing): it does not know the password. This is an impostor, a mock, or a pooler misusing SCRAM pass-through.',
      'Do not trust this server; check that you reached the real one (verify-full TLS), and that a pooler holds the identical verifier.',
    ),
};

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

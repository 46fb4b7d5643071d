/**
 * The catalogue entries for reaching the server at all (refused, timed out,
 * unresolved, not PostgreSQL, a broken protocol) and for what the catalogue
 * does not know. Pure.
 */
import type { DiagnosisCode } from './diagnose.js';
import { causeFix, q, type CatalogueEntry, type CauseFix, type EntryFacts } from './diagnose-entry.js';

/** Cause and fix for each code about reaching the server and speaking its protocol. */
export const NETWORK_ENTRIES: Partial<Record<DiagnosisCode, CatalogueEntry>> = {
  'connection-refused': ({ f, where }) =>
    causeFix(
      f.unix
        ? `Nothing listens on ${where}: the server is down, or it uses another unix_socket_directories/port.`
        : `Nothing accepts connections on ${where}: the server is down, the port is wrong, listen_addresses does not include this interface, or a firewall rejects the connection.`,
      f.unix
        ? 'Start the server, or pass the right socket directory (-h /dir) and port (-p).'
        : "Start the server; check port and listen_addresses (e.g. listen_addresses = '*' and a restart) in postgresql.conf, and firewalls.",
    ),
  'timeout': ({ where, reason }) =>
    causeFix(
      reason === 'after-login'
        ? `${where} accepted the login, then left the first query unanswered within connect_timeout: a pooler holding the session while its own server login fails, or a server stuck after login.`
        : `No answer from ${where} within connect_timeout: a firewall drops packets, the host is unreachable, or the peer accepted the connection and never spoke.`,
      'Check routing and firewalls (security groups) for the port; check that the right service listens there.',
    ),
  'dns-failure': ({ f }) => causeFix(`The host name ${q(f.host)} does not resolve.`, 'Fix the name (typo, DNS, /etc/hosts) or connect by address (hostaddr=IP).'),
  'not-postgres': ({ msg, where }) =>
    causeFix(
      `The peer at ${where} does not speak the PostgreSQL protocol (${msg}).`,
      'Check the port: it is probably another service (HTTP, SSH, ...), or a proxy that expects something else.',
    ),
  'protocol-error': ({ msg, reason }) => {
    if (reason === 'alpn') {
      return causeFix(
        `Direct TLS (sslnegotiation=direct) reached a TLS endpoint that did not agree on ALPN "postgresql" (${msg}): a proxy or load balancer terminates TLS, or the server is not PostgreSQL 17+.`,
        'Use sslnegotiation=postgres, or configure ALPN "postgresql" on the proxy.',
      );
    }
    return causeFix(`The server broke the protocol: ${msg}`, 'Check the server or pooler version; capture the exchange with --trace.');
  },
};

/** Any other failure: a few server errors worth naming, else the message itself. */
export function notInCatalogue({ f, failure, msg }: EntryFacts): CauseFix {
  if (failure.origin === 'server' && failure.error.code === '55000' && /not currently accepting connections/.test(msg)) {
    return causeFix(`The database ${q(f.dbname)} does not accept connections (datallowconn is false, as for template0).`, `Connect to another database, or ALTER DATABASE "${f.dbname}" ALLOW_CONNECTIONS true.`);
  }
  if (failure.origin === 'server' && failure.error.code === '42704') {
    return causeFix(`The startup packet set a parameter the server does not know (${msg}): from PGOPTIONS/options or a driver setting.`, 'Remove or correct the -c setting in options/PGOPTIONS.');
  }
  return causeFix(
    /server closed the connection unexpectedly/.test(msg)
      ? 'The server closed the connection without an error message: a backend crash, authentication_timeout, a proxy or load balancer cutting the connection, or a TLS failure on the server side.'
      : `Not in the catalogue: ${msg.split('\n')[0]}`,
    'See the server log (and any proxy log) for the same moment; run again with --trace.',
  );
}

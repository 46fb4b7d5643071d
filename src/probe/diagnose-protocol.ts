/**
 * The catalogue entries for protocol versions (PostgreSQL 18's 3.2, the
 * 3.9999 "grease" request of PostgreSQL 19's libpq) and for server
 * certificates without a channel-binding hash (Ed25519, Ed448). Pure.
 */
import type { DiagnosisCode, DiagnosisFacts } from './diagnose.js';

export const PROTOCOL_DIAGNOSIS_CODES: ReadonlySet<DiagnosisCode> = new Set([
  'protocol-negotiation-failed',
  'protocol-version-unsupported',
  'channel-binding-unsupported-certificate',
]);

const KIND_NAMES: Record<DiagnosisFacts['serverKind'], string> = {
  postgresql: 'PostgreSQL',
  pgbouncer: 'PgBouncer',
  pgauth: 'pgauth serve',
  other: 'the server or pooler',
  unknown: 'the server or pooler',
};

export function diagnoseProtocol(code: DiagnosisCode, msg: string, f: DiagnosisFacts): { cause: string; fix: string } {
  const who = KIND_NAMES[f.serverKind] + (f.serverKind === 'postgresql' && f.serverVersion ? ` ${f.serverVersion}` : '');
  switch (code) {
    case 'protocol-negotiation-failed':
      return {
        cause:
          `${who} did not negotiate the protocol version correctly (${msg.split('\n')[0]}). ` +
          'A server must answer a newer minor version, or unknown _pq_ options, with NegotiateProtocolVersion and go on; ' +
          'this one answered with an error, hung up, or sent a malformed NegotiateProtocolVersion. ' +
          "PostgreSQL 19's libpq asks for 3.9999 with _pq_.test_protocol_negotiation by default, so its clients will fail here.",
        fix:
          f.serverKind === 'pgbouncer'
            ? 'Upgrade PgBouncer to a release whose changelog lists NegotiateProtocolVersion support (answering newer minor versions and unknown _pq_ options), or pin max_protocol_version=3.0 in the clients\' connection strings until it is upgraded.'
            : 'Upgrade the server or pooler to one that implements NegotiateProtocolVersion, or pin max_protocol_version=3.0 in the clients\' connection strings until then.',
      };
    case 'protocol-version-unsupported':
      return {
        cause: `${who} speaks an older protocol than min_protocol_version allows (${msg}). Protocol 3.2 (longer cancel keys) needs PostgreSQL 18 or newer on the server and on every pooler in between.`,
        fix: 'Upgrade the server (and any pooler) to PostgreSQL 18 / a 3.2-capable pooler, or lower min_protocol_version to 3.0.',
      };
    case 'channel-binding-unsupported-certificate':
      return {
        cause:
          `The server certificate is signed with an algorithm that has no separate digest (Ed25519 or Ed448), so tls-server-end-point channel binding has no hash to use. ` +
          `The server offers SCRAM-SHA-256-PLUS over TLS and libpq picks it whenever channel_binding is not disable, then fails with "${msg}" -- at channel_binding=prefer (the default) too, so psql and every libpq client fail here.` +
          (f.loggedInWithoutBinding
            ? ' pgauth probe went on with SCRAM-SHA-256 without channel binding and logged in: the password and pg_hba.conf are fine; only the certificate is in the way.'
            : f.channelBindingMode === 'require'
              ? ' With channel_binding=require there is no way around it.'
              : ''),
        fix: 'Give the server an RSA or ECDSA certificate (ssl_cert_file/ssl_key_file, e.g. openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 ...), or set channel_binding=disable on the clients.',
      };
    default:
      return { cause: msg, fix: 'Run again with --trace.' };
  }
}

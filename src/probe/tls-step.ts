/**
 * The encryption step of an attempt, as libpq does it: SSLRequest and its
 * one-byte answer, or PostgreSQL 17's direct TLS; the TLS handshake (ALPN
 * `postgresql`), then libpq's certificate checks (chain for verify-ca and an
 * existing root file, host name for verify-full).
 */
import { clientFailure } from './attempt.js';
import type { AttemptSession } from './attempt-session.js';
import { TransportError, type TlsInfo } from './connect.js';
import type { DiagnosisCode } from './diagnose.js';
import { tlsRequired } from './policy/sslmode.js';
import { chainErrorReason, checkHostName } from './tls-verify.js';

/**
 * The TLS alerts a server sends about the client's certificate (RFC 8446
 * §6.2), as the suffix of Node's code (ERR_SSL_<version>_ALERT_<name>;
 * OpenSSL 1.1 says "sslv3 alert", 3.x "ssl/tls alert", TLS 1.3 "tlsv13").
 */
const CLIENT_CERT_ALERTS: ReadonlySet<string> = new Set([
  'CERTIFICATE_REQUIRED',
  'UNKNOWN_CA',
  'BAD_CERTIFICATE',
  'CERTIFICATE_EXPIRED',
  'CERTIFICATE_UNKNOWN',
  'UNSUPPORTED_CERTIFICATE',
  'DECRYPT_ERROR',
]);

/** Maps a TLS-layer failure to a diagnosis code by the alert in Node's error code. */
export function tlsFailureCode(err: TransportError, sentCert: boolean): DiagnosisCode {
  const alert = /_ALERT_([A-Z_]+)$/.exec(err.sysCode ?? '')?.[1];
  if (alert !== undefined && CLIENT_CERT_ALERTS.has(alert)) return 'tls-client-cert';
  return sentCert ? 'tls-client-cert' : 'tls-unsupported';
}

/** Runs the attempt's encryption plan: nothing, SSLRequest (then TLS on 'S'), or direct TLS. */
export async function negotiateEncryption(s: AttemptSession): Promise<void> {
  if (s.o.encryption === 'direct') {
    s.trace('C->S', 'TLS ClientHello', 'direct TLS, ALPN postgresql');
    await startTls(s, true);
  } else if (s.o.encryption === 'ssl') {
    await sslRequest(s);
  }
}

/** SSLRequest, then 'S' (TLS), 'N' (plaintext unless TLS is required), 'E' or garbage. */
async function sslRequest(s: AttemptSession): Promise<void> {
  const { result, o } = s;
  s.send({ type: 'SSLRequest' });
  let answer: { byte: number; extra: number };
  try {
    answer = await s.conn!.readResponseByte();
  } catch (err) {
    if (err instanceof TransportError) {
      s.step('ssl-request', err.message.split('\n')[0]!, false);
      throw clientFailure(err.code === 'timeout' ? 'timeout' : 'other', err.message);
    }
    throw err;
  }
  const ch = String.fromCharCode(answer.byte);
  s.trace('S->C', 'SSLResponse', ch);
  if (ch === 'S') {
    result.sslResponse = 'S';
    if (answer.extra > 0) {
      // An SSH server greets first ("SSH-2.0-..."): its 'S' is not PostgreSQL's yes.
      const rest = s.conn!.peekText(20);
      s.step('ssl-request', `S followed by unencrypted data ${JSON.stringify(('S' + rest).slice(0, 20))}`, false);
      if (/^SH-\d/.test(rest)) throw clientFailure('not-postgres', `received invalid response to SSL negotiation: S${rest.split('\r')[0]}`);
      throw clientFailure('protocol-error', 'received unencrypted data after SSL response');
    }
    s.step('ssl-request', 'server accepts TLS (S)');
    await startTls(s, false);
  } else if (ch === 'N') {
    result.sslResponse = 'N';
    if (tlsRequired(o.params.sslmode)) {
      s.step('ssl-request', 'server refuses TLS (N)', false);
      throw clientFailure('tls-unsupported', 'server does not support SSL, but SSL was required', 'ssl-refused');
    }
    s.step('ssl-request', 'server refuses TLS (N); continuing without TLS');
  } else if (ch === 'E') {
    s.step('ssl-request', 'server sent an error response during SSL exchange', false);
    throw clientFailure('protocol-error', 'server sent an error response during SSL exchange');
  } else {
    const text = s.conn!.peekText(40);
    s.step('ssl-request', `invalid response ${JSON.stringify(ch + text.slice(0, 20))}`, false);
    throw clientFailure('not-postgres', `received invalid response to SSL negotiation: ${ch}`);
  }
}

/** The TLS handshake itself, then the certificate checks. */
async function startTls(s: AttemptSession, direct: boolean): Promise<void> {
  const { o, result } = s;
  const host = o.host;
  if (o.rootError) {
    s.step('tls', o.rootError.split('\n')[0]!, false);
    throw clientFailure('tls-verify-failed', o.rootError, 'no-root-file');
  }
  const tlsOpts = {
    ...(o.params.sslsni && host.host && !host.unix && !/^[\d.]+$|:/.test(host.host) ? { servername: host.host } : {}),
    ...(o.tls.ca ? { ca: o.tls.ca } : {}),
    ...(o.tls.cert ? { cert: o.tls.cert } : {}),
    ...(o.tls.key ? { key: o.tls.key } : {}),
  };
  try {
    result.tls = await s.conn!.startTls({ ...tlsOpts, direct });
  } catch (err) {
    if (err instanceof TransportError) {
      s.step('tls', `handshake failed: ${err.message}`, false);
      if (err.code === 'timeout') throw clientFailure('timeout', err.message);
      if (direct && (err.code === 'closed' || err.sysCode === 'ECONNRESET')) {
        throw clientFailure(
          'tls-unsupported',
          `${err.message}\n(direct TLS: the server closed the connection; PostgreSQL 16 and older do not support sslnegotiation=direct)`,
          'direct-tls-closed',
        );
      }
      throw clientFailure(err.code === 'closed' ? 'tls-unsupported' : tlsFailureCode(err, !!o.tls.cert), err.message);
    }
    throw err;
  }
  result.tlsUsed = true;
  const t = result.tls;
  s.trace('S->C', 'TLS handshake', `${t.version} ${t.cipher}${t.alpn ? `, ALPN ${t.alpn}` : ''}, server certificate ${t.subject ?? '(none)'}`);
  if (direct && t.alpn !== 'postgresql') {
    s.step('tls', `${t.version} without ALPN postgresql`, false);
    throw clientFailure(
      'protocol-error',
      t.alpn ? 'SSL connection was established with unexpected ALPN protocol' : 'direct SSL connection was established without ALPN protocol negotiation extension',
      'alpn',
    );
  }
  checkCertificate(s, t);
}

/** libpq's checks of the server certificate: the chain when verifying, the host name for verify-full. */
function checkCertificate(s: AttemptSession, t: TlsInfo): void {
  const { o } = s;
  const host = o.host;
  const cn = /(?:^|, )CN=([^,]*)/.exec(t.subject ?? '')?.[1] ?? null;
  const issuerCn = /(?:^|, )CN=([^,]*)/.exec(t.issuer ?? '')?.[1] ?? t.issuer;
  const details = [`${t.version} ${t.cipher}`, cn ? `cert CN=${cn}` : '', issuerCn ? `issuer ${issuerCn}` : '', t.validTo ? `expires ${t.validTo.slice(0, 10)}` : ''];
  if (o.tls.verifyChain) {
    if (!t.chainVerified) {
      const reason = chainErrorReason(t.chainError ?? '');
      s.step('tls', `${details.filter(Boolean).join(', ')}; certificate verify failed: ${t.chainError}`, false);
      throw clientFailure('tls-verify-failed', `SSL error: certificate verify failed (${t.chainError})`, reason);
    }
    details.push('chain verified');
  } else details.push('chain not verified');
  if (o.tls.verifyHost) {
    // libpq (pq_verify_peer_name_matches_certificate): hostaddr alone gives no name to check.
    const check = host.host === '' ? { ok: false, message: 'host name must be specified for a verified SSL connection' } : checkHostName(host.host, t.altNames, cn);
    if (!check.ok) {
      s.step('tls', `${details.filter(Boolean).join(', ')}; ${check.message}`, false);
      throw clientFailure('tls-verify-failed', check.message!, 'wrong-host');
    }
    details.push(`host name "${host.host}" matches`);
  }
  s.step('tls', details.filter(Boolean).join(', '));
}

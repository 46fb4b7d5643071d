/**
 * One connection attempt, driven like libpq: (SSLRequest | direct TLS),
 * StartupMessage, the authentication exchange with libpq's client-side
 * checks (require_auth, channel_binding, SCRAM strictness), the messages up
 * to ReadyForQuery, and a post-login `SELECT current_user`. Every step is
 * timed; with tracing every message both ways is recorded, secrets redacted.
 */
import { ProtocolError, serializeFrontend, type BackendMessage, type FrontendMessage } from '../protocol/index.js';
// SCRAM and md5 code is loaded when a server asks for it: start-up time matters (npm run bench).
import type { ChannelBinding, ScramClient } from '../scram/index.js';
import type { AuthMethodName } from './conninfo.js';
import { TransportError, WireConnection } from './connect.js';
import type { DiagnosisCode, ServerError } from './diagnose.js';
import {
  AttemptFailed,
  clientFailure,
  CLOSED_UNEXPECTEDLY,
  MAX_LOGIN_NOTICES,
  MAX_QUERY_BYTES,
  MAX_QUERY_ROWS,
  newAttempt,
  serverErrorOf,
  type AttemptOptions,
  type AttemptResult,
  type PasswordAnswer,
  type TraceEntry,
} from './attempt.js';
import { describeBackend, describeFrontend } from './trace.js';
import { chainErrorReason, checkHostName } from './tls-verify.js';
import { PROTOCOL_3_0, ProtocolNegotiation, protocolText } from './protocol-version.js';

/**
 * An ErrorResponse before any NegotiateProtocolVersion that refuses the
 * request itself: any error to a grease request (PostgreSQL sends 'v' before
 * anything else), or a protocol-level error (08P01, 0A000) to 3.2.
 */
function refusesProtocol(p: ProtocolNegotiation, e: ServerError): boolean {
  if (p.version !== null || p.negotiated) return false;
  if (p.request.grease) return true;
  return p.request.version > PROTOCOL_3_0 && (e.code === '08P01' || e.code === '0A000');
}

/** Maps a TLS-layer failure to a diagnosis code by OpenSSL's wording. */
function tlsFailureCode(message: string, sentCert: boolean): DiagnosisCode {
  if (/certificate required|unknown ca|bad certificate|certificate expired|certificate unknown|unsupported certificate|decrypt error/i.test(message)) {
    return 'tls-client-cert';
  }
  return sentCert ? 'tls-client-cert' : 'tls-unsupported';
}

/** Runs one attempt; never throws for connection/auth problems (they go in `failure`). */
export async function runAttempt(o: AttemptOptions): Promise<AttemptResult> {
  const { params, host } = o;
  const result = newAttempt(o.index, host, o.encryption, o.address ?? null);
  result.diagnostic = o.discoverOnly === true;
  let mark = Date.now();
  const step = (name: string, detail: string, ok = true) => {
    const now = Date.now();
    o.steps.push({ attempt: o.index, step: name, ms: now - mark, ok, detail });
    mark = now;
  };
  const trace = (dir: TraceEntry['dir'], type: string, detail: string) => {
    o.trace?.push({ attempt: o.index, ms: Date.now() - o.startedAt, dir, type, detail });
  };
  let conn: WireConnection | undefined;
  const send = (msg: FrontendMessage, kind?: 'password' | 'md5' | 'sasl-final') => {
    trace('C->S', msg.type, describeFrontend(msg, kind));
    conn!.write(serializeFrontend(msg));
  };
  let firstMessage = true;
  let startupSent = false;
  const read = async (): Promise<BackendMessage> => {
    try {
      const { message } = await conn!.readMessage();
      trace('S->C', message.type, describeBackend(message));
      firstMessage = false;
      return message;
    } catch (err) {
      if (err instanceof ProtocolError) {
        if (firstMessage) throw clientFailure('not-postgres', `expected authentication request from server, but received garbage (${err.message})`);
        throw clientFailure('protocol-error', err.message);
      }
      throw err;
    }
  };
  const where = host.unix ? host.host : `${o.address}:${host.port}`;
  // Bounded input: a peer that floods notices during login is not a server to wait for.
  const keepNotice = (text: string) => {
    if (result.notices.length >= MAX_LOGIN_NOTICES) throw clientFailure('protocol-error', `more than ${MAX_LOGIN_NOTICES} NoticeResponse messages during login`);
    result.notices.push(text);
  };

  try {
    try {
      conn = await WireConnection.open(host.unix ? { unixDir: host.host, port: host.port } : { address: o.address!, port: host.port }, o.deadline);
    } catch (err) {
      if (err instanceof TransportError) {
        step('connect', `${where}: ${err.message.split('\n')[0]}`, false);
        // libpq 14+ names the server in front of the reason.
        const who = host.unix
          ? `connection to server on socket "${host.host}/.s.PGSQL.${host.port}" failed: `
          : `connection to server at "${host.host}"${host.host !== o.address ? ` (${o.address})` : ''}, port ${host.port} failed: `;
        throw clientFailure(err.code === 'timeout' ? 'timeout' : 'connection-refused', who + err.message);
      }
      throw err;
    }
    result.clientAddress = conn.localAddress;
    step('connect', host.unix ? `Unix socket ${host.host}/.s.PGSQL.${host.port}` : `TCP ${where}${conn.localAddress ? ` from ${conn.localAddress}` : ''}`);

    // --- TLS negotiation ---
    const tlsOpts = {
      ...(params.sslsni && host.host && !host.unix && !/^[\d.]+$|:/.test(host.host) ? { servername: host.host } : {}),
      ...(o.tls.ca ? { ca: o.tls.ca } : {}),
      ...(o.tls.cert ? { cert: o.tls.cert } : {}),
      ...(o.tls.key ? { key: o.tls.key } : {}),
    };
    const doTls = async (direct: boolean) => {
      if (o.rootError) {
        step('tls', o.rootError.split('\n')[0]!, false);
        throw clientFailure('tls-verify-failed', o.rootError, 'no-root-file');
      }
      try {
        result.tls = await conn!.startTls({ ...tlsOpts, direct });
      } catch (err) {
        if (err instanceof TransportError) {
          step('tls', `handshake failed: ${err.message}`, false);
          if (err.code === 'timeout') throw clientFailure('timeout', err.message);
          if (direct && (err.code === 'closed' || /ECONNRESET/.test(err.sysCode ?? ''))) {
            throw clientFailure('tls-unsupported', `${err.message}\n(direct TLS: the server closed the connection; PostgreSQL 16 and older do not support sslnegotiation=direct)`);
          }
          throw clientFailure(err.code === 'closed' ? 'tls-unsupported' : tlsFailureCode(err.message, !!o.tls.cert), err.message);
        }
        throw err;
      }
      result.tlsUsed = true;
      const t = result.tls;
      trace('S->C', 'TLS handshake', `${t.version} ${t.cipher}${t.alpn ? `, ALPN ${t.alpn}` : ''}, server certificate ${t.subject ?? '(none)'}`);
      if (direct && t.alpn !== 'postgresql') {
        step('tls', `${t.version} without ALPN postgresql`, false);
        throw clientFailure('protocol-error', t.alpn ? 'SSL connection was established with unexpected ALPN protocol' : 'direct SSL connection was established without ALPN protocol negotiation extension');
      }
      const cn = /(?:^|, )CN=([^,]*)/.exec(t.subject ?? '')?.[1] ?? null;
      const issuerCn = /(?:^|, )CN=([^,]*)/.exec(t.issuer ?? '')?.[1] ?? t.issuer;
      const details = [`${t.version} ${t.cipher}`, cn ? `cert CN=${cn}` : '', issuerCn ? `issuer ${issuerCn}` : '', t.validTo ? `expires ${t.validTo.slice(0, 10)}` : ''];
      if (o.tls.verifyChain) {
        if (!t.chainVerified) {
          const reason = chainErrorReason(t.chainError ?? '');
          step('tls', `${details.filter(Boolean).join(', ')}; certificate verify failed: ${t.chainError}`, false);
          throw clientFailure('tls-verify-failed', `SSL error: certificate verify failed (${t.chainError})`, reason);
        }
        details.push('chain verified');
      } else details.push('chain not verified');
      if (o.tls.verifyHost) {
        // libpq (pq_verify_peer_name_matches_certificate): hostaddr alone gives no name to check.
        const check = host.host === '' ? { ok: false, message: 'host name must be specified for a verified SSL connection' } : checkHostName(host.host, t.altNames, cn);
        if (!check.ok) {
          step('tls', `${details.filter(Boolean).join(', ')}; ${check.message}`, false);
          throw clientFailure('tls-verify-failed', check.message!, 'wrong-host');
        }
        details.push(`host name "${host.host}" matches`);
      }
      step('tls', details.filter(Boolean).join(', '));
    };

    if (o.encryption === 'direct') {
      trace('C->S', 'TLS ClientHello', 'direct TLS, ALPN postgresql');
      await doTls(true);
    } else if (o.encryption === 'ssl') {
      send({ type: 'SSLRequest' });
      let answer: { byte: number; extra: number };
      try {
        answer = await conn.readResponseByte();
      } catch (err) {
        if (err instanceof TransportError) {
          step('ssl-request', err.message.split('\n')[0]!, false);
          throw clientFailure(err.code === 'timeout' ? 'timeout' : 'other', err.message);
        }
        throw err;
      }
      const ch = String.fromCharCode(answer.byte);
      trace('S->C', 'SSLResponse', ch);
      if (ch === 'S') {
        result.sslResponse = 'S';
        if (answer.extra > 0) {
          // An SSH server greets first ("SSH-2.0-..."): its 'S' is not PostgreSQL's yes.
          const rest = conn.peekText(20);
          step('ssl-request', `S followed by unencrypted data ${JSON.stringify(('S' + rest).slice(0, 20))}`, false);
          if (/^SH-\d/.test(rest)) throw clientFailure('not-postgres', `received invalid response to SSL negotiation: S${rest.split('\r')[0]}`);
          throw clientFailure('protocol-error', 'received unencrypted data after SSL response');
        }
        step('ssl-request', 'server accepts TLS (S)');
        await doTls(false);
      } else if (ch === 'N') {
        result.sslResponse = 'N';
        if (['require', 'verify-ca', 'verify-full'].includes(params.sslmode)) {
          step('ssl-request', 'server refuses TLS (N)', false);
          throw clientFailure('tls-unsupported', 'server does not support SSL, but SSL was required');
        }
        step('ssl-request', 'server refuses TLS (N); continuing without TLS');
      } else if (ch === 'E') {
        step('ssl-request', 'server sent an error response during SSL exchange', false);
        throw clientFailure('protocol-error', 'server sent an error response during SSL exchange');
      } else {
        const text = conn.peekText(40);
        step('ssl-request', `invalid response ${JSON.stringify(ch + text.slice(0, 20))}`, false);
        throw clientFailure('not-postgres', `received invalid response to SSL negotiation: ${ch}`);
      }
    }

    // --- StartupMessage ---
    const startupParams: Array<[string, string]> = [
      ['user', params.user],
      ['database', params.dbname],
    ];
    if (params.applicationName) startupParams.push(['application_name', params.applicationName]);
    if (params.clientEncoding) startupParams.push(['client_encoding', params.clientEncoding]);
    if (params.replication) startupParams.push(['replication', params.replication]);
    if (params.options) startupParams.push(['options', params.options]);
    const protocol = new ProtocolNegotiation(params.protocol, o.grease === true);
    const pv = protocol.request.version;
    startupParams.push(...protocol.request.options);
    send({ type: 'StartupMessage', major: pv >>> 16, minor: pv & 0xffff, parameters: startupParams });
    startupSent = true;
    result.protocol = protocol.summary();
    step('startup', `user "${params.user}", database "${params.dbname}", protocol ${protocolText(pv)}${protocol.request.grease ? ' with _pq_.test_protocol_negotiation (grease)' : ''}`);
    const protocolCheck = (f: ReturnType<ProtocolNegotiation['onNegotiate']>) => {
      result.protocol = protocol.summary();
      if (!f) return;
      step('protocol', f.message, false);
      throw clientFailure(f.code, f.message);
    };

    // --- Authentication ---
    const requireAuth = params.requireAuth;
    const cb = params.channelBinding;
    const tls = result.tlsUsed;
    let sasl: ScramClient | undefined;
    let saslDone = false;
    let password: PasswordAnswer | undefined;
    const needPassword = async (method: string): Promise<string> => {
      if (password) return password.value;
      const p = await conn!.withoutDeadline(() => o.getPassword());
      if (!p || p.value === '') throw clientFailure('password-required', `fe_sendauth: no password supplied (the server asked for ${method})`);
      password = p;
      result.auth.passwordSource = p.source;
      return p.value;
    };
    const refuse = (method: AuthMethodName, reason: string) => {
      if (requireAuth && !requireAuth.allowed.has(method)) {
        throw clientFailure('auth-method-refused', `authentication method requirement "${requireAuth.text}" failed: ${reason}`);
      }
    };
    const bindingRequired = (what: string) => {
      if (cb === 'require') throw clientFailure('channel-binding-unavailable', what);
    };
    const discovered = (method: AuthMethodName, detail: string) => {
      result.auth.method = method;
      step('auth-request', detail);
    };

    authLoop: for (;;) {
      const wasFirst = firstMessage;
      const msg = await read();
      if (wasFirst && !['ErrorResponse', 'NegotiateProtocolVersion'].includes(msg.type) && !msg.type.startsWith('Authentication')) {
        throw clientFailure('not-postgres', `expected authentication request from server, but received ${msg.type}`);
      }
      if (msg.type.startsWith('Authentication')) result.auth.requests.push(msg.type);
      if (msg.type === 'ErrorResponse' && refusesProtocol(protocol, serverErrorOf(msg))) {
        const e = serverErrorOf(msg);
        result.startupRefusal = e;
        result.errorHadRoutine = e.routine !== null;
        const text = `server answered protocol ${protocolText(pv)} with an error: ${e.severity ?? 'ERROR'}:  ${e.message}${e.code ? ` (SQLSTATE ${e.code})` : ''}`;
        step('protocol', text, false);
        throw clientFailure('protocol-negotiation-failed', text);
      }
      if (msg.type !== 'NegotiateProtocolVersion' && msg.type !== 'ErrorResponse') protocolCheck(protocol.onOtherMessage());
      switch (msg.type) {
        case 'NegotiateProtocolVersion': {
          result.negotiateProtocol = { version: msg.version, unrecognizedOptions: msg.unrecognizedOptions };
          protocolCheck(protocol.onNegotiate(msg));
          const unrec = msg.unrecognizedOptions.length ? `; unsupported: ${msg.unrecognizedOptions.join(', ')}` : '';
          step('protocol', `server negotiated protocol ${protocolText(msg.version)} (asked for ${protocolText(pv)})${unrec}`);
          continue;
        }
        case 'NoticeResponse':
          keepNotice(msg.fields.message ?? '');
          continue;
        case 'ErrorResponse': {
          const e = serverErrorOf(msg);
          result.errorHadRoutine = e.routine !== null;
          step('error', `${e.severity ?? 'ERROR'} ${e.code ?? ''} ${e.message}`.replace(/\s+/g, ' '), false);
          throw new AttemptFailed({ origin: 'server', error: e, afterAuthOk: false });
        }
        case 'AuthenticationOk': {
          if (result.auth.method === null) {
            result.auth.method = 'none';
            step('auth-request', 'none: the server asked for no password (trust, or the TLS client certificate)');
          }
          if (o.discoverOnly) break authLoop;
          if (sasl && !saslDone) {
            throw clientFailure('server-signature-invalid', 'AuthenticationOk before the SCRAM exchange completed: the server did not prove it knows the password');
          }
          if (result.auth.method === 'none') {
            if (requireAuth && !requireAuth.allowed.has('none')) {
              throw clientFailure('auth-method-refused', `authentication method requirement "${requireAuth.text}" failed: server did not complete authentication`);
            }
          }
          if (cb === 'require' && result.auth.channelBinding === null) {
            throw clientFailure('channel-binding-unavailable', 'channel binding required, but server authenticated client without channel binding');
          }
          result.authOk = true;
          step('authentication-ok', result.auth.method === 'none' ? 'AuthenticationOk without a challenge' : `AuthenticationOk after ${result.auth.method}`);
          break authLoop;
        }
        case 'AuthenticationCleartextPassword': {
          discovered('password', 'password: the server asks for the password in clear (password or PAM/LDAP/RADIUS)');
          if (o.discoverOnly || o.noPassword) break authLoop;
          refuse('password', 'server requested a cleartext password');
          bindingRequired("channel binding required but not supported by server's authentication request");
          const pw = await needPassword('a cleartext password');
          send({ type: 'PasswordMessage', password: pw }, 'password');
          result.auth.passwordSent = true;
          step('password', `password sent (${password!.source})${tls ? '' : ' in clear, without TLS'}`);
          continue;
        }
        case 'AuthenticationMD5Password': {
          discovered('md5', `md5: salted md5 challenge (salt ${msg.salt.length} bytes)`);
          if (o.discoverOnly || o.noPassword) break authLoop;
          refuse('md5', 'server requested a hashed password');
          bindingRequired("channel binding required but not supported by server's authentication request");
          const pw = await needPassword('an md5 password');
          const { buildMd5Secret } = await import('../secrets/index.js');
          const { createHash } = await import('node:crypto');
          const inner = buildMd5Secret(pw, params.user).slice(3);
          const response = 'md5' + createHash('md5').update(Buffer.concat([Buffer.from(inner, 'ascii'), msg.salt])).digest('hex');
          send({ type: 'PasswordMessage', password: response }, 'md5');
          result.auth.passwordSent = true;
          step('password', `md5 response sent (${password!.source})`);
          continue;
        }
        case 'AuthenticationSASL': {
          if (sasl) throw clientFailure('protocol-error', 'duplicate SASL authentication request');
          result.auth.mechanismsOffered = msg.mechanisms;
          const plusOffered = msg.mechanisms.includes('SCRAM-SHA-256-PLUS');
          const plainOffered = msg.mechanisms.includes('SCRAM-SHA-256');
          discovered('scram-sha-256', `SASL: the server offers ${msg.mechanisms.join(', ') || '(nothing)'}`);
          if (o.discoverOnly || o.noPassword) break authLoop;
          // libpq checks require_auth first (check_expected_areq), then channel_binding (pg_SASL_init).
          if (requireAuth && !requireAuth.allowed.has('scram-sha-256') && !requireAuth.allowed.has('oauth')) {
            throw clientFailure('auth-method-refused', `authentication method requirement "${requireAuth.text}" failed: server requested SASL authentication`);
          }
          if (cb === 'require' && !tls) throw clientFailure('channel-binding-unavailable', 'channel binding required, but SSL not in use');
          if (plusOffered && !tls) {
            throw clientFailure('channel-binding-failed', 'server offered SCRAM-SHA-256-PLUS authentication over a non-SSL connection');
          }
          let mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-256-PLUS';
          if (plusOffered && tls && cb !== 'disable') mechanism = 'SCRAM-SHA-256-PLUS';
          else if (plainOffered) mechanism = 'SCRAM-SHA-256';
          else {
            result.auth.method = null;
            throw clientFailure('auth-method-unsupported', "none of the server's SASL authentication mechanisms are supported");
          }
          if (requireAuth && !requireAuth.allowed.has('scram-sha-256')) {
            throw clientFailure('auth-method-refused', `authentication method requirement "${requireAuth.text}" failed: server requested ${mechanism} authentication`);
          }
          if (cb === 'require' && mechanism !== 'SCRAM-SHA-256-PLUS') {
            throw clientFailure('channel-binding-unavailable', 'channel binding is required, but server did not offer an authentication method that supports channel binding');
          }
          const pw = await needPassword('a SCRAM-SHA-256 password');
          const { createScramClient } = await import('../scram/index.js');
          let binding: ChannelBinding;
          if (mechanism === 'SCRAM-SHA-256-PLUS') {
            if (!result.tls?.certDer) throw clientFailure('channel-binding-failed', 'could not get the server certificate for channel binding');
            const { channelBindingData } = await import('./channel-binding-support.js');
            const cbData = channelBindingData(result.tls.certDer);
            if ('error' in cbData) {
              const failure = { origin: 'client', code: 'channel-binding-unsupported-certificate', message: cbData.error } as const;
              // libpq stops here even at channel_binding=prefer; the probe goes on without binding to test the password.
              const goOn = cb !== 'require' && plainOffered;
              step('channel-binding', `${cbData.error} (${cbData.detail}); libpq fails here${goOn ? ', the probe goes on with SCRAM-SHA-256 without binding' : ''}`, false);
              if (!goOn) throw new AttemptFailed(failure);
              result.libpqFailure = failure;
              mechanism = 'SCRAM-SHA-256';
              binding = { mode: 'none' };
            } else binding = { mode: 'tls-server-end-point', data: cbData.data };
          } else if (tls && cb !== 'disable') binding = { mode: 'client-supports' };
          else binding = { mode: 'none' };
          sasl = createScramClient({ password: pw, channelBinding: binding, maxIterations: o.maxIterations, ...(o.nonce ? { nonce: o.nonce } : {}) });
          result.auth.mechanism = mechanism;
          result.auth.gs2Flag = binding.mode === 'tls-server-end-point' ? 'p' : binding.mode === 'client-supports' ? 'y' : 'n';
          send({ type: 'SASLInitialResponse', mechanism, data: Buffer.from(sasl.clientFirstMessage(), 'utf8') });
          result.auth.passwordSent = true;
          step('sasl-initial', `chose ${mechanism}, gs2 flag ${result.auth.gs2Flag}${binding.mode === 'tls-server-end-point' ? ' (tls-server-end-point)' : ''}; password from ${password!.source}`);
          continue;
        }
        case 'AuthenticationSASLContinue': {
          if (!sasl) throw clientFailure('protocol-error', 'fe_sendauth: invalid authentication request from server: AUTH_REQ_SASL_CONT without AUTH_REQ_SASL');
          let final: string;
          try {
            final = sasl.handleServerFirst(msg.data.toString('utf8'));
          } catch (err) {
            if (err instanceof Error && err.name === 'ScramError') throw clientFailure('protocol-error', err.message);
            throw err;
          }
          result.auth.iterations = sasl.iterations ?? null;
          const salt = /(?:^|,)s=([^,]*)/.exec(msg.data.toString('utf8'))?.[1];
          result.auth.saltBytes = salt ? Buffer.from(salt, 'base64').length : null;
          send({ type: 'SASLResponse', data: Buffer.from(final, 'utf8') }, 'sasl-final');
          step('sasl-continue', `server-first: ${result.auth.iterations} iterations, ${result.auth.saltBytes}-byte salt, nonce prefix checked; proof sent`);
          continue;
        }
        case 'AuthenticationSASLFinal': {
          if (!sasl) throw clientFailure('protocol-error', 'fe_sendauth: invalid authentication request from server: AUTH_REQ_SASL_FIN without AUTH_REQ_SASL');
          try {
            sasl.verifyServerFinal(msg.data.toString('utf8'));
          } catch (err) {
            if (err instanceof Error && err.name === 'ScramError') {
              step('server-signature', err.message, false);
              if (/^error received from server/.test(err.message)) throw clientFailure('auth-failed', err.message);
              if (/signature/.test(err.message)) throw clientFailure('server-signature-invalid', err.message);
              throw clientFailure('protocol-error', err.message);
            }
            throw err;
          }
          saslDone = true;
          result.auth.serverSignature = 'verified';
          if (result.auth.mechanism === 'SCRAM-SHA-256-PLUS') result.auth.channelBinding = 'tls-server-end-point';
          step('server-signature', 'server signature verified: the server knows the password');
          continue;
        }
        case 'AuthenticationKerberosV5':
        case 'AuthenticationGSS':
        case 'AuthenticationGSSContinue':
        case 'AuthenticationSSPI': {
          const m: AuthMethodName = msg.type === 'AuthenticationSSPI' ? 'sspi' : 'gss';
          discovered(m, `${m}: ${msg.type === 'AuthenticationKerberosV5' ? 'Kerberos V5' : msg.type === 'AuthenticationSSPI' ? 'SSPI' : 'GSSAPI'} (not supported by pgauth probe)`);
          if (o.discoverOnly || o.noPassword) break authLoop;
          refuse(m, m === 'sspi' ? 'server requested SSPI authentication' : 'server requested GSSAPI authentication');
          bindingRequired("channel binding required but not supported by server's authentication request");
          throw clientFailure(
            'auth-method-unsupported',
            msg.type === 'AuthenticationKerberosV5' ? 'Kerberos 5 authentication not supported' : `${m === 'sspi' ? 'SSPI' : 'GSSAPI'} authentication is not supported by pgauth probe`,
          );
        }
        default:
          throw clientFailure(firstMessage ? 'not-postgres' : 'protocol-error', `expected authentication request from server, but received ${msg.type}`);
      }
    }

    if (!result.authOk) {
      // Discovery stops here: say goodbye without sending a secret (the server sees EOF, as with psql's first try).
      conn.end(serializeFrontend({ type: 'Terminate' }));
      return result;
    }

    // --- After AuthenticationOk: parameters, key, ReadyForQuery, or a FATAL ---
    for (;;) {
      const msg = await read();
      if (msg.type === 'ParameterStatus') {
        if (!(msg.name in result.parameters)) result.parameterOrder.push(msg.name);
        result.parameters[msg.name] = msg.value;
        if (Object.keys(result.parameters).length > 256) throw clientFailure('protocol-error', 'more than 256 ParameterStatus messages');
      } else if (msg.type === 'BackendKeyData') {
        result.backendKey = { processId: msg.processId, keyLength: msg.secretKey.length };
        protocolCheck(protocol.onBackendKey(msg.secretKey.length));
      } else if (msg.type === 'NoticeResponse') keepNotice(msg.fields.message ?? '');
      else if (msg.type === 'NegotiateProtocolVersion') {
        // libpq 18 reads 'v' only while it awaits the authentication request.
        result.negotiateProtocol = { version: msg.version, unrecognizedOptions: msg.unrecognizedOptions };
        throw clientFailure('protocol-error', 'received NegotiateProtocolVersion after AuthenticationOk');
      } else if (msg.type === 'ErrorResponse') {
        const e = serverErrorOf(msg);
        result.errorHadRoutine = e.routine !== null;
        step('error', `after AuthenticationOk: ${e.severity ?? 'ERROR'} ${e.code ?? ''} ${e.message}`.replace(/\s+/g, ' '), false);
        throw new AttemptFailed({ origin: 'server', error: e, afterAuthOk: true });
      } else if (msg.type === 'ReadyForQuery') {
        result.ready = true;
        break;
      } else throw clientFailure('protocol-error', `unexpected ${msg.type} before ReadyForQuery`);
    }
    const sv = result.parameters.server_version;
    step(
      'parameters',
      `${result.parameterOrder.length} parameters${sv ? `, server_version ${sv}` : ''}; protocol ${result.protocol?.version ?? '?'}${result.protocol?.negotiated ? ' (negotiated)' : ''}${result.backendKey ? `, BackendKeyData ${result.backendKey.keyLength}-byte key` : ', no BackendKeyData'}; ReadyForQuery`,
    );

    // --- Post-login queries ---
    const simpleQuery = async (sql: string): Promise<{ value: string | null; error: ServerError | null; rows: Array<Array<string | null>> }> => {
      send({ type: 'Query', sql });
      let value: string | null = null;
      let error: ServerError | null = null;
      const rows: Array<Array<string | null>> = [];
      let bytes = 0;
      for (;;) {
        const msg = await read();
        if (msg.type === 'DataRow') {
          if (value === null) value = msg.values[0]?.toString('utf8') ?? null;
          if (rows.length >= MAX_QUERY_ROWS) throw clientFailure('protocol-error', `more than ${MAX_QUERY_ROWS} rows`);
          for (const v of msg.values) bytes += v?.length ?? 0;
          if (bytes > MAX_QUERY_BYTES) throw clientFailure('protocol-error', `more than ${MAX_QUERY_BYTES} bytes of rows`);
          rows.push(msg.values.map((v) => (v === null ? null : v.toString('utf8'))));
        } else if (msg.type === 'ErrorResponse') error = serverErrorOf(msg);
        else if (msg.type === 'ReadyForQuery') break;
      }
      return { value, error, rows };
    };
    const who = await simpleQuery('SELECT current_user');
    if (who.error) step('query', `SELECT current_user: ${who.error.code} ${who.error.message}`, false);
    else {
      result.currentUser = who.value;
      step('query', `SELECT current_user = ${who.value}`);
    }
    const version = await simpleQuery('SELECT version()');
    result.versionText = version.value;
    for (const sql of o.queries ?? []) {
      const q = await simpleQuery(sql);
      result.queryResults.push({ sql, rows: q.rows, error: q.error });
    }
    send({ type: 'Terminate' });
    conn.end(Buffer.alloc(0));
    return result;
  } catch (err) {
    conn?.close();
    if (err instanceof AttemptFailed) {
      result.failure = err.failure;
      if (err.failure.origin === 'client' && !o.steps.some((s) => s.attempt === o.index && !s.ok)) {
        step('failed', err.failure.message.split('\n')[0]!, false);
      }
      return result;
    }
    if (err instanceof TransportError) {
      const code: DiagnosisCode =
        err.code === 'timeout'
          ? 'timeout'
          : err.code === 'tls'
            ? tlsFailureCode(err.message, !!o.tls.cert)
            : err.code === 'closed'
              ? 'other'
              : err.code === 'not-postgres' || err.code === 'dns-failure' || err.code === 'connection-refused'
                ? err.code
                : 'protocol-error';
      const message = err.code === 'closed' ? CLOSED_UNEXPECTEDLY : err.message;
      step('failed', message.split('\n')[0]!, false);
      // A target that hangs up on a grease request instead of negotiating (reference: PgBouncer, poolers).
      const greaseClosed = o.grease === true && startupSent && result.protocol?.version === null && err.code === 'closed';
      result.failure = { origin: 'client', code: greaseClosed ? 'protocol-negotiation-failed' : code, message: greaseClosed ? `${message}\n(after a protocol ${result.protocol?.requested} request)` : message };
      return result;
    }
    // Nothing escapes an attempt: an unexpected error (a TLS library, a malformed certificate) is a diagnosed failure.
    const message = err instanceof Error ? err.message : String(err);
    step('failed', `unexpected: ${message.split('\n')[0]}`, false);
    result.failure = { origin: 'client', code: 'other', message };
    return result;
  }
}

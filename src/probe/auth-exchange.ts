/**
 * The authentication exchange as libpq drives it, one handler per
 * authentication request (STYLE: the probe's side reads like the server's
 * auth/<method>.ts), with libpq's client-side checks: require_auth and
 * channel_binding before any secret leaves, strict SCRAM, the server
 * signature. Returns when AuthenticationOk arrives (or discovery stops).
 */
import type { BackendMessage } from '../protocol/index.js';
// SCRAM and md5 code is loaded when a server asks for it: start-up time matters (npm run bench).
import type { ChannelBinding, ScramClient } from '../scram/index.js';
import { AttemptFailed, clientFailure, serverErrorOf, type PasswordAnswer } from './attempt.js';
import type { AttemptSession } from './attempt-session.js';
import type { AuthMethodName } from './conninfo.js';
import type { ProtocolNegotiation } from './protocol-version.js';
import { checkStartupPhase } from './startup-step.js';

type Msg<T extends BackendMessage['type']> = Extract<BackendMessage, { type: T }>;
/** `done` leaves the exchange: logged in, or discovery has what it came for. */
type Outcome = 'continue' | 'done';

interface AuthState {
  s: AttemptSession;
  protocol: ProtocolNegotiation;
  sasl?: ScramClient;
  saslDone: boolean;
  /** An OAUTHBEARER exchange is running. */
  oauth?: boolean;
  password?: PasswordAnswer;
}

export async function authenticate(s: AttemptSession, protocol: ProtocolNegotiation): Promise<void> {
  const st: AuthState = { s, protocol, saslDone: false };
  for (;;) {
    const wasFirst = s.firstMessage;
    const msg = await s.read();
    if (wasFirst && !['ErrorResponse', 'NegotiateProtocolVersion'].includes(msg.type) && !msg.type.startsWith('Authentication')) {
      throw clientFailure('not-postgres', `expected authentication request from server, but received ${msg.type}`);
    }
    if (msg.type.startsWith('Authentication')) s.result.auth.requests.push(msg.type);
    checkStartupPhase(s, protocol, msg);
    if ((await onMessage(st, msg)) === 'done') return;
  }
}

async function onMessage(st: AuthState, msg: BackendMessage): Promise<Outcome> {
  switch (msg.type) {
    case 'NegotiateProtocolVersion':
      return 'continue'; // checked by checkStartupPhase
    case 'NoticeResponse':
      st.s.keepNotice(msg.fields.message ?? '');
      return 'continue';
    case 'ErrorResponse': {
      const e = serverErrorOf(msg);
      st.s.result.errorHadRoutine = e.routine !== null;
      st.s.step('error', `${e.severity ?? 'ERROR'} ${e.code ?? ''} ${e.message}`.replace(/\s+/g, ' '), false);
      throw new AttemptFailed({ origin: 'server', error: e, afterAuthOk: false });
    }
    case 'AuthenticationOk':
      return AuthenticationOk(st);
    case 'AuthenticationCleartextPassword':
      return AuthenticationCleartextPassword(st);
    case 'AuthenticationMD5Password':
      return AuthenticationMD5Password(st, msg);
    case 'AuthenticationSASL':
      return AuthenticationSASL(st, msg);
    case 'AuthenticationSASLContinue':
      return AuthenticationSASLContinue(st, msg);
    case 'AuthenticationSASLFinal':
      return AuthenticationSASLFinal(st, msg);
    case 'AuthenticationKerberosV5':
    case 'AuthenticationGSS':
    case 'AuthenticationGSSContinue':
    case 'AuthenticationSSPI':
      return AuthenticationGSSFamily(st, msg.type);
    default:
      throw clientFailure(st.s.firstMessage ? 'not-postgres' : 'protocol-error', `expected authentication request from server, but received ${msg.type}`);
  }
}

// --- client-side rules shared by the handlers ---

/** Discovery (--no-password, diagnostic side attempts) stops at the first request. */
const discoveryStops = (st: AuthState): boolean => st.s.o.discoverOnly === true || st.s.o.noPassword;

function discovered(st: AuthState, method: AuthMethodName, detail: string): void {
  st.s.result.auth.method = method;
  st.s.step('auth-request', detail);
}

/** require_auth (libpq check_expected_areq): refused before any secret is sent. */
function refuse(st: AuthState, method: AuthMethodName, reason: string): void {
  const ra = st.s.o.params.requireAuth;
  if (ra && !ra.allowed.has(method)) throw clientFailure('auth-method-refused', `authentication method requirement "${ra.text}" failed: ${reason}`);
}

function bindingRequired(st: AuthState, what: string): void {
  if (st.s.o.params.channelBinding === 'require') throw clientFailure('channel-binding-unavailable', what);
}

async function needPassword(st: AuthState, method: string): Promise<string> {
  if (st.password) return st.password.value;
  const p = await st.s.conn!.withoutDeadline(() => st.s.o.getPassword());
  if (!p || p.value === '') throw clientFailure('password-required', `fe_sendauth: no password supplied (the server asked for ${method})`);
  st.password = p;
  st.s.result.auth.passwordSource = p.source;
  return p.value;
}

// --- one handler per authentication request ---

function AuthenticationOk(st: AuthState): Outcome {
  const { s } = st;
  const auth = s.result.auth;
  if (auth.method === null) {
    auth.method = 'none';
    s.step('auth-request', 'none: the server asked for no password (trust, or the TLS client certificate)');
  }
  if (s.o.discoverOnly) return 'done';
  if (st.sasl && !st.saslDone) {
    throw clientFailure('server-signature-invalid', 'AuthenticationOk before the SCRAM exchange completed: the server did not prove it knows the password');
  }
  const ra = s.o.params.requireAuth;
  if (auth.method === 'none' && ra && !ra.allowed.has('none')) {
    throw clientFailure('auth-method-refused', `authentication method requirement "${ra.text}" failed: server did not complete authentication`);
  }
  if (s.o.params.channelBinding === 'require' && auth.channelBinding === null) {
    throw clientFailure('channel-binding-unavailable', 'channel binding required, but server authenticated client without channel binding');
  }
  s.result.authOk = true;
  s.step('authentication-ok', auth.method === 'none' ? 'AuthenticationOk without a challenge' : `AuthenticationOk after ${auth.method}`);
  return 'done';
}

async function AuthenticationCleartextPassword(st: AuthState): Promise<Outcome> {
  discovered(st, 'password', 'password: the server asks for the password in clear (password or PAM/LDAP/RADIUS)');
  if (discoveryStops(st)) return 'done';
  refuse(st, 'password', 'server requested a cleartext password');
  bindingRequired(st, "channel binding required but not supported by server's authentication request");
  const pw = await needPassword(st, 'a cleartext password');
  st.s.send({ type: 'PasswordMessage', password: pw }, 'password');
  st.s.result.auth.passwordSent = true;
  st.s.step('password', `password sent (${st.password!.source})${st.s.result.tlsUsed ? '' : ' in clear, without TLS'}`);
  return 'continue';
}

async function AuthenticationMD5Password(st: AuthState, msg: Msg<'AuthenticationMD5Password'>): Promise<Outcome> {
  discovered(st, 'md5', `md5: salted md5 challenge (salt ${msg.salt.length} bytes)`);
  if (discoveryStops(st)) return 'done';
  refuse(st, 'md5', 'server requested a hashed password');
  bindingRequired(st, "channel binding required but not supported by server's authentication request");
  const pw = await needPassword(st, 'an md5 password');
  const { buildMd5Secret } = await import('../secrets/index.js');
  const { createHash } = await import('node:crypto');
  const inner = buildMd5Secret(pw, st.s.o.params.user).slice(3);
  const response = 'md5' + createHash('md5').update(Buffer.concat([Buffer.from(inner, 'ascii'), msg.salt])).digest('hex');
  st.s.send({ type: 'PasswordMessage', password: response }, 'md5');
  st.s.result.auth.passwordSent = true;
  st.s.step('password', `md5 response sent (${st.password!.source})`);
  return 'continue';
}

type Mechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-256-PLUS';

/** libpq's choice (pg_SASL_init): require_auth first, then channel_binding, then the mechanism. */
function chooseMechanism(st: AuthState, offered: string[]): Mechanism {
  const { params } = st.s.o;
  const tls = st.s.result.tlsUsed;
  const cb = params.channelBinding;
  const ra = params.requireAuth;
  const plusOffered = offered.includes('SCRAM-SHA-256-PLUS');
  if (ra && !ra.allowed.has('scram-sha-256') && !ra.allowed.has('oauth')) {
    throw clientFailure('auth-method-refused', `authentication method requirement "${ra.text}" failed: server requested SASL authentication`);
  }
  if (cb === 'require' && !tls) throw clientFailure('channel-binding-unavailable', 'channel binding required, but SSL not in use');
  if (plusOffered && !tls) throw clientFailure('channel-binding-failed', 'server offered SCRAM-SHA-256-PLUS authentication over a non-SSL connection');
  let mechanism: Mechanism;
  if (plusOffered && tls && cb !== 'disable') mechanism = 'SCRAM-SHA-256-PLUS';
  else if (offered.includes('SCRAM-SHA-256')) mechanism = 'SCRAM-SHA-256';
  else {
    st.s.result.auth.method = null;
    throw clientFailure('auth-method-unsupported', "none of the server's SASL authentication mechanisms are supported");
  }
  if (ra && !ra.allowed.has('scram-sha-256')) {
    throw clientFailure('auth-method-refused', `authentication method requirement "${ra.text}" failed: server requested ${mechanism} authentication`);
  }
  if (cb === 'require' && mechanism !== 'SCRAM-SHA-256-PLUS') {
    throw clientFailure('channel-binding-unavailable', 'channel binding is required, but server did not offer an authentication method that supports channel binding');
  }
  return mechanism;
}

/**
 * The channel binding for the chosen mechanism. A certificate without a
 * tls-server-end-point hash (Ed25519) fails libpq even at prefer; the probe
 * records that failure and, unless binding is required, goes on without it.
 */
async function bindingFor(st: AuthState, mechanism: Mechanism, offered: string[]): Promise<{ mechanism: Mechanism; binding: ChannelBinding }> {
  const { s } = st;
  const cb = s.o.params.channelBinding;
  if (mechanism === 'SCRAM-SHA-256') return { mechanism, binding: s.result.tlsUsed && cb !== 'disable' ? { mode: 'client-supports' } : { mode: 'none' } };
  if (!s.result.tls?.certDer) throw clientFailure('channel-binding-failed', 'could not get the server certificate for channel binding');
  const { channelBindingData } = await import('./channel-binding-support.js');
  const cbData = channelBindingData(s.result.tls.certDer);
  if (!('error' in cbData)) return { mechanism, binding: { mode: 'tls-server-end-point', data: cbData.data } };
  const failure = { origin: 'client', code: 'channel-binding-unsupported-certificate', message: cbData.error } as const;
  const goOn = cb !== 'require' && offered.includes('SCRAM-SHA-256');
  s.step('channel-binding', `${cbData.error} (${cbData.detail}); libpq fails here${goOn ? ', the probe goes on with SCRAM-SHA-256 without binding' : ''}`, false);
  if (!goOn) throw new AttemptFailed(failure);
  s.result.libpqFailure = failure;
  return { mechanism: 'SCRAM-SHA-256', binding: { mode: 'none' } };
}

async function AuthenticationSASL(st: AuthState, msg: Msg<'AuthenticationSASL'>): Promise<Outcome> {
  const { s } = st;
  if (st.sasl || st.oauth) throw clientFailure('protocol-error', 'duplicate SASL authentication request');
  s.result.auth.mechanismsOffered = msg.mechanisms;
  if (msg.mechanisms.includes('OAUTHBEARER') && !msg.mechanisms.some((m) => m.startsWith('SCRAM-SHA-256'))) return AuthenticationSASLOAuth(st);
  discovered(st, 'scram-sha-256', `SASL: the server offers ${msg.mechanisms.join(', ') || '(nothing)'}`);
  if (discoveryStops(st)) return 'done';
  const chosen = chooseMechanism(st, msg.mechanisms);
  const pw = await needPassword(st, 'a SCRAM-SHA-256 password');
  const { mechanism, binding } = await bindingFor(st, chosen, msg.mechanisms);
  const { createScramClient } = await import('../scram/index.js');
  st.sasl = createScramClient({ password: pw, channelBinding: binding, maxIterations: s.o.maxIterations, ...(s.o.nonce ? { nonce: s.o.nonce } : {}) });
  s.result.auth.mechanism = mechanism;
  s.result.auth.gs2Flag = binding.mode === 'tls-server-end-point' ? 'p' : binding.mode === 'client-supports' ? 'y' : 'n';
  s.send({ type: 'SASLInitialResponse', mechanism, data: Buffer.from(st.sasl.clientFirstMessage(), 'utf8') });
  s.result.auth.passwordSent = true;
  s.step('sasl-initial', `chose ${mechanism}, gs2 flag ${s.result.auth.gs2Flag}${binding.mode === 'tls-server-end-point' ? ' (tls-server-end-point)' : ''}; password from ${st.password!.source}`);
  return 'continue';
}

/** OAUTHBEARER (PostgreSQL 18): a token, or the discovery round (oauth-step.ts). */
async function AuthenticationSASLOAuth(st: AuthState): Promise<Outcome> {
  discovered(st, 'oauth', 'oauth: the server offers OAUTHBEARER');
  if (discoveryStops(st)) return 'done';
  const { checkOAuthAllowed, sendOAuthInitial } = await import('./oauth-step.js');
  checkOAuthAllowed(st.s);
  st.oauth = true;
  sendOAuthInitial(st.s);
  return 'continue';
}

async function AuthenticationSASLContinue(st: AuthState, msg: Msg<'AuthenticationSASLContinue'>): Promise<Outcome> {
  if (st.oauth) {
    (await import('./oauth-step.js')).onOAuthErrorBody(st.s, msg.data);
    return 'continue';
  }
  const { s, sasl } = st;
  if (!sasl) throw clientFailure('protocol-error', 'fe_sendauth: invalid authentication request from server: AUTH_REQ_SASL_CONT without AUTH_REQ_SASL');
  let final: string;
  try {
    final = sasl.handleServerFirst(msg.data.toString('utf8'));
  } catch (err) {
    if (err instanceof Error && err.name === 'ScramError') throw clientFailure('protocol-error', err.message);
    throw err;
  }
  s.result.auth.iterations = sasl.iterations ?? null;
  const salt = /(?:^|,)s=([^,]*)/.exec(msg.data.toString('utf8'))?.[1];
  s.result.auth.saltBytes = salt ? Buffer.from(salt, 'base64').length : null;
  s.send({ type: 'SASLResponse', data: Buffer.from(final, 'utf8') }, 'sasl-final');
  s.step('sasl-continue', `server-first: ${s.result.auth.iterations} iterations, ${s.result.auth.saltBytes}-byte salt, nonce prefix checked; proof sent`);
  return 'continue';
}

function AuthenticationSASLFinal(st: AuthState, msg: Msg<'AuthenticationSASLFinal'>): Outcome {
  const { s, sasl } = st;
  if (st.oauth) throw clientFailure('protocol-error', 'server sent unexpected additional OAuth data');
  if (!sasl) throw clientFailure('protocol-error', 'fe_sendauth: invalid authentication request from server: AUTH_REQ_SASL_FIN without AUTH_REQ_SASL');
  try {
    sasl.verifyServerFinal(msg.data.toString('utf8'));
  } catch (err) {
    if (err instanceof Error && err.name === 'ScramError') {
      s.step('server-signature', err.message, false);
      if (/^error received from server/.test(err.message)) throw clientFailure('auth-failed', err.message);
      if (/signature/.test(err.message)) throw clientFailure('server-signature-invalid', err.message);
      throw clientFailure('protocol-error', err.message);
    }
    throw err;
  }
  st.saslDone = true;
  s.result.auth.serverSignature = 'verified';
  if (s.result.auth.mechanism === 'SCRAM-SHA-256-PLUS') s.result.auth.channelBinding = 'tls-server-end-point';
  s.step('server-signature', 'server signature verified: the server knows the password');
  return 'continue';
}

function AuthenticationGSSFamily(st: AuthState, type: 'AuthenticationKerberosV5' | 'AuthenticationGSS' | 'AuthenticationGSSContinue' | 'AuthenticationSSPI'): Outcome {
  const m: AuthMethodName = type === 'AuthenticationSSPI' ? 'sspi' : 'gss';
  discovered(st, m, `${m}: ${type === 'AuthenticationKerberosV5' ? 'Kerberos V5' : type === 'AuthenticationSSPI' ? 'SSPI' : 'GSSAPI'} (not supported by pgauth probe)`);
  if (discoveryStops(st)) return 'done';
  refuse(st, m, m === 'sspi' ? 'server requested SSPI authentication' : 'server requested GSSAPI authentication');
  bindingRequired(st, "channel binding required but not supported by server's authentication request");
  throw clientFailure(
    'auth-method-unsupported',
    type === 'AuthenticationKerberosV5' ? 'Kerberos 5 authentication not supported' : `${m === 'sspi' ? 'SSPI' : 'GSSAPI'} authentication is not supported by pgauth probe`,
  );
}

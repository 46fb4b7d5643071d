/**
 * The authentication exchange as libpq drives it, one handler per
 * authentication request (STYLE: the probe's side reads like the server's
 * auth/<method>.ts), with libpq's client-side checks: require_auth and
 * channel_binding before any secret leaves, strict SCRAM, the server
 * signature. Returns when AuthenticationOk arrives (or discovery stops).
 */
import type { BackendMessage } from '../protocol/index.js';
import { createScramClient, memoizedSaltedPassword, ScramError, type ChannelBinding, type ScramClient } from '../scram/index.js';
import { buildMd5Secret, md5SaltedResponse } from '../secrets/index.js';
import { AttemptFailed, clientFailure, type PasswordAnswer } from './attempt.js';
import type { AttemptSession } from './attempt-session.js';
import { channelBindingData } from './channel-binding-support.js';
import { noChallengeMethods } from './diagnose-entry.js';
import { ErrorResponse, NoticeResponse } from './error-notice.js';
import { onOAuthErrorBody, sendOAuthInitial } from './oauth-step.js';
import { channelBindingRefusal } from './policy/channel-binding.js';
import type { Refusal } from './policy/refusal.js';
import { methodOfRequest, requireAuthRefusal, type AuthMethodName, type AuthRequestName } from './policy/require-auth.js';
import { chooseSaslMechanism, offeredMethod, type Gs2Flag, type SaslMechanism } from './policy/sasl-mechanism.js';
import type { ProtocolNegotiation } from './protocol-version.js';
import { checkStartupPhase } from './startup-step.js';

/**
 * One derivation of SaltedPassword per password, salt and iteration count
 * for the whole process: a run over many targets of one server pays PBKDF2
 * once (the exchanges themselves still differ: nonces, proofs).
 */
const derive = memoizedSaltedPassword();

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
  /** The mechanisms of the AuthenticationSASL being answered. */
  offered: readonly string[];
}

type ScramMechanism = Exclude<SaslMechanism, 'OAUTHBEARER'>;

export async function authenticate(s: AttemptSession, protocol: ProtocolNegotiation): Promise<void> {
  const st: AuthState = { s, protocol, saslDone: false, offered: [] };
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
      NoticeResponse(st.s, msg);
      return 'continue';
    case 'ErrorResponse':
      return ErrorResponse(st.s, msg, false);
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
      return AuthenticationKerberosV5(st);
    case 'AuthenticationGSS':
    case 'AuthenticationGSSContinue':
      return AuthenticationGSS(st, msg.type);
    case 'AuthenticationSSPI':
      return AuthenticationSSPI(st);
    default:
      throw clientFailure(st.s.firstMessage ? 'not-postgres' : 'protocol-error', `expected authentication request from server, but received ${msg.type}`);
  }
}

// --- client-side rules shared by the handlers ---

/** Discovery (--discover, diagnostic side attempts) stops at the first request. */
const discoveryStops = (st: AuthState): boolean => st.s.o.discoverOnly === true || st.s.o.discover;

function discovered(st: AuthState, method: AuthMethodName, detail: string): void {
  st.s.result.auth.method = method;
  st.s.step('auth-request', detail);
}

/** libpq's check_expected_areq: require_auth, then channel_binding, before any secret is sent. */
function checkRequest(st: AuthState, request: AuthRequestName, completed = false): void {
  const { params } = st.s.o;
  const refused = requireAuthRefusal(params.requireAuth, request, completed);
  if (refused) throw clientFailure('auth-method-refused', refused);
  const unbound = channelBindingRefusal(params.channelBinding, request, st.s.result.auth.channelBinding !== null);
  if (unbound) throw refusal(unbound);
}

const refusal = (r: Refusal): AttemptFailed => clientFailure(r.code, r.message, r.reason);

/**
 * The password for a request. None: libpq's "fe_sendauth: no password
 * supplied"; when a person can be asked, the attempt ends here and the probe
 * asks with this connection closed, then reconnects (psql's
 * PQconnectionNeedsPassword loop), so no prompt runs into the server's
 * authentication_timeout.
 */
async function needPassword(st: AuthState, method: string): Promise<string> {
  if (st.password) return st.password.value;
  const p = await st.s.o.getPassword();
  if (!p || p.value === '') {
    if (!p && st.s.o.askWhenNeeded) {
      st.s.result.passwordNeeded = true;
      st.s.step('password-needed', `the server asked for ${method}: closing this connection to ask for it (as psql does)`, false);
    }
    throw clientFailure('password-required', `fe_sendauth: no password supplied (the server asked for ${method})`);
  }
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
    s.step('auth-request', `none: the server asked for no password (${noChallengeMethods(s.o.host.unix, s.result.tlsUsed)})`);
  }
  if (s.o.discoverOnly) return 'done';
  if (st.sasl && !st.saslDone) {
    throw clientFailure('server-signature-invalid', 'AuthenticationOk before the SCRAM exchange completed: the server did not prove it knows the password');
  }
  checkRequest(st, 'AuthenticationOk', auth.method !== 'none');
  s.result.authOk = true;
  s.step('authentication-ok', auth.method === 'none' ? 'AuthenticationOk without a challenge' : `AuthenticationOk after ${auth.method}`);
  return 'done';
}

async function AuthenticationCleartextPassword(st: AuthState): Promise<Outcome> {
  discovered(st, 'password', 'password: the server asks for the password in clear (password or PAM/LDAP/RADIUS)');
  if (discoveryStops(st)) return 'done';
  checkRequest(st, 'AuthenticationCleartextPassword');
  const pw = await needPassword(st, 'a cleartext password');
  st.s.send({ type: 'PasswordMessage', password: pw }, 'password');
  st.s.result.auth.passwordSent = true;
  st.s.step('password', `password sent (${st.password!.source})${st.s.result.tlsUsed ? '' : ' in clear, without TLS'}`);
  return 'continue';
}

async function AuthenticationMD5Password(st: AuthState, msg: Msg<'AuthenticationMD5Password'>): Promise<Outcome> {
  discovered(st, 'md5', `md5: salted md5 challenge (salt ${msg.salt.length} bytes)`);
  if (discoveryStops(st)) return 'done';
  checkRequest(st, 'AuthenticationMD5Password');
  const pw = await needPassword(st, 'an md5 password');
  const response = md5SaltedResponse(buildMd5Secret(pw, st.s.o.params.user), msg.salt);
  st.s.send({ type: 'PasswordMessage', password: response }, 'md5');
  st.s.result.auth.passwordSent = true;
  st.s.step('password', `md5 response sent (${st.password!.source})`);
  return 'continue';
}

/**
 * The channel binding for the chosen mechanism. A certificate without a
 * tls-server-end-point hash (Ed25519) fails libpq even at prefer; the probe
 * records that failure and, unless binding is required, goes on without it.
 */
function bindingFor(st: AuthState, mechanism: ScramMechanism, gs2: Gs2Flag): { mechanism: ScramMechanism; binding: ChannelBinding } {
  const { s } = st;
  const cb = s.o.params.channelBinding;
  if (mechanism === 'SCRAM-SHA-256') return { mechanism, binding: gs2 === 'y' ? { mode: 'client-supports' } : { mode: 'none' } };
  if (!s.result.tls?.certDer) throw clientFailure('channel-binding-failed', 'could not get the server certificate for channel binding');
  const cbData = channelBindingData(s.result.tls.certDer);
  if (!('error' in cbData)) return { mechanism, binding: { mode: 'tls-server-end-point', data: cbData.data } };
  const failure = { origin: 'client', code: 'channel-binding-unsupported-certificate', message: cbData.error } as const;
  const goOn = cb !== 'require' && st.offered.includes('SCRAM-SHA-256');
  s.step('channel-binding', `${cbData.error} (${cbData.detail}); libpq fails here${goOn ? ', the probe goes on with SCRAM-SHA-256 without binding' : ''}`, false);
  if (!goOn) throw new AttemptFailed(failure);
  s.result.libpqFailure = failure;
  return { mechanism: 'SCRAM-SHA-256', binding: { mode: 'none' } };
}

/** AuthenticationSASL: libpq's mechanism choice (policy/sasl-mechanism.ts), then SCRAM's client-first or OAUTHBEARER's initial response. */
async function AuthenticationSASL(st: AuthState, msg: Msg<'AuthenticationSASL'>): Promise<Outcome> {
  const { s } = st;
  if (st.sasl || st.oauth) throw clientFailure('protocol-error', 'duplicate SASL authentication request');
  s.result.auth.mechanismsOffered = msg.mechanisms;
  st.offered = msg.mechanisms;
  const method = offeredMethod(msg.mechanisms);
  discovered(st, method, method === 'oauth' ? 'oauth: the server offers OAUTHBEARER' : `SASL: the server offers ${msg.mechanisms.join(', ') || '(nothing)'}`);
  if (discoveryStops(st)) return 'done';
  const choice = chooseSaslMechanism({ offered: msg.mechanisms, tls: s.result.tlsUsed, channelBinding: s.o.params.channelBinding, requireAuth: s.o.params.requireAuth });
  if ('code' in choice) {
    if (choice.code === 'auth-method-unsupported') s.result.auth.method = null;
    throw refusal(choice);
  }
  if (choice.mechanism === 'OAUTHBEARER') {
    // PostgreSQL 18's oauth method: a token, or the discovery round (oauth-step.ts).
    st.oauth = true;
    sendOAuthInitial(s);
    return 'continue';
  }
  return sendClientFirst(st, choice.mechanism, choice.gs2);
}

/** SCRAM's client-first-message in a SASLInitialResponse. */
async function sendClientFirst(st: AuthState, chosen: ScramMechanism, gs2: Gs2Flag): Promise<Outcome> {
  const { s } = st;
  const pw = await needPassword(st, 'a SCRAM-SHA-256 password');
  const { mechanism, binding } = bindingFor(st, chosen, gs2);
  st.sasl = createScramClient({ password: pw, channelBinding: binding, maxIterations: s.o.maxIterations, derive, ...(s.o.nonce ? { nonce: s.o.nonce } : {}) });
  s.result.auth.mechanism = mechanism;
  s.result.auth.gs2Flag = binding.mode === 'tls-server-end-point' ? 'p' : binding.mode === 'client-supports' ? 'y' : 'n';
  s.send({ type: 'SASLInitialResponse', mechanism, data: Buffer.from(st.sasl.clientFirstMessage(), 'utf8') });
  s.result.auth.passwordSent = true;
  s.step('sasl-initial', `chose ${mechanism}, gs2 flag ${s.result.auth.gs2Flag}${binding.mode === 'tls-server-end-point' ? ' (tls-server-end-point)' : ''}; password from ${st.password!.source}`);
  return 'continue';
}

function AuthenticationSASLContinue(st: AuthState, msg: Msg<'AuthenticationSASLContinue'>): Outcome {
  if (st.oauth) {
    onOAuthErrorBody(st.s, msg.data);
    return 'continue';
  }
  const { s, sasl } = st;
  if (!sasl) throw clientFailure('protocol-error', 'fe_sendauth: invalid authentication request from server: AUTH_REQ_SASL_CONT without AUTH_REQ_SASL');
  let final: string;
  try {
    final = sasl.handleServerFirst(msg.data.toString('utf8'));
  } catch (err) {
    if (err instanceof ScramError) throw clientFailure('protocol-error', err.message);
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
    if (err instanceof ScramError) {
      s.step('server-signature', err.message, false);
      throw clientFailure(serverFinalFailure(err), err.message);
    }
    throw err;
  }
  st.saslDone = true;
  s.result.auth.serverSignature = 'verified';
  if (s.result.auth.mechanism === 'SCRAM-SHA-256-PLUS') s.result.auth.channelBinding = 'tls-server-end-point';
  s.step('server-signature', 'server signature verified: the server knows the password');
  return 'continue';
}

/** What a refused server-final-message means: the server's own e=, a wrong or malformed signature, or a broken message. */
function serverFinalFailure(err: ScramError): 'auth-failed' | 'server-signature-invalid' | 'protocol-error' {
  switch (err.code) {
    case 'server-error':
      return 'auth-failed';
    case 'invalid-server-signature':
    case 'server-signature-mismatch':
      return 'server-signature-invalid';
    default:
      return 'protocol-error';
  }
}

/** AuthenticationKerberosV5 (removed from PostgreSQL in 9.4): refused as libpq 18 refuses it. */
function AuthenticationKerberosV5(st: AuthState): Outcome {
  return unsupportedMethod(st, 'AuthenticationKerberosV5', 'Kerberos V5', 'Kerberos 5 authentication not supported');
}

/** AuthenticationGSS / AuthenticationGSSContinue: pgauth probe has no GSSAPI. */
function AuthenticationGSS(st: AuthState, type: 'AuthenticationGSS' | 'AuthenticationGSSContinue'): Outcome {
  return unsupportedMethod(st, type, 'GSSAPI', 'GSSAPI authentication is not supported by pgauth probe');
}

/** AuthenticationSSPI (Windows servers): pgauth probe has no SSPI. */
function AuthenticationSSPI(st: AuthState): Outcome {
  return unsupportedMethod(st, 'AuthenticationSSPI', 'SSPI', 'SSPI authentication is not supported by pgauth probe');
}

/** A method the probe cannot answer: discovered, then libpq's require_auth/channel_binding checks, then unsupported. */
function unsupportedMethod(st: AuthState, type: Exclude<AuthRequestName, 'AuthenticationOk' | 'AuthenticationSASL'>, name: string, message: string): Outcome {
  const m = methodOfRequest(type)!;
  discovered(st, m, `${m}: ${name} (not supported by pgauth probe)`);
  if (discoveryStops(st)) return 'done';
  checkRequest(st, type);
  throw clientFailure('auth-method-unsupported', message);
}

/**
 * The SASL OAUTHBEARER exchange (RFC 7628) as PostgreSQL 18 speaks it, both
 * sides, pure: no sockets, no token validation (that is the caller's).
 *
 * Client initial response: gs2-header "n,," then kvsep (0x01), key=value
 * pairs each ended by kvsep, and a final kvsep:
 *     n,,\x01auth=Bearer TOKEN\x01\x01
 * An empty `auth=` asks for discovery. A failed or discovery exchange gets
 * a JSON error body in AuthenticationSASLContinue, which the client answers
 * with a single kvsep; then the server refuses the login. Success is
 * AuthenticationOk with no SASLFinal. Errors and texts follow PostgreSQL's
 * auth-oauth.c (checked against a real PostgreSQL 18, test/oauth).
 */
import { PG_MAX_AUTH_TOKEN_LENGTH } from '../protocol/limits.js';

export const OAUTHBEARER = 'OAUTHBEARER';
export const KVSEP = 0x01;
/** The client's answer to an error body. */
export const KVSEP_RESPONSE: Buffer = Buffer.from([KVSEP]);

/** A protocol violation, with PostgreSQL's SQLSTATE, message and detail. */
export class OAuthBearerError extends Error {
  override readonly name = 'OAuthBearerError';
  constructor(
    readonly sqlstate: string,
    message: string,
    readonly detail?: string,
  ) {
    super(message);
  }
}

const malformed = (detail: string): OAuthBearerError => new OAuthBearerError('08P01', 'malformed OAUTHBEARER message', detail);

/** PostgreSQL's sanitize_char: a printable character quoted, anything else in hex. */
function sanitizeChar(code: number | undefined): string {
  if (code === undefined) return '0x00';
  return code >= 0x21 && code <= 0x7e ? `'${String.fromCharCode(code)}'` : `0x${code.toString(16).padStart(2, '0')}`;
}

/** The client's first message: a bearer token, or null for discovery (an empty auth value). */
export function buildInitialResponse(token: string | null): Buffer {
  return Buffer.from(`n,,\x01auth=${token === null ? '' : `Bearer ${token}`}\x01\x01`, 'latin1');
}

const KEY = /^[A-Za-z]+$/;

function validValue(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (!((c >= 0x21 && c <= 0x7e) || c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a)) return false;
  }
  return true;
}

/**
 * The server's reading of the client's first message (oauth_exchange): the
 * auth value ('' asks for discovery). Throws OAuthBearerError with
 * PostgreSQL's message and detail for each malformation.
 */
export function parseInitialResponse(data: Buffer): { auth: string } {
  if (data.length === 0) throw malformed('The message is empty.');
  if (data.includes(0)) throw malformed('Message length does not match input length.');
  const text = data.toString('latin1');
  let p = 0;
  const flag = text.charCodeAt(p);
  if (flag === 0x70 /* p */) throw malformed('The server does not support channel binding for OAuth, but the client message includes channel binding data.');
  if (flag !== 0x79 /* y */ && flag !== 0x6e /* n */) throw malformed(`Unexpected channel-binding flag "${sanitizeChar(flag)}".`);
  p++;
  if (text[p] !== ',') throw malformed(`Comma expected, but found character "${sanitizeChar(text.charCodeAt(p))}".`);
  p++;
  if (text[p] === 'a') throw new OAuthBearerError('0A000', 'client uses authorization identity, but it is not supported');
  if (text[p] !== ',') throw malformed(`Unexpected attribute "${sanitizeChar(text.charCodeAt(p))}" in client-first-message.`);
  p++;
  if (text.charCodeAt(p) !== KVSEP) throw malformed(`Key-value separator expected, but found character "${sanitizeChar(text.charCodeAt(p))}".`);
  p++;
  let auth: string | undefined;
  for (;;) {
    if (p >= text.length) throw malformed('Message did not contain a final terminator.');
    const end = text.indexOf('\x01', p);
    if (end < 0) throw malformed('Message contains an unterminated key/value pair.');
    if (end === p) {
      p = end + 1;
      break;
    }
    const pair = text.slice(p, end);
    const eq = pair.indexOf('=');
    if (eq < 0) throw malformed('Message contains a key without a value.');
    const key = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    if (key === '') throw malformed('Message contains an empty key name.');
    if (!KEY.test(key)) throw malformed('Message contains an invalid key name.');
    if (!validValue(value)) throw malformed('Message contains an invalid value.');
    if (key === 'auth') {
      if (auth !== undefined) throw malformed('Message contains multiple auth values.');
      auth = value;
    }
    p = end + 1;
  }
  if (auth === undefined) throw malformed('Message does not contain an auth value.');
  if (p !== text.length) throw malformed('Message contains additional data after the final terminator.');
  return { auth };
}

const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * The bearer token inside an auth value (validate_token_format), or why it
 * is malformed. PostgreSQL logs the reason and fails the login without
 * telling the client (the token is a secret).
 */
export function bearerToken(auth: string): { token: string } | { malformed: string } {
  if (auth.slice(0, 7).toLowerCase() !== 'bearer ') return { malformed: 'Client response indicated a non-Bearer authentication scheme.' };
  const token = auth.slice(7).replace(/^ +/, '');
  if (token === '') return { malformed: 'Bearer token is empty.' };
  if (!B64TOKEN.test(token)) return { malformed: 'Bearer token is not in the correct format.' };
  return { token };
}

/** PostgreSQL's escape_json for the two strings of the error body. */
function escapeJson(s: string): string {
  return JSON.stringify(s).replace(/[\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The discovery URL PostgreSQL advertises for an hba `issuer`. */
export function discoveryUrl(issuer: string): string {
  return issuer.includes('/.well-known/') ? issuer : `${issuer}/.well-known/openid-configuration`;
}

/** The server's error body (generate_error_response), byte for byte. */
export function errorBody(issuer: string, scope: string): Buffer {
  return Buffer.from(`{ "status": "invalid_token", "openid-configuration": ${escapeJson(discoveryUrl(issuer))}, "scope": ${escapeJson(scope)} }`);
}

/** The client's reading of an error body: bounded, and only the fields libpq uses. */
export interface OAuthErrorBody {
  status: string;
  openidConfiguration: string | null;
  scope: string | null;
}

/** Error bodies larger than this are refused (PG_MAX_AUTH_TOKEN_LENGTH bounds the server's messages too). */
export const MAX_ERROR_BODY = PG_MAX_AUTH_TOKEN_LENGTH;

export function parseErrorBody(data: Buffer): OAuthErrorBody {
  if (data.length > MAX_ERROR_BODY) throw new OAuthBearerError('08P01', 'server error response is too large');
  let doc: unknown;
  try {
    doc = JSON.parse(data.toString('utf8'));
  } catch {
    throw new OAuthBearerError('08P01', 'failed to parse server\'s error response: not JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new OAuthBearerError('08P01', "failed to parse server's error response: top-level element must be an object");
  const o = doc as Record<string, unknown>;
  const str = (k: string): string | null => (typeof o[k] === 'string' ? (o[k] as string) : null);
  const status = str('status');
  if (status === null) throw new OAuthBearerError('08P01', 'server sent error response without a status');
  return { status, openidConfiguration: str('openid-configuration'), scope: str('scope') };
}

/** What the server expects after sending an error body: exactly one kvsep. */
export function checkKvsepResponse(data: Buffer): void {
  if (data.length !== 1 || data[0] !== KVSEP) throw malformed('Client did not send a kvsep response.');
}

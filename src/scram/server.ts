/**
 * The server side of a SCRAM-SHA-256(-PLUS) exchange, checking exactly what
 * PostgreSQL 15-18 checks (auth-scram.c read_client_first_message,
 * read_client_final_message, verify_final_nonce, verify_client_proof) and
 * reporting each refusal with PostgreSQL's SQLSTATE, message and detail in a
 * ScramError. Works from the stored verifier only. Pure: no sockets.
 *
 * A wrong password (or a doomed/mock exchange) is not an error here: it
 * returns { ok: false }, and the caller sends PostgreSQL's 28P01 "password
 * authentication failed for user ...", with no e= attribute, as PostgreSQL
 * does.
 */
import { randomBytes } from 'node:crypto';
import { ScramError } from './errors.js';
import { AttrReader, isScramPrintable, sanitizeChar, type AttrFailures } from './messages.js';
import { decodeBase64Strict } from './base64.js';
import { SCRAM_KEY_LEN, SCRAM_RAW_NONCE_LEN, constantTimeEqual, hmac, sha256, xor } from './keys.js';
import type { ScramMechanism } from './client.js';
import type { ScramSecret } from './secret.js';

export interface ScramServer {
  /** Returns server-first; strict GS2 parsing as PostgreSQL's read_client_first_message. */
  handleClientFirst(clientFirst: string): string;
  /** Checks c= against GS2 header + cb data, nonce, proof (constant-time). */
  handleClientFinal(clientFinal: string): { ok: true; serverFinal: string } | { ok: false; reason: string };
}

export interface ScramServerOptions {
  mechanism: ScramMechanism;
  secret: ScramSecret;
  /** tls-server-end-point of our certificate, when TLS is in use. */
  channelBindingData?: Buffer;
  tlsAvailable: boolean;
  /** Injectable server nonce (printable, no ','); default base64 of 18 random bytes as PostgreSQL. */
  nonce?: string;
  /** Run the whole exchange but fail at the proof (unknown role, expired, md5-only secret). */
  doomed?: boolean;
}

const PROTOCOL_VIOLATION = '08P01';
const FEATURE_NOT_SUPPORTED = '0A000';
const INVALID_AUTHORIZATION_SPECIFICATION = '28000';

/** Secrets made by mockScramSecret: an exchange with them always fails at the proof. */
export const mockSecrets = new WeakSet<ScramSecret>();

export function createScramServer(opts: ScramServerOptions): ScramServer {
  return new Server(opts);
}

type Step = 'client-first' | 'client-final';

function malformed(step: Step, detail: string): never {
  throw new ScramError(step, 'malformed SCRAM message', { sqlstate: PROTOCOL_VIOLATION, detail });
}

/** The attribute reader's failures per step, made once. */
const FAILURES: Record<Step, AttrFailures> = { 'client-first': failuresOf('client-first'), 'client-final': failuresOf('client-final') };

function failuresOf(step: Step): AttrFailures {
  return {
    expected: (attr, found) => malformed(step, `Expected attribute "${attr}" but found "${found}".`),
    equalsExpected: (attr) => malformed(step, `Expected character "=" for attribute "${attr}".`),
    anyAttrAtEnd: () => malformed(step, 'Attribute expected, but found end of string.'),
    anyAttrInvalid: (found) => malformed(step, `Attribute expected, but found invalid character "${found}".`),
  };
}

/** scram_exchange's checks on every message: not empty, no embedded NUL. */
function checkMessageShape(step: Step, msg: string): void {
  if (typeof msg !== 'string' || msg.length === 0) malformed(step, 'The message is empty.');
  if (msg.includes('\0')) malformed(step, 'Message length does not match input length.');
}

class Server implements ScramServer {
  private state: 'initial' | 'sent-first' | 'done' = 'initial';
  private readonly serverNonce: string;
  private readonly plus: boolean;
  private readonly doomed: boolean;
  private cbindFlag = '';
  private clientNonce = '';
  private clientFirstBare = '';
  private serverFirst = '';

  constructor(private readonly opts: ScramServerOptions) {
    this.plus = opts.mechanism === 'SCRAM-SHA-256-PLUS';
    if (opts.mechanism !== 'SCRAM-SHA-256' && opts.mechanism !== 'SCRAM-SHA-256-PLUS') {
      throw new ScramError('client-first', 'client selected an invalid SASL authentication mechanism', { sqlstate: PROTOCOL_VIOLATION });
    }
    if (this.plus && (!opts.tlsAvailable || !opts.channelBindingData || opts.channelBindingData.length === 0)) {
      // PostgreSQL offers -PLUS only over TLS; choosing it otherwise is refused before any SCRAM message.
      throw new ScramError('client-first', 'client selected an invalid SASL authentication mechanism', { sqlstate: PROTOCOL_VIOLATION });
    }
    this.serverNonce = opts.nonce ?? randomBytes(SCRAM_RAW_NONCE_LEN).toString('base64');
    if (this.serverNonce.length === 0 || !isScramPrintable(this.serverNonce)) {
      throw new ScramError('client-first', 'the server nonce must be non-empty printable ASCII without ","');
    }
    this.doomed = opts.doomed === true || mockSecrets.has(opts.secret);
  }

  handleClientFirst(clientFirst: string): string {
    const step = 'client-first';
    if (this.state !== 'initial') throw new ScramError(step, 'client-first-message received out of order', { sqlstate: PROTOCOL_VIOLATION });
    checkMessageShape(step, clientFirst);
    const r = new AttrReader(clientFirst, FAILURES[step]);
    const commaAfterFlag = (): void => {
      r.pos++;
      if (r.peek() !== ',') malformed(step, `Comma expected, but found character "${sanitizeChar(r.peek())}".`);
      r.pos++;
    };
    const flag = r.peek();
    this.cbindFlag = flag ?? '';
    switch (flag) {
      case 'n':
        if (this.plus) malformed(step, 'The client selected SCRAM-SHA-256-PLUS, but the SCRAM message does not include channel binding data.');
        commaAfterFlag();
        break;
      case 'y':
        if (this.plus) malformed(step, 'The client selected SCRAM-SHA-256-PLUS, but the SCRAM message does not include channel binding data.');
        if (this.opts.tlsAvailable) {
          // Downgrade protection: the client could have used -PLUS but was led to believe we cannot.
          throw new ScramError(step, 'SCRAM channel binding negotiation error', {
            sqlstate: INVALID_AUTHORIZATION_SPECIFICATION,
            detail: 'The client supports SCRAM channel binding but thinks the server does not.  However, this server does support channel binding.',
          });
        }
        commaAfterFlag();
        break;
      case 'p': {
        if (!this.plus) malformed(step, 'The client selected SCRAM-SHA-256 without channel binding, but the SCRAM message includes channel binding data.');
        const type = r.value('p');
        if (type !== 'tls-server-end-point') {
          throw new ScramError(step, `unsupported SCRAM channel-binding type "${sanitizeStr(type)}"`, { sqlstate: PROTOCOL_VIOLATION });
        }
        break;
      }
      default:
        malformed(step, `Unexpected channel-binding flag "${sanitizeChar(flag)}".`);
    }
    if (r.peek() === 'a') {
      throw new ScramError(step, 'client uses authorization identity, but it is not supported', { sqlstate: FEATURE_NOT_SUPPORTED });
    }
    if (r.peek() !== ',') malformed(step, `Unexpected attribute "${sanitizeChar(r.peek())}" in client-first-message.`);
    r.pos++;
    this.clientFirstBare = r.rest();
    if (r.peek() === 'm') throw new ScramError(step, 'client requires an unsupported SCRAM extension', { sqlstate: FEATURE_NOT_SUPPORTED });
    r.value('n'); // ignored: the startup packet's user is the one that counts
    this.clientNonce = r.value('r');
    if (!isScramPrintable(this.clientNonce)) {
      throw new ScramError(step, 'non-printable characters in SCRAM nonce', { sqlstate: PROTOCOL_VIOLATION });
    }
    while (!r.atEnd) r.any(); // extensions are parsed and ignored
    const { salt, iterations } = this.opts.secret;
    this.serverFirst = `r=${this.clientNonce}${this.serverNonce},s=${salt.toString('base64')},i=${iterations}`;
    this.state = 'sent-first';
    return this.serverFirst;
  }

  handleClientFinal(clientFinal: string): { ok: true; serverFinal: string } | { ok: false; reason: string } {
    const step = 'client-final';
    if (this.state !== 'sent-first') throw new ScramError(step, 'client-final-message received out of order', { sqlstate: PROTOCOL_VIOLATION });
    this.state = 'done';
    checkMessageShape(step, clientFinal);
    const r = new AttrReader(clientFinal, FAILURES[step]);
    const c = r.value('c');
    if (this.plus) {
      const header = Buffer.from('p=tls-server-end-point,,', 'ascii');
      const expected = Buffer.concat([header, this.opts.channelBindingData!]).toString('base64');
      if (!constantTimeEqual(Buffer.from(c), Buffer.from(expected))) {
        throw new ScramError(step, 'SCRAM channel binding check failed', { sqlstate: INVALID_AUTHORIZATION_SPECIFICATION });
      }
    } else if (!((c === 'biws' && this.cbindFlag === 'n') || (c === 'eSws' && this.cbindFlag === 'y'))) {
      throw new ScramError(step, 'unexpected SCRAM channel-binding attribute in client-final-message', { sqlstate: PROTOCOL_VIOLATION });
    }
    const finalNonce = r.value('r');
    let proofStart: number;
    let proofText: string;
    for (;;) {
      proofStart = r.pos - 1;
      const { attr, value } = r.any();
      if (attr === 'p') {
        proofText = value;
        break;
      }
    }
    const proof = decodeBase64Strict(proofText);
    if (!proof || proof.length !== SCRAM_KEY_LEN) malformed(step, 'Malformed proof in client-final-message.');
    if (!r.atEnd) malformed(step, 'Garbage found at the end of client-final-message.');
    const withoutProof = clientFinal.slice(0, proofStart);

    const expectedNonce = this.clientNonce + this.serverNonce;
    if (!constantTimeEqual(Buffer.from(finalNonce), Buffer.from(expectedNonce))) {
      throw new ScramError(step, 'invalid SCRAM response', { sqlstate: PROTOCOL_VIOLATION, detail: 'Nonce does not match.' });
    }

    // The proof is computed even for a doomed exchange, so timing does not tell whether the role exists.
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const { storedKey, serverKey } = this.opts.secret;
    const clientKey = xor(proof!, hmac(storedKey, authMessage));
    const proofOk = constantTimeEqual(sha256(clientKey), storedKey);
    if (!proofOk || this.doomed) return { ok: false, reason: this.doomed ? 'no valid SCRAM secret for this role' : 'invalid proof' };
    return { ok: true, serverFinal: `v=${hmac(serverKey, authMessage).toString('base64')}` };
  }
}

/** PostgreSQL's sanitize_str: the first 30 bytes, printable ASCII kept, any other byte as '?'. */
function sanitizeStr(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8').subarray(0, 30)) out += b >= 0x21 && b <= 0x7e ? String.fromCharCode(b) : '?';
  return out;
}

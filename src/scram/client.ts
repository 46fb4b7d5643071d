/**
 * The client side of a SCRAM-SHA-256(-PLUS) exchange (RFC 5802, RFC 7677),
 * as libpq's fe-auth-scram.c and node-postgres's sasl.js do it, and as strict
 * as node-postgres: nonce prefix, base64, iteration bounds, server signature
 * in constant time. Pure: the caller moves the messages.
 */
import { randomBytes } from 'node:crypto';
import { ScramError } from './errors.js';
import { AttrReader, encodeSaslName, isScramPrintable, type AttrFailures } from './messages.js';
import {
  SCRAM_KEY_LEN,
  SCRAM_RAW_NONCE_LEN,
  clientKeyOf,
  constantTimeEqual,
  hmac,
  saltedPassword,
  serverKeyOf,
  storedKeyOf,
  xor,
} from './keys.js';
import { decodeBase64Strict } from './base64.js';

export type ChannelBinding =
  | { mode: 'none' } /* gs2 'n' */
  | { mode: 'client-supports' } /* 'y' */
  | { mode: 'tls-server-end-point'; data: Buffer } /* 'p=tls-server-end-point' */;

export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-256-PLUS';

export interface ScramClient {
  readonly mechanism: ScramMechanism;
  /** client-first-message with its GS2 header; user is '' ("n=,r=...") as libpq sends. */
  clientFirstMessage(): string;
  /** Returns the client-final-message. */
  handleServerFirst(serverFirst: string): string;
  /** Throws ScramError on e= or a bad signature (constant-time). */
  verifyServerFinal(serverFinal: string): void;
  readonly iterations: number | undefined;
}

/** Iteration counts above this are refused by default: a hostile server could otherwise make us burn CPU. */
export const DEFAULT_MAX_ITERATIONS = 10_000_000;

/** Builds the GS2 header for a channel-binding choice. */
export function gs2Header(cb: ChannelBinding): string {
  switch (cb.mode) {
    case 'none':
      return 'n,,';
    case 'client-supports':
      return 'y,,';
    case 'tls-server-end-point':
      return 'p=tls-server-end-point,,';
  }
}

/** The c= value: base64 of the GS2 header plus, with 'p', the channel-binding data. */
export function channelBindingAttr(cb: ChannelBinding): string {
  const header = Buffer.from(gs2Header(cb), 'ascii');
  const input = cb.mode === 'tls-server-end-point' ? Buffer.concat([header, cb.data]) : header;
  return input.toString('base64');
}

export function createScramClient(opts: {
  password: string;
  channelBinding: ChannelBinding;
  nonce?: string /* injectable */;
  maxIterations?: number;
  /** The n= value; '' as libpq sends (PostgreSQL ignores it). Escaped as a saslname. */
  username?: string;
  /** How SaltedPassword is derived (default: PBKDF2 each time; see memoizedSaltedPassword). */
  derive?: (password: string, salt: Buffer, iterations: number) => Buffer;
}): ScramClient {
  return new Client(opts);
}

type State = 'initial' | 'sent-first' | 'sent-final' | 'done';

const MALFORMED = { code: 'malformed-message' } as const;
const OUT_OF_ORDER = { code: 'out-of-order' } as const;

function serverFirstFailures(): AttrFailures {
  const f = (m: string): never => {
    throw new ScramError('server-first', `malformed SCRAM message (${m})`, MALFORMED);
  };
  return {
    expected: (attr) => f(`attribute "${attr}" expected`),
    equalsExpected: (attr) => f(`expected character "=" for attribute "${attr}"`),
    anyAttrAtEnd: () => f('attribute expected, but found end of string'),
    anyAttrInvalid: (found) => f(`attribute expected, but found invalid character "${found}"`),
  };
}

function serverFinalFailures(): AttrFailures {
  const f = (m: string): never => {
    throw new ScramError('server-final', `malformed SCRAM message (${m})`, MALFORMED);
  };
  return {
    expected: (attr) => f(`attribute "${attr}" expected`),
    equalsExpected: (attr) => f(`expected character "=" for attribute "${attr}"`),
    anyAttrAtEnd: () => f('attribute expected, but found end of string'),
    anyAttrInvalid: (found) => f(`attribute expected, but found invalid character "${found}"`),
  };
}

function checkMessageShape(step: 'server-first' | 'server-final', msg: string): void {
  if (typeof msg !== 'string' || msg.length === 0) throw new ScramError(step, 'malformed SCRAM message (empty message)', MALFORMED);
  if (msg.includes('\0')) throw new ScramError(step, 'malformed SCRAM message (length mismatch)', MALFORMED);
}

class Client implements ScramClient {
  readonly mechanism: ScramMechanism;
  iterations: number | undefined;
  private state: State = 'initial';
  private readonly clientNonce: string;
  private readonly maxIterations: number;
  private clientFirstBare = '';
  private serverSignature: Buffer | undefined;

  constructor(private readonly opts: Parameters<typeof createScramClient>[0]) {
    this.mechanism = opts.channelBinding.mode === 'tls-server-end-point' ? 'SCRAM-SHA-256-PLUS' : 'SCRAM-SHA-256';
    this.clientNonce = opts.nonce ?? randomBytes(SCRAM_RAW_NONCE_LEN).toString('base64');
    if (this.clientNonce.length === 0 || !isScramPrintable(this.clientNonce)) {
      throw new ScramError('client-first', 'the client nonce must be non-empty printable ASCII without ","', { code: 'invalid-option' });
    }
    this.maxIterations = opts.maxIterations ?? DEFAULT_MAX_ITERATIONS;
    if (opts.channelBinding.mode === 'tls-server-end-point' && opts.channelBinding.data.length === 0) {
      throw new ScramError('client-first', 'channel binding data is empty', { code: 'invalid-option' });
    }
  }

  clientFirstMessage(): string {
    if (this.state !== 'initial') throw new ScramError('client-first', 'client-first-message was already sent', OUT_OF_ORDER);
    this.clientFirstBare = `n=${encodeSaslName(this.opts.username ?? '')},r=${this.clientNonce}`;
    this.state = 'sent-first';
    return gs2Header(this.opts.channelBinding) + this.clientFirstBare;
  }

  handleServerFirst(serverFirst: string): string {
    if (this.state !== 'sent-first') throw new ScramError('server-first', 'server-first-message received out of order', OUT_OF_ORDER);
    checkMessageShape('server-first', serverFirst);
    const r = new AttrReader(serverFirst, serverFirstFailures());
    if (r.peek() === 'm') throw new ScramError('server-first', 'malformed SCRAM message (the server requires an unsupported SCRAM extension)', MALFORMED);
    const nonce = r.value('r');
    if (!isScramPrintable(nonce)) throw new ScramError('server-first', 'malformed SCRAM message (non-printable characters in nonce)', MALFORMED);
    if (!nonce.startsWith(this.clientNonce)) throw new ScramError('server-first', 'invalid SCRAM response (nonce mismatch)', { code: 'nonce-mismatch' });
    if (nonce.length === this.clientNonce.length) {
      throw new ScramError('server-first', 'invalid SCRAM response (the server nonce adds nothing to the client nonce)', { code: 'nonce-mismatch' });
    }
    const saltText = r.value('s');
    const salt = decodeBase64Strict(saltText);
    if (!salt) throw new ScramError('server-first', 'malformed SCRAM message (invalid salt)', MALFORMED);
    const iterText = r.value('i');
    if (!/^[0-9]+$/.test(iterText) || Number(iterText) < 1) {
      throw new ScramError('server-first', 'malformed SCRAM message (invalid iteration count)', MALFORMED);
    }
    const iterations = Number(iterText);
    if (iterations > this.maxIterations) {
      throw new ScramError('server-first', `the server asks for ${iterText} SCRAM iterations, more than the limit of ${this.maxIterations}`, {
        code: 'iteration-limit',
      });
    }
    // RFC 5802 allows extensions after the iteration count; they must be well formed.
    while (!r.atEnd) r.any();
    if (r.trailingComma) r.any();
    this.iterations = iterations;

    const salted = (this.opts.derive ?? saltedPassword)(this.opts.password, salt, iterations);
    const clientKey = clientKeyOf(salted);
    const storedKey = storedKeyOf(clientKey);
    const serverKey = serverKeyOf(salted);
    const withoutProof = `c=${channelBindingAttr(this.opts.channelBinding)},r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const proof = xor(clientKey, hmac(storedKey, authMessage));
    this.serverSignature = hmac(serverKey, authMessage);
    this.state = 'sent-final';
    return `${withoutProof},p=${proof.toString('base64')}`;
  }

  verifyServerFinal(serverFinal: string): void {
    if (this.state !== 'sent-final' || !this.serverSignature) {
      throw new ScramError('server-final', 'server-final-message received before the exchange was completed', OUT_OF_ORDER);
    }
    checkMessageShape('server-final', serverFinal);
    const r = new AttrReader(serverFinal, serverFinalFailures());
    if (r.peek() === 'e') {
      const e = r.value('e');
      throw new ScramError('server-final', `error received from server in SCRAM exchange: ${e}`, { code: 'server-error' });
    }
    const v = r.value('v');
    while (!r.atEnd) r.any();
    if (r.trailingComma) r.any();
    const signature = decodeBase64Strict(v);
    if (!signature || signature.length !== SCRAM_KEY_LEN) {
      throw new ScramError('server-final', 'malformed SCRAM message (invalid server signature)', { code: 'invalid-server-signature' });
    }
    if (!constantTimeEqual(signature, this.serverSignature)) throw new ScramError('server-final', 'incorrect server signature', { code: 'server-signature-mismatch' });
    this.state = 'done';
  }
}

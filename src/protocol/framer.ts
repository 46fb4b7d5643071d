/**
 * Cuts a byte stream into messages, whatever the chunking. Two shapes:
 * startup-type packets (Int32 length, no type byte; at the start of a
 * frontend stream and after SSLRequest/GSSENCRequest), and regular messages
 * (Byte1 type, Int32 length). The length counts itself. Lengths under 4,
 * over the cap, or a startup body over MAX_STARTUP_PACKET_LENGTH are
 * ProtocolErrors: the framer never buffers an absurd message.
 */
import { MAX_STARTUP_PACKET_LENGTH } from './limits.js';
import { ProtocolError } from './errors.js';

export interface Frame {
  /** The type byte, or null for a startup-type packet. */
  code: number | null;
  /** The bytes after the length word. */
  body: Buffer;
}

export interface FramerOptions {
  /** Read startup-type packets first (a server reading a client). Default false. */
  startup?: boolean;
  /** Largest accepted regular message, length word included. Default 1 MiB. */
  maxMessageLength?: number;
}

export const DEFAULT_MAX_MESSAGE_LENGTH = 1 << 20;

export class Framer {
  /** Expect a startup-type packet next. The reader flips this as the conversation moves on. */
  startup: boolean;
  /** Largest regular message accepted, length word included; may be changed between messages. */
  maxMessageLength: number;
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(opts: FramerOptions = {}) {
    this.startup = opts.startup ?? false;
    this.maxMessageLength = opts.maxMessageLength ?? DEFAULT_MAX_MESSAGE_LENGTH;
  }

  /** Bytes received and not yet returned as frames. */
  get buffered(): number {
    return this.size;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /** Drops whatever is buffered (after a fatal error). */
  clear(): void {
    this.chunks = [];
    this.size = 0;
  }

  /** The first byte buffered, without consuming it (direct TLS starts with 0x16). */
  peekByte(): number | undefined {
    return this.chunks[0]?.[0];
  }

  /** Returns the next complete frame, or null when more bytes are needed. Throws ProtocolError on a bad length. */
  next(): Frame | null {
    const headerLen = this.startup ? 4 : 5;
    if (this.size < headerLen) return null;
    const header = this.peek(headerLen);
    const code = this.startup ? null : header[0]!;
    const length = header.readInt32BE(this.startup ? 0 : 1);
    if (this.startup) {
      // PostgreSQL: body (length minus the length word) must be 4..MAX_STARTUP_PACKET_LENGTH.
      const body = length - 4;
      if (length < 4 || body < 4 || body > MAX_STARTUP_PACKET_LENGTH) {
        throw new ProtocolError(`invalid length of startup packet (${length})`);
      }
    } else if (length < 4 || length > this.maxMessageLength) {
      throw new ProtocolError(`invalid message length ${length} for message type "${String.fromCharCode(code!)}"`);
    }
    const total = length + (this.startup ? 0 : 1);
    if (this.size < total) return null;
    const bytes = this.take(total);
    return { code, body: bytes.subarray(headerLen) };
  }

  /**
   * The first n bytes (n <= buffered). Only the chunks that hold them are
   * touched: a client that sends one byte per packet leaves thousands of
   * one-byte chunks, and looking at all of them on every call was quadratic
   * (a 20 KB message sent byte by byte blocked the event loop for seconds).
   */
  private peek(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) return first;
    return Buffer.concat(this.firstChunks(n), n);
  }

  /** Removes and returns the first n bytes (n <= buffered), joining only the chunks that hold them. */
  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      const parts = this.firstChunks(n);
      const joined = Buffer.concat(parts);
      out = joined.subarray(0, n);
      this.chunks.splice(0, parts.length, ...(joined.length > n ? [joined.subarray(n)] : []));
    }
    this.size -= n;
    return out;
  }

  /** The shortest run of leading chunks that holds n bytes. */
  private firstChunks(n: number): Buffer[] {
    const parts: Buffer[] = [];
    let got = 0;
    for (const c of this.chunks) {
      parts.push(c);
      got += c.length;
      if (got >= n) break;
    }
    return parts;
  }
}

/**
 * A bounds-checked reader and a chainable writer. The Int32 length rule of
 * the protocol (the length counts itself, not the type byte) lives only in
 * Writer.end(), which back-patches it.
 */
import { ProtocolError } from './errors.js';

/** Reads a message body; every read past the end is a ProtocolError naming `what`. */
export class Reader {
  private off = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly what: string,
  ) {}

  get remaining(): number {
    return this.buf.length - this.off;
  }

  private need(n: number): void {
    if (n < 0 || this.off + n > this.buf.length) {
      throw new ProtocolError(`${this.what}: message too short (need ${n} more bytes at offset ${this.off}, have ${this.buf.length - this.off})`);
    }
  }

  byte(): number {
    this.need(1);
    return this.buf[this.off++]!;
  }

  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.off);
    this.off += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.off);
    this.off += 4;
    return v;
  }

  uint32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.off);
    this.off += 4;
    return v;
  }

  bytes(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return v;
  }

  /** A NUL-terminated string (UTF-8). */
  cstring(): string {
    const end = this.buf.indexOf(0, this.off);
    if (end < 0) throw new ProtocolError(`${this.what}: string not terminated by NUL`);
    const v = this.buf.toString('utf8', this.off, end);
    this.off = end + 1;
    return v;
  }

  /** `count` items read by `item`, for a count the message just gave; a negative count is a layout error. */
  list<T>(count: number, noun: string, item: () => T): T[] {
    if (count < 0) throw new ProtocolError(`${this.what}: negative ${noun} count`);
    const items: T[] = [];
    for (let i = 0; i < count; i++) items.push(item());
    return items;
  }

  /** An Int32 length and that many bytes (a copy); length -1 is NULL, below -1 a layout error. */
  nullableBytes(invalid: (length: number) => string): Buffer | null {
    const length = this.int32();
    if (length < -1) throw new ProtocolError(`${this.what}: ${invalid(length)}`);
    return length === -1 ? null : Buffer.from(this.bytes(length));
  }

  /** A body that must be empty (the message has no fields). */
  empty(): void {
    if (this.buf.length !== 0) throw new ProtocolError(`${this.what}: expected an empty body, got ${this.buf.length} bytes`);
  }

  /** Everything left. */
  rest(): Buffer {
    const v = this.buf.subarray(this.off);
    this.off = this.buf.length;
    return v;
  }

  /** The message must end here: trailing bytes are a layout error. */
  end(): void {
    if (this.off !== this.buf.length) {
      throw new ProtocolError(`${this.what}: ${this.buf.length - this.off} unexpected bytes at the end of the message`);
    }
  }
}

/**
 * Builds one message. `message(code)` starts a typed message, `packet()` a
 * startup-type packet (no type byte); `end()` writes the length and returns
 * the bytes. Several messages may be built in one writer with `end()` each
 * time, collected by `flush()`.
 */
export class Writer {
  private buf: Buffer;
  private off = 0;
  private lengthAt = -1;
  /** Where the current message began (its type byte, or its length word for a packet). */
  private startedAt = -1;

  constructor(size = 256) {
    this.buf = Buffer.allocUnsafe(size);
  }

  private ensure(n: number): void {
    if (this.off + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.off + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.off);
    this.buf = next;
  }

  /** Starts a message with a type byte (a number or a one-character string). */
  message(code: number | string): this {
    if (this.lengthAt >= 0) throw new Error('Writer: previous message not ended');
    this.startedAt = this.off;
    this.byte(typeof code === 'string' ? code.charCodeAt(0) : code);
    this.lengthAt = this.off;
    return this.int32(0);
  }

  /** Starts a startup-type packet: a length word and no type byte. */
  packet(): this {
    if (this.lengthAt >= 0) throw new Error('Writer: previous message not ended');
    this.startedAt = this.off;
    this.lengthAt = this.off;
    return this.int32(0);
  }

  /**
   * Drops the message being written, as if it had never been started. An
   * encoder that throws half-way (a string with a NUL, a count out of range)
   * must not leave a half message behind in a writer that is used again.
   */
  abandonMessage(): this {
    if (this.lengthAt >= 0) {
      this.off = this.startedAt;
      this.lengthAt = -1;
      this.startedAt = -1;
    }
    return this;
  }

  /**
   * Writes one whole message with `write`, or nothing: if it throws, the
   * message it started is dropped (the server shares one writer).
   */
  whole(write: (w: this) => this): this {
    try {
      return write(this);
    } catch (e) {
      this.abandonMessage();
      throw e;
    }
  }

  byte(v: number): this {
    this.ensure(1);
    this.buf[this.off++] = v & 0xff;
    return this;
  }

  int16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.off);
    this.off += 2;
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    if (v > 0x7fffffff) this.buf.writeUInt32BE(v, this.off);
    else this.buf.writeInt32BE(v, this.off);
    this.off += 4;
    return this;
  }

  bytes(v: Uint8Array): this {
    this.ensure(v.length);
    this.buf.set(v, this.off);
    this.off += v.length;
    return this;
  }

  /** A string followed by NUL. A NUL inside would change the layout, so it is refused. */
  cstring(v: string): this {
    if (v.includes('\0')) throw new Error('Writer: string contains a NUL byte');
    const n = Buffer.byteLength(v);
    this.ensure(n + 1);
    this.buf.write(v, this.off, 'utf8');
    this.off += n;
    this.buf[this.off++] = 0;
    return this;
  }

  /** Back-patches the current message's length (which counts itself, not the type byte). */
  endMessage(): this {
    if (this.lengthAt < 0) throw new Error('Writer: no message started');
    this.buf.writeInt32BE(this.off - this.lengthAt, this.lengthAt);
    this.lengthAt = -1;
    this.startedAt = -1;
    return this;
  }

  /** Ends the current message and returns everything written (a copy), resetting the writer. */
  end(): Buffer {
    if (this.lengthAt >= 0) this.endMessage();
    const out = Buffer.from(this.buf.subarray(0, this.off));
    this.off = 0;
    return out;
  }
}

/**
 * A raw protocol client for robustness tests: writes bytes, reads the
 * server's answers (one-byte SSL answers, then messages) or the close.
 */
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { Framer, parseBackend, serializeFrontend, type BackendMessage, type FrontendMessage } from '../../src/protocol/index.js';

export type Event = BackendMessage | { type: 'close' } | { type: 'byte'; value: string };

export class RawClient {
  private framer = new Framer();
  private queue: Event[] = [];
  private waiters: Array<() => void> = [];
  /** Expect a one-byte answer (to SSLRequest/GSSENCRequest) next. */
  private byteAnswers = 0;
  closed = false;
  /** Every chunk received, as it came (for byte-for-byte comparisons). */
  readonly received: Buffer[] = [];

  constructor(public socket: Socket | TLSSocket) {
    socket.on('data', (d: Buffer) => {
      this.received.push(d);
      this.onData(d);
    });
    socket.on('close', () => {
      this.closed = true;
      this.push({ type: 'close' });
    });
    socket.on('error', () => undefined);
  }

  static async connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    const s = connect(port, host);
    await new Promise<void>((resolve, reject) => {
      s.once('connect', resolve);
      s.once('error', reject);
    });
    return new RawClient(s);
  }

  static async connectPath(path: string): Promise<RawClient> {
    const s = connect(path);
    await new Promise<void>((resolve, reject) => {
      s.once('connect', resolve);
      s.once('error', reject);
    });
    return new RawClient(s);
  }

  /** Direct TLS (PostgreSQL 17 style) with the given ALPN list. */
  static async connectDirectTls(port: number, alpn: string[] | undefined): Promise<RawClient> {
    const s = tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false, ...(alpn ? { ALPNProtocols: alpn } : {}) });
    const c = new RawClient(s);
    await new Promise<void>((resolve, reject) => {
      s.once('secureConnect', resolve);
      s.once('error', reject);
      s.once('close', () => reject(new Error('closed during handshake')));
    });
    return c;
  }

  private onData(d: Buffer): void {
    let buf = d;
    while (this.byteAnswers > 0 && buf.length > 0) {
      this.byteAnswers--;
      this.push({ type: 'byte', value: String.fromCharCode(buf[0]!) });
      buf = buf.subarray(1);
    }
    this.framer.push(buf);
    for (let f = this.framer.next(); f; f = this.framer.next()) this.push(parseBackend(f.code!, f.body));
  }

  private push(e: Event): void {
    this.queue.push(e);
    for (const w of this.waiters.splice(0)) w();
  }

  expectByte(): void {
    this.byteAnswers++;
  }

  write(data: Buffer | FrontendMessage): void {
    this.socket.write(Buffer.isBuffer(data) ? data : serializeFrontend(data));
  }

  startup(user: string, extra: Array<[string, string]> = [], minor = 0): void {
    this.write({ type: 'StartupMessage', major: 3, minor, parameters: [['user', user], ...extra] });
  }

  /** The next event, or throws after timeoutMs. */
  async next(timeoutMs = 10_000): Promise<Event> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for the server');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.queue.shift()!;
  }

  /** Reads until an event of `type` (returned) or the close (throws with what came). */
  async until<T extends Event['type']>(type: T, timeoutMs = 10_000): Promise<Extract<Event, { type: T }>> {
    const seen: string[] = [];
    for (;;) {
      const e = await this.next(timeoutMs);
      if (e.type === type) return e as Extract<Event, { type: T }>;
      seen.push(e.type);
      if (e.type === 'close') throw new Error(`closed before ${type}; saw ${seen.join(', ')}`);
    }
  }

  /** Everything until the connection closes. */
  async drain(timeoutMs = 10_000): Promise<Event[]> {
    const out: Event[] = [];
    for (;;) {
      const e = await this.next(timeoutMs);
      out.push(e);
      if (e.type === 'close') return out;
    }
  }

  end(): void {
    this.socket.destroy();
  }
}

export const errorOf = (events: Event[]) => events.find((e): e is Extract<BackendMessage, { type: 'ErrorResponse' }> => e.type === 'ErrorResponse');

/**
 * Sends `data` on a fresh connection and returns every byte the server sent
 * until it closed or `readies` ReadyForQuery(I) came (the first ends the login): for byte-for-byte
 * comparisons with what a real PostgreSQL sends.
 */
export async function exchangeBytes(port: number, data: Buffer, readies = 1, timeoutMs = 10_000): Promise<Buffer> {
  const s = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  const readyForQuery = Buffer.from([0x5a, 0, 0, 0, 5, 0x49]);
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out; got ${Buffer.concat(chunks).toString('hex')}`)), timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve(Buffer.concat(chunks));
      };
      s.on('connect', () => s.write(data));
      s.on('data', (d: Buffer) => {
        chunks.push(d);
        const all = Buffer.concat(chunks);
        let n = 0;
        for (let i = all.indexOf(readyForQuery); i >= 0; i = all.indexOf(readyForQuery, i + 1)) n++;
        if (n >= readies && all.subarray(-6).equals(readyForQuery)) done();
      });
      s.on('close', done);
      s.on('error', () => undefined);
    });
  } finally {
    s.destroy();
  }
}

/** Splits the bytes of a login into messages (type letter and the whole message's bytes). */
export function splitMessages(bytes: Buffer): Array<{ type: string; bytes: Buffer }> {
  const out: Array<{ type: string; bytes: Buffer }> = [];
  for (let i = 0; i < bytes.length; ) {
    const len = bytes.readInt32BE(i + 1);
    out.push({ type: String.fromCharCode(bytes[i]!), bytes: bytes.subarray(i, i + 1 + len) });
    i += 1 + len;
  }
  return out;
}

/**
 * The probe's only socket code: TCP or Unix-socket connect, the SSLRequest
 * byte, the TLS upgrade (or PostgreSQL 17's direct TLS with ALPN), and a
 * message reader over whichever socket is current. Name resolution goes
 * through an injectable function so tests never query DNS.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { ALPN_POSTGRESQL, Framer, parseBackend, ProtocolError, type BackendMessage } from '../protocol/index.js';

/** Resolves a host name to addresses, in order (like getaddrinfo). */
export type LookupFunction = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

export const defaultLookup: LookupFunction = async (hostname) => {
  const { lookup } = await import('node:dns/promises');
  return lookup(hostname, { all: true, verbatim: true });
};

/**
 * `dir/.s.PGSQL.port`; a directory written `@name` is Linux's abstract
 * namespace, whose socket path starts with a NUL byte (libpq, PostgreSQL 14+).
 */
export function unixSocketPath(dir: string, port: number): string {
  const path = join(dir, `.s.PGSQL.${port}`);
  return dir.startsWith('@') ? `\0${path.slice(1)}` : path;
}

/** libpq's words when the server hangs up without an ErrorResponse. */
export const CLOSED_UNEXPECTEDLY =
  'server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally\n\tbefore or while processing the request.';

/** A failure below the protocol: its diagnosis code and libpq-like text. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    readonly code: 'connection-refused' | 'timeout' | 'dns-failure' | 'closed' | 'tls' | 'not-postgres' | 'protocol-error',
    message: string,
    /** The OS/OpenSSL error code (ECONNREFUSED, ERR_SSL_..., ENOTFOUND). */
    readonly sysCode?: string,
  ) {
    super(message);
  }
}

/** Largest backend message the probe accepts during login (bounded input). */
export const MAX_BACKEND_MESSAGE = 256 * 1024;

/** Resolve a TCP host: IP literals and hostaddr skip the resolver. */
export async function resolveHost(host: string, lookup: LookupFunction): Promise<Array<{ address: string; family: number }>> {
  const fam = isIP(host);
  if (fam) return [{ address: host, family: fam }];
  try {
    const list = await lookup(host);
    if (list.length === 0) throw Object.assign(new Error('no addresses'), { code: 'ENOTFOUND' });
    return list;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOTFOUND' ? 'Name or service not known' : e.code === 'EAI_AGAIN' ? 'Temporary failure in name resolution' : e.message;
    throw new TransportError('dns-failure', `could not translate host name "${host}" to address: ${why}`, e.code);
  }
}

export interface TlsInfo {
  version: string | null;
  cipher: string | null;
  alpn: string | null;
  subject: string | null;
  issuer: string | null;
  validFrom: string | null;
  validTo: string | null;
  /** The subjectAltName text as OpenSSL prints it. */
  altNames: string | null;
  /** DER of the server's certificate (for tls-server-end-point). */
  certDer: Buffer | null;
  /** Chain verification result when it was checked; null when not checked. */
  chainVerified: boolean | null;
  /** OpenSSL's reason when the chain did not verify (e.g. UNABLE_TO_GET_ISSUER_CERT_LOCALLY). */
  chainError: string | null;
  /** The client certificate we presented, if any. */
  clientCertificate: string | null;
}

export interface TlsOptions {
  /** SNI and host-name check name, or undefined for an IP literal / sslsni=0. */
  servername?: string;
  ca?: Buffer | Buffer[];
  cert?: Buffer;
  key?: Buffer;
  /** Direct TLS (sslnegotiation=direct): ALPN must come back as postgresql. */
  direct: boolean;
}

/** A certificate date as ISO text; a date OpenSSL prints that Date cannot read stays as printed (never a RangeError). */
const isoDate = (text: string | undefined): string | null => {
  if (!text) return null;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? text : d.toISOString();
};

const dnOf = (o: Record<string, string | string[]> | undefined): string | null => {
  if (!o) return null;
  const parts = Object.entries(o).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`);
  return parts.length ? parts.join(', ') : null;
};

/**
 * One connection to a server. Reads are pull-based (`readMessage`) with a
 * deadline that covers the whole attempt, like libpq's connect_timeout.
 */
export class WireConnection {
  private socket: Socket | TLSSocket;
  private raw: Buffer[] = [];
  private rawSize = 0;
  private framer = new Framer({ maxMessageLength: MAX_BACKEND_MESSAGE });
  private framed = false;
  private waiter: (() => void) | undefined;
  private failure: Error | undefined;
  private ended = false;
  private timer: NodeJS.Timeout | undefined;
  /** Local address of the TCP socket (what the server sees as the client address). */
  localAddress: string | null = null;
  /** Local port of the TCP socket: the client port the server logs (`%r`, log_connections), null on a Unix socket. */
  localPort: number | null = null;
  remoteAddress: string | null = null;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.attach(socket);
  }

  /** Opens a TCP connection or a Unix socket (`dir/.s.PGSQL.port`). */
  static async open(target: { unixDir?: string; address?: string; port: number }, deadline: number | undefined): Promise<WireConnection> {
    const socket =
      target.unixDir !== undefined
        ? netConnect({ path: unixSocketPath(target.unixDir, target.port) })
        : netConnect({ host: target.address!, port: target.port, noDelay: true });
    const conn = new WireConnection(socket);
    conn.armDeadline(deadline);
    const where =
      target.unixDir !== undefined ? `socket "${join(target.unixDir, `.s.PGSQL.${target.port}`)}"` : `${target.address}, port ${target.port}`;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        socket.off('connect', onConnect);
        conn.clearDeadline();
        socket.destroy();
        if (err instanceof TransportError) return reject(err);
        if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') {
          const hint =
            target.unixDir !== undefined
              ? 'Is the server running locally and accepting connections on that socket?'
              : 'Is the server running on that host and accepting TCP/IP connections?';
          const what = err.code === 'ENOENT' ? 'No such file or directory' : 'Connection refused';
          return reject(new TransportError('connection-refused', `${what}\n\t${hint}`, err.code));
        }
        reject(new TransportError('connection-refused', `could not connect to ${where}: ${err.message}`, err.code));
      };
      const onConnect = () => {
        socket.off('error', onError);
        resolve();
      };
      socket.once('error', onError);
      socket.once('connect', onConnect);
      conn.onTimeout = () => onError(new TransportError('timeout', 'timeout expired'));
    });
    conn.localAddress = socket.localAddress ?? null;
    conn.localPort = target.unixDir === undefined ? (socket.localPort ?? null) : null;
    conn.remoteAddress = socket.remoteAddress ?? null;
    return conn;
  }

  private onTimeout: (() => void) | undefined;

  private armDeadline(deadline: number | undefined): void {
    if (deadline === undefined) return;
    const ms = Math.max(0, deadline - Date.now());
    this.timer = setTimeout(() => {
      const err = new TransportError('timeout', 'timeout expired');
      if (this.onTimeout) this.onTimeout();
      this.fail(err);
      this.socket.destroy();
    }, ms);
    this.timer.unref?.();
  }

  private clearDeadline(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private attach(socket: Socket | TLSSocket): void {
    socket.on('data', (chunk: Buffer) => {
      if (this.framed) this.framer.push(chunk);
      else {
        this.raw.push(chunk);
        this.rawSize += chunk.length;
      }
      this.wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => this.fail(classifySocketError(err)));
  }

  private fail(err: Error): void {
    if (!this.failure) this.failure = err;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  private wait(): Promise<void> {
    return new Promise((resolve) => (this.waiter = resolve));
  }

  /** The socket corked by this tick's writes, uncorked on the next tick (or before a close). */
  private corked: Socket | TLSSocket | null = null;

  /**
   * Messages written in the same tick leave in one segment (one writev):
   * the socket is corked at the first and uncorked on the next tick.
   */
  write(buf: Buffer): void {
    const socket = this.socket;
    if (socket.destroyed) return;
    if (this.corked !== socket) {
      this.flush();
      this.corked = socket;
      socket.cork();
      process.nextTick(() => this.flush());
    }
    socket.write(buf);
  }

  /** Sends what this tick wrote (before a close, which would drop it). */
  private flush(): void {
    const corked = this.corked;
    this.corked = null;
    corked?.uncork();
  }

  /** Reads the single-byte answer to SSLRequest ('S' or 'N', or anything else from a non-PostgreSQL peer). */
  async readResponseByte(): Promise<{ byte: number; extra: number }> {
    for (;;) {
      if (this.rawSize > 0) {
        const all = Buffer.concat(this.raw, this.rawSize);
        this.raw = all.length > 1 ? [all.subarray(1)] : [];
        this.rawSize = all.length - 1;
        return { byte: all[0]!, extra: this.rawSize };
      }
      if (this.failure) throw this.failure;
      if (this.ended) throw new TransportError('closed', CLOSED_UNEXPECTEDLY);
      await this.wait();
    }
  }

  /** Switches to message framing (after the SSL negotiation, if any). */
  startFraming(): void {
    if (this.framed) return;
    this.framed = true;
    for (const c of this.raw) this.framer.push(c);
    this.raw = [];
    this.rawSize = 0;
  }

  /** The next backend message; ProtocolError for bytes that are not the protocol. */
  async readMessage(): Promise<{ code: number; message: BackendMessage; length: number }> {
    this.startFraming();
    for (;;) {
      const frame = this.framer.next();
      if (frame) {
        const code = frame.code!;
        return { code, message: parseBackend(code, Buffer.from(frame.body)), length: frame.body.length + 4 };
      }
      if (this.failure) throw this.failure;
      if (this.ended) {
        throw new TransportError('closed', CLOSED_UNEXPECTEDLY);
      }
      await this.wait();
    }
  }

  /** Peeks at the first buffered bytes (to recognise an HTTP answer). */
  peekText(n: number): string {
    const buf = this.framed ? Buffer.alloc(0) : Buffer.concat(this.raw, this.rawSize);
    return buf.subarray(0, n).toString('latin1');
  }

  /** Upgrades the connection to TLS; verification is done by the caller from the returned info. */
  async startTls(opts: TlsOptions): Promise<TlsInfo> {
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('end');
    plain.removeAllListeners('close');
    plain.removeAllListeners('error');
    plain.on('error', () => {});
    const { connect: tlsConnect } = await import('node:tls');
    const tls = tlsConnect({
      socket: plain,
      ...(opts.servername ? { servername: opts.servername } : {}),
      ...(opts.ca ? { ca: opts.ca } : {}),
      ...(opts.cert ? { cert: opts.cert } : {}),
      ...(opts.key ? { key: opts.key } : {}),
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
      ALPNProtocols: [ALPN_POSTGRESQL],
      minVersion: 'TLSv1.2',
    });
    this.socket = tls;
    this.raw = [];
    this.rawSize = 0;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        tls.off('secureConnect', onSecure);
        reject(err instanceof TransportError ? err : classifySocketError(err));
      };
      const onSecure = () => {
        tls.off('error', onError);
        resolve();
      };
      tls.once('error', onError);
      tls.once('secureConnect', onSecure);
      this.onTimeout = () => onError(new TransportError('timeout', 'timeout expired'));
      if (this.failure) onError(this.failure);
    });
    this.attach(tls);
    const cert: PeerCertificate | undefined = tls.getPeerCertificate();
    const hasCert = cert && Object.keys(cert).length > 0;
    const cipher = tls.getCipher();
    const info: TlsInfo = {
      version: tls.getProtocol() ?? null,
      cipher: cipher?.name ?? null,
      alpn: typeof tls.alpnProtocol === 'string' ? tls.alpnProtocol : null,
      subject: hasCert ? dnOf(cert.subject as unknown as Record<string, string>) : null,
      issuer: hasCert ? dnOf(cert.issuer as unknown as Record<string, string>) : null,
      validFrom: hasCert ? isoDate(cert.valid_from) : null,
      validTo: hasCert ? isoDate(cert.valid_to) : null,
      altNames: hasCert ? (cert.subjectaltname ?? null) : null,
      certDer: hasCert ? cert.raw : null,
      chainVerified: opts.ca ? tls.authorized : null,
      chainError: opts.ca && !tls.authorized ? String(tls.authorizationError ?? 'unknown') : null,
      clientCertificate: null,
    };
    const own = opts.cert ? tls.getCertificate() : null;
    if (own && 'subject' in own) info.clientCertificate = dnOf((own as PeerCertificate).subject as unknown as Record<string, string>);
    return info;
  }

  /** Direct TLS needs a TLS handshake before any byte; same as startTls on a fresh socket. */
  async startDirectTls(opts: TlsOptions): Promise<TlsInfo> {
    return this.startTls(opts);
  }

  close(): void {
    this.clearDeadline();
    this.flush();
    this.socket.destroy();
  }

  /** Polite goodbye: Terminate, then close. */
  end(terminate: Buffer): void {
    this.clearDeadline();
    if (!this.socket.destroyed) this.socket.end(terminate);
    setTimeout(() => this.socket.destroy(), 50).unref();
  }
}

/**
 * Is this a TLS-layer error? By Node's error code, never the message:
 * OpenSSL failures come as ERR_SSL_<reason> (EPROTO from older Node
 * versions), and Node's own "Client network socket disconnected before
 * secure TLS connection was established" is an ECONNRESET without a
 * syscall (a peer's reset of the TCP connection names its syscall).
 */
export function isTlsLayerError(err: NodeJS.ErrnoException): boolean {
  const code = err.code ?? '';
  return code.startsWith('ERR_SSL_') || code === 'EPROTO' || (code === 'ECONNRESET' && err.syscall === undefined);
}

/** Turns a socket/TLS error into a TransportError with libpq-like text. */
export function classifySocketError(err: NodeJS.ErrnoException): TransportError {
  if (err instanceof TransportError) return err;
  if (err instanceof ProtocolError) return new TransportError('protocol-error', err.message);
  const code = err.code ?? '';
  if (isTlsLayerError(err)) return new TransportError('tls', `SSL error: ${opensslReason(err)}`, code);
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return new TransportError('closed', CLOSED_UNEXPECTEDLY, code);
  }
  return new TransportError('closed', err.message, code);
}

/** OpenSSL's reason text, lower-case like libpq prints it (e.g. "tlsv1 alert unknown ca"). */
function opensslReason(err: NodeJS.ErrnoException & { reason?: string }): string {
  if (typeof err.reason === 'string' && err.reason) return err.reason.toLowerCase();
  const m = /error:[0-9A-F]+:[^:]*:[^:]*:([^\n]+)/i.exec(err.message);
  return (m ? m[1]! : err.message).replace(/:.*$/, '').toLowerCase();
}

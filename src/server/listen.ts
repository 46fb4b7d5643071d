/**
 * The only socket code of the server: a TCP listener (and a Unix socket
 * `.s.PGSQL.<port>` in --socket-dir), TLS after SSLRequest by wrapping the
 * socket in a tls.TLSSocket, and PostgreSQL 17's direct TLS (first byte
 * 0x16, ALPN "postgresql" required). Each connection gets a Session.
 */
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import { ALPN_POSTGRESQL, serializeBackend } from '../protocol/index.js';
import { fatal } from './errors.js';
import type { PeerCertificate } from './auth/index.js';
import type { ServerContext } from './context.js';
import { attemptLine, noAttemptFacts, type TransportInfo } from './attempt.js';
import type { SessionIO } from './connection.js';
import { Session } from './session.js';

export interface ListenOptions {
  host: string;
  port: number;
  socketDir?: string;
  /** Present when TLS is offered: PEM certificate, key, and the CA for client certificates. */
  tls?: { cert: string; key: string; ca?: string };
  /** TLS handshakes that take longer are abandoned. */
  handshakeTimeoutMs: number;
}

export interface Listener {
  host: string;
  port: number;
  socketPath: string | null;
  /** Open sessions (for shutdown). */
  readonly sessions: Set<Session>;
  /** Stop accepting, send FATAL 57P01 to every session, wait for them to close. */
  shutdown(): Promise<void>;
}

/** The client certificate as PostgreSQL sees it: verified against the CA, CN, RFC 2253 DN. */
function peerCertificateOf(t: TLSSocket): PeerCertificate | null {
  const x = t.getPeerX509Certificate();
  if (!x) return null;
  const rdns = x.subject.split('\n').filter((l) => l !== '');
  const cnLine = rdns.find((l) => l.startsWith('CN='));
  return { verified: t.authorized, cn: cnLine?.slice(3), dn: [...rdns].reverse().join(',') };
}

/**
 * TLS upgrades go through one tls.Server that never listens: node computes
 * `authorized` (client certificate verified against the CA) only for sockets
 * a tls.Server wraps. Each upgraded connection is matched back to its
 * session by the peer's address and port, unique per TCP connection.
 */
class TlsUpgrader {
  private readonly server: TlsServer;
  private readonly pending = new Map<string, (t: TLSSocket | null, err?: Error) => void>();

  constructor(tls: NonNullable<ListenOptions['tls']>, handshakeTimeoutMs: number) {
    this.server = createTlsServer({
      cert: tls.cert,
      key: tls.key,
      ...(tls.ca ? { ca: tls.ca, requestCert: true } : { requestCert: false }),
      rejectUnauthorized: false,
      ALPNProtocols: [ALPN_POSTGRESQL],
      minVersion: 'TLSv1.2',
      handshakeTimeout: handshakeTimeoutMs,
    });
    this.server.on('secureConnection', (t: TLSSocket) => this.settle(t, t));
    this.server.on('tlsClientError', (err: Error, t: TLSSocket) => {
      this.settle(t, null, err);
      t.destroy();
    });
  }

  private static key(s: { remoteAddress?: string | undefined; remotePort?: number | undefined }): string {
    return `${s.remoteAddress}|${s.remotePort}`;
  }

  private settle(from: TLSSocket, t: TLSSocket | null, err?: Error): void {
    const k = TlsUpgrader.key(from);
    const done = this.pending.get(k);
    this.pending.delete(k);
    if (done) done(t, err);
    else from.destroy();
  }

  upgrade(raw: Socket, done: (t: TLSSocket | null, err?: Error) => void): void {
    this.pending.set(TlsUpgrader.key(raw), done);
    this.server.emit('connection', raw);
  }

  forget(raw: Socket): void {
    this.pending.delete(TlsUpgrader.key(raw));
  }
}

/**
 * PostgreSQL's postmaster refuses before reading a byte once it has about
 * twice max_connections children (MaxLivePostmasterChildren): connections
 * still starting up count too, so clients that never send a startup packet
 * cannot take every file descriptor before --auth-timeout.
 */
function refuseTooManyClients(ctx: ServerContext, raw: Socket, transport: TransportInfo, open: number): void {
  const message = 'sorry, too many clients already';
  raw.end(serializeBackend({ type: 'ErrorResponse', fields: fatal('53300', message).fields() }));
  const detail = `${open} connections open, most of them not yet authenticated`;
  ctx.log(attemptLine(transport, noAttemptFacts(), { tls: false, result: 'rejected', sqlstate: '53300', message, detail, ms: 0 }));
}

function handleConnection(ctx: ServerContext, upgrader: TlsUpgrader | null, sessions: Set<Session>, raw: Socket, transport: TransportInfo): void {
  raw.on('error', () => {
    /* reported through 'close' */
  });
  if (sessions.size >= 2 * ctx.settings.maxConnections) {
    refuseTooManyClients(ctx, raw, transport, sessions.size);
    return;
  }
  new ClientSocket(ctx, upgrader, sessions, raw, transport);
}

/** One client's socket: plain, then perhaps TLS (after SSLRequest, or direct), feeding its Session. */
class ClientSocket {
  private sock: Socket;
  private closeTimer: NodeJS.Timeout | undefined;
  private seenBytes = false;
  private readonly session: Session;
  private readonly onRawData = (chunk: Buffer) => this.rawData(chunk);

  constructor(
    ctx: ServerContext,
    private readonly upgrader: TlsUpgrader | null,
    private readonly sessions: Set<Session>,
    private readonly raw: Socket,
    private readonly transport: TransportInfo,
  ) {
    this.sock = raw;
    this.session = new Session(ctx, this.io(), transport);
    sessions.add(this.session);
    raw.on('data', this.onRawData);
    raw.on('close', () => {
      upgrader?.forget(raw);
      this.socketClosed();
    });
  }

  private io(): SessionIO {
    return {
      write: (data) => {
        const sock = this.sock;
        if (sock.destroyed) return;
        // Backpressure: a client that does not read its answers stops being read.
        if (!sock.write(data) && !sock.isPaused()) {
          sock.pause();
          sock.once('drain', () => sock.resume());
        }
      },
      startTls: () => this.upgrade(false),
      close: (immediate) => {
        const sock = this.sock;
        if (sock.destroyed) return;
        if (immediate && sock.writableLength === 0) {
          // The client said Terminate and everything we wrote has gone to the kernel.
          sock.destroy();
          return;
        }
        sock.end();
        // A peer that never closes its side is cut off shortly after.
        this.closeTimer = setTimeout(() => sock.destroy(), 2000);
        this.closeTimer.unref();
      },
    };
  }

  private rawData(chunk: Buffer): void {
    if (!this.seenBytes) {
      this.seenBytes = true;
      if (chunk[0] === 0x16 && this.upgrader && this.transport.transport === 'tcp') {
        // A TLS ClientHello where a length word should be: PostgreSQL 17's direct TLS.
        this.raw.removeListener('data', this.onRawData);
        this.raw.pause();
        this.raw.unshift(chunk);
        this.session.directTls();
        this.upgrade(true);
        return;
      }
    }
    this.session.receive(chunk);
  }

  private upgrade(direct: boolean): void {
    this.raw.removeListener('data', this.onRawData);
    this.upgrader!.upgrade(this.raw, (t, err) => {
      if (!t) {
        this.session.closed(`TLS handshake failed: ${err?.message ?? 'unknown error'}`);
        this.sessions.delete(this.session);
        return;
      }
      this.sock = t;
      this.tlsEstablished(t, direct);
    });
  }

  private tlsEstablished(t: TLSSocket, direct: boolean): void {
    const session = this.session;
    if (direct && t.alpnProtocol !== ALPN_POSTGRESQL) {
      // PostgreSQL: "received direct SSL connection request without ALPN protocol negotiation extension".
      session.closed('direct TLS connection without ALPN "postgresql"');
      t.destroy();
      return;
    }
    const peer = peerCertificateOf(t);
    if (peer && !peer.verified) {
      // PostgreSQL fails the handshake when a presented client certificate does not verify.
      session.closed(`could not accept SSL connection: certificate verify failed: ${String(t.authorizationError ?? 'unknown')}`);
      t.destroy();
      return;
    }
    t.on('data', (chunk: Buffer) => session.receive(chunk));
    t.on('error', () => {
      /* reported through 'close' */
    });
    t.on('close', () => this.socketClosed());
    session.tlsEstablished({ peerCertificate: peer });
  }

  private socketClosed(): void {
    if (this.closeTimer) clearTimeout(this.closeTimer);
    this.session.closed();
    this.sessions.delete(this.session);
  }
}

function listenOn(server: Server, target: { port: number; host: string } | { path: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = () => {
      server.removeListener('error', reject);
      resolve();
    };
    if ('path' in target) server.listen(target.path, done);
    else server.listen(target.port, target.host, done);
  });
}

/**
 * A socket file left by a previous run is removed; one a live server still
 * answers on (a PostgreSQL listening only on its Unix socket, say) is not
 * stolen: that is EADDRINUSE, as PostgreSQL's socket lock file makes it.
 */
async function removeStaleSocket(path: string): Promise<void> {
  if (!existsSync(path)) return;
  const live = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (live) {
    throw Object.assign(new Error(`listen EADDRINUSE: another server is listening on ${path}`), { code: 'EADDRINUSE', syscall: 'listen', address: path });
  }
  unlinkSync(path);
}

export async function listen(ctx: ServerContext, opts: ListenOptions): Promise<Listener> {
  const sessions = new Set<Session>();
  const upgrader = opts.tls ? new TlsUpgrader(opts.tls, opts.handshakeTimeoutMs) : null;
  const tcp = createServer({ noDelay: true }, (s) => {
    const addr = (s.remoteAddress ?? '').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
    handleConnection(ctx, upgrader, sessions, s, { transport: 'tcp', remoteAddress: addr, remotePort: s.remotePort ?? null });
  });
  await listenOn(tcp, { port: opts.port, host: opts.host });
  const addr = tcp.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;

  let unix: Server | null = null;
  let socketPath: string | null = null;
  if (opts.socketDir) {
    socketPath = join(opts.socketDir, `.s.PGSQL.${port}`);
    try {
      await removeStaleSocket(socketPath);
    } catch (e) {
      tcp.close();
      throw e;
    }
    unix = createServer((s) => handleConnection(ctx, null, sessions, s, { transport: 'unix', remoteAddress: null, remotePort: null }));
    try {
      await listenOn(unix, { path: socketPath });
    } catch (e) {
      tcp.close();
      throw e;
    }
    chmodSync(socketPath, 0o777); // unix_socket_permissions default
  }

  return {
    host: opts.host,
    port,
    socketPath,
    sessions,
    async shutdown() {
      const closing = [new Promise<void>((r) => tcp.close(() => r()))];
      if (unix) closing.push(new Promise<void>((r) => unix!.close(() => r())));
      for (const s of [...sessions]) s.shutdown();
      const deadline = Date.now() + 3000;
      while (sessions.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      await Promise.race([Promise.all(closing), new Promise((r) => setTimeout(r, 500))]);
      if (socketPath && existsSync(socketPath)) {
        try {
          unlinkSync(socketPath);
        } catch {
          /* already gone */
        }
      }
    },
  };
}

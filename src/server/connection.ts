/**
 * One client connection's plumbing, shared by the phases of its session
 * (startup.ts, authentication.ts, extended-query.ts): the framer and this
 * connection's own output buffer, the state, authentication_timeout, the
 * attempt log, closing, and the read loop that hands each frame to the
 * session. No sockets here: bytes and signals go out through SessionIO.
 */
import { Framer, ProtocolError, Writer, writeBackend, type BackendMessage } from '../protocol/index.js';
import { attemptLine, noAttemptFacts, type AttemptFacts, type TransportInfo } from './attempt.js';
import { authDeadlines, type AuthDeadlines } from './auth-deadlines.js';
import type { PeerCertificate } from './auth/index.js';
import type { AttemptLog, ServerContext } from './context.js';
import { WireError, fatal } from './errors.js';

export interface SessionIO {
  write(data: Buffer): void;
  /** Begin the TLS handshake (after 'S' went out); call tlsEstablished() when done. */
  startTls(): void;
  /** Close once written data is flushed; `immediate` when nothing is left to say (after Terminate). */
  close(immediate?: boolean): void;
}

export interface TlsState {
  peerCertificate: PeerCertificate | null;
}

export type SessionState = 'startup' | 'tls' | 'auth' | 'ready' | 'closed';

/** Bytes a client may send while the server is still deciding (PAM, --auth-delay). */
const MAX_BUFFERED_WHILE_BUSY = 256 * 1024;

/**
 * A connection's output buffer to start with: the login's answer
 * (AuthenticationOk, the ParameterStatus set, BackendKeyData, ReadyForQuery)
 * fits, and a buffer this small comes from Node's shared pool instead of a
 * 4 KiB allocation of its own per connection. It grows when a reply needs more.
 */
const OUTPUT_BUFFER_BYTES = 1024;

/** The message of whatever was thrown, for logs. */
export const describeError = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** What a frame handler's failure costs: a ProtocolError is FATAL 08P01, a wire error goes as it is, a bug is FATAL XX000. */
function fatalFor(e: unknown): { err: WireError; result?: AttemptLog['result'] } {
  if (e instanceof ProtocolError) return { err: fatal('08P01', e.message) };
  if (e instanceof WireError) return { err: e };
  // A bug must cost this connection only, never the server and its other clients.
  return { err: fatal('XX000', 'internal error in pgauth serve', { logDetail: `internal error: ${describeError(e)}` }), result: 'protocol-error' };
}

export class Connection {
  state: SessionState = 'startup';
  readonly framer = new Framer({ startup: true });
  /** This connection's output: every entry point ends with flush(), so what one handler writes goes out together. */
  private readonly out = new Writer(OUTPUT_BUFFER_BYTES);
  /** Input is not read while the server decides (PAM, --auth-delay) or a statement sleeps. */
  busy = false;
  tls: TlsState | null = null;
  /** What the attempt log says about this connection so far. */
  readonly facts: AttemptFacts = noAttemptFacts();
  private attemptLogged = false;
  private readonly startedAt = Date.now();
  /** authentication_timeout, on the one timer all connections share; null once authentication is over. */
  private deadlines: AuthDeadlines | null;
  /** Made when first asked for: most sessions never queue work that outlives them. */
  private lifetimeController: AbortController | null = null;
  private readonly cleanups: Array<() => void> = [];

  constructor(
    readonly ctx: ServerContext,
    private readonly io: SessionIO,
    readonly transport: TransportInfo,
    /** The session's handler of one frame (`code` null for a startup-type packet). */
    private readonly dispatch: (code: number | null, body: Buffer) => void,
  ) {
    this.deadlines = authDeadlines(ctx.settings.authTimeoutMs);
    this.deadlines.start(this, () => this.onTimeout());
  }

  /** Aborted when the session ends, so work queued for it (PAM, a sleep) is dropped. */
  get lifetime(): AbortSignal {
    this.lifetimeController ??= new AbortController();
    if (this.state === 'closed' && !this.lifetimeController.signal.aborted) this.lifetimeController.abort();
    return this.lifetimeController.signal;
  }

  /** Bytes from the client (plain or decrypted). */
  receive(chunk: Buffer): void {
    if (this.state === 'closed') return;
    if (this.state === 'tls') return; // the TLS layer owns the bytes now
    this.framer.push(chunk);
    if (this.busy && this.framer.buffered > MAX_BUFFERED_WHILE_BUSY) {
      // Input is not read during PAM or an auth delay; a client that floods meanwhile is cut off.
      this.busy = false;
      this.fatalClose(fatal('08P01', 'too much data sent before the server answered'));
      return;
    }
    this.resume();
  }

  /** Reads on after a pause (busy) ended, or after new bytes came. */
  resume(): void {
    this.safely(() => this.pump());
  }

  /**
   * Last line of defence: whatever escapes the handlers (a bug) drops this
   * connection only. It must never reach the socket's event handler, where
   * it would end the process and every other client's session.
   */
  safely(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.out.abandonMessage();
      this.out.end(); // whatever this session had half-written is not sent
      if (!this.attemptLogged) this.logAttempt('protocol-error', 'XX000', null, `internal error: ${describeError(e)}`);
      this.close();
    }
  }

  private pump(): void {
    while (!this.busy && (this.state === 'startup' || this.state === 'auth' || this.state === 'ready')) {
      let frame;
      try {
        frame = this.framer.next();
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        if (this.state === 'startup') {
          // PostgreSQL logs "invalid length of startup packet" and closes without a reply.
          this.logAttempt('protocol-error', '08P01', null, e.message);
          this.close();
        } else {
          this.fatalClose(fatal('08P01', e.message));
        }
        break;
      }
      if (!frame) break;
      try {
        this.dispatch(frame.code, frame.body);
      } catch (e) {
        this.fail(e);
        break;
      }
    }
    this.flush();
  }

  /** A handler failed: the FATAL its error calls for, then close. */
  fail(e: unknown): void {
    const { err, result } = fatalFor(e);
    this.fatalClose(err, result);
  }

  send(msg: BackendMessage): void {
    writeBackend(this.out, msg);
  }

  /** Raw bytes: the one-byte answer to SSLRequest/GSSENCRequest, a pre-3.0 error. */
  sendBytes(data: Buffer): void {
    this.out.bytes(data);
  }

  flush(): void {
    const data = this.out.end();
    if (data.length > 0 && this.state !== 'closed') this.io.write(data);
  }

  /** TLS after 'S': the TLS layer owns the bytes until tlsEstablished(). */
  startTls(): void {
    this.state = 'tls';
    this.flush();
    this.io.startTls();
  }

  get logged(): boolean {
    return this.attemptLogged;
  }

  logAttempt(result: AttemptLog['result'], sqlstate: string | null, message: string | null, detail: string | null = null): void {
    this.attemptLogged = true;
    this.ctx.log(attemptLine(this.transport, this.facts, { tls: this.tls !== null, result, sqlstate, message, detail, ms: Date.now() - this.startedAt }));
  }

  /** Something to undo when the session ends (counters, registrations), in the order registered. */
  onFinish(cleanup: () => void): void {
    this.cleanups.push(cleanup);
  }

  /** Authentication finished: authentication_timeout no longer applies. */
  stopAuthTimeout(): void {
    this.deadlines?.cancel(this);
    this.deadlines = null;
  }

  private onTimeout(): void {
    this.deadlines = null;
    if (this.state === 'ready' || this.state === 'closed') return;
    // PostgreSQL's authentication_timeout ends the backend silently.
    if (!this.attemptLogged) this.logAttempt('timeout', null, null, `authentication not finished within ${this.ctx.settings.authTimeoutMs} ms`);
    this.close();
  }

  /** The session ends: counters and registrations are undone, work queued for it is dropped. */
  finish(): void {
    if (this.state === 'closed') return;
    for (const cleanup of this.cleanups) cleanup();
    this.stopAuthTimeout();
    this.state = 'closed';
    this.framer.clear();
    this.lifetimeController?.abort();
  }

  close(): void {
    if (this.state === 'closed') return;
    this.finish();
    this.io.close();
  }

  /** Terminate: answers to messages pipelined before it still go out, as from PostgreSQL. */
  terminate(): void {
    this.flush();
    this.finish();
    this.io.close(true);
  }

  /** Sends a FATAL error, logs the attempt (if not yet), and closes. */
  fatalClose(err: WireError, result?: AttemptLog['result']): void {
    this.send({ type: 'ErrorResponse', fields: err.fields() });
    if (!this.attemptLogged) {
      const r = result ?? (err.sqlstate.startsWith('08') || err.sqlstate.startsWith('0A') ? 'protocol-error' : 'rejected');
      this.logAttempt(r, err.sqlstate, err.message, err.logDetail ?? null);
    }
    this.flush();
    this.close();
  }

  /** SIGINT/SIGTERM: FATAL 57P01 to the client, then close (postgres.c ProcessInterrupts). */
  shutdown(): void {
    if (this.state === 'closed') return;
    const message = 'terminating connection due to administrator command';
    if (this.state !== 'tls') this.send({ type: 'ErrorResponse', fields: fatal('57P01', message).fields() });
    if (!this.attemptLogged) this.logAttempt('shutdown', '57P01', message);
    this.flush();
    this.close();
  }
}

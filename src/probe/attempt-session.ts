/**
 * The live side of one attempt: its connection, its record, and the timed
 * step/trace log every step of the attempt writes to. Only the message I/O
 * lives here; each protocol step is a function over a session.
 */
import { ProtocolError, serializeFrontend, type BackendMessage, type FrontendMessage } from '../protocol/index.js';
import { clientFailure, MAX_LOGIN_NOTICES, newAttempt, type AttemptOptions, type AttemptResult, type TraceEntry } from './attempt.js';
import type { WireConnection } from './connect.js';
import { describeBackend, describeFrontend } from './trace.js';

export class AttemptSession {
  readonly result: AttemptResult;
  conn: WireConnection | undefined;
  /** Nothing has been read from the server yet (garbage then means "not PostgreSQL"). */
  firstMessage = true;
  startupSent = false;
  private mark = Date.now();

  constructor(readonly o: AttemptOptions) {
    this.result = newAttempt(o.index, o.host, o.encryption, o.address ?? null);
    this.result.diagnostic = o.discoverOnly === true;
  }

  /** `host:port`, or the socket directory. */
  get where(): string {
    return this.o.host.unix ? this.o.host.host : `${this.o.address}:${this.o.host.port}`;
  }

  /** Records a step with the milliseconds since the previous one. */
  step(name: string, detail: string, ok = true): void {
    const now = Date.now();
    this.o.steps.push({ attempt: this.o.index, step: name, ms: now - this.mark, ok, detail });
    this.mark = now;
  }

  trace(dir: TraceEntry['dir'], type: string, detail: string): void {
    this.o.trace?.push({ attempt: this.o.index, ms: Date.now() - this.o.startedAt, dir, type, detail });
  }

  send(msg: FrontendMessage, kind?: 'password' | 'md5' | 'sasl-final' | 'oauth'): void {
    // Described only when traced: a run over many targets does not pay for the text.
    if (this.o.trace) this.trace('C->S', msg.type, describeFrontend(msg, kind));
    this.conn!.write(serializeFrontend(msg));
  }

  async read(): Promise<BackendMessage> {
    try {
      const { message } = await this.conn!.readMessage();
      if (this.o.trace) this.trace('S->C', message.type, describeBackend(message));
      this.firstMessage = false;
      return message;
    } catch (err) {
      if (err instanceof ProtocolError) {
        if (this.firstMessage) throw clientFailure('not-postgres', `expected authentication request from server, but received garbage (${err.message})`);
        throw clientFailure('protocol-error', err.message);
      }
      throw err;
    }
  }

  /** Bounded input: a peer that floods notices during login is not a server to wait for. */
  keepNotice(text: string): void {
    if (this.result.notices.length >= MAX_LOGIN_NOTICES) throw clientFailure('protocol-error', `more than ${MAX_LOGIN_NOTICES} NoticeResponse messages during login`);
    this.result.notices.push(text);
  }
}

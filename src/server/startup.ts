/**
 * The startup phase (ProcessStartupPacket, backend_startup.c): SSLRequest
 * and GSSENCRequest answered with one byte, CancelRequest, and the
 * StartupMessage: the protocol version, max_connections, and the
 * pg_hba.conf decision that picks the authentication method.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-START-UP
 */
import { hbaRejectMessage } from '../hba/index.js';
import type { ConnectionFacts } from '../hba/decision.js';
import { parseStartupPacket, ProtocolError, serializePreV3ErrorResponse, STARTUP_CODES, type StartupPacket } from '../protocol/index.js';
import { cancelLogText } from './cancel.js';
import type { Connection } from './connection.js';
import { fatal, type WireError } from './errors.js';
import { CANCEL_KEY_BYTES_3_0, cancelRequestProblem, decideProtocol, unsupportedProtocolText, type ProtocolRange } from './protocol-version.js';
import { readStartupParameters } from './startup-parameters.js';

/** The one-byte answers to SSLRequest and GSSENCRequest. */
const ENCRYPTION_ANSWER = {
  /** 'S': TLS follows. */
  accept: Buffer.from('S'),
  /** 'N': go on unencrypted. */
  refuse: Buffer.from('N'),
} as const;

/** What a StartupMessage decided: who connects, and the method the hba rule chose with its options. */
export interface Login {
  facts: ConnectionFacts;
  method: string;
  options: Readonly<Record<string, string>>;
  /** Settings the StartupMessage carried, applied after authentication. */
  startupParams: Array<[string, string]>;
  /** Bytes of the secret key BackendKeyData will carry: 4 under 3.0, 32 under 3.2. */
  cancelKeyBytes: number;
}

type StartupMessage = Extract<StartupPacket, { type: 'StartupMessage' }>;

export class Startup {
  private sslDone = false;
  private gssDone = false;
  private admitted = false;

  constructor(
    private readonly conn: Connection,
    private readonly range: ProtocolRange,
    /** Authentication begins with what the StartupMessage decided. */
    private readonly authenticate: (login: Login) => void,
  ) {
    conn.onFinish(() => {
      if (this.admitted) conn.ctx.admitted--;
      this.admitted = false;
    });
  }

  /** PostgreSQL 17 direct TLS: the handshake comes first and no SSLRequest follows. */
  directTls(): void {
    this.sslDone = true;
    this.gssDone = true;
    this.conn.state = 'tls';
  }

  /** One startup-type packet (no type byte). */
  packet(body: Buffer): void {
    let packet: StartupPacket;
    try {
      packet = parseStartupPacket(body);
    } catch (e) {
      if (e instanceof ProtocolError && e.code === 'invalid-cancel-request') {
        // Log-only, as PostgreSQL: the requester never gets an answer.
        this.conn.logAttempt('protocol-error', null, null, e.message);
        this.conn.close();
        return;
      }
      throw e;
    }
    switch (packet.type) {
      case 'SSLRequest':
        return this.SSLRequest();
      case 'GSSENCRequest':
        return this.GSSENCRequest();
      case 'CancelRequest':
        return this.CancelRequest(packet);
      case 'StartupMessage':
        return this.StartupMessage(packet);
    }
  }

  private SSLRequest(): void {
    const conn = this.conn;
    if (this.sslDone) throw this.repeatedRequest(STARTUP_CODES.SSL_REQUEST);
    const tls = conn.ctx.tlsEnabled && conn.transport.transport === 'tcp';
    conn.sendBytes(tls ? ENCRYPTION_ANSWER.accept : ENCRYPTION_ANSWER.refuse);
    // PostgreSQL checks after either answer: the client must wait for it before sending more.
    this.refusePipelined('SSL request');
    this.sslDone = true;
    if (!tls) return;
    this.gssDone = true;
    conn.startTls();
  }

  private GSSENCRequest(): void {
    if (this.gssDone) throw this.repeatedRequest(STARTUP_CODES.GSSENC_REQUEST);
    this.conn.sendBytes(ENCRYPTION_ANSWER.refuse); // no GSSAPI encryption here
    this.refusePipelined('GSSAPI encryption request');
    this.gssDone = true;
  }

  /** A second SSLRequest/GSSENCRequest: PostgreSQL reads its code as a protocol version it does not speak. */
  private repeatedRequest(code: number): WireError {
    return fatal('0A000', unsupportedProtocolText(code >>> 16, code & 0xffff, this.range));
  }

  /** Never answered, whatever the outcome; only the log says what happened. */
  private CancelRequest(packet: Extract<StartupPacket, { type: 'CancelRequest' }>): void {
    const conn = this.conn;
    const problem = cancelRequestProblem(packet.secretKey.length, this.range);
    const outcome = problem ?? cancelLogText(packet.processId, conn.ctx.cancelTargets.cancel(packet.processId, packet.secretKey));
    conn.logAttempt(problem ? 'protocol-error' : 'cancel', null, null, outcome);
    conn.close();
  }

  /**
   * CVE-2021-23214: bytes that came with SSLRequest/GSSENCRequest, before the
   * answer, were not protected by the encryption the client asked for.
   */
  private refusePipelined(request: 'SSL request' | 'GSSAPI encryption request'): void {
    if (this.conn.framer.buffered === 0) return;
    throw fatal('08P01', `received unencrypted data after ${request}`, {
      detail: 'This could be either a client-software bug or evidence of an attempted man-in-the-middle attack.',
    });
  }

  /** FATAL 0A000 for a protocol the server does not speak; a client of protocol 2 or older reads it in that protocol's format. */
  private refuseProtocol(message: string, preV3: boolean): void {
    if (!preV3) throw fatal('0A000', message);
    this.conn.sendBytes(serializePreV3ErrorResponse('FATAL', message));
    this.conn.logAttempt('protocol-error', '0A000', message);
    this.conn.flush();
    this.conn.close();
  }

  private StartupMessage(msg: StartupMessage): void {
    const conn = this.conn;
    conn.framer.startup = false;
    const version = decideProtocol(msg.major, msg.minor, [], this.range);
    if (version.kind === 'refuse') {
      this.refuseProtocol(version.message, version.preV3);
      return;
    }
    const { user, database, replication, unrecognizedOptions, settings } = readStartupParameters(msg.parameters);
    const negotiated = decideProtocol(msg.major, msg.minor, unrecognizedOptions, this.range);
    let cancelKeyBytes = CANCEL_KEY_BYTES_3_0;
    if (negotiated.kind === 'accept') {
      cancelKeyBytes = negotiated.cancelKeyBytes;
      conn.facts.protocol = `3.${negotiated.minor}`;
      if (negotiated.negotiate) conn.send(negotiated.negotiate);
    }
    if (user === '') throw fatal('28000', 'no PostgreSQL user name specified in startup packet');
    conn.facts.user = user;
    conn.facts.database = database;
    this.admit();
    const facts: ConnectionFacts = {
      transport: conn.transport.transport,
      remoteAddress: conn.transport.transport === 'tcp' ? conn.transport.remoteAddress : null,
      ssl: conn.tls !== null,
      gssenc: false,
      user,
      database,
      replication,
    };
    const decision = conn.ctx.selector(facts);
    if (decision.kind !== 'no-entry' && decision.file) conn.facts.rule = `${decision.file}:${decision.line ?? 0}`;
    if (decision.kind !== 'method') throw fatal('28000', hbaRejectMessage(facts, decision.kind));
    this.authenticate({ facts, method: decision.method, options: decision.options, startupParams: settings, cancelKeyBytes });
  }

  /** max_connections: sessions past this point count until they close. */
  private admit(): void {
    const ctx = this.conn.ctx;
    if (ctx.admitted >= ctx.settings.maxConnections) throw fatal('53300', 'sorry, too many clients already');
    ctx.admitted++;
    this.admitted = true;
  }
}

/**
 * One client connection as a state machine: bytes in, messages and signals
 * (write, start TLS, close) out through SessionIO. No sockets here; listen.ts
 * owns them. States follow PostgreSQL: startup (SSLRequest, GSSENCRequest,
 * CancelRequest, StartupMessage), authentication, then queries.
 */
import { randomBytes } from 'node:crypto';
import { Framer, ProtocolError, Writer, parseFrontend, parseStartupPacket, serializePreV3ErrorResponse, writeBackend, type AuthResponseKind, type BackendMessage, type RegularFrontendMessage, type StartupPacket, type TransactionStatus } from '../protocol/index.js';
import { isExpired } from '../roles/index.js';
import { createExchange, type AuthContext, type AuthExchange, type AuthStep, type PeerCertificate } from './auth/index.js';
import { cancelLogText, type Cancellable } from './cancel.js';
import { scenarioExchange, type ClientSent, type ScenarioName } from './scenarios/index.js';
import type { AttemptLog, ServerContext, SleepLog } from './context.js';
import { WireError, fatal, sqlError } from './errors.js';
import { binaryValue, describePlan, paramFromBinary, planQueries, planQuery, runPlan, settingKey, textParam, type Plan, type Rows, type SessionView } from './queries.js';
import { cancelRequestProblem, decideProtocol, protocolRangeFor, unsupportedProtocolText, type ProtocolRange } from './protocol-version.js';
import { StatementSleep } from './sleep.js';
import { initialSettings, reportedFor, reportedValues } from './session-settings.js';
import { readStartupParameters } from './startup-parameters.js';
import type { ConnectionFacts } from '../hba/decision.js';

export interface SessionIO {
  write(data: Buffer): void;
  /** Begin the TLS handshake (after 'S' went out); call tlsEstablished() when done. */
  startTls(): void;
  /** Close once written data is flushed; `immediate` when nothing is left to say (after Terminate). */
  close(immediate?: boolean): void;
}

export interface TransportInfo {
  transport: 'tcp' | 'unix';
  remoteAddress: string | null;
  remotePort: number | null;
}

export interface TlsState {
  peerCertificate: PeerCertificate | null;
}

/** A statement waiting in pg_sleep: what goes out first whatever the outcome (RowDescription), then the rest. */
interface Pending {
  ms: number;
  first: BackendMessage[];
  then(): void;
}

/** Largest regular message after login (a Query or Parse); PostgreSQL allows more, a test server needs less. */
const MAX_QUERY_MESSAGE = 1 << 20;
/** Bytes a client may send while the server is still deciding (PAM, --auth-delay). */
const MAX_BUFFERED_WHILE_BUSY = 256 * 1024;
/** Prepared statements and portals kept per session. */
const MAX_STATEMENTS = 1000;

/** The one output buffer: every entry point ends with flush(), so sessions never interleave in it. */
const OUT = new Writer(4096);

type State = 'startup' | 'tls' | 'auth' | 'ready' | 'closed';

interface Prepared {
  plan: Plan;
  paramTypes: number[];
}
interface Portal {
  plan: Plan;
  params: Array<string | null>;
  formats: number[];
  /** Rows of a SELECT/SHOW portal, computed at its first Execute, and how many were sent. */
  rows?: Rows;
  sent: number;
  /** A pg_sleep portal has had its wait. */
  slept?: boolean;
}

/** How the attempt log names a peer: `ip:port`, `[v6]:port`, or `[local]`. */
export function peerName(t: TransportInfo): string {
  if (t.transport === 'unix') return '[local]';
  return t.remoteAddress?.includes(':') ? `[${t.remoteAddress}]:${t.remotePort}` : `${t.remoteAddress}:${t.remotePort}`;
}

export class Session {
  private state: State = 'startup';
  private readonly framer = new Framer({ startup: true });
  private busy = false;
  private sslDone = false;
  private gssDone = false;
  private tls: TlsState | null = null;
  private readonly startedAt = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private logged = false;
  private admitted = false;
  private countedRole: string | null = null;

  private user: string | null = null;
  private database: string | null = null;
  private method: string | null = null;
  /** The method the rule chose (pg_hba.conf spelling): system_user reports it even when md5 ran SCRAM. */
  private ruleMethod: string | null = null;
  private mechanism: string | null = null;
  private rule: string | null = null;
  private identity: string | null = null;
  private startupParams: Array<[string, string]> | null = null;

  private exchange: AuthExchange | null = null;
  /** What the client of a --scenario server sent, and whether it went on after the login. */
  private scenarioRecord: { sent: ClientSent[]; loggedIn: boolean } | null = null;
  /** Aborted when the session ends, so work queued for it (PAM) is dropped. */
  private readonly lifetime = new AbortController();
  /** A failure waiting out --auth-delay. */
  private delayedFailure: WireError | null = null;
  private expect: AuthResponseKind = 'raw';

  private processId = 0;
  /** The protocol versions --server-version speaks, and the minor version this session negotiated. */
  private readonly range: ProtocolRange;
  private cancelKeyBytes = 4;
  private protocolMinor: number | null = null;
  /** This session in ctx.cancelTargets while it is authenticated. */
  private cancelTarget: Cancellable | null = null;
  private sleep: StatementSleep | null = null;
  private readonly reported: Set<string>;
  private txn: TransactionStatus = 'I';
  private settings: Map<string, string> | null = null;
  private initialSettings: Map<string, string> | null = null;
  private statements: Map<string, Prepared> | null = null;
  private portals: Map<string, Portal> | null = null;
  private skipUntilSync = false;

  constructor(
    private readonly ctx: ServerContext,
    private readonly io: SessionIO,
    private readonly transport: TransportInfo,
  ) {
    this.timer = setTimeout(() => this.onTimeout(), ctx.settings.authTimeoutMs);
    this.timer.unref();
    this.range = protocolRangeFor(ctx.settings.serverVersion);
    this.reported = reportedFor(ctx.settings.serverVersion);
    // A scenario server reports every connection, also one the client drops before authentication.
    if (ctx.scenarios) this.scenarioRecord = { sent: [], loggedIn: false };
  }

  /** Whether this connection finished authentication. */
  get authenticated(): boolean {
    return this.state === 'ready';
  }

  // ------------------------------------------------------------ entry points

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
    this.safely(() => this.pump());
  }

  /**
   * Last line of defence: whatever escapes the handlers (a bug) drops this
   * connection only. It must never reach the socket's event handler, where
   * it would end the process and every other client's session.
   */
  private safely(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      OUT.abandonMessage();
      OUT.end(); // whatever this session had half-written is not sent
      if (!this.logged) this.logAttempt('protocol-error', 'XX000', null, `internal error: ${e instanceof Error ? e.message : String(e)}`);
      this.close();
    }
  }

  /** PostgreSQL 17 direct TLS: the handshake comes first and no SSLRequest follows. */
  directTls(): void {
    if (this.state !== 'startup') return;
    this.sslDone = true;
    this.gssDone = true;
    this.state = 'tls';
  }

  tlsEstablished(info: TlsState): void {
    if (this.state !== 'tls') return;
    this.tls = info;
    this.state = 'startup';
    this.framer.startup = true;
    this.safely(() => this.pump());
  }

  /** The peer went away (or the socket failed). */
  closed(reason?: string): void {
    if (this.state === 'closed') return;
    this.finish();
    const failure = this.delayedFailure;
    if (failure && !this.logged) {
      // The client left during --auth-delay: the attempt still failed (PostgreSQL logs it after its sleep too).
      this.logAttempt('rejected', failure.sqlstate, failure.message, failure.logDetail ?? null);
    }
    if (!this.logged) this.logAttempt(reason === 'tls' ? 'protocol-error' : 'disconnected', null, null, reason && reason !== 'tls' ? reason : null);
  }

  /** SIGINT/SIGTERM: FATAL 57P01 to the client, then close (postgres.c ProcessInterrupts). */
  shutdown(): void {
    if (this.state === 'closed') return;
    if (this.state !== 'tls') {
      this.send({ type: 'ErrorResponse', fields: fatal('57P01', 'terminating connection due to administrator command').fields() });
    }
    if (!this.logged) this.logAttempt('shutdown', '57P01', 'terminating connection due to administrator command');
    this.flush();
    this.close();
  }

  private onTimeout(): void {
    this.timer = undefined;
    if (this.state === 'ready' || this.state === 'closed') return;
    // PostgreSQL's authentication_timeout ends the backend silently.
    if (!this.logged) this.logAttempt('timeout', null, null, `authentication not finished within ${this.ctx.settings.authTimeoutMs} ms`);
    this.close();
  }

  // ------------------------------------------------------------ plumbing

  private send(msg: BackendMessage): void {
    writeBackend(OUT, msg);
  }

  private flush(): void {
    const data = OUT.end();
    if (data.length > 0 && this.state !== 'closed') this.io.write(data);
  }

  private finish(): void {
    if (this.scenarioRecord && this.state !== 'closed') this.reportScenario(this.scenarioRecord);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.state = 'closed';
    this.framer.clear();
    if (this.admitted) {
      this.ctx.admitted--;
      this.admitted = false;
    }
    if (this.countedRole !== null) {
      const n = (this.ctx.perRole.get(this.countedRole) ?? 1) - 1;
      if (n <= 0) this.ctx.perRole.delete(this.countedRole);
      else this.ctx.perRole.set(this.countedRole, n);
      this.countedRole = null;
    }
    this.exchange = null;
    this.statements = null;
    this.portals = null;
    if (this.cancelTarget) this.ctx.cancelTargets.delete(this.processId, this.cancelTarget);
    this.cancelTarget = null;
    this.lifetime.abort();
  }

  private close(): void {
    if (this.state === 'closed') return;
    this.finish();
    this.io.close();
  }

  /** Sends a FATAL error, logs the attempt (if not yet), and closes. */
  private fatalClose(err: WireError, result?: AttemptLog['result']): void {
    this.send({ type: 'ErrorResponse', fields: err.fields() });
    if (!this.logged) {
      const r = result ?? (err.sqlstate.startsWith('08') || err.sqlstate.startsWith('0A') ? 'protocol-error' : 'rejected');
      this.logAttempt(r, err.sqlstate, err.message, err.logDetail ?? null);
    }
    this.flush();
    this.close();
  }

  /** --scenario: the hostile exchange, recording what the client sends. */
  private scenarioExchange(names: readonly ScenarioName[], authCtx: AuthContext): AuthExchange {
    const record = (this.scenarioRecord ??= { sent: [], loggedIn: false });
    return scenarioExchange(names, authCtx, { sent: (kind) => record.sent.push(kind) });
  }

  private reportScenario(record: { sent: ClientSent[]; loggedIn: boolean }): void {
    this.ctx.report?.({
      event: 'scenario',
      time: new Date().toISOString(),
      scenarios: [...(this.ctx.scenarios ?? [])],
      peer: peerName(this.transport),
      user: this.user,
      tls: this.tls !== null,
      sent: record.sent,
      loggedIn: record.loggedIn,
    });
  }

  private logAttempt(result: AttemptLog['result'], sqlstate: string | null, message: string | null, detail: string | null = null): void {
    this.logged = true;
    const t = this.transport;
    this.ctx.log({
      event: 'attempt',
      time: new Date().toISOString(),
      peer: peerName(t),
      user: this.user,
      database: this.database,
      method: this.method,
      mechanism: this.mechanism,
      protocol: this.protocolMinor === null ? null : `3.${this.protocolMinor}`,
      tls: this.tls !== null,
      result,
      sqlstate,
      message,
      detail,
      rule: this.rule,
      ms: Date.now() - this.startedAt,
    });
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
        if (frame.code === null) this.onStartupPacket(frame.body);
        else if (this.state === 'auth') this.onAuthMessage(frame.code, frame.body);
        else {
          if (this.scenarioRecord) this.scenarioRecord.loggedIn = true;
          this.onQueryMessage(frame.code, frame.body);
        }
      } catch (e) {
        if (e instanceof ProtocolError) this.fatalClose(fatal('08P01', e.message));
        else if (e instanceof WireError) this.fatalClose(e);
        else {
          // A bug must cost this connection only, never the server and its other clients.
          const err = fatal('XX000', 'internal error in pgauth serve', { logDetail: `internal error: ${e instanceof Error ? e.message : String(e)}` });
          this.fatalClose(err, 'protocol-error');
        }
        break;
      }
    }
    this.flush();
  }

  // ------------------------------------------------------------ startup

  private onStartupPacket(body: Buffer): void {
    let packet: StartupPacket;
    try {
      packet = parseStartupPacket(body);
    } catch (e) {
      if (e instanceof ProtocolError && /cancel/.test(e.message)) {
        this.logAttempt('protocol-error', null, null, e.message);
        this.close();
        return;
      }
      throw e;
    }
    switch (packet.type) {
      case 'SSLRequest':
        if (this.sslDone) throw fatal('0A000', unsupportedProtocolText(1234, 5679, this.range));
        if (this.ctx.tlsEnabled && this.transport.transport === 'tcp') {
          OUT.byte(0x53); // 'S'
          this.refusePipelined('SSL request');
          this.sslDone = true;
          this.gssDone = true;
          this.state = 'tls';
          this.flush();
          this.io.startTls();
        } else {
          OUT.byte(0x4e); // 'N'
          // PostgreSQL checks after either answer: the client must wait for it before sending more.
          this.refusePipelined('SSL request');
          this.sslDone = true;
        }
        return;
      case 'GSSENCRequest':
        if (this.gssDone) throw fatal('0A000', unsupportedProtocolText(1234, 5680, this.range));
        OUT.byte(0x4e); // 'N': no GSSAPI encryption here
        this.refusePipelined('GSSAPI encryption request');
        this.gssDone = true;
        return;
      case 'CancelRequest': {
        // Never answered, whatever the outcome; only the log says what happened.
        const problem = cancelRequestProblem(packet.secretKey.length, this.range);
        const outcome = problem ?? cancelLogText(packet.processId, this.ctx.cancelTargets.cancel(packet.processId, packet.secretKey));
        this.logAttempt(problem ? 'protocol-error' : 'cancel', null, null, outcome);
        this.close();
        return;
      }
      case 'StartupMessage':
        this.onStartupMessage(packet);
        return;
    }
  }

  /**
   * CVE-2021-23214: bytes that came with SSLRequest/GSSENCRequest, before the
   * answer, were not protected by the encryption the client asked for.
   */
  private refusePipelined(request: 'SSL request' | 'GSSAPI encryption request'): void {
    if (this.framer.buffered === 0) return;
    throw fatal('08P01', `received unencrypted data after ${request}`, {
      detail: 'This could be either a client-software bug or evidence of an attempted man-in-the-middle attack.',
    });
  }

  /** FATAL 0A000 for a protocol the server does not speak; a client of protocol 2 or older reads it in that protocol's format. */
  private refuseProtocol(message: string, preV3: boolean): void {
    if (!preV3) throw fatal('0A000', message);
    OUT.bytes(serializePreV3ErrorResponse('FATAL', message));
    this.logAttempt('protocol-error', '0A000', message);
    this.flush();
    this.close();
  }

  private onStartupMessage(msg: Extract<StartupPacket, { type: 'StartupMessage' }>): void {
    this.framer.startup = false;
    const version = decideProtocol(msg.major, msg.minor, [], this.range);
    if (version.kind === 'refuse') {
      this.refuseProtocol(version.message, version.preV3);
      return;
    }
    const { user, database, replication, unrecognizedOptions, settings } = readStartupParameters(msg.parameters);
    const negotiated = decideProtocol(msg.major, msg.minor, unrecognizedOptions, this.range);
    if (negotiated.kind === 'accept') {
      this.cancelKeyBytes = negotiated.cancelKeyBytes;
      this.protocolMinor = negotiated.minor;
      if (negotiated.negotiate) this.send(negotiated.negotiate);
    }
    if (user === '') throw fatal('28000', 'no PostgreSQL user name specified in startup packet');
    this.user = user;
    this.database = database;
    this.startupParams = settings.length ? settings : null;

    if (this.ctx.admitted >= this.ctx.settings.maxConnections) throw fatal('53300', 'sorry, too many clients already');
    this.ctx.admitted++;
    this.admitted = true;

    const facts: ConnectionFacts = {
      transport: this.transport.transport,
      remoteAddress: this.transport.transport === 'tcp' ? this.transport.remoteAddress : null,
      ssl: this.tls !== null,
      gssenc: false,
      user: this.user,
      database: this.database,
      replication,
    };
    const decision = this.ctx.selector(facts);
    const host = facts.transport === 'unix' ? '[local]' : (facts.remoteAddress ?? '');
    const enc = facts.ssl ? 'SSL encryption' : 'no encryption';
    if (decision.kind === 'no-entry') {
      throw fatal(
        '28000',
        replication
          ? `no pg_hba.conf entry for replication connection from host "${host}", user "${this.user}", ${enc}`
          : `no pg_hba.conf entry for host "${host}", user "${this.user}", database "${this.database}", ${enc}`,
      );
    }
    if (decision.kind === 'reject') {
      if (decision.file) this.rule = `${decision.file}:${decision.line ?? 0}`;
      throw fatal(
        '28000',
        replication
          ? `pg_hba.conf rejects replication connection for host "${host}", user "${this.user}", ${enc}`
          : `pg_hba.conf rejects connection for host "${host}", user "${this.user}", database "${this.database}", ${enc}`,
      );
    }
    if (decision.file) this.rule = `${decision.file}:${decision.line ?? 0}`;
    const role = this.ctx.roles?.get(this.user);
    const authCtx: AuthContext = {
      facts,
      role,
      haveRoleFile: this.ctx.roles !== null,
      expired: role ? isExpired(role.attrs) : false,
      options: decision.options,
      peerCertificate: this.tls?.peerCertificate ?? null,
      haveClientCa: this.ctx.haveClientCa,
      channelBinding: this.tls ? this.ctx.channelBinding : null,
      iterations: this.ctx.settings.iterations,
      mockNonce: this.ctx.mockNonce,
      pamService: this.ctx.settings.pamService,
      pamConfdir: this.ctx.settings.pamConfdir,
      oauth: this.ctx.oauth ?? null,
      ...(this.ctx.usermap ? { usermap: this.ctx.usermap } : {}),
      signal: this.lifetime.signal,
    };
    this.exchange = this.ctx.scenarios ? this.scenarioExchange(this.ctx.scenarios, authCtx) : createExchange(decision.method, authCtx);
    this.method = this.exchange.method;
    this.ruleMethod = decision.method === 'scram' ? 'scram-sha-256' : decision.method;
    this.state = 'auth';
    this.step(this.exchange.start());
  }

  // ------------------------------------------------------------ authentication

  private step(result: AuthStep | Promise<AuthStep>): void {
    if (result instanceof Promise) {
      this.busy = true;
      result.then(
        (r) => {
          this.busy = false;
          if (this.state !== 'auth') return;
          try {
            this.step(r);
          } catch (e) {
            // The role checks after AuthenticationOk throw wire errors; outside pump() they land here.
            if (e instanceof WireError) this.fatalClose(e);
            else this.fatalClose(fatal('XX000', 'internal error in pgauth serve', { logDetail: `internal error: ${e instanceof Error ? e.message : String(e)}` }), 'protocol-error');
            return;
          }
          this.safely(() => this.pump());
        },
        (e: unknown) => {
          this.busy = false;
          if (this.state !== 'auth') return;
          this.fatalClose(fatal('XX000', 'internal error during authentication'), 'rejected');
          process.emitWarning(`pgauth serve: authentication failed internally: ${e instanceof Error ? e.message : String(e)}`);
        },
      );
      return;
    }
    if ('mechanism' in result && result.mechanism) this.mechanism = result.mechanism;
    switch (result.kind) {
      case 'continue':
        for (const m of result.send) this.send(m);
        this.expect = result.expect;
        this.framer.maxMessageLength = result.maxLength;
        return;
      case 'fail':
        this.authFailed(result.error);
        return;
      case 'ok':
        for (const m of result.send) this.send(m);
        this.identity = result.identity;
        this.authenticatedOk();
        return;
    }
  }

  /** auth_delay: the failure answer waits, other clients do not. */
  private authFailed(err: WireError): void {
    const delay = this.ctx.settings.authDelayMs;
    if (delay <= 0) {
      this.fatalClose(err);
      return;
    }
    this.busy = true;
    this.exchange = null;
    this.delayedFailure = err;
    const t = setTimeout(() => {
      this.busy = false;
      this.delayedFailure = null;
      if (this.state === 'closed') return;
      this.fatalClose(err);
    }, delay);
    t.unref();
  }

  private onAuthMessage(code: number, body: Buffer): void {
    if (code === 0x58) {
      // Terminate during authentication: the client gave up (psql does this before prompting).
      this.logAttempt('disconnected', null, null, 'client ended the connection during authentication');
      this.close();
      return;
    }
    if (code !== 0x70) {
      const sasl = this.expect === 'sasl' || this.expect === 'sasl-initial';
      throw fatal('08P01', `expected ${sasl ? 'SASL' : 'password'} response, got message type ${code}`);
    }
    const msg = parseFrontend(code, body, this.expect);
    this.step(this.exchange!.respond(msg));
  }

  /** AuthenticationOk, then InitPostgres's role checks, then the session starts (postinit.c). */
  private authenticatedOk(): void {
    this.send({ type: 'AuthenticationOk' });
    this.exchange = null;
    const user = this.user!;
    const roles = this.ctx.roles;
    const role = roles?.get(user);
    if (roles && !role) throw fatal('28000', `role "${user}" does not exist`);
    if (role?.attrs.nologin) throw fatal('28000', `role "${user}" is not permitted to log in`);
    const limit = role?.attrs.connLimit;
    const current = this.ctx.perRole.get(user) ?? 0;
    if (limit !== undefined && limit >= 0 && current >= limit) throw fatal('53300', `too many connections for role "${user}"`);
    this.ctx.perRole.set(user, current + 1);
    this.countedRole = user;

    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.framer.maxMessageLength = MAX_QUERY_MESSAGE;
    this.settings = initialSettings(this.ctx.settings, user, this.startupParams ?? []);
    for (const [name, value] of reportedValues(this.settings, this.reported)) this.send({ type: 'ParameterStatus', name, value });
    this.startCancellable();
    this.send({ type: 'ReadyForQuery', status: 'I' });
    this.state = 'ready';
    this.startupParams = null;
    this.logAttempt('ok', null, null);
  }

  /** A process ID not in use and a fresh key (32 bytes under 3.2, 4 under 3.0): BackendKeyData, and CancelRequest can find us. */
  private startCancellable(): void {
    const targets = this.ctx.cancelTargets;
    do {
      this.processId = this.ctx.nextProcessId++;
      if (this.ctx.nextProcessId >= 4_194_304) this.ctx.nextProcessId = 1000; // stay below Linux pid_max, like a real backend pid
    } while (targets.has(this.processId));
    const secretKey = randomBytes(this.cancelKeyBytes);
    this.cancelTarget = { secretKey, cancelStatement: () => this.sleep?.cancel() ?? false };
    targets.add(this.processId, this.cancelTarget);
    this.send({ type: 'BackendKeyData', processId: this.processId, secretKey });
  }

  // ------------------------------------------------------------ queries

  private view(): SessionView {
    return {
      user: this.user!,
      sessionUser: this.user!,
      database: this.database!,
      // PostgreSQL 16 (set_authn_id): the hba line's method, so an md5 line that ran SCRAM says md5:alice.
      systemUser: this.identity === null ? null : `${this.ruleMethod}:${this.identity}`,
      processId: this.processId,
      settings: this.settings!,
      versionString: `PostgreSQL ${this.ctx.settings.serverVersion} (pgauth serve test server, not a database)`,
    };
  }

  private onQueryMessage(code: number, body: Buffer): void {
    const msg = parseFrontend(code, body);
    if (this.skipUntilSync && msg.type !== 'Sync' && msg.type !== 'Terminate') return;
    switch (msg.type) {
      case 'Query':
        this.simpleQuery(msg.sql);
        return;
      case 'Parse':
      case 'Bind':
      case 'Describe':
      case 'Execute':
      case 'Close':
        try {
          const pending = this.extended(msg);
          if (pending) {
            this.sleepThen(pending, (err) => {
              if (!err) return;
              this.sendError(err);
              this.skipUntilSync = true;
            });
          }
        } catch (e) {
          if (!(e instanceof WireError) || e.severity === 'FATAL') throw e;
          this.sendError(e);
          this.skipUntilSync = true;
        }
        return;
      case 'Sync':
        this.skipUntilSync = false;
        this.portals?.delete('');
        this.send({ type: 'ReadyForQuery', status: this.txn });
        return;
      case 'Flush':
        return; // every batch is flushed when it has been read
      case 'Terminate':
        // Answers to messages pipelined before Terminate still go out, as from PostgreSQL.
        this.flush();
        this.finish();
        this.io.close(true);
        return;
      default:
        throw fatal('08P01', `unexpected message type "${String.fromCharCode(code)}" after authentication`);
    }
  }

  private sendError(e: WireError): void {
    if (this.txn === 'T') this.txn = 'E';
    this.send({ type: 'ErrorResponse', fields: e.fields() });
  }

  private simpleQuery(sql: string): void {
    this.runStatements(planQueries(sql), 0);
  }

  /** Runs a simple Query's statements from `from` on; a pg_sleep pauses the run until it ends. */
  private runStatements(plans: Array<Plan | WireError>, from: number): void {
    for (let i = from; i < plans.length; i++) {
      const plan = plans[i]!;
      if (plan instanceof WireError) {
        this.sendError(plan);
        break;
      }
      if (plan.kind === 'empty') {
        this.send({ type: 'EmptyQueryResponse' });
        continue;
      }
      try {
        const pending = this.execute(plan, [], [], true);
        if (pending) {
          this.sleepThen(pending, (err) => {
            if (!err) return this.runStatements(plans, i + 1);
            this.sendError(err);
            this.send({ type: 'ReadyForQuery', status: this.txn });
          });
          return;
        }
      } catch (e) {
        if (!(e instanceof WireError) || e.severity === 'FATAL') throw e;
        this.sendError(e);
        break;
      }
    }
    this.send({ type: 'ReadyForQuery', status: this.txn });
  }

  /**
   * A pg_sleep: input is not read meanwhile (a backend busy in a statement
   * does not read either). When it ends, `first` goes out, then the rows
   * (finished) or ERROR 57014 (a CancelRequest); `after` continues the
   * simple or extended flow. When the client leaves, nothing more happens.
   */
  private sleepThen(pending: Pending, after: (err: WireError | null) => void): void {
    this.busy = true;
    const log = (state: SleepLog['state']) =>
      this.ctx.log({ event: 'sleep', time: new Date().toISOString(), pid: this.processId, user: this.user!, seconds: pending.ms / 1000, state });
    log('started');
    this.sleep = new StatementSleep(pending.ms, this.lifetime.signal, (end) => {
      this.sleep = null;
      this.busy = false;
      log(end);
      if (end === 'abandoned' || this.state !== 'ready') return;
      this.safely(() => {
        for (const m of pending.first) this.send(m);
        if (end === 'canceled') after(sqlError('57014', 'canceling statement due to user request'));
        else {
          pending.then();
          after(null);
        }
        this.pump();
      });
    });
  }

  /** Runs a plan: rows for SELECT/SHOW, effects and a tag for commands; a pg_sleep returns what it still has to do. */
  private execute(plan: Plan, params: Array<string | null>, formats: number[], describe: boolean): Pending | null {
    if (this.txn === 'E' && plan.kind !== 'commit' && plan.kind !== 'rollback') {
      throw sqlError('25P02', 'current transaction is aborted, commands ignored until end of transaction block');
    }
    const warning = (code: string, message: string) =>
      this.send({ type: 'NoticeResponse', fields: { severity: 'WARNING', severityNonLocalized: 'WARNING', code, message } });
    switch (plan.kind) {
      case 'empty':
        this.send({ type: 'EmptyQueryResponse' });
        return null;
      case 'select':
      case 'show': {
        const rows = runPlan(plan, params, this.view());
        const description = describe ? [this.rowDescription(rows.columns, formats)] : [];
        const rest = () => {
          this.sendRows(rows, formats, 0, rows.rows.length);
          this.send({ type: 'CommandComplete', tag: rows.tag });
        };
        // PostgreSQL sends nothing while pg_sleep runs; the RowDescription goes out with the outcome.
        if (plan.kind === 'select' && plan.sleepMs) return { ms: plan.sleepMs(params, this.view()), first: description, then: rest };
        for (const m of description) this.send(m);
        rest();
        return null;
      }
      case 'set':
        this.changeSetting(plan.name, plan.value);
        this.send({ type: 'CommandComplete', tag: 'SET' });
        return null;
      case 'reset':
        if (plan.name === null) this.resetAll();
        else {
          const initial = (this.initialSettings ?? this.settings!).get(settingKey(this.settings!, plan.name));
          if (initial !== undefined) this.changeSetting(plan.name, initial);
          else this.settings!.delete(settingKey(this.settings!, plan.name));
        }
        this.send({ type: 'CommandComplete', tag: 'RESET' });
        return null;
      case 'begin':
        if (this.txn !== 'I') warning('25001', 'there is already a transaction in progress');
        this.txn = 'T';
        this.send({ type: 'CommandComplete', tag: 'BEGIN' });
        return null;
      case 'commit': {
        if (this.txn === 'I') warning('25P01', 'there is no transaction in progress');
        const tag = this.txn === 'E' ? 'ROLLBACK' : 'COMMIT';
        this.txn = 'I';
        this.send({ type: 'CommandComplete', tag });
        return null;
      }
      case 'rollback':
        if (this.txn === 'I') warning('25P01', 'there is no transaction in progress');
        this.txn = 'I';
        this.send({ type: 'CommandComplete', tag: 'ROLLBACK' });
        return null;
      case 'discard-all':
        if (this.txn !== 'I') throw sqlError('25001', 'DISCARD ALL cannot run inside a transaction block');
        this.statements = null;
        this.portals = null;
        this.resetAll();
        this.send({ type: 'CommandComplete', tag: 'DISCARD ALL' });
        return null;
    }
  }

  private sendRows(rows: Rows, formats: number[], from: number, to: number): void {
    for (const row of rows.rows.slice(from, to)) {
      this.send({
        type: 'DataRow',
        values: row.map((v, i) => (v === null ? null : formatOf(formats, i) === 1 ? binaryValue(v, rows.columns[i]!.typeOid) : Buffer.from(v, 'utf8'))),
      });
    }
  }

  /**
   * Execute of a SELECT/SHOW portal, with PostgreSQL's row limit: at most
   * maxRows rows (0 = all); reaching the limit answers PortalSuspended and
   * the next Execute goes on from there; a finished portal gives `SELECT 0`.
   */
  private executePortalRows(portal: Portal, maxRows: number): Pending | null {
    if (this.txn === 'E') throw sqlError('25P02', 'current transaction is aborted, commands ignored until end of transaction block');
    portal.rows ??= runPlan(portal.plan, portal.params, this.view());
    if (portal.plan.kind === 'select' && portal.plan.sleepMs && !portal.slept) {
      portal.slept = true;
      const ms = portal.plan.sleepMs(portal.params, this.view());
      return { ms, first: [], then: () => void this.executePortalRows(portal, maxRows) };
    }
    const rows = portal.rows;
    const from = portal.sent;
    const to = maxRows > 0 ? Math.min(rows.rows.length, from + maxRows) : rows.rows.length;
    this.sendRows(rows, portal.formats, from, to);
    portal.sent = to;
    if (maxRows > 0 && to - from === maxRows) this.send({ type: 'PortalSuspended' });
    else this.send({ type: 'CommandComplete', tag: portal.plan.kind === 'select' ? `SELECT ${to - from}` : rows.tag });
    return null;
  }

  private rowDescription(columns: Array<{ name: string; typeOid: number }>, formats: number[]): BackendMessage {
    const size: Record<number, number> = { 16: 1, 19: 64, 20: 8, 21: 2, 23: 4, 2278: 4 };
    return {
      type: 'RowDescription',
      fields: columns.map((c, i) => ({
        name: c.name,
        tableOid: 0,
        columnAttrNumber: 0,
        typeOid: c.typeOid,
        typeSize: size[c.typeOid] ?? -1,
        typeModifier: -1,
        format: formatOf(formats, i),
      })),
    };
  }

  private changeSetting(name: string, value: string): void {
    const settings = this.settings!;
    const key = settingKey(settings, name);
    if (['server_version', 'server_encoding', 'integer_datetimes', 'in_hot_standby', 'is_superuser', 'scram_iterations', 'server_version_num'].includes(key)) {
      throw sqlError('55P02', `parameter "${key}" cannot be changed`);
    }
    if (key === 'session_authorization') throw sqlError('0A000', 'SET SESSION AUTHORIZATION is not supported by pgauth serve');
    if (!this.initialSettings) this.initialSettings = new Map(settings);
    if (key.toLowerCase() === 'client_encoding' && /^(utf-?8|unicode)$/i.test(value)) value = 'UTF8';
    if (settings.size >= 200 && !settings.has(key)) throw sqlError('54000', 'too many settings in this session');
    settings.set(key, value);
    if (this.reported.has(key.toLowerCase())) this.send({ type: 'ParameterStatus', name: key, value });
  }

  private resetAll(): void {
    if (!this.initialSettings) return;
    for (const [k, v] of this.initialSettings) if (this.settings!.get(k) !== v) this.changeSetting(k, v);
    for (const k of [...this.settings!.keys()]) if (!this.initialSettings.has(k)) this.settings!.delete(k);
  }

  /** One extended-protocol message; an Execute of pg_sleep returns what it still has to do. */
  private extended(msg: RegularFrontendMessage): Pending | null {
    switch (msg.type) {
      case 'Parse': {
        const plan = planQuery(msg.sql);
        if (plan instanceof WireError) throw plan;
        this.statements ??= new Map();
        if (msg.name !== '' && this.statements.has(msg.name)) throw sqlError('42P05', `prepared statement "${msg.name}" already exists`);
        if (this.statements.size >= MAX_STATEMENTS && !this.statements.has(msg.name)) throw sqlError('54000', 'too many prepared statements in this session');
        const inferred = plan.kind === 'select' ? plan.paramTypes : [];
        const n = Math.max(inferred.length, msg.paramTypes.length);
        const paramTypes: number[] = [];
        for (let i = 0; i < n; i++) paramTypes.push(msg.paramTypes[i] || inferred[i] || 25);
        this.statements.set(msg.name, { plan, paramTypes });
        this.send({ type: 'ParseComplete' });
        return null;
      }
      case 'Bind': {
        const st = this.statements?.get(msg.statement);
        if (!st) throw sqlError('26000', `prepared statement "${msg.statement}" does not exist`);
        // Both are ERRORs in PostgreSQL (exec_bind_message): the session goes on after Sync.
        if (msg.params.length !== st.paramTypes.length) {
          throw sqlError('08P01', `bind message supplies ${msg.params.length} parameters, but prepared statement "${msg.statement}" requires ${st.paramTypes.length}`);
        }
        const pf = msg.paramFormats;
        if (pf.length > 1 && pf.length !== msg.params.length) {
          throw sqlError('08P01', `bind message has ${pf.length} parameter formats but ${msg.params.length} parameters`);
        }
        checkFormats(pf);
        const params = msg.params.map((p, i) => (p === null ? null : formatOf(pf, i) === 1 ? paramFromBinary(p, st.paramTypes[i]!, i + 1) : textParam(p)));
        this.portals ??= new Map();
        if (this.portals.size >= MAX_STATEMENTS && !this.portals.has(msg.portal)) throw sqlError('54000', 'too many portals in this session');
        this.portals.set(msg.portal, { plan: st.plan, params, formats: msg.resultFormats, sent: 0 });
        this.send({ type: 'BindComplete' });
        return null;
      }
      case 'Describe': {
        if (msg.kind === 'S') {
          const st = this.statements?.get(msg.name);
          if (!st) throw sqlError('26000', `prepared statement "${msg.name}" does not exist`);
          this.send({ type: 'ParameterDescription', typeOids: st.paramTypes });
          const cols = describePlan(st.plan, this.settings!);
          this.send(cols ? this.rowDescription(cols, []) : { type: 'NoData' });
        } else {
          const portal = this.portals?.get(msg.name);
          if (!portal) throw sqlError('34000', `portal "${msg.name}" does not exist`);
          checkFormats(portal.formats);
          const cols = describePlan(portal.plan, this.settings!);
          this.send(cols ? this.rowDescription(cols, portal.formats) : { type: 'NoData' });
        }
        return null;
      }
      case 'Execute': {
        const portal = this.portals?.get(msg.portal);
        if (!portal) throw sqlError('34000', `portal "${msg.portal}" does not exist`);
        checkFormats(portal.formats); // result formats are checked when rows are about to be sent, as PostgreSQL
        if (portal.plan.kind === 'select' || portal.plan.kind === 'show') return this.executePortalRows(portal, msg.maxRows);
        return this.execute(portal.plan, portal.params, portal.formats, false);
      }
      case 'Close':
        if (msg.kind === 'S') this.statements?.delete(msg.name);
        else this.portals?.delete(msg.name);
        this.send({ type: 'CloseComplete' });
        return null;
      default:
        return null;
    }
  }
}

/** Format codes are 0 (text) or 1 (binary); anything else is PostgreSQL's 22023. */
function checkFormats(formats: number[]): void {
  for (const f of formats) if (f !== 0 && f !== 1) throw sqlError('22023', `unsupported format code: ${f}`);
}

/** Format code of column i: none = text, one = for all, else per column. */
function formatOf(formats: number[], i: number): number {
  if (formats.length === 0) return 0;
  if (formats.length === 1) return formats[0]!;
  return formats[i] ?? 0;
}


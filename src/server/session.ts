/**
 * One client connection as a state machine: bytes in, messages and signals
 * (write, start TLS, close) out through SessionIO. No sockets here; listen.ts
 * owns them. States follow PostgreSQL, one module each: startup.ts
 * (SSLRequest, GSSENCRequest, CancelRequest, StartupMessage),
 * authentication.ts, then extended-query.ts (Query, Parse, Bind...);
 * connection.ts is the plumbing they share.
 */
import { peerName, type TransportInfo } from './attempt.js';
import { Authentication } from './authentication.js';
import { FIRST_PROCESS_ID, MAX_PROCESS_ID } from './cancel.js';
import { createExchange, type AuthContext, type AuthExchange } from './auth/index.js';
import { Connection, type SessionIO, type TlsState } from './connection.js';
import type { ServerContext } from './context.js';
import { QueryProtocol } from './extended-query.js';
import { pooledRandomBytes } from './random-pool.js';
import { protocolRangeFor } from './protocol-version.js';
import { scenarioExchange, type ClientSent } from './scenarios/index.js';
import { initialSettings, reportedFor, reportedValues, SessionSettings } from './settings.js';
import { Startup, type Login } from './startup.js';

export { peerName, type TransportInfo } from './attempt.js';
export type { SessionIO, TlsState } from './connection.js';

/** Largest regular message after login (a Query or Parse); PostgreSQL allows more, a test server needs less. */
const MAX_QUERY_MESSAGE = 1 << 20;

export class Session {
  private readonly conn: Connection;
  private readonly startup: Startup;
  private auth: Authentication | null = null;
  private queries: QueryProtocol | null = null;
  /** What the client of a --scenario server sent, and whether it went on after the login. */
  private scenarioRecord: { sent: ClientSent[]; loggedIn: boolean } | null = null;

  constructor(ctx: ServerContext, io: SessionIO, transport: TransportInfo) {
    this.conn = new Connection(ctx, io, transport, (code, body) => this.dispatch(code, body));
    // A scenario server reports every connection, also one the client drops before authentication.
    if (ctx.scenarios) this.scenarioRecord = { sent: [], loggedIn: false };
    this.conn.onFinish(() => this.reportScenario());
    this.startup = new Startup(this.conn, protocolRangeFor(ctx.settings.serverVersion), (login) => this.authenticate(login));
  }

  /** Whether this connection finished authentication. */
  get authenticated(): boolean {
    return this.conn.state === 'ready';
  }

  // ------------------------------------------------------------ entry points (listen.ts)

  receive(chunk: Buffer): void {
    this.conn.receive(chunk);
  }

  /** PostgreSQL 17 direct TLS: the handshake comes first and no SSLRequest follows. */
  directTls(): void {
    if (this.conn.state === 'startup') this.startup.directTls();
  }

  tlsEstablished(info: TlsState): void {
    const conn = this.conn;
    if (conn.state !== 'tls') return;
    conn.tls = info;
    conn.state = 'startup';
    conn.framer.startup = true;
    conn.resume();
  }

  /** The peer went away (or the socket failed). */
  closed(reason?: string): void {
    const conn = this.conn;
    if (conn.state === 'closed') return;
    conn.finish();
    const failure = this.auth?.delayedFailure;
    if (failure && !conn.logged) {
      // The client left during --auth-delay: the attempt still failed (PostgreSQL logs it after its sleep too).
      conn.logAttempt('rejected', failure.sqlstate, failure.message, failure.logDetail ?? null);
    }
    if (!conn.logged) conn.logAttempt(reason === 'tls' ? 'protocol-error' : 'disconnected', null, null, reason && reason !== 'tls' ? reason : null);
  }

  /** SIGINT/SIGTERM: FATAL 57P01 to the client, then close. */
  shutdown(): void {
    this.conn.shutdown();
  }

  // ------------------------------------------------------------ phases

  /** One frame, to the phase the session is in. */
  private dispatch(code: number | null, body: Buffer): void {
    if (code === null) this.startup.packet(body);
    else if (this.conn.state === 'auth') this.auth!.message(code, body);
    else {
      if (this.scenarioRecord) this.scenarioRecord.loggedIn = true;
      this.queries!.message(code, body);
    }
  }

  private authenticate(login: Login): void {
    this.auth = new Authentication(this.conn, login, (identity) => this.begin(login, identity));
    this.auth.start((method, authCtx) => this.exchange(method, authCtx));
  }

  /** The method's exchange, or under --scenario the hostile exchange, recording what the client sends. */
  private exchange(method: string, authCtx: AuthContext): AuthExchange {
    const scenarios = this.conn.ctx.scenarios;
    if (!scenarios) return createExchange(method, authCtx);
    const record = (this.scenarioRecord ??= { sent: [], loggedIn: false });
    return scenarioExchange(scenarios, authCtx, { sent: (kind) => record.sent.push(kind) });
  }

  /** After authentication: ParameterStatus, BackendKeyData, ReadyForQuery (postgres.c PostgresMain). */
  private begin(login: Login, identity: string | null): void {
    const { conn } = this;
    const { ctx } = conn;
    const user = login.facts.user;
    conn.stopAuthTimeout();
    conn.framer.maxMessageLength = MAX_QUERY_MESSAGE;
    const reported = reportedFor(ctx.settings.serverVersion);
    const values = initialSettings(ctx.settings, user, login.startupParams);
    const settings = new SessionSettings(values, reported, (name, value) => conn.send({ type: 'ParameterStatus', name, value }));
    for (const [name, value] of reportedValues(values, reported)) conn.send({ type: 'ParameterStatus', name, value });
    const processId = this.startCancellable(login.cancelKeyBytes);
    // PostgreSQL 16 (set_authn_id): the hba line's method, so an md5 line that ran SCRAM says md5:alice.
    const ruleMethod = login.method === 'scram' ? 'scram-sha-256' : login.method;
    this.queries = new QueryProtocol(conn, settings, {
      user,
      sessionUser: user,
      database: login.facts.database,
      systemUser: identity === null ? null : `${ruleMethod}:${identity}`,
      processId,
      settings: values,
      versionString: `PostgreSQL ${ctx.settings.serverVersion} (pgauth serve test server, not a database)`,
    });
    conn.send({ type: 'ReadyForQuery', status: 'I' });
    conn.state = 'ready';
    conn.logAttempt('ok', null, null);
  }

  /** A process ID not in use and a fresh key (32 bytes under 3.2, 4 under 3.0): BackendKeyData, and CancelRequest can find us. */
  private startCancellable(keyBytes: number): number {
    const ctx = this.conn.ctx;
    const targets = ctx.cancelTargets;
    let processId: number;
    do {
      processId = ctx.nextProcessId++;
      if (ctx.nextProcessId >= MAX_PROCESS_ID) ctx.nextProcessId = FIRST_PROCESS_ID;
    } while (targets.has(processId));
    const secretKey = pooledRandomBytes(keyBytes);
    const target = { secretKey, cancelStatement: () => this.queries?.cancelStatement() ?? false };
    targets.add(processId, target);
    this.conn.onFinish(() => targets.delete(processId, target));
    this.conn.send({ type: 'BackendKeyData', processId, secretKey });
    return processId;
  }

  private reportScenario(): void {
    const record = this.scenarioRecord;
    if (!record) return;
    const conn = this.conn;
    conn.ctx.report?.({
      event: 'scenario',
      time: new Date().toISOString(),
      scenarios: [...(conn.ctx.scenarios ?? [])],
      peer: peerName(conn.transport),
      user: conn.facts.user,
      tls: conn.tls !== null,
      sent: record.sent,
      loggedIn: record.loggedIn,
    });
  }
}

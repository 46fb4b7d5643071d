/**
 * The authentication phase: the method's exchange (server/auth/<method>.ts)
 * driven by the client's AuthResponse ('p') messages, a failure held back by
 * --auth-delay (auth_delay), and after AuthenticationOk InitPostgres's role
 * checks (postinit.c): the role exists, may log in, is under its
 * connection limit.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-START-UP
 */
import { FRONTEND_CODES, parseFrontend, type AuthResponseKind } from '../protocol/index.js';
import { isExpired } from '../roles/index.js';
import type { AuthContext, AuthExchange, AuthStep } from './auth/index.js';
import { describeError, type Connection } from './connection.js';
import { type WireError, fatal } from './errors.js';
import type { Login } from './startup.js';

/** Makes the exchange of a method (or of a --scenario) for a connection. */
export type ExchangeFactory = (method: string, authCtx: AuthContext) => AuthExchange;

export class Authentication {
  private exchange: AuthExchange | null = null;
  private expect: AuthResponseKind = 'raw';
  /** A failure waiting out --auth-delay. */
  private pendingFailure: WireError | null = null;
  /** The role counted in ctx.perRole (conn-limit) while this session lives. */
  private countedRole: string | null = null;

  constructor(
    private readonly conn: Connection,
    private readonly login: Login,
    /** After AuthenticationOk and the role checks: the session starts, with the identity for system_user. */
    private readonly loggedIn: (identity: string | null) => void,
  ) {
    conn.onFinish(() => {
      this.exchange = null;
      this.uncountRole();
    });
  }

  /** A failure the client left before --auth-delay ended: the attempt still failed. */
  get delayedFailure(): WireError | null {
    return this.pendingFailure;
  }

  /** The method's first step (AuthenticationSASL, AuthenticationCleartextPassword, ...). */
  start(makeExchange: ExchangeFactory): void {
    const { conn, login } = this;
    const ctx = conn.ctx;
    const role = ctx.roles?.get(login.facts.user);
    const authCtx: AuthContext = {
      facts: login.facts,
      role,
      haveRoleFile: ctx.roles !== null,
      expired: role ? isExpired(role.attrs) : false,
      options: login.options,
      peerCertificate: conn.tls?.peerCertificate ?? null,
      haveClientCa: ctx.haveClientCa,
      channelBinding: conn.tls ? ctx.channelBinding : null,
      iterations: ctx.settings.iterations,
      mockNonce: ctx.mockNonce,
      pamService: ctx.settings.pamService,
      pamConfdir: ctx.settings.pamConfdir,
      oauth: ctx.oauth ?? null,
      ...(ctx.usermap ? { usermap: ctx.usermap } : {}),
      // A getter: the AbortController behind it is made only for a method that queues work (PAM).
      get signal() {
        return conn.lifetime;
      },
    };
    this.exchange = makeExchange(login.method, authCtx);
    conn.facts.method = this.exchange.method;
    conn.state = 'auth';
    this.step(this.exchange.start());
  }

  /** A message during authentication: the AuthResponse the method expects, or Terminate. */
  message(code: number, body: Buffer): void {
    const conn = this.conn;
    if (code === FRONTEND_CODES.Terminate) {
      // Terminate during authentication: the client gave up (psql does this before prompting).
      conn.logAttempt('disconnected', null, null, 'client ended the connection during authentication');
      conn.close();
      return;
    }
    if (code !== FRONTEND_CODES.AuthResponse) {
      const sasl = this.expect === 'sasl' || this.expect === 'sasl-initial';
      throw fatal('08P01', `expected ${sasl ? 'SASL' : 'password'} response, got message type ${code}`);
    }
    this.step(this.exchange!.respond(parseFrontend(code, body, this.expect)));
  }

  private step(result: AuthStep | Promise<AuthStep>): void {
    if (result instanceof Promise) {
      this.await(result);
      return;
    }
    if ('mechanism' in result && result.mechanism) this.conn.facts.mechanism = result.mechanism;
    switch (result.kind) {
      case 'continue':
        for (const m of result.send) this.conn.send(m);
        this.expect = result.expect;
        this.conn.framer.maxMessageLength = result.maxLength;
        return;
      case 'fail':
        this.authFailed(result.error);
        return;
      case 'ok':
        for (const m of result.send) this.conn.send(m);
        this.authenticationOk(result.identity);
        return;
    }
  }

  /** A step that takes time (PAM, an OAuth validator): input is not read until it is done. */
  private await(pending: Promise<AuthStep>): void {
    const conn = this.conn;
    conn.busy = true;
    pending.then(
      (r) => {
        conn.busy = false;
        if (conn.state !== 'auth') return;
        try {
          this.step(r);
        } catch (e) {
          // The role checks after AuthenticationOk throw wire errors; outside the read loop they land here.
          conn.fail(e);
          return;
        }
        conn.resume();
      },
      (e: unknown) => {
        conn.busy = false;
        if (conn.state !== 'auth') return;
        conn.fatalClose(fatal('XX000', 'internal error during authentication'), 'rejected');
        process.emitWarning(`pgauth serve: authentication failed internally: ${describeError(e)}`);
      },
    );
  }

  /** auth_delay: the failure answer waits, other clients do not. */
  private authFailed(err: WireError): void {
    const conn = this.conn;
    const delay = conn.ctx.settings.authDelayMs;
    if (delay <= 0) {
      conn.fatalClose(err);
      return;
    }
    conn.busy = true;
    this.exchange = null;
    this.pendingFailure = err;
    const t = setTimeout(() => {
      conn.busy = false;
      this.pendingFailure = null;
      if (conn.state === 'closed') return;
      conn.fatalClose(err);
    }, delay);
    t.unref();
  }

  /** AuthenticationOk, then InitPostgres's role checks, then the session starts (postinit.c). */
  private authenticationOk(identity: string | null): void {
    const ctx = this.conn.ctx;
    this.conn.send({ type: 'AuthenticationOk' });
    this.exchange = null;
    const user = this.login.facts.user;
    const role = ctx.roles?.get(user);
    if (ctx.roles && !role) throw fatal('28000', `role "${user}" does not exist`);
    if (role?.attrs.nologin) throw fatal('28000', `role "${user}" is not permitted to log in`);
    const limit = role?.attrs.connLimit;
    const current = ctx.perRole.get(user) ?? 0;
    if (limit !== undefined && limit >= 0 && current >= limit) throw fatal('53300', `too many connections for role "${user}"`);
    ctx.perRole.set(user, current + 1);
    this.countedRole = user;
    this.loggedIn(identity);
  }

  private uncountRole(): void {
    const perRole = this.conn.ctx.perRole;
    if (this.countedRole === null) return;
    const n = (perRole.get(this.countedRole) ?? 1) - 1;
    if (n <= 0) perRole.delete(this.countedRole);
    else perRole.set(this.countedRole, n);
    this.countedRole = null;
  }
}

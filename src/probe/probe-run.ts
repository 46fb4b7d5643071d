/**
 * One probe run's shared state: the attempts so far, the step log and trace,
 * the warnings, the password sources (flag, conninfo, .pgpass, then what a
 * person typed, asked once with no connection open), and the attempt
 * launcher every walk and side attempt goes through.
 */
import { DEFAULT_MAX_ITERATIONS } from '../scram/index.js';
import type { AttemptResult, Encryption, PasswordAnswer, Step, TraceEntry } from './attempt.js';
import type { ConnParams, HostSpec } from './conninfo.js';
import { runAttempt } from './handshake.js';
import { passwordFromFile, pgpassHost } from './pgpass.js';
import type { ProbeOptions } from './probe.js';
import { loadTlsMaterial, type TlsMaterial } from './tls-material.js';

/** Without connect_timeout libpq waits forever; a probe that never returns diagnoses nothing. */
export const DEFAULT_CONNECT_TIMEOUT_S = 30;

/** A side attempt's differences: stop at the first request, and no certificate checks. */
export interface SideAttempt {
  discoverOnly?: boolean;
  noVerify?: boolean;
}

export class ProbeRun {
  readonly p: ConnParams;
  /** The trace's time origin; moved on by the time spent at the prompt, which no timing counts. */
  private startedAt = Date.now();
  readonly steps: Step[] = [];
  readonly trace: TraceEntry[] | null;
  readonly warnings: string[] = [];
  readonly attempts: AttemptResult[] = [];
  /** Why the password file was ignored as a whole (its mode, its type), if it was. */
  pgpassIgnored: string | undefined;
  private index = 0;
  private prompted: string | undefined;
  private readonly tlsMaterial: TlsMaterial;
  private readonly timeoutS: number;

  constructor(readonly opts: ProbeOptions) {
    this.p = opts.params;
    this.trace = opts.trace ? [] : null;
    for (const o of this.p.ignoredOptions) {
      this.trace?.push({ attempt: 0, ms: 0, dir: 'C->S', type: 'ignored option', detail: `${o.keyword}=${o.value} (a libpq keyword accepted and ignored: it does not change authentication)` });
    }
    this.tlsMaterial = loadTlsMaterial(this.p);
    this.timeoutS = this.p.connectTimeout > 0 ? this.p.connectTimeout : DEFAULT_CONNECT_TIMEOUT_S;
  }

  /** A libpq-style warning, said once. */
  warn(message: string): void {
    if (this.warnings.includes(message)) return;
    this.warnings.push(message);
    this.opts.warn?.(message);
  }

  /** The next attempt number (an unreachable host takes one too). */
  nextIndex(): number {
    return ++this.index;
  }

  /**
   * libpq's password order for one host: pgauth's flag, the conninfo or
   * PGPASSWORD, the host's .pgpass line, then what the prompt got (askPassword).
   */
  private passwordFor(host: HostSpec): () => Promise<PasswordAnswer | undefined> {
    const { opts, p } = this;
    let fromFile: PasswordAnswer | undefined;
    if (!opts.password && !p.password) {
      const r = passwordFromFile(p.passfile, { host: pgpassHost(host.hostaddr && !host.host ? '' : host.host, host.hostaddr), port: String(host.port), dbname: p.dbname, user: p.user });
      for (const w of r.warnings) this.warn(w);
      if (r.ignored !== undefined) this.pgpassIgnored = r.ignored;
      if (r.password !== undefined) fromFile = { value: r.password, source: 'pgpass' };
    }
    return async () => {
      if (opts.password) return opts.password;
      if (p.password) return { value: p.password.value, source: p.password.source };
      if (fromFile) return fromFile;
      return this.prompted !== undefined ? { value: this.prompted, source: 'prompt' } : undefined;
    };
  }

  /** A person can still be asked for a password (ProbeOptions.prompt, at most once). */
  get canAsk(): boolean {
    return this.opts.prompt !== undefined && this.prompted === undefined;
  }

  /**
   * psql's loop (startup.c: PQconnectionNeedsPassword, then simple_prompt):
   * called between attempts, with no connection open, so the server's
   * authentication_timeout never runs out while a person types. The time at
   * the prompt is in no step and not on the trace's clock.
   */
  async askPassword(): Promise<void> {
    const asked = Date.now();
    this.prompted = await this.opts.prompt!();
    this.startedAt += Date.now() - asked;
  }

  private tlsFor(side: SideAttempt) {
    const m = this.tlsMaterial;
    if (side.noVerify) return { tls: { verifyChain: false, verifyHost: false } };
    return {
      tls: { ...(m.ca ? { ca: m.ca } : {}), ...(m.cert ? { cert: m.cert } : {}), ...(m.key ? { key: m.key } : {}), verifyChain: m.verifyChain, verifyHost: m.verifyHost },
      ...(m.rootError ? { rootError: m.rootError } : {}),
    };
  }

  /** One attempt, recorded. */
  async attempt(host: HostSpec, address: string | undefined, encryption: Encryption, side: SideAttempt = {}): Promise<AttemptResult> {
    const { opts, p } = this;
    const index = this.nextIndex();
    opts.onProgress?.(
      `attempt ${index}: ${host.unix ? `${host.host} (socket)` : `${address}:${host.port}`}${encryption === 'plain' ? '' : encryption === 'direct' ? ' direct TLS' : ' TLS'}${side.discoverOnly ? ' (diagnostic)' : ''}...`,
    );
    const r = await runAttempt({
      index,
      params: p,
      host,
      ...(address !== undefined ? { address } : {}),
      encryption,
      deadline: Date.now() + this.timeoutS * 1000,
      getPassword: this.passwordFor(host),
      askWhenNeeded: this.canAsk && side.discoverOnly !== true,
      ...(opts.oauthToken ? { oauthToken: opts.oauthToken } : {}),
      discover: opts.discover === true,
      discoverOnly: side.discoverOnly === true,
      ...this.tlsFor(side),
      maxIterations: opts.maxIterations ?? DEFAULT_MAX_ITERATIONS,
      grease: opts.grease === true,
      ...(opts.nonce ? { nonce: opts.nonce } : {}),
      ...(opts.queries ? { queries: opts.queries } : {}),
      startedAt: this.startedAt,
      steps: this.steps,
      trace: this.trace,
    });
    this.attempts.push(r);
    return r;
  }
}

/**
 * The probe: every host (and every address of it) in order, each with
 * libpq's encryption attempts (sslmode prefer: TLS then plaintext; allow:
 * plaintext then TLS), stopping at the first login. Then the diagnosis of
 * the attempt that caused the failure, the server kind, expectations.
 */
import type { ConnectionFacts } from '../hba/decision.js';
import { newAttempt, type AttemptResult, type PasswordAnswer } from './attempt.js';
import type { ConnParams, HostSpec } from './conninfo.js';
import { defaultLookup, resolveHost, TransportError, type LookupFunction } from './connect.js';
import { classifyServerError, diagnose, type ServerKind } from './diagnose.js';
import { encryptionPlan, nextAfterFailure } from './policy/sslmode.js';
import { ProbeRun } from './probe-run.js';
import { detectServerKind } from './server-kind.js';
import { buildReport, type Expectations, type ProbeResult } from './report.js';
import { loginWeaknesses } from './weaknesses.js';
import { withPassThrough } from './pass-through.js';
import type { ServerLogOptions } from './server-log/probe-result.js';

export type { Expectations, ExitKind, ProbeResult } from './report.js';

export interface ProbeOptions {
  params: ConnParams;
  /** A password from pgauth's own flags (--password-stdin, --password-env, --password). */
  password?: PasswordAnswer;
  /** An OAuth bearer token (--oauth-token-env, --oauth-token-stdin). */
  oauthToken?: PasswordAnswer;
  /**
   * Asks a person for the password (the CLI's hidden prompt; undefined when
   * nobody may be asked, as with psql -w). Called at most once, with no
   * connection open: after an attempt learnt the server wants a password no
   * source had, which was then closed; the hosts are then tried again.
   */
  prompt?: () => Promise<string>;
  /** --discover: send no secret; record the method the server asks for, then disconnect. */
  discover?: boolean;
  trace?: boolean;
  /** --grease: ask for 3.9999 with _pq_.test_protocol_negotiation (PostgreSQL 19 libpq's default). */
  grease?: boolean;
  lookup?: LookupFunction;
  maxIterations?: number;
  expect?: Expectations;
  /** SCRAM client nonce (tests). */
  nonce?: string;
  /** Called for libpq-style warnings (e.g. an unsafe .pgpass), as they happen. */
  warn?: (message: string) => void;
  /** Called as each attempt starts (the CLI shows it on a terminal). */
  onProgress?: (text: string) => void;
  /** Extra queries to run after a successful login (their rows are in `queryResults`). */
  queries?: string[];
  /** `--server-log`: after a refused login, read the server's log for this connection's cause. */
  serverLog?: ServerLogOptions;
  /** pg_hba.conf line proposer (helper E's proposeHbaLine); loaded lazily when absent. */
  proposeHbaLine?: (facts: ConnectionFacts, method: string) => string;
}

const isHbaMiss = (a: AttemptResult) =>
  a.failure?.origin === 'server' && ['no-hba-entry', 'tls-required'].includes(classifyServerError(a.failure.error, a.failure.afterAuthOk));

/**
 * The attempt that explains the failure. Only the last address tried counts
 * (earlier hosts were down, refused or starting up, and libpq moved on); on
 * it, libpq's retry stacks a second error and the first real one is the cause.
 */
export function pickCause(attempts: AttemptResult[]): AttemptResult | undefined {
  const real = attempts.filter((a) => !a.diagnostic && !a.passwordNeeded && a.failure);
  const last = real.at(-1);
  if (!last) return undefined;
  const group = real.filter((a) => a.host === last.host && a.port === last.port && a.address === last.address);
  return group.find((a) => !isHbaMiss(a)) ?? group[0];
}

function addressFromHbaMessage(message: string): string | null {
  return /host "([^"]+)"/.exec(message)?.[1] ?? null;
}

export async function runProbe(opts: ProbeOptions): Promise<ProbeResult> {
  const run = new ProbeRun(opts);
  const p = run.p;
  const success = (await walkHosts(run)) ?? (await askThenWalkAgain(run));
  const cause = success ? undefined : pickCause(run.attempts);
  const side = await sideAttempts(run, cause);
  const { attempts } = run;
  const decisive = success ?? cause ?? attempts[attempts.length - 1];
  const kind = detectServerKind({
    parameters: decisive?.parameters ?? {},
    versionText: decisive?.versionText ?? null,
    errorMessages: attempts.flatMap((a) => (a.failure?.origin === 'server' ? [a.failure.error.message] : a.startupRefusal ? [a.startupRefusal.message] : [])),
    errorCodes: attempts.flatMap((a) => (a.failure?.origin === 'server' ? [a.failure.error.code] : a.startupRefusal ? [a.startupRefusal.code] : [])),
    errorHadRoutine: attempts.some((a) => a.errorHadRoutine),
    backendKeyPid: decisive?.backendKey?.processId ?? null,
    parameterOrder: decisive?.parameterOrder ?? [],
    spoke: attempts.some((a) => a.auth.requests.length > 0 || a.failure?.origin === 'server'),
  });
  const hbaLine = await proposedHbaLine(opts, cause);
  const discovery = !!(success === undefined && !cause && opts.discover);
  const discoveredAttempt = attempts.find((a) => !a.diagnostic && !a.failure && !a.authOk && a.auth.method);
  const decisiveForAuth = success ?? discoveredAttempt ?? cause;
  // A login libpq itself would have failed (channel_binding=prefer, Ed25519 certificate) is reported as that failure.
  const libpqFailure = success?.libpqFailure ?? null;
  const diagnosis = diagnose({
    failure: libpqFailure ?? (success || discoveredAttempt ? null : (cause?.failure ?? null)),
    serverKind: kind.kind,
    user: p.user,
    dbname: p.dbname,
    host: decisive?.host ?? p.hosts[0]!.host,
    port: decisive?.port ?? p.hosts[0]!.port,
    unix: decisive?.unix ?? false,
    tls: cause?.tlsUsed ?? false,
    sslmode: p.sslmode,
    authMethod: decisiveForAuth?.auth.method ?? null,
    passwordSource: decisiveForAuth?.auth.passwordSource ?? null,
    passfile: p.passfile,
    ...(run.pgpassIgnored !== undefined ? { pgpassIgnored: run.pgpassIgnored } : {}),
    userSource: p.sources.user ?? 'default',
    dbnameSource: p.sources.dbname ?? 'default',
    ...side,
    hbaLine,
    discoveryOnly: discovery || !!discoveredAttempt,
    channelBindingMode: p.channelBinding,
    loggedInWithoutBinding: libpqFailure !== null,
    oauth: decisiveForAuth?.auth.oauth ?? null,
    serverVersion: decisive?.parameters.server_version ?? null,
    ...(p.requireAuth ? { requireAuthText: p.requireAuth.text } : {}),
  });
  const weaknesses = success ? weaknessesOf(run, success, kind.kind) : [];
  const { steps, warnings, trace } = run;
  const report = buildReport({ opts, attempts, success, cause, discoveredAttempt, decisive, decisiveForAuth, kind, diagnosis, libpqFailure, steps, warnings, weaknesses, trace });
  withPassThrough(report, opts.expect ?? {});
  if (opts.serverLog) {
    // The log reader and its parsers load only for --server-log.
    const { refineWithServerLog } = await import('./server-log/probe-result.js');
    await refineWithServerLog(report, opts.serverLog, opts.expect ?? {});
  }
  return report;
}

/**
 * Every host, every address of it, each with its sslmode plan, until a
 * login; libpq's rule (policy/sslmode.ts) says after each failure whether
 * the other encryption, the next address, the next host, or nothing follows.
 */
async function walkHosts(run: ProbeRun): Promise<AttemptResult | undefined> {
  hosts: for (const host of run.p.hosts) {
    const addresses = await addressesOf(run, host);
    for (const address of addresses) {
      const plan = encryptionPlan(run.p, host);
      for (let i = 0; i < plan.length; i++) {
        const r = await run.attempt(host, address, plan[i]!);
        if (!r.failure) return r;
        const next = nextAfterFailure(r);
        if (next === 'next-address') break;
        if (next === 'next-host') continue hosts;
        if (next === 'other-encryption' && i + 1 < plan.length) continue;
        return undefined; // libpq gives up: no other address or host after this
      }
    }
  }
  return undefined;
}

/**
 * psql's answer to "fe_sendauth: no password supplied" when it may prompt:
 * the connection is already closed; ask, then connect again from the first
 * host. The closed attempt stays in the report as 'password-needed'.
 */
async function askThenWalkAgain(run: ProbeRun): Promise<AttemptResult | undefined> {
  if (!run.attempts.at(-1)?.passwordNeeded || !run.canAsk) return undefined;
  await run.askPassword();
  return walkHosts(run);
}

/** The addresses to try for a host (none when its name does not resolve: that is recorded as an attempt). */
async function addressesOf(run: ProbeRun, host: HostSpec): Promise<Array<string | undefined>> {
  if (host.unix) return [undefined];
  if (host.hostaddr) return [host.hostaddr];
  const t0 = Date.now();
  try {
    const list = await resolveHost(host.host, run.opts.lookup ?? defaultLookup);
    const addresses = list.map((a) => a.address);
    run.steps.push({ attempt: 0, step: 'resolve', ms: Date.now() - t0, ok: true, detail: `${host.host} -> ${addresses.join(', ')}` });
    return addresses;
  } catch (err) {
    if (!(err instanceof TransportError)) throw err;
    run.steps.push({ attempt: 0, step: 'resolve', ms: Date.now() - t0, ok: false, detail: err.message });
    run.attempts.push(unreachableAttempt(run.nextIndex(), host, err.message));
    return [];
  }
}

/**
 * Diagnostic side attempts (discovery only, no certificate checks) that
 * tell two failures apart: "no pg_hba.conf entry ... no encryption" -- would
 * TLS be admitted? Direct TLS closed on -- does the server take an
 * SSLRequest ('S': no direct TLS, e.g. PostgreSQL 16 and older; 'N': no TLS)?
 */
async function sideAttempts(run: ProbeRun, cause: AttemptResult | undefined): Promise<{ tlsWouldBeAdmitted: boolean; sslRequestAnswer?: 'S' | 'N' | null }> {
  const out: { tlsWouldBeAdmitted: boolean; sslRequestAnswer?: 'S' | 'N' | null } = { tlsWouldBeAdmitted: false };
  if (!cause || cause.unix) return out;
  const host = () => run.p.hosts.find((h) => h.host === cause.host && h.port === cause.port)!;
  const f = cause.failure;
  if (f?.origin === 'server' && !cause.tlsUsed && /^no pg_hba\.conf entry.*no encryption$/.test(f.error.message)) {
    const triedTls = run.attempts.some((a) => a.host === cause.host && a.port === cause.port && (a.tlsUsed || a.sslResponse === 'N'));
    if (!triedTls) {
      const side = await run.attempt(host(), cause.address ?? undefined, 'ssl', { discoverOnly: true, noVerify: true });
      out.tlsWouldBeAdmitted = side.tlsUsed && side.auth.requests.length > 0;
    }
  }
  if (cause.encryption === 'direct' && f?.origin === 'client' && f.code === 'tls-unsupported') {
    const side = await run.attempt(host(), cause.address ?? undefined, 'ssl', { discoverOnly: true, noVerify: true });
    out.sslRequestAnswer = side.sslResponse;
  }
  return out;
}

/**
 * The hba line that would admit this connection as it was made (the hba
 * engine's proposeHbaLine): for no-hba-entry the fix, for tls-required the
 * alternative to connecting with TLS.
 */
async function proposedHbaLine(opts: ProbeOptions, cause: AttemptResult | undefined): Promise<string | null> {
  if (cause?.failure?.origin !== 'server' || !/^no pg_hba\.conf entry/.test(cause.failure.error.message)) return null;
  const propose = opts.proposeHbaLine ?? (await loadProposer());
  const facts: ConnectionFacts = {
    transport: cause.unix ? 'unix' : 'tcp',
    remoteAddress: cause.unix ? null : (addressFromHbaMessage(cause.failure.error.message) ?? cause.clientAddress),
    ssl: cause.tlsUsed,
    gssenc: false,
    user: opts.params.user,
    database: opts.params.dbname,
    replication: false,
  };
  try {
    return propose(facts, 'scram-sha-256');
  } catch {
    return null;
  }
}

/** What libpq accepts without a word (SPEC §10): said after a login, also as warnings. */
function weaknessesOf(run: ProbeRun, success: AttemptResult, serverKind: ServerKind): ReturnType<typeof loginWeaknesses> {
  const weaknesses = loginWeaknesses({
    method: success.auth.method,
    mechanism: success.auth.mechanism,
    tlsUsed: success.tlsUsed,
    unix: success.unix,
    sslmode: run.p.sslmode,
    clientCertificate: (success.tls?.clientCertificate ?? null) !== null,
    serverKind,
  });
  for (const w of weaknesses) run.warn(w.message);
  return weaknesses;
}

function unreachableAttempt(index: number, host: HostSpec, message: string): AttemptResult {
  const attempt = newAttempt(index, host, 'plain', null);
  attempt.failure = { origin: 'client', code: 'dns-failure', message };
  return attempt;
}

async function loadProposer(): Promise<(facts: ConnectionFacts, method: string) => string> {
  return (await import('../hba/index.js')).proposeHbaLine;
}

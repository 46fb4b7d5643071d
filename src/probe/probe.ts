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
import { encryptionPlan, nextAfterFailure } from './policy/sslmode.js';
import { ProbeRun } from './probe-run.js';
import type { Expectations, ProbeResult } from './report.js';
import type { ServerLogOptions } from './server-log/probe-result.js';
import type { SideFindings } from './explain.js';

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

export async function runProbe(opts: ProbeOptions): Promise<ProbeResult> {
  const run = new ProbeRun(opts);
  const walking = walkHosts(run);
  // The diagnosis catalogue, the report and the rest that explains the
  // result load while the first attempt waits on the network: after this
  // turn of the event loop, by when the attempt has sent its first bytes.
  const explaining = new Promise<typeof import('./explain.js')>((resolve, reject) => setImmediate(() => import('./explain.js').then(resolve, reject)));
  explaining.catch(() => undefined); // a failure is reported where it is awaited
  const success = (await walking) ?? (await askThenWalkAgain(run));
  const { pickCause, explain } = await explaining;
  const cause = success ? undefined : pickCause(run.attempts);
  return explain(run, success, cause, await sideAttempts(run, cause));
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
async function sideAttempts(run: ProbeRun, cause: AttemptResult | undefined): Promise<SideFindings> {
  const out: SideFindings = { tlsWouldBeAdmitted: false };
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



function unreachableAttempt(index: number, host: HostSpec, message: string): AttemptResult {
  const attempt = newAttempt(index, host, 'plain', null);
  attempt.failure = { origin: 'client', code: 'dns-failure', message };
  return attempt;
}


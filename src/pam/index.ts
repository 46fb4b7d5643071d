/**
 * PAM authentication for `pgauth serve --auth pam` and `pgauth pam-check`.
 *
 * Every PAM transaction (start, authenticate, acct_mgmt, end) runs on a
 * worker thread from a capped pool, so a slow stack (a fail delay, a remote
 * module, pam_exec) never stalls the event loop or the libuv threadpool.
 * libpam's failure delay is taken over through PAM_FAIL_DELAY and applied
 * here with a timer, after the thread has been given back.
 *
 * pamAuthenticate never rejects and never reports success by accident: every
 * problem (bad input, no libpam, a dead worker) is an outcome with ok=false.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { PamJob, PamJobResult, PamMessageStyle } from './job.js';
import { PG_MAX_AUTH_TOKEN_LENGTH } from '../protocol/limits.js';
import { PAM_CONFIG_ERROR_RESULTS, PAM_SUCCESS, pamResultName } from './codes.js';
import { CANCELLED, PamWorkerPool, type PoolLimits } from './pool.js';

export { PAM_RESULT_NAMES, pamResultName } from './codes.js';
export type { PamMessageStyle } from './job.js';

export interface PamRequest {
  /** PAM service name (a file in the confdir or /etc/pam.d). */
  service: string;
  user: string;
  password: string;
  /** Client address, set as PAM_RHOST (PostgreSQL sets the numeric address). */
  rhost?: string;
  /** PAM configuration folder instead of /etc/pam.d (needs libpam >= 1.4). */
  confdir?: string;
  /**
   * Aborted when the caller no longer wants the answer (the client left): a
   * login still waiting for a thread is then dropped, so PAM never sees an
   * attempt nobody waits for (lockout modules such as pam_faillock count them).
   */
  signal?: AbortSignal;
}

export interface PamStep {
  step: 'start' | 'authenticate' | 'acct_mgmt';
  /** PAM_SUCCESS, PAM_AUTH_ERR, ... */
  result: string;
  /** pam_strerror() */
  text: string;
  ms: number;
}

export interface PamOutcome {
  ok: boolean;
  /**
   * The deciding step's result name: the first step that failed, else the
   * last one (PAM_SUCCESS). When no PAM step could run, one of
   * PGAUTH_INVALID_REQUEST, PGAUTH_LIBPAM_UNAVAILABLE, PGAUTH_BUSY,
   * PGAUTH_WORKER_FAILED.
   */
  result: string;
  text: string;
  steps: PamStep[];
  /** What the stack sent through the conversation (never the password). */
  messages: { style: PamMessageStyle; text: string }[];
  /** The PAM configuration is broken (unknown service, missing module, no libpam), not a refusal. */
  configError: boolean;
  /** Total time, including the wait for a thread and the failure delay. */
  ms: number;
  /** Failure delay libpam asked for and that was applied with a timer (0 on success). */
  delayMs: number;
}

/** Limits on each request's strings: every input is bounded. */
const MAX_SERVICE_BYTES = 255;
const MAX_USER_BYTES = 1024;
const MAX_RHOST_BYTES = 1024;
const MAX_CONFDIR_BYTES = 4096;
/** A module asking for more than this failure delay gets this much. */
const MAX_FAIL_DELAY_MS = 10_000;

export interface PamLimits {
  /** PAM transactions running at once, one worker thread each (default 8; a thread costs about 5 MB). */
  maxConcurrent?: number;
  /** Requests waiting for a thread before new ones are refused (default 1024). */
  maxQueue?: number;
  /** Apply the failure delay libpam asks for (default true). */
  failDelay?: boolean;
  /** Stop a thread that has been idle this long (default 30 s); the next login starts one again. */
  idleMs?: number;
}

const limits: Required<PamLimits> = { maxConcurrent: 8, maxQueue: 1024, failDelay: true, idleMs: 30_000 };
let pool: PamWorkerPool | null = null;

/** Changes the concurrency cap, queue bound or fail-delay policy (applies to later requests). */
export function configurePam(next: PamLimits): void {
  if (next.maxConcurrent !== undefined) {
    if (!Number.isInteger(next.maxConcurrent) || next.maxConcurrent < 1 || next.maxConcurrent > 256) {
      throw new RangeError('maxConcurrent must be an integer from 1 to 256');
    }
    limits.maxConcurrent = next.maxConcurrent;
  }
  if (next.maxQueue !== undefined) {
    if (!Number.isInteger(next.maxQueue) || next.maxQueue < 0) throw new RangeError('maxQueue must be a non-negative integer');
    limits.maxQueue = next.maxQueue;
  }
  if (next.failDelay !== undefined) limits.failDelay = next.failDelay;
  if (next.idleMs !== undefined) {
    if (!Number.isInteger(next.idleMs) || next.idleMs < 1) throw new RangeError('idleMs must be a positive integer');
    limits.idleMs = next.idleMs;
  }
  pool?.setLimits(poolLimits());
}

/** Stops the worker threads (tests, shutdown). A later request starts new ones. */
export async function closePam(): Promise<void> {
  const p = pool;
  pool = null;
  await p?.close();
}

/** Worker threads currently started (for tests). */
export function pamThreadCount(): number {
  return pool?.threads ?? 0;
}

function poolLimits(): PoolLimits {
  return { maxThreads: limits.maxConcurrent, maxQueue: limits.maxQueue, idleMs: limits.idleMs };
}

/**
 * The compiled worker lives next to this file in dist/. When this module is
 * run from its TypeScript source (vitest importing src/), use the built one.
 */
function workerUrl(): URL {
  const here = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const built = new URL('../../dist/pam/worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  return here;
}

function getPool(): PamWorkerPool {
  if (!pool) {
    pool = new PamWorkerPool(workerUrl(), poolLimits());
    installExitHook();
  }
  return pool;
}

let exitHookInstalled = false;

/**
 * Node joins every worker thread before the process exits, and a thread
 * blocked inside a PAM module (a script that sleeps, a network timeout)
 * cannot be interrupted: `serve` would not stop on SIGTERM until the module
 * returned. When PAM calls are still running at exit, leave at once with
 * libc's _exit instead. stdout and stderr are synchronous for files, pipes
 * and terminals on Linux, so nothing already written is lost.
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', (code) => {
    if (!pool || pool.busy === 0) return;
    try {
      const require = createRequire(import.meta.url);
      const ffi = require('koffi') as typeof import('koffi');
      const exitNow = ffi.load('libc.so.6').func('void _exit(int status)');
      exitNow(typeof code === 'number' ? code : 0);
    } catch {
      // fall back to Node's own exit, which waits for the threads
    }
  });
}

export interface PamRequestProblem {
  /** The request field at fault (a CLI names its flag from this). */
  field: 'service' | 'confdir' | 'user' | 'password' | 'rhost';
  why: string;
  /** The configuration's fault (service, confdir), not the person's. */
  config: boolean;
}

/**
 * Why a request cannot be passed to libpam (a NUL byte, an over-long or
 * empty value), or undefined. The value itself is never repeated.
 */
export function pamRequestProblem(req: PamRequest): PamRequestProblem | undefined {
  const check = (value: unknown, field: PamRequestProblem['field'], name: string, max: number, config: boolean, allowEmpty: boolean) => {
    if (typeof value !== 'string') return { field, why: `${name} must be a string`, config };
    if (!allowEmpty && value.length === 0) return { field, why: `${name} is empty`, config };
    if (value.includes('\0')) return { field, why: `${name} contains a NUL byte`, config };
    if (Buffer.byteLength(value) > max) return { field, why: `${name} is longer than ${max} bytes`, config };
    return undefined;
  };
  return (
    check(req.service, 'service', 'the PAM service', MAX_SERVICE_BYTES, true, false) ??
    (req.confdir !== undefined ? check(req.confdir, 'confdir', 'the PAM confdir', MAX_CONFDIR_BYTES, true, false) : undefined) ??
    check(req.user, 'user', 'the user name', MAX_USER_BYTES, false, false) ??
    check(req.password, 'password', 'the password', PG_MAX_AUTH_TOKEN_LENGTH, false, true) ??
    (req.rhost !== undefined ? check(req.rhost, 'rhost', 'the remote host', MAX_RHOST_BYTES, false, true) : undefined)
  );
}

/** Milliseconds to 0.01: enough for a report, no false precision. */
const round = (ms: number): number => Math.round(ms * 100) / 100;

function failure(result: string, text: string, configError: boolean, started: number): PamOutcome {
  return { ok: false, result, text, steps: [], messages: [], configError, ms: round(performance.now() - started), delayMs: 0 };
}

/** Turns what the worker saw into an outcome. Success needs every step, each PAM_SUCCESS. */
function decide(r: PamJobResult): Omit<PamOutcome, 'ms' | 'delayMs'> {
  const steps: PamStep[] = r.steps.map((s) => ({ step: s.step, result: pamResultName(s.code), text: s.text, ms: round(s.ms) }));
  if (r.error !== undefined) {
    return { ok: false, result: 'PGAUTH_LIBPAM_UNAVAILABLE', text: r.error, steps, messages: r.messages, configError: true };
  }
  const failed = r.steps.find((s) => s.code !== PAM_SUCCESS);
  const complete = r.steps.length === 3 && r.steps[2]?.step === 'acct_mgmt';
  if (!failed && complete) {
    const last = steps[2]!;
    return { ok: true, result: last.result, text: last.text, steps, messages: r.messages, configError: false };
  }
  const deciding = failed ?? r.steps.at(-1);
  if (!deciding) {
    return { ok: false, result: 'PGAUTH_WORKER_FAILED', text: 'no PAM step ran', steps, messages: r.messages, configError: false };
  }
  const result = pamResultName(deciding.code);
  const configError = deciding.step === 'start' || PAM_CONFIG_ERROR_RESULTS.has(result);
  return { ok: false, result, text: deciding.text, steps, messages: r.messages, configError };
}

/**
 * Runs pam_authenticate then pam_acct_mgmt for one user, off the event loop.
 * Resolves with ok=true only when pam_start, pam_authenticate and
 * pam_acct_mgmt all returned PAM_SUCCESS. On an authentication failure the
 * delay libpam asked for is awaited before resolving (no thread is held).
 */
export async function pamAuthenticate(req: PamRequest): Promise<PamOutcome> {
  const started = performance.now();
  const bad = pamRequestProblem(req);
  if (bad) return failure('PGAUTH_INVALID_REQUEST', bad.why, bad.config, started);

  const job: PamJob = { service: req.service, user: req.user, password: req.password };
  if (req.rhost !== undefined && req.rhost !== '') job.rhost = req.rhost;
  if (req.confdir !== undefined) job.confdir = req.confdir;

  let reply;
  try {
    reply = await getPool().run(job, req.signal);
  } catch (err) {
    return failure('PGAUTH_WORKER_FAILED', err instanceof Error ? err.message : String(err), false, started);
  }
  if (reply.kind === 'unavailable') return failure('PGAUTH_LIBPAM_UNAVAILABLE', reply.error, true, started);
  if (reply.kind === 'failed') {
    const busy = reply.error.startsWith('too many PAM requests');
    const name = reply.error === CANCELLED ? 'PGAUTH_CANCELLED' : busy ? 'PGAUTH_BUSY' : 'PGAUTH_WORKER_FAILED';
    return failure(name, reply.error, false, started);
  }

  const decided = decide(reply.result);
  let delayMs = 0;
  const fd = reply.result.failDelay;
  if (!decided.ok && limits.failDelay && fd && fd.status !== PAM_SUCCESS && fd.usec > 0) {
    delayMs = Math.min(Math.round(fd.usec / 1000), MAX_FAIL_DELAY_MS);
    await sleep(delayMs);
  }
  return { ...decided, ms: round(performance.now() - started), delayMs };
}

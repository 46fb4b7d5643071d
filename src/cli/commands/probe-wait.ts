/**
 * `probe --wait DURATION` around one target (SPEC §8): the probe again while
 * its diagnosis is transient (src/ci/wait.ts says which), each attempt's
 * connect_timeout bounded by the time left, and what the wait looks like:
 * one updating line on a terminal, one line per attempt in a pipe.
 */
import { isTransient, waitFor, type WaitStep } from '../../ci/wait.js';
import type { ConnParams } from '../../probe/conninfo.js';
import { DEFAULT_CONNECT_TIMEOUT_S } from '../../probe/probe-run.js';
import type { ProbeResult } from '../../probe/probe.js';

/** What `--json` adds under `wait` when --wait was given. */
export interface WaitInfo {
  /** Probes run (1 when the first one settled it). */
  attempts: number;
  waitedMs: number;
  /** The time ran out while the cause was still transient (exit 2). */
  timedOut: boolean;
}

export type WaitedResult = ProbeResult & { wait?: WaitInfo };

/** Shows the wait: each step, and the end when the time ran out (a line on a terminal, or lines in a pipe). */
export interface WaitReporter {
  step(label: string, step: WaitStep<ProbeResult>): void;
  gaveUp(label: string, wait: WaitInfo, result: ProbeResult): void;
}

/** connect_timeout for an attempt with `leftMs` to go: the target's own (or the probe's default), never past the deadline. */
export function boundedConnectTimeout(params: ConnParams, leftMs: number): number {
  const own = params.connectTimeout > 0 ? params.connectTimeout : DEFAULT_CONNECT_TIMEOUT_S;
  return Math.max(1, Math.min(own, Math.ceil(leftMs / 1000)));
}

/**
 * Probes until the result is final or `totalMs` is over. Out of time, the
 * last attempt's result is the answer, with exit `unreachable` (SPEC §8: exit
 * 2 with the last cause), whatever a transient server error would exit with.
 */
export async function probeWaiting(opts: {
  label: string;
  params: ConnParams;
  totalMs: number;
  probe: (params: ConnParams) => Promise<ProbeResult>;
  reporter: WaitReporter;
}): Promise<WaitedResult> {
  const started = Date.now();
  const out = await waitFor({
    totalMs: opts.totalMs,
    attempt: (leftMs) => opts.probe({ ...opts.params, connectTimeout: boundedConnectTimeout(opts.params, leftMs) }),
    transient: (r) => isTransient(r.diagnosis.code),
    onStep: (s) => opts.reporter.step(opts.label, s),
  });
  const wait: WaitInfo = { attempts: out.attempts, waitedMs: Date.now() - started, timedOut: out.timedOut };
  if (out.timedOut) opts.reporter.gaveUp(opts.label, wait, out.result);
  return { ...out.result, ...(out.timedOut && out.result.exit !== 'ok' ? { exit: 'unreachable' as const } : {}), wait };
}

/** "connection-refused (attempt 3, 17s left)"; "(attempt 7, out of time)" for the last one. */
export function waitStepText(label: string, s: WaitStep<ProbeResult>): string {
  const left = s.retrying ? `${Math.ceil(s.leftMs / 1000)}s left` : 'out of time';
  return `waiting for ${label}: ${s.result.diagnosis.code} (attempt ${s.attempt}, ${left})`;
}

/**
 * The reporter for this terminal: an updating line through `draw` on a TTY,
 * else a `pgauth: waiting for ...` line per transient attempt on stderr, and
 * one when the time is up. A final (non-transient) result shows nothing
 * here: the report says it.
 */
export function waitReporter(tty: boolean, draw: (text: string) => void): WaitReporter {
  const say = (text: string) => (tty ? draw(text) : process.stderr.write(`pgauth: ${text}\n`));
  return {
    step(label, s) {
      if (isTransient(s.result.diagnosis.code)) say(waitStepText(label, s));
    },
    gaveUp(label, wait, result) {
      if (!tty) say(`gave up waiting for ${label} after ${wait.attempts} attempts in ${(wait.waitedMs / 1000).toFixed(1)}s: ${result.diagnosis.code}`);
    },
  };
}

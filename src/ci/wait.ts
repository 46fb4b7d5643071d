/**
 * `probe --wait DURATION` (SPEC §8): retry what time can fix, stop at once on
 * what it cannot. Pure apart from the injected clock and sleep, so the policy
 * is tested as a table and the loop without real time.
 */

/** Diagnosis codes that can pass with time: the server is not up yet, busy, or restarting. */
export const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'connection-refused', // not listening yet
  'timeout', // connect_timeout while the host comes up
  'dns-failure', // a container name not registered yet
  'server-starting', // 57P03 the database system is starting up / not yet accepting connections
  'too-many-connections', // 53300
  'server-shutting-down', // 57P01 (a restart in progress)
]);

/** True when waiting could change the outcome of a probe that ended with this diagnosis. */
export const isTransient = (code: string): boolean => TRANSIENT_CODES.has(code);

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
/** Longest --wait accepted: a day (a CI job is killed long before). */
export const MAX_WAIT_MS = 86_400_000;

/**
 * Parses `30s`, `2m`, `1h`, `500ms`, `1m30s` or a bare number of seconds.
 * Returns null for anything else (the caller names the flag).
 */
export function parseDuration(text: string): number | null {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return bounded(Number(t) * 1000);
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(t)) return null;
  let total = 0;
  for (const m of t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  return bounded(total);
}

const bounded = (ms: number): number | null => (Number.isFinite(ms) && ms > 0 && ms <= MAX_WAIT_MS ? Math.round(ms) : null);

/** Pause before retry number `n` (1-based): 250 ms, growing by half, at most 2 s. */
export function backoffMs(n: number): number {
  return Math.min(2000, Math.round(250 * 1.5 ** Math.max(0, n - 1)));
}

export interface WaitClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: WaitClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface WaitStep<R> {
  result: R;
  /** 1-based attempt number. */
  attempt: number;
  /** Milliseconds left before the deadline after this attempt. */
  leftMs: number;
  /** Another attempt follows. */
  retrying: boolean;
}

export interface WaitOutcome<R> {
  result: R;
  attempts: number;
  /** The last result was transient and the time ran out. */
  timedOut: boolean;
}

/**
 * Runs `attempt` until it gives a result `transient` says is final, or the
 * time is up. `attempt` receives the milliseconds left, to bound its own
 * connect timeout.
 */
export async function waitFor<R>(opts: {
  totalMs: number;
  attempt: (leftMs: number) => Promise<R>;
  transient: (r: R) => boolean;
  onStep?: (s: WaitStep<R>) => void;
  clock?: WaitClock;
}): Promise<WaitOutcome<R>> {
  const clock = opts.clock ?? realClock;
  const deadline = clock.now() + opts.totalMs;
  for (let n = 1; ; n++) {
    const result = await opts.attempt(Math.max(1, deadline - clock.now()));
    const left = deadline - clock.now();
    const pause = backoffMs(n);
    const again = opts.transient(result) && left > 0;
    opts.onStep?.({ result, attempt: n, leftMs: Math.max(0, left), retrying: again });
    if (!opts.transient(result)) return { result, attempts: n, timedOut: false };
    if (!again) return { result, attempts: n, timedOut: true };
    await clock.sleep(Math.min(pause, left));
    if (clock.now() >= deadline) return { result, attempts: n, timedOut: true };
  }
}

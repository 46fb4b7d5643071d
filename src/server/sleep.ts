/**
 * The wait of `SELECT pg_sleep(N)`: a timer, so the event loop and every
 * other session go on meanwhile. It ends when the time is up, when a
 * CancelRequest cancels it, or when the session ends (the client left, or
 * shutdown), whichever comes first; `onEnd` is called exactly once.
 */

export type SleepEnd = 'finished' | 'canceled' | 'abandoned';

/** setTimeout's longest delay (2^31 - 1 ms, about 24.8 days); longer sleeps are chained. */
const MAX_TIMER_MS = 2_147_483_647;

export class StatementSleep {
  private timer: NodeJS.Timeout | undefined;
  private ended = false;
  private readonly deadline: number;
  private readonly onAbort = () => this.end('abandoned');

  constructor(
    ms: number,
    private readonly signal: AbortSignal,
    private readonly onEnd: (end: SleepEnd) => void,
  ) {
    this.deadline = Date.now() + Math.max(0, ms);
    if (signal.aborted) {
      queueMicrotask(() => this.end('abandoned'));
      return;
    }
    signal.addEventListener('abort', this.onAbort, { once: true });
    this.arm();
  }

  /** Ends the sleep as cancelled; false if it had already ended. */
  cancel(): boolean {
    if (this.ended) return false;
    this.end('canceled');
    return true;
  }

  private arm(): void {
    const left = this.deadline - Date.now();
    if (left <= 0) {
      // A timer, not a direct call: the answer never goes out inside the pump that started the sleep.
      this.timer = setTimeout(() => this.end('finished'), 0);
      return;
    }
    this.timer = setTimeout(() => (Date.now() >= this.deadline ? this.end('finished') : this.arm()), Math.min(left, MAX_TIMER_MS));
  }

  private end(how: SleepEnd): void {
    if (this.ended) return;
    this.ended = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.signal.removeEventListener('abort', this.onAbort);
    this.onEnd(how);
  }
}

/**
 * authentication_timeout for every connection on one timer. All connections
 * of a server share the same timeout, so their deadlines come in the order
 * the connections were made: a Map (insertion-ordered) is the queue, its
 * first entry the next to expire, and one unref'd timer is armed for it.
 * A connection that finishes authentication leaves the queue (O(1)).
 * Deadlines are on the monotonic clock: a wall-clock step (NTP) neither
 * closes every connection at once nor lifts the timeout.
 */

export class AuthDeadlines {
  private readonly queue = new Map<object, { at: number; expire: () => void }>();
  private timer: NodeJS.Timeout | undefined;
  private firing = false;

  constructor(private readonly timeoutMs: number) {}

  /** `expire` runs once `timeoutMs` from now, unless `cancel(key)` comes first. */
  start(key: object, expire: () => void): void {
    const at = performance.now() + this.timeoutMs;
    this.queue.set(key, { at, expire });
    if (!this.timer && !this.firing) this.arm(at);
  }

  /** The key's deadline no longer applies. The timer stays armed: when it fires with nothing due it re-arms or stops. */
  cancel(key: object): void {
    this.queue.delete(key);
  }

  /** Connections still waiting to authenticate. */
  get size(): number {
    return this.queue.size;
  }

  private arm(at: number): void {
    this.timer = setTimeout(() => this.fire(), Math.max(0, at - performance.now()));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    this.firing = true;
    const now = performance.now();
    try {
      for (const [key, entry] of this.queue) {
        if (entry.at > now) break;
        this.queue.delete(key);
        entry.expire();
      }
    } finally {
      this.firing = false;
      const next = this.queue.values().next();
      if (!next.done) this.arm(next.value.at);
    }
  }
}

const shared = new Map<number, AuthDeadlines>();

/** The one deadline queue for a timeout (every server in this process with that --auth-timeout shares it). */
export function authDeadlines(timeoutMs: number): AuthDeadlines {
  let q = shared.get(timeoutMs);
  if (!q) {
    q = new AuthDeadlines(timeoutMs);
    shared.set(timeoutMs, q);
  }
  return q;
}

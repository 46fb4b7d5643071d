/** authentication_timeout on one shared timer: order, cancel, re-arming. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthDeadlines } from '../../src/server/auth-deadlines.js';
import { pooledRandomBytes } from '../../src/server/random-pool.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('AuthDeadlines', () => {
  it('expires each connection timeoutMs after it started, in order, skipping the cancelled', () => {
    vi.useFakeTimers();
    const q = new AuthDeadlines(1000);
    const expired: string[] = [];
    const a = {}, b = {}, c = {};
    q.start(a, () => expired.push('a'));
    vi.advanceTimersByTime(300);
    q.start(b, () => expired.push('b'));
    vi.advanceTimersByTime(300);
    q.start(c, () => expired.push('c'));
    q.cancel(b);
    vi.advanceTimersByTime(399);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(expired).toEqual(['a']);
    vi.advanceTimersByTime(599);
    expect(expired).toEqual(['a']); // b's deadline passed, but b was cancelled
    vi.advanceTimersByTime(1);
    expect(expired).toEqual(['a', 'c']);
    expect(q.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('uses one timer however many connections wait, and re-arms for one started while expiring', () => {
    vi.useFakeTimers();
    const q = new AuthDeadlines(500);
    const expired: number[] = [];
    for (let i = 0; i < 100; i++) q.start({ i }, () => expired.push(i));
    expect(vi.getTimerCount()).toBe(1);
    const late = {};
    q.start(late, () => expired.push(-1));
    const first = {};
    // A connection started from inside an expiry still gets its full timeout.
    q.cancel(late);
    q.start(first, () => q.start(late, () => expired.push(-1)));
    vi.advanceTimersByTime(500);
    expect(expired).toHaveLength(100);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(499);
    expect(expired).toHaveLength(100);
    vi.advanceTimersByTime(1);
    expect(expired.at(-1)).toBe(-1);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('pooledRandomBytes', () => {
  it('never hands out the same bytes twice, across pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 3000; i++) seen.add(pooledRandomBytes(18).toString('hex'));
    expect(seen.size).toBe(3000);
  });
});

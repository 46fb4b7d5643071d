/** The pure parts of protocol negotiation and cancelling: version decisions, key checks, the sleep timer. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CancelRegistry, cancelLogText, sameCancelKey } from '../../src/server/cancel.js';
import { cancelRequestProblem, decideProtocol, protocolRangeFor, unsupportedProtocolText } from '../../src/server/protocol-version.js';
import { StatementSleep, type SleepEnd } from '../../src/server/sleep.js';

const v18 = protocolRangeFor('18.0');
const v17 = protocolRangeFor('17.4');

describe('decideProtocol (as PostgreSQL 18.4 and 17.10 answered, test/server/protocol.test.ts)', () => {
  it.each([
    // [server, major, minor, options, negotiate code or null, key bytes]
    [v18, 3, 0, [], null, 4],
    [v18, 3, 1, [], null, 4],
    [v18, 3, 2, [], null, 32],
    [v18, 3, 9999, ['_pq_.test_protocol_negotiation'], 196610, 32],
    [v18, 3, 0, ['_pq_.x'], 196608, 4],
    [v17, 3, 0, [], null, 4],
    [v17, 3, 1, [], 196608, 4],
    [v17, 3, 2, [], 196608, 4],
    [v17, 3, 2, ['_pq_.x', '_pq_.z'], 196608, 4],
  ] as const)('case %#', (range, major, minor, options, code, keyBytes) => {
    const d = decideProtocol(major, minor, options, range);
    expect(d).toEqual({
      kind: 'accept',
      minor: Math.min(minor, range.newestMinor),
      negotiate: code === null ? null : { type: 'NegotiateProtocolVersion', version: code, unrecognizedOptions: [...options] },
      cancelKeyBytes: keyBytes,
    });
  });
  it('refuses other majors, protocol 2 and older in their own format', () => {
    expect(decideProtocol(2, 0, [], v18)).toEqual({ kind: 'refuse', message: 'unsupported frontend protocol 2.0: server supports 3.0 to 3.2', preV3: true });
    expect(decideProtocol(4, 1, [], v17)).toEqual({ kind: 'refuse', message: 'unsupported frontend protocol 4.1: server supports 3.0 to 3.0', preV3: false });
    expect(unsupportedProtocolText(1234, 5679, v18)).toBe('unsupported frontend protocol 1234.5679: server supports 3.0 to 3.2');
  });
  it('the newest version follows --server-version', () => {
    expect(['9.6', '14', '16.2', '17.10', '18.0', '19beta1'].map((v) => protocolRangeFor(v).newestMinor)).toEqual([0, 0, 0, 0, 2, 2]);
  });
  it('CancelRequest lengths: 18 takes 1-256 bytes of key, 17 the 16-byte packet only', () => {
    expect([0, 1, 4, 32, 256, 257].map((n) => cancelRequestProblem(n, v18))).toEqual([
      'invalid length of cancel key in cancel request packet',
      null,
      null,
      null,
      null,
      'invalid length of cancel key in cancel request packet',
    ]);
    expect([4, 3, 32].map((n) => cancelRequestProblem(n, v17))).toEqual([null, 'invalid length of startup packet', 'invalid length of startup packet']);
  });
});

describe('CancelRegistry', () => {
  it('cancels only with the same key, of the same length', () => {
    const key = Buffer.alloc(32, 7);
    let running = true;
    const reg = new CancelRegistry();
    const target = { secretKey: key, cancelStatement: () => running };
    reg.add(1001, target);
    expect(reg.cancel(1001, key.subarray(0, 4))).toBe('wrong-key');
    expect(reg.cancel(1001, Buffer.concat([key, Buffer.from([7])]))).toBe('wrong-key');
    expect(reg.cancel(1002, key)).toBe('no-process');
    expect(reg.cancel(1001, Buffer.from(key))).toBe('canceled');
    running = false;
    expect(reg.cancel(1001, key)).toBe('idle');
    reg.delete(1001, { ...target }); // another session's object does not remove this one
    expect(reg.has(1001)).toBe(true);
    reg.delete(1001, target);
    expect(reg.cancel(1001, key)).toBe('no-process');
    expect(sameCancelKey(Buffer.from([1, 2, 3, 4]), Buffer.from([1, 2, 3, 5]))).toBe(false);
    expect(cancelLogText(7, 'wrong-key')).toBe('wrong key in cancel request for process 7');
    expect(cancelLogText(7, 'no-process')).toBe('PID 7 in cancel request did not match any process');
  });
});

describe('StatementSleep', () => {
  afterEach(() => {
    vi.useRealTimers();
  });
  const track = (ms: number, signal = new AbortController().signal) => {
    const ends: SleepEnd[] = [];
    const sleep = new StatementSleep(ms, signal, (e) => ends.push(e));
    return { sleep, ends };
  };
  it('finishes after its time, beyond setTimeout\'s 24.8-day limit too', () => {
    vi.useFakeTimers();
    const short = track(1500);
    vi.advanceTimersByTime(1499);
    expect(short.ends).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(short.ends).toEqual(['finished']);
    const long = track(30 * 24 * 3600 * 1000);
    vi.advanceTimersByTime(25 * 24 * 3600 * 1000);
    expect(long.ends).toEqual([]);
    vi.advanceTimersByTime(5 * 24 * 3600 * 1000);
    expect(long.ends).toEqual(['finished']);
  });
  it('ends once: cancelled, or abandoned when the session ends', () => {
    vi.useFakeTimers();
    const a = track(10_000);
    expect(a.sleep.cancel()).toBe(true);
    expect(a.sleep.cancel()).toBe(false);
    vi.advanceTimersByTime(20_000);
    expect(a.ends).toEqual(['canceled']);
    const life = new AbortController();
    const b = track(10_000, life.signal);
    life.abort();
    vi.advanceTimersByTime(20_000);
    expect(b.ends).toEqual(['abandoned']);
    expect(b.sleep.cancel()).toBe(false);
  });
});

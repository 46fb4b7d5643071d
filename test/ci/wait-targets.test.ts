/** probe --wait's policy and loop, and the many-targets helpers, without real time. */
import { describe, expect, it } from 'vitest';
import { backoffMs, isTransient, parseDuration, waitFor, type WaitClock } from '../../src/ci/wait.js';
import { TargetsFileError, mapLimit, parseTargetsFile, worstExit } from '../../src/ci/targets.js';
import { DIAGNOSIS_CODES } from '../../src/probe/diagnose.js';

/** A clock that moves only when something sleeps or an attempt takes time. */
function fakeClock(): WaitClock & { t: number; sleeps: number[] } {
  const c = { t: 0, sleeps: [] as number[], now: () => c.t, sleep: async (ms: number) => { c.sleeps.push(ms); c.t += ms; } };
  return c;
}

describe('--wait policy', () => {
  it.each([
    ['connection-refused', true], ['timeout', true], ['dns-failure', true], ['server-starting', true],
    ['too-many-connections', true], ['server-shutting-down', true],
    ['auth-failed', false], ['no-hba-entry', false], ['tls-verify-failed', false], ['database-missing', false],
    ['role-missing', false], ['password-required', false], ['ok', false],
  ])('%s transient: %s', (code, transient) => {
    expect(isTransient(code)).toBe(transient);
  });

  it('names only diagnosis codes the probe has', () => {
    for (const c of ['connection-refused', 'timeout', 'dns-failure', 'server-starting', 'too-many-connections', 'server-shutting-down']) {
      expect(DIAGNOSIS_CODES).toContain(c);
    }
  });

  it.each([
    ['30s', 30_000], ['2m', 120_000], ['1m30s', 90_000], ['500ms', 500], ['1h', 3_600_000], ['20', 20_000], ['1.5s', 1500],
    ['', null], ['0', null], ['-3s', null], ['3 s', null], ['3x', null], ['2d', null], ['25h', null],
  ])('duration %j = %j ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('backs off 250 ms growing by half, capped at 2 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(backoffMs)).toEqual([250, 375, 563, 844, 1266, 1898, 2000, 2000]);
  });
});

describe('waitFor', () => {
  it('retries transient results until one is final', async () => {
    const clock = fakeClock();
    const answers = ['connection-refused', 'server-starting', 'ok'];
    const steps: Array<[number, boolean]> = [];
    const out = await waitFor({ totalMs: 20_000, clock, attempt: async () => answers.shift()!, transient: isTransient, onStep: (s) => steps.push([s.attempt, s.retrying]) });
    expect(out).toEqual({ result: 'ok', attempts: 3, timedOut: false });
    expect(steps).toEqual([[1, true], [2, true], [3, false]]);
    expect(clock.sleeps).toEqual([250, 375]);
  });

  it('stops at once on a permanent failure', async () => {
    const clock = fakeClock();
    const out = await waitFor({ totalMs: 30_000, clock, attempt: async () => 'auth-failed', transient: isTransient });
    expect(out).toEqual({ result: 'auth-failed', attempts: 1, timedOut: false });
    expect(clock.sleeps).toEqual([]);
  });

  it('gives up when the time is over, with the last cause, and never sleeps past the deadline', async () => {
    const clock = fakeClock();
    const lefts: number[] = [];
    const out = await waitFor({
      totalMs: 3000,
      clock,
      attempt: async (left) => { lefts.push(left); clock.t += 100; return 'connection-refused'; },
      transient: isTransient,
    });
    expect(out.timedOut).toBe(true);
    expect(out.result).toBe('connection-refused');
    expect(clock.t).toBeLessThanOrEqual(3000 + 100);
    expect(lefts[0]).toBe(3000);
    expect(lefts.every((l) => l > 0 && l <= 3000)).toBe(true);
  });
});

describe('--targets', () => {
  it('reads one target per line with # comments, keeping line numbers', () => {
    const text = '# staging\n\nlocalhost:5432\n  postgresql://u@db/x   # primary\nhost=a password=p#q\n';
    expect(parseTargetsFile(text, 't.txt')).toEqual([
      { target: 'localhost:5432', line: 3 },
      { target: 'postgresql://u@db/x', line: 4 },
      { target: 'host=a password=p#q', line: 5 },
    ]);
  });

  it("keeps a '#' inside a quoted conninfo value, after whitespace or not", () => {
    const text = "host=a application_name='ci #1' # the CI one\nhost=b password='x \\' #y' # quoted quote\n";
    expect(parseTargetsFile(text, 't.txt')).toEqual([
      { target: "host=a application_name='ci #1'", line: 1 },
      { target: "host=b password='x \\' #y'", line: 2 },
    ]);
  });

  it('refuses an empty file and an oversized line, naming file and line', () => {
    expect(() => parseTargetsFile('# nothing\n', 't.txt')).toThrow(TargetsFileError);
    expect(() => parseTargetsFile(`a\n${'x'.repeat(9000)}\n`, 't.txt')).toThrow('t.txt:2: target longer than 8192 characters');
  });

  it('exits with the worst code', () => {
    expect(worstExit([0, 2, 1])).toBe(2);
    expect(worstExit([0, 4, 2])).toBe(4);
    expect(worstExit([])).toBe(0);
  });

  it('runs at most N at once, results in input order', async () => {
    let running = 0;
    let peak = 0;
    const gates: Array<() => void> = [];
    const p = mapLimit([1, 2, 3, 4, 5], 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise<void>((r) => gates.push(r));
      running--;
      return n * 10;
    });
    while (gates.length > 0 || running > 0) {
      await new Promise((r) => setImmediate(r));
      gates.shift()?.();
    }
    expect(await p).toEqual([10, 20, 30, 40, 50]);
    expect(peak).toBe(2);
  });
});

/** The probe's target loop as pure pieces: each attempt's connect_timeout under --wait, a target's name, the worst exit. */
import { describe, expect, it } from 'vitest';
import { boundedConnectTimeout, waitStepText } from '../../src/cli/commands/probe-wait.js';
import { targetLabel, waitMsOf } from '../../src/cli/commands/probe-targets.js';
import { worstExitKind } from '../../src/cli/commands/probe-many.js';
import type { TargetOutcome } from '../../src/cli/commands/probe-summary.js';
import type { ConnParams } from '../../src/probe/conninfo.js';
import type { ProbeResult } from '../../src/probe/probe.js';

describe('--wait bounds each attempt by the time left', () => {
  it.each([
    [0, 60_000, 30], // no connect_timeout: the probe's 30 s, well inside the time left
    [0, 3_500, 4], // the last seconds: at most what is left (whole seconds, as connect_timeout)
    [10, 60_000, 10], // the target's own connect_timeout when shorter
    [10, 2_000, 2],
    [0, 1, 1], // never 0 (libpq: 0 = wait forever)
  ])('connect_timeout=%i with %i ms left: %i s', (own, leftMs, seconds) => {
    expect(boundedConnectTimeout({ connectTimeout: own } as ConnParams, leftMs)).toBe(seconds);
  });

  it('says the target, the cause and the time left, or that the time is out', () => {
    const result = { diagnosis: { code: 'server-starting' } } as ProbeResult;
    expect(waitStepText('app@db:5432/app', { result, attempt: 3, leftMs: 16_200, retrying: true })).toBe('waiting for app@db:5432/app: server-starting (attempt 3, 17s left)');
    expect(waitStepText('app@db:5432/app', { result, attempt: 9, leftMs: 0, retrying: false })).toBe('waiting for app@db:5432/app: server-starting (attempt 9, out of time)');
  });

  it('refuses a --wait that is not a duration, naming the flag', () => {
    expect(waitMsOf('1m30s')).toBe(90_000);
    expect(waitMsOf(undefined)).toBeUndefined();
    expect(() => waitMsOf('soon')).toThrow(/^--wait: expected a duration/);
  });
});

describe('targets', () => {
  it('are named user@host:port/dbname, IPv6 in brackets, every host of a list, never a password', () => {
    const hosts = (...hs: Array<[string, number]>) => hs.map(([host, port]) => ({ host, port })) as ConnParams['hosts'];
    expect(targetLabel({ user: 'app', dbname: 'appdb', hosts: hosts(['db', 5432]) })).toBe('app@db:5432/appdb');
    expect(targetLabel({ user: 'app', dbname: 'app', hosts: hosts(['::1', 5433]) })).toBe('app@[::1]:5433/app');
    expect(targetLabel({ user: 'u', dbname: 'd', hosts: hosts(['a', 1], ['b', 2]) })).toBe('u@a:1,b:2/d');
  });

  it('the exit of a run is the worst target: 0 < 1 < 2 < 4', () => {
    const of = (...exits: Array<ProbeResult['exit']>) => exits.map((exit) => ({ result: { exit } }) as TargetOutcome);
    expect(worstExitKind(of('ok', 'ok'))).toBe('ok');
    expect(worstExitKind(of('ok', 'rejected', 'ok'))).toBe('rejected');
    expect(worstExitKind(of('unreachable', 'rejected'))).toBe('unreachable');
    expect(worstExitKind(of('rejected', 'expectation', 'unreachable'))).toBe('expectation');
  });
});

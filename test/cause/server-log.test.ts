/**
 * Each 28P01 cause made for real on PostgreSQL 15 and 18, refined from the
 * server's own log: stderr with Debian's log_line_prefix (both), csvlog (15),
 * jsonlog (18), all written by the logging collector from the same events.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { refineFromServerLog } from '../../src/probe/server-log/refine.js';
import type { LogFormat } from '../../src/probe/server-log/record.js';
import { waitFor, type Cluster } from '../helpers/pg.js';
import { CASES, collectorCluster, probeLogin, QUIET_PREFIX, quietCluster, read, SETUP, waitForLogLine } from './helpers.js';

describe.each([
  { version: 15, destinations: 'stderr,csvlog', formats: ['stderr', 'csvlog'] as LogFormat[] },
  { version: 18, destinations: 'stderr,jsonlog', formats: ['stderr', 'jsonlog'] as LogFormat[] },
])('PostgreSQL $version', ({ version, destinations, formats }) => {
  let c: Cluster;
  const file = (f: LogFormat) => join(c.dataDir, 'log', { stderr: 'server.log', csvlog: 'server.csv', jsonlog: 'server.json' }[f]);
  beforeAll(async () => {
    c = await collectorCluster(version, destinations);
    await c.sql(SETUP);
  }, 120_000);
  afterAll(async () => c?.stop());

  test.each(CASES)('%s (%s) is %s', async (user, password, cause) => {
    const login = await probeLogin(c, user, password);
    expect(login.result.error.code).toBe('28P01');
    expect(login.facts.clientPort).toBeGreaterThan(0);
    for (const format of formats) {
      await waitForLogLine(read(file(format)), `for user ""${user}""`.replace(/""/g, format === 'stderr' ? '"' : format === 'jsonlog' ? '\\"' : '""'));
      const r = refineFromServerLog({ file: file(format), format, probe: login.facts });
      expect({ format, code: r.code, matchedBy: r.matchedBy, ambiguous: r.ambiguous, missing: r.missingSettings }).toEqual({
        format,
        code: cause,
        matchedBy: 'client-port',
        ambiguous: false,
        missing: [],
      });
      expect(r.hbaLine?.line).toBe(user === 'erin' ? 2 : 3);
      expect(r.hbaLine?.file).toBe(version >= 16 ? join(c.dataDir, 'pg_hba.conf') : null);
      // Only this connection's lines: its own port, never another user's.
      expect(r.evidence.join('\n')).toContain(String(login.facts.clientPort));
      expect(r.evidence.join('\n')).not.toMatch(new RegExp(CASES.filter(([u]) => u !== user).map(([u]) => `"${u}"|${u}@`).join('|')));
    }
  });

  test('two probes failing at the same moment for different users: each its own lines', async () => {
    const [a, b] = await Promise.all([probeLogin(c, 'alice', 'wrong'), probeLogin(c, 'nobody', 'x')]);
    for (const format of formats) {
      // Both FATALs are in the file once both connections are matched to a failure (the collector writes after the clients have their errors).
      const refine = (facts: typeof a.facts) => refineFromServerLog({ file: file(format), format, probe: facts });
      const [ra, rb] = await waitFor(() => {
        const both = [refine(a.facts), refine(b.facts)] as const;
        return both.every((r) => r.evidence.some((l) => l.includes('FATAL') || l.includes('"FATAL"') || l.includes(',FATAL,'))) && both;
      }, 'both failures in the log');
      expect([ra.code, rb.code]).toEqual(['password-mismatch', 'role-missing']);
      expect(ra.evidence.join('\n')).not.toContain('nobody');
      expect(rb.evidence.join('\n')).not.toContain('alice');
    }
  });
});

describe('PostgreSQL 15 without log_connections and without %r or %p', () => {
  let c: Cluster;
  beforeAll(async () => {
    c = await quietCluster();
  }, 120_000);
  afterAll(async () => c?.stop());

  test('says what is missing and still narrows by user and time', async () => {
    const login = await probeLogin(c, 'bob', 'right');
    const r = refineFromServerLog({ file: c.logFile, format: 'stderr', prefix: QUIET_PREFIX, probe: login.facts });
    expect(r).toMatchObject({ code: 'password-expired', matchedBy: 'user-time', ambiguous: false });
    expect(r.missingSettings).toEqual(['log_connections = on', 'log_line_prefix with %p (process ID)', 'log_line_prefix with %r (client host and port) or %h (client host)']);
    expect(r.evidence.join('\n')).toContain('User "bob" has an expired password.');
  });

  test('two failing logins at the same moment for different users: no cross-talk', async () => {
    const [a, b] = await Promise.all([probeLogin(c, 'carl', 'x'), probeLogin(c, 'dora', 'right')]);
    const ra = refineFromServerLog({ file: c.logFile, prefix: QUIET_PREFIX, probe: a.facts });
    const rb = refineFromServerLog({ file: c.logFile, prefix: QUIET_PREFIX, probe: b.facts });
    expect([ra.code, rb.code]).toEqual(['no-password-set', 'secret-not-scram']);
    expect(ra.evidence.join('\n')).not.toContain('dora');
    expect(rb.evidence.join('\n')).not.toContain('carl');
  });

  test('the same user failing twice in the window is ambiguous, and shows no lines', async () => {
    const [a] = await Promise.all([probeLogin(c, 'alice', 'wrong'), probeLogin(c, 'alice', 'wrong')]);
    const r = refineFromServerLog({ file: c.logFile, prefix: QUIET_PREFIX, probe: a.facts });
    expect(r).toMatchObject({ ambiguous: true, code: 'password-mismatch', evidence: [] });
  });
});

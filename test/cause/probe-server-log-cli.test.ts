/**
 * `pgauth probe --server-log FILE` end to end: the built CLI against real
 * PostgreSQL clusters logging to a file. Each of the five 28P01 causes made
 * for real on PostgreSQL 15 (stderr, Debian's log_line_prefix) and named by
 * the probe's diagnosis; jsonlog once on 18; a log without log_connections
 * and without %r/%p says what is missing and still narrows by user and time.
 * (The refiner's format matrix is test/cause/server-log.test.ts.)
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Cluster } from '../helpers/pg.js';
import { pgauth } from '../helpers/proc.js';
import { CASES, collectorCluster, QUIET_PREFIX, quietCluster, SETUP } from './helpers.js';

interface ProbeJson {
  ok: boolean;
  error: { code: string | null; message: string | null };
  diagnosis: { code: string; cause: string; fix: string };
  attempts: Array<{ clientPort: number | null; startedAt: string; endedAt: string | null; cause: boolean }>;
  serverLog: {
    file: string;
    format: string;
    code: string;
    detail: string | null;
    hbaLine: { file: string | null; line: number; text: string; method: string | null } | null;
    matchedBy: string;
    ambiguous: boolean;
    evidence: string[];
    missingSettings: string[];
  } | null;
}

/** The CLI's probe with the password from the environment (never argv). */
async function probe(c: Cluster, user: string, password: string, extra: string[]): Promise<{ code: number | null; json: ProbeJson; stdout: string; stderr: string }> {
  const target = `host=127.0.0.1 port=${c.port} user=${user} dbname=postgres sslmode=disable connect_timeout=10`;
  const r = await pgauth(['probe', target, '--password-env', 'PGAUTH_TEST_PW', ...extra], { env: { PGAUTH_TEST_PW: password, PGPASSFILE: '/nonexistent' } });
  const json = extra.includes('--json') ? (JSON.parse(r.stdout) as ProbeJson) : (null as unknown as ProbeJson);
  return { code: r.code, json, stdout: r.stdout, stderr: r.stderr };
}

describe('PostgreSQL 15, stderr log with Debian\'s log_line_prefix', () => {
  let c: Cluster;
  const logFile = () => join(c.dataDir, 'log', 'server.log');
  beforeAll(async () => {
    c = await collectorCluster(15, 'stderr');
    await c.sql(SETUP);
  }, 120_000);
  afterAll(async () => c?.stop());

  test.each(CASES)('%s (%s): the probe names %s', async (user, password, cause) => {
    const { code, json } = await probe(c, user, password, ['--server-log', logFile(), '--json']);
    expect(code).toBe(1);
    expect(json.error.code).toBe('28P01');
    expect(json.diagnosis.code).toBe(cause);
    const port = json.attempts.find((a) => a.cause)!.clientPort!;
    expect(port).toBeGreaterThan(0);
    expect(json.serverLog).toMatchObject({ file: logFile(), format: 'stderr', code: cause, matchedBy: 'client-port', ambiguous: false, missingSettings: [] });
    expect(json.serverLog!.hbaLine).toMatchObject({ file: null, line: user === 'erin' ? 2 : 3, method: user === 'erin' ? 'md5' : 'scram-sha-256' });
    // Only this connection's lines: its own port and user, no other role's.
    const evidence = json.serverLog!.evidence.join('\n');
    expect(evidence).toContain(`port=${port}`);
    expect(evidence).not.toMatch(new RegExp(CASES.filter(([u]) => u !== user).map(([u]) => `"${u}"|${u}@`).join('|')));
  });

  test('human output: the cause, the matched hba line and this connection\'s lines', async () => {
    const r = await probe(c, 'bob', 'right', ['--server-log', logFile()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/diagnosis password-expired/);
    expect(r.stdout).toContain('User "bob" has an expired password.');
    expect(r.stdout).toContain('pg_hba.conf line 3: host all all 127.0.0.1/32 scram-sha-256');
    expect(r.stdout).not.toContain('carl');
  });

  test('bad flags: a missing log file and a prefix without a stderr log are usage errors (exit 3), before connecting', async () => {
    const missing = await probe(c, 'bob', 'right', ['--server-log', join(c.dataDir, 'log', 'nope.log'), '--json']);
    expect({ code: missing.code, stderr: missing.stderr.trim() }).toEqual({ code: 3, stderr: expect.stringMatching(/^pgauth: --server-log .*nope\.log: cannot read it \(ENOENT\)$/) });
    const prefix = await probe(c, 'bob', 'right', ['--server-log', logFile(), '--server-log-format', 'jsonlog', '--log-line-prefix', '%m ']);
    expect(prefix.code).toBe(3);
    expect(prefix.stderr).toContain('--log-line-prefix applies to a stderr log, not jsonlog');
  });
});

describe('PostgreSQL 18, jsonlog', () => {
  let c: Cluster;
  beforeAll(async () => {
    c = await collectorCluster(18, 'jsonlog');
    await c.sql(SETUP);
  }, 120_000);
  afterAll(async () => c?.stop());

  test('secret-not-scram read from server.json (format by extension), with PostgreSQL 18\'s hba file name', async () => {
    const { code, json } = await probe(c, 'dora', 'right', ['--server-log', join(c.dataDir, 'log', 'server.json'), '--json']);
    expect(code).toBe(1);
    expect(json.diagnosis.code).toBe('secret-not-scram');
    expect(json.serverLog).toMatchObject({ format: 'jsonlog', code: 'secret-not-scram', matchedBy: 'client-port', detail: 'User "dora" does not have a valid SCRAM secret.' });
    expect(json.serverLog!.hbaLine).toMatchObject({ file: join(c.dataDir, 'pg_hba.conf'), line: 3 });
  });
});

describe('PostgreSQL 15 without log_connections and without %r or %p', () => {
  let c: Cluster;
  beforeAll(async () => {
    c = await quietCluster();
  }, 120_000);
  afterAll(async () => c?.stop());

  test('says which settings are missing and still names the cause by user and time', async () => {
    const { code, json } = await probe(c, 'carl', 'x', ['--server-log', c.logFile, '--log-line-prefix', QUIET_PREFIX, '--json']);
    expect(code).toBe(1);
    expect(json.diagnosis.code).toBe('no-password-set');
    expect(json.serverLog).toMatchObject({ code: 'no-password-set', matchedBy: 'user-time', ambiguous: false });
    expect(json.serverLog!.missingSettings).toEqual(['log_connections = on', 'log_line_prefix with %p (process ID)', 'log_line_prefix with %r (client host and port) or %h (client host)']);
  });
});

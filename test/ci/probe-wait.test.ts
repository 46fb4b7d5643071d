/**
 * `pgauth probe --wait` (SPEC §8) against real PostgreSQL: a server that
 * comes up while the probe waits, a wrong password that fails at once, a
 * port nobody opens, and a real 57P03 (a standby with hot_standby = off)
 * waited out until `pg_ctl promote`. Each server event is triggered by the
 * probe's own attempt line on stderr, never by a sleep.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith, pgMissing } from '../helpers/env.js';
import { freePort, startCluster, type Cluster } from '../helpers/pg.js';
import { PGAUTH_BIN, startPgauth, type RunResult } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';
import { startTmux, tmuxMissing, type TmuxSession } from '../helpers/tmux.js';
import { startScramCluster } from './helpers.js';
import { cleanEnv, probeJson } from '../probe/helpers.js';

const PW = 'wait-s3cret';
const conninfo = (port: number, user: string) => `host=127.0.0.1 port=${port} user=${user} dbname=postgres sslmode=disable`;
const attemptLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('pgauth: waiting for '));

/** The probe's end: logged in as postgres after more than one attempt, within the time. */
async function loggedInAfterWaiting(done: Promise<RunResult>): Promise<{ r: RunResult; doc: any }> {
  const r = await done;
  expect(r.code, r.stderr).toBe(0);
  const doc = JSON.parse(r.stdout);
  expect(doc.ok).toBe(true);
  expect(doc.auth.currentUser).toBe('postgres');
  expect(doc.wait).toMatchObject({ timedOut: false });
  expect(doc.wait.attempts).toBeGreaterThan(1);
  return { r, doc };
}

describeWith(pgMissing(), 'probe --wait against a server that is not up yet', () => {
  const clusters: Cluster[] = [];
  afterAll(async () => {
    for (const c of clusters) await c.stop();
  });

  it('a cluster started after the wait began (on the first connection-refused line): logs in, exit 0', async () => {
    const port = await freePort();
    const pg = await startCluster({ port, start: false });
    clusters.push(pg);
    const probe = startPgauth(['probe', conninfo(port, 'postgres'), '--wait', '20s', '--json'], { env: cleanEnv() });
    await probe.waitForStderr(/^pgauth: waiting for postgres@127\.0\.0\.1:\d+\/postgres: connection-refused \(attempt 1, \d+s left\)$/m);
    await pg.start();
    const { r, doc } = await loggedInAfterWaiting(probe.done);
    expect(attemptLines(r.stderr).length).toBe(doc.wait.attempts - 1);
  }, 90_000);

  it('57P03 from a real standby (hot_standby = off) is waited out until pg_ctl promote, then logs in', async () => {
    const pg = await startCluster({ standby: true, conf: { hot_standby: 'off' } });
    clusters.push(pg);
    const probe = startPgauth(['probe', conninfo(pg.port, 'postgres'), '--wait', '30s', '--json'], { env: cleanEnv() });
    await probe.waitForStderr(/: server-starting \(attempt 1, \d+s left\)$/m);
    await pg.promote();
    const { r } = await loggedInAfterWaiting(probe.done);
    expect(r.stderr).toMatch(/server-starting \(attempt 1/);
  }, 90_000);
});

describeWith(pgMissing(), 'probe --wait stops at once on a permanent failure', () => {
  let pg: Cluster;
  beforeAll(async () => {
    pg = await startScramCluster({ alice: PW });
  }, 90_000);
  afterAll(async () => {
    await pg?.stop();
  });

  it('a wrong password with --wait 30s: exit 1 after exactly one attempt, no wait line', async () => {
    const r = await probeJson([conninfo(pg.port, 'alice'), '--wait', '30s', '--password-stdin'], { input: 'wrong\n' });
    expect(r.code).toBe(1);
    expect(r.json.diagnosis.code).toBe('auth-failed');
    expect(r.json.wait).toMatchObject({ attempts: 1, timedOut: false });
    expect(attemptLines(r.stderr)).toEqual([]);
  });

  it('the right password with --wait: logs in on the first attempt, the document carries wait', async () => {
    const r = await probeJson([conninfo(pg.port, 'alice'), '--wait', '30s', '--password-stdin'], { input: `${PW}\n` });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.auth.method).toBe('scram-sha-256');
    expect(r.json.wait).toMatchObject({ attempts: 1, timedOut: false });
  });
});

it('a port nobody opens with --wait 3s: exit 2 naming connection-refused, after several attempts', async () => {
  const port = await freePort();
  const r = await probeJson([conninfo(port, 'alice'), '--wait', '3s', '--no-password']);
  expect(r.code).toBe(2);
  expect(r.json.ok).toBe(false);
  expect(r.json.diagnosis.code).toBe('connection-refused');
  expect(r.json.exit).toBe('unreachable');
  expect(r.json.wait.timedOut).toBe(true);
  expect(r.json.wait.attempts).toBeGreaterThan(1);
  const lines = attemptLines(r.stderr);
  expect(lines.length).toBe(r.json.wait.attempts);
  expect(lines[0]).toMatch(new RegExp(`^pgauth: waiting for alice@127\\.0\\.0\\.1:${port}/postgres: connection-refused \\(attempt 1, \\d+s left\\)$`));
  expect(r.stderr).toMatch(new RegExp(`^pgauth: gave up waiting for alice@127\\.0\\.0\\.1:${port}/postgres after ${r.json.wait.attempts} attempts in [\\d.]+s: connection-refused$`, 'm'));
}, 30_000);

it('without --json the report is the usual one, and a timed-out wait exits 2', async () => {
  const port = await freePort();
  const probe = startPgauth(['probe', conninfo(port, 'alice'), '--wait', '1s', '--no-password'], { env: cleanEnv() });
  const r = await probe.done;
  expect(r.code).toBe(2);
  expect(r.stdout).toMatch(/^diagnosis connection-refused$/m);
  expect(r.stdout).not.toMatch(/"wait"/);
}, 30_000);

describeWith(tmuxMissing(), 'probe --wait on a terminal', () => {
  let tty: TmuxSession | undefined;
  afterAll(() => tty?.kill());

  it('one updating line (target, last cause, time left), erased at the end; --json output untouched', async () => {
    const port = await freePort();
    const home = tempDir('pgauth-wait-tty-');
    try {
      const out = join(home.path, 'probe.json');
      tty = startTmux(`${process.execPath} ${PGAUTH_BIN} probe '${conninfo(port, 'alice')}' --wait 5s --no-password --json > ${out}`, { NO_COLOR: '1', HOME: home.path });
      const during = await tty.waitForText(/connection-refused \(attempt [3-9]/);
      const waiting = during.split('\n').filter((l) => l.includes('waiting for'));
      expect(waiting).toHaveLength(1);
      expect(waiting[0]).toMatch(new RegExp(`^waiting for alice@127\\.0\\.0\\.1:${port}/postgres: connection-refused \\(attempt \\d+, \\d+s left\\)`));
      expect(await tty.waitForExit()).toBe(2);
      expect(tty.screen()).not.toContain('waiting for');
      expect(JSON.parse(readFileSync(out, 'utf8')).wait.timedOut).toBe(true);
    } finally {
      home.remove();
    }
  }, 30_000);
});

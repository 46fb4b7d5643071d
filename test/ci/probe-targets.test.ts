/**
 * `pgauth probe T1 T2 ...` (SPEC §8) over five real targets at once:
 * PostgreSQL with the right password, PostgreSQL with a role whose password
 * is another (auth-failed), pgauth serve, PgBouncer in front of PostgreSQL,
 * and a closed port. One summary, the worst exit (2), `--json` with five
 * results in order, `--targets FILE`, `--jobs 1`; `--junit` read back by a
 * JUnit parser; GitHub annotations and the step summary from the same run.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'junit2json';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith, pgMissing, pgbouncerMissing } from '../helpers/env.js';
import { freePort, type Cluster } from '../helpers/pg.js';
import { startPgBouncer, type Bouncer } from '../helpers/pgbouncer.js';
import { pgauth, type RunResult } from '../helpers/proc.js';
import { startServe, type Served } from '../helpers/serve.js';
import { tempDir } from '../helpers/tmp.js';
import { buildScramSecret } from '../../src/secrets/index.js';
import { startScramCluster } from './helpers.js';
import { cleanEnv } from '../probe/helpers.js';

const PW = 'targets-s3cret';
const conninfo = (port: number, user: string) => `host=127.0.0.1 port=${port} user=${user} dbname=postgres sslmode=disable`;

describeWith(pgMissing() ?? pgbouncerMissing(), 'probe over several targets', () => {
  const tmp = tempDir('pgauth-probe-targets-');
  let pg: Cluster;
  let bouncer: Bouncer;
  let served: Served;
  let closedPort: number;
  /** The five targets, in the order every report must keep. */
  let targets: string[];
  let labels: string[];

  beforeAll(async () => {
    pg = await startScramCluster({ alice: PW, bob: 'another-one' });
    const verifier = await pg.sql(`SELECT rolpassword FROM pg_authid WHERE rolname = 'alice'`);
    const userlist = join(tmp.path, 'userlist.txt');
    writeFileSync(userlist, `"alice" "${verifier}"\n`);
    bouncer = await startPgBouncer({ databases: [`postgres = host=127.0.0.1 port=${pg.port} dbname=postgres`], authFile: userlist, authType: 'scram-sha-256' });
    const roles = join(tmp.path, 'roles.txt');
    writeFileSync(roles, `"alice" "${buildScramSecret(PW)}"\n`, { mode: 0o600 });
    served = await startServe(['--auth', 'scram-sha-256', '--roles', roles]);
    closedPort = await freePort();
    const ports = [pg.port, pg.port, served.port, bouncer.port, closedPort];
    const users = ['alice', 'bob', 'alice', 'alice', 'alice'];
    targets = ports.map((p, i) => conninfo(p, users[i]!));
    labels = ports.map((p, i) => `${users[i]}@127.0.0.1:${p}/postgres`);
  }, 120_000);
  afterAll(async () => {
    await served?.stop();
    await bouncer?.stop();
    await pg?.stop();
    tmp.remove();
  });

  /** pgauth probe with the password in an environment variable (the same for every target). */
  const probe = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> =>
    pgauth(['probe', ...args, '--password-env', 'TARGETS_PW'], { env: cleanEnv({ TARGETS_PW: PW, ...env }) });

  /** The five results in order: ok, auth-failed, ok (pgauth serve), ok (PgBouncer), connection-refused. */
  const expectFiveResults = (doc: any) => {
    expect(doc.ok).toBe(false);
    expect(doc.results).toHaveLength(5);
    expect(doc.results.map((r: any) => r.target.hosts[0].port)).toEqual([pg.port, pg.port, served.port, bouncer.port, closedPort]);
    expect(doc.results.map((r: any) => r.diagnosis.code)).toEqual(['ok', 'auth-failed', 'ok', 'ok', 'connection-refused']);
    expect(doc.results.map((r: any) => r.exit)).toEqual(['ok', 'rejected', 'ok', 'ok', 'unreachable']);
    expect(doc.results.map((r: any) => r.server.kind)).toEqual(['postgresql', 'postgresql', 'pgauth', 'pgbouncer', 'unknown']);
  };

  it('five targets on the command line: one summary, a row each, exit = the worst (2)', async () => {
    const r = await probe(targets);
    expect(r.code, r.stderr).toBe(2);
    // Piped: plain aligned columns (two spaces apart), a header, a rule of dashes, a row per target.
    const lines = r.stdout.split('\n');
    const head = lines.findIndex((l) => l.startsWith('target '));
    expect(lines[head + 1]).toMatch(/^-+( +-+)+$/);
    const rows = lines.slice(head + 2, head + 7);
    expect(rows.map((l) => l.trim().split(/ {2,}/).slice(0, 5))).toEqual([
      [labels[0], 'ok', 'scram-sha-256', 'no', 'ok'],
      [labels[1], 'rejected (1)', 'scram-sha-256', 'no', 'auth-failed'],
      [labels[2], 'ok', 'scram-sha-256', 'no', 'ok'],
      [labels[3], 'ok', 'scram-sha-256', 'no', 'ok'],
      [labels[4], 'no response (2)', '-', 'no', 'connection-refused'],
    ]);
    expect(r.stdout).toContain(`FAILED ${labels[1]}: auth-failed: password authentication failed for user "bob"`);
    expect(r.stdout).toMatch(/^2 of 5 targets failed, 3 ok$/m);
  }, 60_000);

  it('--json: {ok, results} with the five probe documents in order', async () => {
    const r = await probe([...targets, '--json']);
    expect(r.code, r.stderr).toBe(2);
    expectFiveResults(JSON.parse(r.stdout));
  }, 60_000);

  it('--targets FILE with comments and blank lines, and --jobs 1: the same five results in the same order', async () => {
    const file = join(tmp.path, 'targets.txt');
    const body = ['# the services of this pipeline', targets[0], targets[1] + '   # bob has another password', '', '  # pgauth serve', targets[2], targets[3], targets[4], ''];
    writeFileSync(file, body.join('\n'));
    const r = await probe(['--targets', file, '--jobs', '1', '--json']);
    expect(r.code, r.stderr).toBe(2);
    expectFiveResults(JSON.parse(r.stdout));
  }, 60_000);

  it('worst exit: all reachable ones but one rejected give 1; all ok give 0', async () => {
    expect((await probe([targets[0]!, targets[1]!, targets[2]!])).code).toBe(1);
    const ok = await probe([targets[0]!, targets[3]!, '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, results: [{ ok: true }, { ok: true }] });
  }, 60_000);

  it('--junit: read back by a JUnit parser, one testcase per target, the failures carry diagnosis, cause and fix', async () => {
    const file = join(tmp.path, 'probe.xml');
    const r = await probe([...targets, '--junit', file]);
    expect(r.code, r.stderr).toBe(2);
    const doc = (await parse(readFileSync(file, 'utf8'))) as { testsuite: Array<{ tests: number; failures: number; testcase: Array<{ name: string; classname: string; failure?: Array<{ message: string; inner: string }> }> }> };
    const suite = doc.testsuite[0]!;
    expect(suite.tests).toBe(5);
    expect(suite.failures).toBe(2);
    expect(suite.testcase.map((c) => c.name)).toEqual(labels);
    expect(suite.testcase.map((c) => c.failure === undefined)).toEqual([true, false, true, true, false]);
    const bob = suite.testcase[1]!.failure![0]!;
    expect(bob.message).toBe('auth-failed: password authentication failed for user "bob"');
    expect(bob.inner).toMatch(/^diagnosis: auth-failed$/m);
    expect(bob.inner).toMatch(/^cause: .+/m);
    expect(bob.inner).toMatch(/^fix: .+/m);
    expect(suite.testcase[4]!.failure![0]!.message).toMatch(/^connection-refused: /);
  }, 60_000);

  it('--junit with an unmet expectation: the testcase fails naming it', async () => {
    const file = join(tmp.path, 'expect.xml');
    const r = await probe([targets[0]!, targets[2]!, '--expect-auth', 'md5', '--junit', file]);
    expect(r.code).toBe(4);
    const doc = (await parse(readFileSync(file, 'utf8'))) as { testsuite: Array<{ testcase: Array<{ failure?: Array<{ message: string; inner: string }> }> }> };
    const failure = doc.testsuite[0]!.testcase[0]!.failure![0]!;
    expect(failure.message).toBe('expectation not met: auth md5');
    expect(failure.inner).toContain('expected auth md5: the server asked for scram-sha-256');
  }, 60_000);

  it('GITHUB_ACTIONS=true: one ::error per failed target on stdout, line by line, and the step summary written', async () => {
    const summary = join(tmp.path, 'summary.md');
    const r = await probe(targets, { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary });
    expect(r.code).toBe(2);
    const commands = r.stdout.split('\n').filter((l) => l.startsWith('::'));
    expect(commands).toHaveLength(2);
    expect(commands[0]).toMatch(new RegExp(`^::error title=pgauth probe bob@127\\.0\\.0\\.1%3A${pg.port}/postgres%3A auth-failed::password authentication failed for user "bob"%0A.+%0AFix: .+$`));
    expect(commands[1]).toMatch(new RegExp(`^::error title=pgauth probe alice@127\\.0\\.0\\.1%3A${closedPort}/postgres%3A connection-refused::connection to server at .+%0AFix: .+$`));
    const md = readFileSync(summary, 'utf8');
    expect(md).toMatch(/^### pgauth probe$/m);
    expect(md).toContain('5 targets, 2 failed');
    expect(md).toContain(`| ${labels[1]} | rejected (1) | scram-sha-256 | no | auth-failed |`);
  }, 60_000);

  it('GITHUB_ACTIONS=true with --json: the workflow commands go to stderr, stdout stays one JSON document', async () => {
    const r = await probe([...targets, '--json'], { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: join(tmp.path, 'summary-json.md') });
    expectFiveResults(JSON.parse(r.stdout));
    expect(r.stderr.split('\n').filter((l) => l.startsWith('::error '))).toHaveLength(2);
  }, 60_000);

  it('--no-annotations: no workflow command anywhere, no step summary', async () => {
    const summary = join(tmp.path, 'summary-none.md');
    const r = await probe([...targets, '--no-annotations'], { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary });
    expect(r.code).toBe(2);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/^::/m);
    expect(existsSync(summary)).toBe(false);
  }, 60_000);

  it('a single target keeps its own report and JSON document (no results list)', async () => {
    const r = await probe([targets[0]!, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.results).toBeUndefined();
    expect(doc).toMatchObject({ ok: true, exit: 'ok', auth: { method: 'scram-sha-256', currentUser: 'alice' } });
    expect(doc.wait).toBeUndefined();
  });
});

it('--json with a missing --targets file or a bad --wait: one JSON document, ok:false, kind usage, exit 3', async () => {
  const missing = await pgauth(['probe', '--targets', '/nonexistent/targets.txt', '--json'], { env: cleanEnv() });
  expect(missing.code).toBe(3);
  expect(JSON.parse(missing.stdout)).toEqual({ ok: false, error: { kind: 'usage', message: '--targets /nonexistent/targets.txt: No such file or directory' } });
  const badWait = await pgauth(['probe', '127.0.0.1:1', '--wait', 'soon', '--json'], { env: cleanEnv() });
  expect(badWait.code).toBe(3);
  expect(JSON.parse(badWait.stdout)).toMatchObject({ ok: false, error: { kind: 'usage', message: expect.stringContaining('--wait') } });
});

it('a targets file line libpq refuses is a usage error naming file:line, before anything is probed', async () => {
  const tmp = tempDir('pgauth-targets-bad-');
  try {
    const file = join(tmp.path, 'targets.txt');
    writeFileSync(file, '# ok\n127.0.0.1:1\nhost=127.0.0.1 port=nope\n');
    const r = await pgauth(['probe', '--targets', file, '--json'], { env: cleanEnv() });
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout).error).toEqual({ kind: 'usage', message: `--targets ${file}:3: invalid port number: "nope"` });
  } finally {
    tmp.remove();
  }
});

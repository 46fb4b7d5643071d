/**
 * check-roles --against, for real: a cluster seeded from the role file
 * (`pgauth export --format sql` through psql), drifted five ways, reported,
 * then brought in line by the --sync SQL through psql; the second run of
 * the sync SQL says nothing.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parse as parseJunit } from 'junit2json';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { exportRoles } from '../../src/roles/commands.js';
import { hasDrift } from '../../src/roles/drift.js';
import { driftAgainstServer } from '../../src/probe/drift-live.js';
import { loadRoleFile } from '../../src/roles/index.js';
import { formatRoleLine } from '../../src/roles/format.js';
import { exportSqlSync } from '../../src/roles/sql-sync.js';
import { buildScramSecret } from '../../src/secrets/index.js';
import { startCluster, type Cluster } from '../helpers/pg.js';
import { pgauth } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';

const secret = (password: string, saltByte: number) => buildScramSecret(password, { iterations: 4096, salt: Buffer.alloc(16, saltByte) });
const ROLES = [
  { name: 'alice', secret: secret('alice-pw', 1), attrs: { memberOf: ['staff'] } },
  { name: 'bob', secret: secret('bob-pw', 2), attrs: {} },
  { name: 'carol', secret: secret('carol-pw', 3), attrs: {} },
  { name: 'dave', secret: secret('dave-pw', 4), attrs: { connLimit: 3 } },
  { name: 'erin', secret: secret('erin-pw', 5), attrs: { memberOf: ['ops', 'staff'] } },
  { name: 'frank', secret: secret('frank-pw', 6), attrs: {} },
];

describe.each([15, 18])('PostgreSQL %i', (version) => {
  let c: Cluster;
  let tmp: ReturnType<typeof tempDir>;
  const file = () => join(tmp.path, 'roles.txt');
  const writeRoles = (roles: typeof ROLES) => writeFileSync(file(), roles.map((r) => formatRoleLine(r)).join('\n') + '\n', { mode: 0o600 });
  const psql = async (sql: string) => {
    const r = await c.client('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', c.socketDir, '-p', String(c.port), '-U', 'postgres', '-d', 'postgres', '-f', '-'], { input: sql });
    expect(r.code, r.stderr).toBe(0);
    return r.stderr;
  };
  const fileRoles = async () => [...(await loadRoleFile(file())).roles.values()];
  const drift = async () => (await driftAgainstServer(await fileRoles(), `postgresql://postgres@127.0.0.1:${c.port}/postgres?sslmode=disable`)).roles.filter(hasDrift);

  beforeAll(async () => {
    tmp = tempDir('pgauth-drift-');
    c = await startCluster({ version });
    writeRoles(ROLES);
    await psql((await exportRoles({ path: file(), format: 'sql' })).text);
  }, 120_000);
  afterAll(async () => {
    await c?.stop();
    tmp?.remove();
  });

  test('seeded from the file: no drift', async () => {
    expect(await drift()).toEqual([]);
  });

  test('drifted five ways: all five reported; --sync brings the server in line, silently the second time', async () => {
    // The file drops erin's membership of ops; the server drifts four ways.
    writeRoles(ROLES.map((r) => (r.name === 'erin' ? { ...r, attrs: { memberOf: ['staff'] } } : r)));
    await psql(`ALTER ROLE alice PASSWORD '${secret('alice-pw', 9)}';
SET password_encryption = 'md5'; ALTER ROLE bob PASSWORD 'bob-pw'; RESET password_encryption;
ALTER ROLE carol VALID UNTIL '2001-01-01 00:00:00+00';
ALTER ROLE dave NOLOGIN;`);
    const found = await drift();
    expect(found.map((d) => [d.role, d.differences])).toEqual([
      ['alice', [{ kind: 'verifier', why: 'salt', file: 'scram-sha-256', server: 'scram-sha-256' }]],
      ['bob', [{ kind: 'verifier', why: 'kind', file: 'scram-sha-256', server: 'md5' }]],
      ['carol', [{ kind: 'valid-until', file: null, server: '2001-01-01T00:00:00Z' }]],
      ['dave', [{ kind: 'login', file: true, server: false }]],
      ['erin', [{ kind: 'membership', onlyInFile: [], onlyOnServer: ['ops'] }]],
    ]);
    expect(found.find((d) => d.role === 'bob')?.md5StoredOn).toEqual(['server']);

    const sync = exportSqlSync(await fileRoles(), file()).sql;
    await psql(sync);
    expect(await drift()).toEqual([]);
    const second = await psql(sync);
    expect(second).not.toMatch(/NOTICE|WARNING/);
    expect(await drift()).toEqual([]);
  });

  test('through the CLI: check-roles --against names six drifts (exit 1), export --format sql --sync | psql, then none (exit 0)', async () => {
    const uri = `postgresql://postgres@127.0.0.1:${c.port}/postgres?sslmode=disable`;
    const check = async () => {
      const r = await pgauth(['check-roles', '--roles', file(), '--against', uri, '--json']);
      return { code: r.code, json: JSON.parse(r.stdout) as { ok: boolean; servers: Array<{ server: string; roles: Array<{ role: string; status: string; differences: unknown[] }> }> }, stderr: r.stderr };
    };
    await psql(`ALTER ROLE alice PASSWORD '${secret('alice-pw', 7)}';
SET password_encryption = 'md5'; ALTER ROLE bob PASSWORD 'bob-pw'; RESET password_encryption;
ALTER ROLE carol VALID UNTIL '2001-01-01 00:00:00+00';
ALTER ROLE dave NOLOGIN;
GRANT ops TO erin;
ALTER ROLE frank PASSWORD NULL;`);
    const before = await check();
    expect(before.code, before.stderr).toBe(1);
    expect(before.json.ok).toBe(false);
    expect(before.json.servers.map((s) => s.server)).toEqual([uri]);
    const drifted = before.json.servers[0]!.roles.filter((r) => r.status === 'drift');
    expect(drifted.map((r) => [r.role, (r.differences as Array<{ kind: string; why?: string }>).map((d) => d.why ?? d.kind)])).toEqual([
      ['alice', ['salt']],
      ['bob', ['kind']],
      ['carol', ['valid-until']],
      ['dave', ['login']],
      ['erin', ['membership']],
      ['frank', ['missing']],
    ]);
    const human = await pgauth(['check-roles', '--roles', file(), '--against', uri]);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain('password: none on the server');
    expect(human.stdout).toContain('member of ops on the server only');

    // For CI: a JUnit testcase per role (six failing, with the fix) and an annotation per drifted role at its line in the file.
    const junitFile = join(tmp.path, 'drift.xml');
    const summary = join(tmp.path, 'summary.md');
    writeFileSync(summary, '');
    const ci = await pgauth(['check-roles', '--roles', file(), '--against', uri, '--junit', junitFile], { env: { ...process.env, GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary } });
    expect(ci.code).toBe(1);
    const doc = (await parseJunit(readFileSync(junitFile, 'utf8'))) as { testsuite: Array<{ tests: number; failures: number; testcase: Array<{ name: string; failure?: Array<{ inner: string }> }> }> };
    expect(doc.testsuite[0]!.tests).toBe(6);
    expect(doc.testsuite[0]!.failures).toBe(6);
    expect(doc.testsuite[0]!.testcase[0]!.failure![0]!.inner).toContain('fix: run `pgauth export --format sql --sync | psql`');
    const annotations = ci.stdout.split('\n').filter((l) => l.startsWith('::error '));
    expect(annotations).toHaveLength(6);
    expect(annotations[0]).toMatch(new RegExp(`^::error file=${file().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')},line=1,title=pgauth role-drift::role "alice" drifted from `));
    expect(readFileSync(summary, 'utf8')).toContain('6 errors, 0 warnings');

    const sync = await pgauth(['export', '--roles', file(), '--format', 'sql', '--sync']);
    expect(sync.code, sync.stderr).toBe(0);
    await psql(sync.stdout);
    const after = await check();
    expect({ code: after.code, ok: after.json.ok, drifted: after.json.servers[0]!.roles.filter((r) => r.status === 'drift') }).toEqual({ code: 0, ok: true, drifted: [] });
    expect((await pgauth(['export', '--roles', file(), '--format', 'userlist', '--sync'])).code).toBe(3);
  });

  test('the plain export alone leaves the expiry and the dropped membership in place (why --sync exists)', async () => {
    await psql(`ALTER ROLE carol VALID UNTIL '2001-01-01 00:00:00+00'; GRANT ops TO erin;`);
    // Its GRANTs of held memberships are what made the second run noisy (so the NOTICE check above can fail).
    expect(await psql((await exportRoles({ path: file(), format: 'sql' })).text)).toMatch(/NOTICE: .*(already a member|already been granted)/);
    expect((await drift()).map((d) => d.role)).toEqual(['carol', 'erin']);
    await psql(exportSqlSync(await fileRoles(), file()).sql);
    expect(await drift()).toEqual([]);
  });
});

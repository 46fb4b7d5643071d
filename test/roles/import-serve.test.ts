/**
 * The "fail closed" issue end to end: roles locked by VALID UNTIL in the ways
 * pg_dumpall and people write it are imported locked, and `pgauth serve`
 * refuses them exactly as PostgreSQL does (28P01), while a role valid until
 * 'infinity' still logs in. Before, they were imported with no expiry and
 * serve let them in.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { psqlMissing, runPsql } from '../helpers/clients.js';
import { describeWith } from '../helpers/env.js';
import { pgauth, run } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';
import { startServe, type Served } from '../helpers/serve.js';

const PW = 'pencil';
const LOCKED = ['-infinity', 'epoch', 'yesterday', 'Mon Jan 01 00:00:00 2001 PST', '01/02/2001', '2001-01-01 BC'];

describeWith(psqlMissing(), 'import then serve: locked roles stay locked', () => {
  const tmp = tempDir('pgauth-import-serve-');
  const roles = join(tmp.path, 'userlist.txt');
  let served: Served;
  beforeAll(async () => {
    const sql = [
      ...LOCKED.map((v, i) => `CREATE ROLE locked${i} LOGIN PASSWORD '${PW}' VALID UNTIL '${v}';`),
      `CREATE ROLE open LOGIN PASSWORD '${PW}' VALID UNTIL 'infinity';`,
      `CREATE ROLE odd LOGIN PASSWORD '${PW}' VALID UNTIL 'sometime soon';`,
    ].join('\n');
    const src = join(tmp.path, 'dump.sql');
    writeFileSync(src, sql + '\n');
    const r = await pgauth(['import', src, '--roles', roles, '--import-unreadable-as-nologin', '--json']);
    expect(r.code, r.stderr).toBe(0);
    served = await startServe(['--auth', 'password', '--roles', roles]);
  });
  afterAll(async () => {
    await served?.stop();
    tmp.remove();
  });

  const login = (user: string) =>
    runPsql(`host=127.0.0.1 port=${served.port} user=${user} dbname=postgres sslmode=disable`, 'select current_user', { password: PW });

  it.each(LOCKED.map((v, i) => [v, `locked${i}`]))("VALID UNTIL '%s' is refused as an expired password", async (_v, user) => {
    const r = await login(user);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`password authentication failed for user "${user}"`);
  });

  it("an unreadable VALID UNTIL with --import-unreadable-as-nologin is not permitted to log in", async () => {
    const r = await login('odd');
    expect(r.stderr).toContain('role "odd" is not permitted to log in');
  });

  it("VALID UNTIL 'infinity' still logs in", async () => {
    const r = await login('open');
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('open');
  });
});

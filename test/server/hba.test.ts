/**
 * `serve --hba FILE`: the method per connection from pg_hba.conf rules, the
 * exact no-entry / reject messages, +group from the role file, and a reload
 * that keeps the old rules when the new file is broken. (The differential
 * test against a real PostgreSQL lives in test/hba.)
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login } from '../helpers/clients.js';
import { tempDir } from '../helpers/tmp.js';
import { PASSWORD, writeRoles } from './roles.js';
import { startServe, type Served } from '../helpers/serve.js';

const tmp = tempDir('pgauth-serve-hba-');
const rolesPath = writeRoles(tmp.path);
const hbaPath = join(tmp.path, 'pg_hba.conf');
afterAll(() => tmp.remove());

const RULES = `# test rules
host  all  alice    127.0.0.1/32  scram-sha-256
host  all  carol    127.0.0.1/32  md5
host  all  pat      127.0.0.1/32  password
host  all  nolo     127.0.0.1/32  reject
host  all  +staff   127.0.0.1/32  trust
`;

async function attempt(port: number, user: string, database = 'appdb') {
  const r = await login({ port, user, password: PASSWORD, database }, 'SELECT system_user');
  return r.ok ? { ok: true as const, systemUser: r.row.system_user } : r;
}

describe('pgauth serve --hba', () => {
  let s: Served;
  beforeAll(async () => {
    writeFileSync(hbaPath, RULES);
    s = await startServe(['--hba', hbaPath, '--roles', rolesPath]);
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('runs the method of the first matching line', async () => {
    expect(await attempt(s.port, 'alice')).toEqual({ ok: true, systemUser: 'scram-sha-256:alice' });
    expect(await attempt(s.port, 'carol')).toEqual({ ok: true, systemUser: 'md5:carol' });
    expect(await attempt(s.port, 'pat')).toEqual({ ok: true, systemUser: 'password:pat' });
    expect(await attempt(s.port, 'bob')).toEqual({ ok: true, systemUser: null }); // +staff -> trust
    const line = await s.waitForLine((l) => l.event === 'attempt' && l.user === 'alice', 'the alice line');
    expect(line.rule).toBe(`${hbaPath}:2`);
  });

  it("gives PostgreSQL's messages for a reject line and for no matching line", async () => {
    expect(await attempt(s.port, 'nolo')).toEqual({
      ok: false,
      code: '28000',
      message: 'pg_hba.conf rejects connection for host "127.0.0.1", user "nolo", database "appdb", no encryption',
    });
    expect(await attempt(s.port, 'stranger', 'db1')).toEqual({
      ok: false,
      code: '28000',
      message: 'no pg_hba.conf entry for host "127.0.0.1", user "stranger", database "db1", no encryption',
    });
  });

  it('reloads on SIGHUP; a broken file keeps the old rules and names the line', async () => {
    writeFileSync(hbaPath, RULES + 'host all pat 127.0.0.1/32 nonsense-method\n');
    const mark = s.lines.length;
    s.child.kill('SIGHUP');
    const bad = await s.waitForLine((l) => l.event === 'reload' && l.file === hbaPath && l.ok === false && String(l.error).includes(':7'), 'the failed reload', mark);
    expect(String(bad.error)).toContain(':7');
    expect(String(bad.error)).toContain('keeping the previous rules');
    expect(await attempt(s.port, 'alice')).toEqual({ ok: true, systemUser: 'scram-sha-256:alice' });

    writeFileSync(hbaPath, 'host all all 127.0.0.1/32 trust\n');
    const mark2 = s.lines.length;
    s.child.kill('SIGHUP');
    await s.waitForLine((l) => l.event === 'reload' && l.file === hbaPath && l.ok === true, 'the good reload', mark2);
    expect(await attempt(s.port, 'stranger')).toMatchObject({ ok: false, code: '28000', message: 'role "stranger" does not exist' });
    expect(await attempt(s.port, 'alice')).toEqual({ ok: true, systemUser: null });
  });
});

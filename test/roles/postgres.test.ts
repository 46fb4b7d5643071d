/**
 * The role file against a real PostgreSQL: `pgauth export --format sql | psql`
 * creates roles that log in (identical verifiers, VALID UNTIL and NOLOGIN
 * carried over), and `pgauth import` reads real `pg_dumpall --roles-only`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith, pgMissing } from '../helpers/env.js';
import { startCluster, type Cluster } from '../helpers/pg.js';
import { pgauth } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';
import { loadRoleFile } from '../../src/roles/index.js';
import { buildMd5Secret, parseSecret, verifyPassword } from '../../src/secrets/index.js';

const HBA = [
  'host all all 127.0.0.1/32 scram-sha-256',
  'host all all ::1/128 scram-sha-256',
].join('\n') + '\n';

describeWith(pgMissing(), 'role file <-> a real PostgreSQL', () => {
  let pg: Cluster;
  const tmp = tempDir('pgauth-roles-pg-');
  beforeAll(async () => {
    pg = await startCluster({ hba: HBA });
  });
  afterAll(async () => {
    await pg?.stop();
    tmp.remove();
  });

  const login = (user: string, password: string) =>
    pg.client('psql', ['-X', '-At', '-h', '127.0.0.1', '-p', String(pg.port), '-U', user, '-d', 'postgres', '-c', 'select current_user'], {
      env: { PGPASSWORD: password, PGSSLMODE: 'disable' },
    });

  it('export --format sql | psql creates roles with identical secrets that log in; VALID UNTIL, NOLOGIN, CONNECTION LIMIT, groups carried over', async () => {
    const file = join(tmp.path, 'export.txt');
    const add = async (args: string[], password: string) => {
      const r = await pgauth(['add-role', ...args, '--roles', file, '--password-stdin'], { input: `${password}\n` });
      expect(r.code, r.stderr).toBe(0);
    };
    await add(['app_user', '--member-of', 'readers,app_group,pg_monitor', '--conn-limit', '7'], 'app pass');
    await add(['expired_user', '--valid-until', '2001-02-03T04:05:06Z'], 'old pass');
    await add(['future_user', '--valid-until', '2099-01-01'], 'future pass');
    await add(['no_login', '--nologin'], 'nl pass');
    await add(['md5_user', '--method', 'md5'], 'md5 pass');
    await add(["O'Brien \"quoted\"\\x"], 'odd pass');

    const sql = await pgauth(['export', '--format', 'sql', '--roles', file]);
    expect(sql.code).toBe(0);
    // Twice: the second run must succeed too (idempotent enough to re-apply).
    for (let i = 0; i < 2; i++) {
      const applied = await pg.client('psql', ['-X', '-v', 'ON_ERROR_STOP=1', '-h', pg.socketDir, '-p', String(pg.port), '-U', 'postgres', '-d', 'postgres'], { input: sql.stdout });
      expect(applied.code, applied.stderr).toBe(0);
    }

    const { roles } = await loadRoleFile(file);
    const stored = await pg.sql(
      "select rolname || '|' || rolpassword || '|' || rolcanlogin || '|' || rolconnlimit || '|' || coalesce(to_char(rolvaliduntil at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '') from pg_authid where rolname in ('app_user','expired_user','future_user','no_login','md5_user','O''Brien \"quoted\"\\x') order by rolname",
    );
    const byName = new Map(stored.split('\n').map((l) => [l.split('|')[0]!, l.split('|')]));
    for (const [name, r] of roles) {
      const row = byName.get(name)!;
      expect(row?.[0], `${name}: in pg_authid`).toBe(name);
      expect(row[1], `${name}: identical secret`).toBe(r.secret);
      expect(row[2]).toBe(r.attrs.nologin ? 'false' : 'true');
    }
    expect(byName.get('app_user')![3]).toBe('7');
    expect(byName.get('expired_user')![4]).toBe('2001-02-03T04:05:06Z');
    expect(byName.get('future_user')![4]).toBe('2099-01-01T00:00:00Z');
    expect(await pg.sql("select string_agg(g.rolname, ',' order by g.rolname) from pg_auth_members m join pg_roles g on g.oid = m.roleid join pg_roles u on u.oid = m.member where u.rolname = 'app_user'")).toBe('app_group,pg_monitor,readers');
    expect(await pg.sql("select rolcanlogin from pg_roles where rolname = 'readers'")).toBe('f');

    // Logins: right password works, wrong one and the expired/nologin roles are refused.
    const ok = await login('app_user', 'app pass');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout.trim()).toBe('app_user');
    expect((await login('future_user', 'future pass')).code).toBe(0);
    expect((await login("O'Brien \"quoted\"\\x", 'odd pass')).code).toBe(0);
    const wrong = await login('app_user', 'nope');
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('password authentication failed');
    const expired = await login('expired_user', 'old pass');
    expect(expired.code).not.toBe(0);
    expect(expired.stderr).toContain('password authentication failed');
    const nologin = await login('no_login', 'nl pass');
    expect(nologin.code).not.toBe(0);
    expect(nologin.stderr).toContain('not permitted to log in');
    // An md5 secret under a scram-sha-256 hba line cannot log in (PostgreSQL's rule), but under md5 it does.
    await pg.setHba('host all md5_user 127.0.0.1/32 md5\n' + HBA);
    const md5 = await login('md5_user', 'md5 pass');
    expect(md5.code, md5.stderr).toBe(0);
    await pg.setHba(HBA);
  });

  it('import reads real pg_dumpall --roles-only output: secrets, VALID UNTIL, NOLOGIN, CONNECTION LIMIT, memberships', async () => {
    await pg.sql(
      [
        "SET password_encryption = 'scram-sha-256'",
        "CREATE ROLE dump_scram LOGIN PASSWORD 'scram pw' VALID UNTIL '2031-05-06 07:08:09+00' CONNECTION LIMIT 4",
        'CREATE ROLE dump_group NOLOGIN',
        "CREATE ROLE \"Dump Mixed\" NOLOGIN PASSWORD 'mixed pw' IN ROLE dump_group",
        'GRANT dump_group TO dump_scram',
        "SET password_encryption = 'md5'",
        "CREATE ROLE dump_md5 LOGIN PASSWORD 'md5 pw' VALID UNTIL 'infinity'",
        'CREATE ROLE dump_nopw LOGIN',
      ].join('; '),
    );
    const dump = await pg.client('pg_dumpall', ['--roles-only', '-h', pg.socketDir, '-p', String(pg.port), '-U', 'postgres']);
    expect(dump.code, dump.stderr).toBe(0);
    const dumpFile = join(tmp.path, 'roles.sql');
    writeFileSync(dumpFile, dump.stdout);

    const file = join(tmp.path, 'import.txt');
    writeFileSync(file, '; imported\n', { mode: 0o600 });
    const r = await pgauth(['import', dumpFile, '--roles', file, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { kind: string; added: string[]; skipped: Array<{ name: string; reason: string }> };
    expect(report.kind).toBe('sql');
    expect(report.added).toEqual(expect.arrayContaining(['dump_scram', 'Dump Mixed', 'dump_md5', 'app_user']));
    expect(report.skipped.map((s) => s.name)).toEqual(expect.arrayContaining(['dump_group', 'dump_nopw', 'postgres']));

    const { roles, findings } = await loadRoleFile(file);
    expect(findings.filter((f) => f.severity === 'error')).toEqual([]);
    const scram = roles.get('dump_scram')!;
    expect(scram.secret).toBe(await pg.sql("select rolpassword from pg_authid where rolname = 'dump_scram'"));
    expect(verifyPassword('scram pw', parseSecret(scram.secret), 'dump_scram')).toBe(true);
    expect(scram.attrs).toEqual({ validUntil: '2031-05-06T07:08:09Z', connLimit: 4, memberOf: ['dump_group'] });
    expect(roles.get('Dump Mixed')!.attrs).toEqual({ nologin: true, memberOf: ['dump_group'] });
    const md5 = roles.get('dump_md5')!;
    expect(md5.secret).toBe(buildMd5Secret('md5 pw', 'dump_md5'));
    expect(md5.attrs).toEqual({ validUntil: 'infinity' });
    expect(readFileSync(file, 'utf8').startsWith('; imported\n')).toBe(true);

    // Importing again without --replace skips everything; with it, replaces.
    const again = JSON.parse((await pgauth(['import', dumpFile, '--roles', file, '--json'])).stdout) as { added: string[]; replaced: string[] };
    expect(again.added).toEqual([]);
    const replaced = JSON.parse((await pgauth(['import', dumpFile, '--roles', file, '--replace', '--json'])).stdout) as { replaced: string[] };
    expect(replaced.replaced).toEqual(expect.arrayContaining(['dump_scram', 'dump_md5']));
  });

  it('import from a live server (postgresql:// URI) goes through the probe\'s pg_authid reader and merges like the other sources', async () => {
    await pg.setHba('host all postgres 127.0.0.1/32 trust\n' + HBA);
    try {
      const file = join(tmp.path, 'live.txt');
      const r = await pgauth(['import', `postgresql://postgres@127.0.0.1:${pg.port}/postgres?sslmode=disable`, '--roles', file, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as { kind: string; added: string[] };
      expect(report.kind).toBe('server');
      expect(report.added).toEqual(expect.arrayContaining(['app_user', 'dump_scram']));
      const { roles } = await loadRoleFile(file);
      expect(roles.get('dump_scram')!.secret).toBe(await pg.sql("select rolpassword from pg_authid where rolname = 'dump_scram'"));
      expect(roles.get('dump_scram')!.attrs).toMatchObject({ validUntil: '2031-05-06T07:08:09Z', connLimit: 4, memberOf: ['dump_group'] });
    } finally {
      await pg.setHba(HBA);
    }
  });
});

/**
 * Reading roles from a live PostgreSQL (issue 15): `import postgresql://...`
 * without a password asks on a terminal (hidden) and otherwise names the ways
 * to give one; `hba check --roles postgresql://...` takes +group memberships
 * from the server, read the same way.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith, pgMissing } from '../helpers/env.js';
import { startCluster, type Cluster } from '../helpers/pg.js';
import { pgauth, PGAUTH_BIN } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';
import { startTmux, tmuxMissing, type TmuxSession } from '../helpers/tmux.js';
import { cleanEnv } from '../probe/helpers.js';
import { GROUP_HBA } from '../hba/group-hba.js';

const SUPER_PW = 'super-secret-pw';

describeWith(pgMissing(), 'roles from a live server', () => {
  let pg: Cluster;
  let tty: TmuxSession | undefined;
  const tmp = tempDir('pgauth-live-roles-');
  const uri = () => `postgresql://postgres@127.0.0.1:${pg.port}/postgres?sslmode=disable`;
  beforeAll(async () => {
    pg = await startCluster({ hba: 'host all all 127.0.0.1/32 scram-sha-256\n' });
    await pg.sql(`ALTER ROLE postgres PASSWORD '${SUPER_PW}'`);
    await pg.sql(`CREATE ROLE admins NOLOGIN; CREATE ROLE alice LOGIN PASSWORD 'alice-pw' IN ROLE admins`);
    writeFileSync(join(tmp.path, 'pg_hba.conf'), GROUP_HBA);
  }, 120_000);
  afterAll(async () => {
    tty?.kill();
    await pg?.stop();
    tmp.remove();
  });

  it('import without a password and no terminal: one line naming the ways to give it, and no --no-password', async () => {
    const r = await pgauth(['import', uri(), '--roles', join(tmp.path, 'none.txt')], { env: cleanEnv() });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `pgauth: cannot log in to ${uri()}: the server asked for a password (scram-sha-256) and none was given: use --password-stdin or --password-env VAR, PGPASSWORD or a ~/.pgpass line, or run on a terminal to be asked\n`,
    );
    expect(r.stderr).not.toContain('--no-password');
  });

  itTty('import without a password on a terminal asks for it, hidden, and imports', async () => {
    const roles = join(tmp.path, 'imported.txt');
    const home = cleanEnv().HOME!;
    tty = startTmux(`${process.execPath} ${PGAUTH_BIN} import '${uri()}' --roles ${roles}`, { NO_COLOR: '1', HOME: home, PGPASSWORD: '', PGAUTH_ROLES: '' });
    await tty.waitForText('Password for user postgres:');
    tty.send(SUPER_PW, { literal: true });
    tty.send('Enter');
    expect(await tty.waitForExit(30_000)).toBe(0);
    expect(tty.screen()).not.toContain(SUPER_PW);
    expect(readFileSync(roles, 'utf8')).toMatch(/^"alice" "SCRAM-SHA-256\$4096:/m);
  });

  it('hba check --roles postgresql://...: the server\'s memberships decide the +group line', async () => {
    const file = join(tmp.path, 'pg_hba.conf');
    const r = await pgauth(['hba', 'check', file, '--user', 'alice', '--db', 'app', '--addr', '10.1.2.3', '--roles', uri(), '--password-env', 'SUPER', '--json'], {
      env: cleanEnv({ SUPER: SUPER_PW, PGAUTH_ROLES: '' }),
      cwd: tmp.path,
    });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.line.lineNumber).toBe(2);
    expect(doc.method).toBe('scram-sha-256');
    expect(doc.rolesFile).toBe(uri());
    expect(doc.membershipsUnknown).toEqual([]);
    const bob = await pgauth(['hba', 'check', file, '--user', 'bob', '--db', 'app', '--addr', '10.1.2.3', '--roles', uri(), '--password-env', 'SUPER'], {
      env: cleanEnv({ SUPER: SUPER_PW, PGAUTH_ROLES: '' }),
      cwd: tmp.path,
    });
    expect(bob.code).toBe(1);
    expect(bob.stdout).toContain('+admins 10.0.0.0/8 scram-sha-256  (user does not match)');
  });
});

function itTty(name: string, fn: () => Promise<void>) {
  const missing = tmuxMissing();
  if (missing) it.skip(`${name} (${missing})`, fn);
  else it(name, fn, 60_000);
}

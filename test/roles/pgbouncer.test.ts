/**
 * A real PgBouncer reading a role file written by `pgauth add-role`, in front
 * of a throwaway PostgreSQL: SCRAM and md5 logins, attribute words and `;`
 * comments, and SCRAM pass-through with the same verifier exported to
 * PostgreSQL (no plaintext password anywhere).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeWith, pgMissing, pgbouncerMissing } from '../helpers/env.js';
import { startCluster, type Cluster } from '../helpers/pg.js';
import { startPgBouncer, type Bouncer } from '../helpers/pgbouncer.js';
import { pgauth } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';
import { loadRoleFile } from '../../src/roles/index.js';
import { parseSecret } from '../../src/secrets/index.js';

const HBA = ['host all bob 127.0.0.1/32 md5', 'host all all 127.0.0.1/32 scram-sha-256'].join('\n') + '\n';

describeWith(pgMissing() ?? pgbouncerMissing(), 'a real PgBouncer reads the role file', () => {
  let pg: Cluster;
  let bouncer: Bouncer | undefined;
  const tmp = tempDir('pgauth-roles-bouncer-');
  beforeAll(async () => {
    pg = await startCluster({ hba: HBA });
  });
  afterEach(async () => {
    await bouncer?.stop();
    bouncer = undefined;
  });
  afterAll(async () => {
    await pg?.stop();
    tmp.remove();
  });

  const add = async (file: string, args: string[], password: string) => {
    const r = await pgauth(['add-role', ...args, '--roles', file, '--password-stdin'], { input: `${password}\n` });
    expect(r.code, r.stderr).toBe(0);
  };
  const exportToPostgres = async (file: string) => {
    const sql = await pgauth(['export', '--format', 'sql', '--roles', file]);
    expect(sql.code, sql.stderr).toBe(0);
    const applied = await pg.client('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', pg.socketDir, '-p', String(pg.port), '-U', 'postgres', '-d', 'postgres'], { input: sql.stdout });
    expect(applied.code, applied.stderr).toBe(0);
  };
  const viaBouncer = (user: string, password: string) =>
    pg.client('psql', ['-X', '-At', '-h', '127.0.0.1', '-p', String(bouncer!.port), '-U', user, '-d', 'postgres', '-c', 'select current_user'], {
      env: { PGPASSWORD: password, PGSSLMODE: 'disable' },
    });
  const databases = () => [`postgres = host=127.0.0.1 port=${pg.port} dbname=postgres`];

  it('auth_type scram-sha-256: the right password logs in through SCRAM pass-through, a wrong one is refused; attribute words and ; comments are fine', async () => {
    const file = join(tmp.path, 'scram.txt');
    writeFileSync(file, '; role file for PgBouncer, written by pgauth\n\n', { mode: 0o600 });
    await add(file, ['alice', '--valid-until', '2099-01-01', '--member-of', 'readers', '--conn-limit', '10'], 'alice pass');
    await add(file, ['carol'], 'carol pass');
    // A comment between roles, kept by later rewrites.
    writeFileSync(file, readFileSync(file, 'utf8') + '   ; carol above, dave below\n');
    await add(file, ['dave', '--nologin'], 'dave pass');
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('; carol above, dave below\n');
    expect(text).toMatch(/^"alice" "SCRAM-SHA-256\$4096:[^"]+" valid-until=2099-01-01T00:00:00Z conn-limit=10 member-of=readers$/m);

    // The same verifiers go to PostgreSQL (pass-through needs them identical); nothing plaintext anywhere.
    await exportToPostgres(file);
    const { roles } = await loadRoleFile(file);
    for (const r of roles.values()) {
      expect(parseSecret(r.secret).kind).toBe('scram-sha-256');
      expect(await pg.sql(`select rolpassword from pg_authid where rolname = '${r.name}'`)).toBe(r.secret);
    }

    bouncer = await startPgBouncer({ databases: databases(), authFile: file, authType: 'scram-sha-256' });
    const ini = readFileSync(join(bouncer.dir, 'pgbouncer.ini'), 'utf8');
    expect(ini).not.toMatch(/password/i);

    const ok = await viaBouncer('alice', 'alice pass');
    expect(ok.code, ok.stderr + bouncer.log()).toBe(0);
    expect(ok.stdout.trim()).toBe('alice');
    // PostgreSQL itself authenticated PgBouncer's server connection with SCRAM, using alice's keys.
    expect(pg.log()).toMatch(/connection authenticated: identity="alice" method=scram-sha-256/);
    expect((await viaBouncer('carol', 'carol pass')).code).toBe(0);

    const wrong = await viaBouncer('alice', 'not alice');
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/password authentication failed|SASL authentication failed/);
    const unknown = await viaBouncer('mallory', 'x');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/password authentication failed|SASL authentication failed|no such user/);
    // PgBouncer does not know nologin; PostgreSQL enforces it on the server login.
    const dave = await viaBouncer('dave', 'dave pass');
    expect(dave.code).not.toBe(0);
    expect(dave.stderr).toContain('not permitted to log in');
  });

  it('auth_type md5 with md5 secrets written by pgauth', async () => {
    const file = join(tmp.path, 'md5.txt');
    await add(file, ['bob', '--method', 'md5'], 'bob pass');
    await exportToPostgres(file);
    bouncer = await startPgBouncer({ databases: databases(), authFile: file, authType: 'md5' });
    const ok = await viaBouncer('bob', 'bob pass');
    expect(ok.code, ok.stderr + bouncer.log()).toBe(0);
    expect(ok.stdout.trim()).toBe('bob');
    const wrong = await viaBouncer('bob', 'bob wrong');
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('password authentication failed');
  });

  it('a # line makes PgBouncer drop the roles below it, which check-roles predicted, and add-role refuses to touch', async () => {
    const file = join(tmp.path, 'hash.txt');
    await add(file, ['erin'], 'erin pass');
    writeFileSync(file, readFileSync(file, 'utf8') + '# looks like a comment\n');
    writeFileSync(file, readFileSync(file, 'utf8') + readFileSync(file, 'utf8').split('\n')[0]!.replace('"erin"', '"frank"') + '\n');
    await pg.sql("CREATE ROLE erin LOGIN; CREATE ROLE frank LOGIN");
    const erinSecret = (await loadRoleFile(file)).roles.get('erin')!.secret;
    // frank gets the same verifier in PostgreSQL: had PgBouncer loaded frank's line, his login would succeed.
    await pg.sql(`ALTER ROLE erin PASSWORD '${erinSecret}'; ALTER ROLE frank PASSWORD '${erinSecret}'`);
    const check = await pgauth(['check-roles', '--roles', file, '--json']);
    expect(check.code).toBe(1);
    expect(JSON.parse(check.stdout).findings).toContainEqual(expect.objectContaining({ line: 2, code: 'hash-comment' }));
    expect((await pgauth(['add-role', 'x', '--roles', file, '--password-stdin'], { input: 'x\n' })).code).toBe(3);

    bouncer = await startPgBouncer({ databases: databases(), authFile: file, authType: 'scram-sha-256' });
    expect((await viaBouncer('erin', 'erin pass')).code).toBe(0);
    // frank's line (same secret as erin, so the password would be 'erin pass') is below the '#': PgBouncer never loaded it.
    const frank = await viaBouncer('frank', 'erin pass');
    expect(frank.code).not.toBe(0);
    expect(frank.stderr).toMatch(/(SASL|password) authentication failed/);
    expect(bouncer.log()).toContain('broken auth file');
    const direct = await pg.client('psql', ['-X', '-At', '-h', '127.0.0.1', '-p', String(pg.port), '-U', 'frank', '-d', 'postgres', '-c', 'select 1'], {
      env: { PGPASSWORD: 'erin pass', PGSSLMODE: 'disable' },
    });
    expect(direct.code, direct.stderr).toBe(0);
  });
});

/**
 * Real clients against `pgauth serve` in every method they support: psql
 * (libpq), pgbench -C, node-postgres (simple and parameterised queries, so
 * the extended protocol runs). No PostgreSQL server is needed, only its clients.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPg, PSQL, runPsql } from '../helpers/clients.js';
import { describeWith, which } from '../helpers/env.js';
import { run } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';
import { PASSWORD, writeRoles } from './roles.js';
import { startServe, type Served } from '../helpers/serve.js';

const pgbenchBin = which('pgbench');
const clientsMissing = !PSQL || !pgbenchBin ? 'psql and pgbench not installed (apt-get install postgresql-client)' : undefined;

const tmp = tempDir('pgauth-serve-clients-');
const rolesPath = writeRoles(tmp.path);
const script = join(tmp.path, 'select1.sql');
writeFileSync(script, 'SELECT 1;\n');
afterAll(() => tmp.remove());

function psql(port: number, user: string, sql: string, env: NodeJS.ProcessEnv = {}, conn = '') {
  return runPsql(`host=127.0.0.1 port=${port} user=${user} dbname=appdb sslmode=disable ${conn}`, sql, { password: PASSWORD, env, onErrorStop: true });
}

async function pgbench(port: number, user: string) {
  const r = await run(pgbenchBin!, ['-n', '-C', '-c', '2', '-j', '2', '-t', '15', '-f', script, '-h', '127.0.0.1', '-p', String(port), '-U', user, 'appdb'], {
    env: { ...process.env, PGPASSWORD: PASSWORD, PGSSLMODE: 'disable' },
  });
  return r;
}

async function nodePg(port: number, user: string, password = PASSWORD) {
  const c = await connectPg({ port, user, password, database: 'appdb' });
  try {
    const simple = await c.query('SELECT 1 AS one, current_user, system_user');
    const param = await c.query('SELECT $1::int AS n, $2::text AS t, $3 AS untyped', [42, 'x y', 'z']);
    const prepared = await c.query({ name: 'p1', text: 'SELECT $1::int8 AS big', values: ['9007199254740993'] });
    const again = await c.query({ name: 'p1', text: 'SELECT $1::int8 AS big', values: ['7'] });
    return { simple: simple.rows[0], param: param.rows[0], prepared: prepared.rows[0], again: again.rows[0] };
  } finally {
    await c.end();
  }
}

describeWith(clientsMissing, 'pgauth serve with real clients', () => {
  const cases: Array<{ auth: string; users: Array<{ user: string; systemUser: string | null; mechanism?: string }> }> = [
    { auth: 'trust', users: [{ user: 'alice', systemUser: null }] },
    { auth: 'password', users: [{ user: 'alice', systemUser: 'password:alice' }, { user: 'carol', systemUser: 'password:carol' }, { user: 'pat', systemUser: 'password:pat' }] },
    {
      auth: 'md5',
      users: [
        { user: 'carol', systemUser: 'md5:carol' },
        { user: 'pat', systemUser: 'md5:pat' },
        // md5 with a SCRAM secret falls back to SCRAM, as PostgreSQL does; system_user still names
        // the hba method, as PostgreSQL 16's set_authn_id records port->hba->auth_method.
        { user: 'alice', systemUser: 'md5:alice', mechanism: 'SCRAM-SHA-256' },
      ],
    },
    { auth: 'scram-sha-256', users: [{ user: 'alice', systemUser: 'scram-sha-256:alice', mechanism: 'SCRAM-SHA-256' }, { user: 'pat', systemUser: 'scram-sha-256:pat' }] },
  ];

  for (const c of cases) {
    describe(`--auth ${c.auth}`, () => {
      let s: Served;
      beforeAll(async () => {
        s = await startServe(['--auth', c.auth, '--roles', rolesPath]);
      });
      afterAll(async () => {
        await s?.stop();
      });
      for (const u of c.users) {
        it(`psql logs in as ${u.user} and sees system_user ${u.systemUser}`, async () => {
          const r = await psql(s.port, u.user, 'SELECT system_user');
          expect(r.stderr).toBe('');
          expect(r.code).toBe(0);
          expect(r.stdout).toBe(`${u.systemUser ?? ''}\n`);
          const line = await s.waitForLine((l) => l.event === 'attempt' && l.user === u.user && l.result === 'ok', 'an ok attempt');
          if (u.mechanism) expect(line.mechanism).toBe(u.mechanism);
        });
        it(`pgbench -S as ${u.user}: refused with the list of what is answered, current_database() included`, async () => {
          const r = await run(pgbenchBin!, ['-n', '-S', '-t', '1', '-h', '127.0.0.1', '-p', String(s.port), '-U', u.user, 'appdb'], {
            env: { ...process.env, PGPASSWORD: PASSWORD, PGSSLMODE: 'disable' },
          });
          expect(r.code).not.toBe(0);
          expect(r.stderr).toContain('pgauth serve answers only SELECT of literals');
          expect(r.stderr).toContain('current_database()');
        });
        it(`pgbench -C as ${u.user}: 0 failed transactions`, async () => {
          const r = await pgbench(s.port, u.user);
          expect(r.code, r.stderr).toBe(0);
          expect(r.stdout).toMatch(/number of transactions actually processed: 30\/30/);
          expect(r.stdout).toMatch(/number of failed transactions: 0 /);
        });
        it(`node-postgres as ${u.user}: simple and parameterised queries`, async () => {
          const r = await nodePg(s.port, u.user);
          expect(r.simple).toEqual({ one: 1, current_user: u.user, system_user: u.systemUser });
          expect(r.param).toEqual({ n: 42, t: 'x y', untyped: 'z' });
          expect(r.prepared).toEqual({ big: '9007199254740993' });
          expect(r.again).toEqual({ big: '7' });
        });
      }
      if (c.auth !== 'trust') {
        it('a wrong password is 28P01 with PostgreSQL message, for psql and node-postgres', async () => {
          const user = c.users[0]!.user;
          const r = await psql(s.port, user, 'SELECT 1', { PGPASSWORD: 'wrong' });
          expect(r.code).toBe(2);
          expect(r.stderr).toContain(`FATAL:  password authentication failed for user "${user}"`);
          const err = await nodePg(s.port, user, 'wrong').catch((e: unknown) => e as { code: string; message: string; severity: string });
          expect(err).toMatchObject({ code: '28P01', severity: 'FATAL', message: `password authentication failed for user "${user}"` });
        });
        it('an unknown role gets the same 28P01', async () => {
          const r = await psql(s.port, 'nobody', 'SELECT 1');
          expect(r.stderr).toContain('FATAL:  password authentication failed for user "nobody"');
          const line = await s.waitForLine((l) => l.event === 'attempt' && l.user === 'nobody', 'the nobody attempt');
          expect(line).toMatchObject({ result: 'rejected', sqlstate: '28P01', detail: 'Role "nobody" does not exist.' });
        });
      }
    });
  }

  describe('role attributes and queries (scram-sha-256)', () => {
    let s: Served;
    beforeAll(async () => {
      s = await startServe(['--auth', 'scram-sha-256', '--roles', rolesPath]);
    });
    afterAll(async () => {
      await s?.stop();
    });
    it('an expired valid-until fails like a wrong password', async () => {
      const r = await psql(s.port, 'old', 'SELECT 1');
      expect(r.stderr).toContain('FATAL:  password authentication failed for user "old"');
      const line = await s.waitForLine((l) => l.event === 'attempt' && l.user === 'old', 'the old attempt');
      expect(line.detail).toBe('User "old" has an expired password.');
    });
    it('nologin: 28000 after a successful password check', async () => {
      const err = await nodePg(s.port, 'nolo').catch((e: unknown) => e as { code: string; message: string });
      expect(err).toMatchObject({ code: '28000', message: 'role "nolo" is not permitted to log in' });
    });
    it('conn-limit: 53300 for the second session of the role', async () => {
      const first = await connectPg({ port: s.port, user: 'lim', password: PASSWORD, database: 'd' });
      try {
        const err = await nodePg(s.port, 'lim').catch((e: unknown) => e as { code: string; message: string });
        expect(err).toMatchObject({ code: '53300', message: 'too many connections for role "lim"' });
      } finally {
        await first.end();
      }
      // the slot is given back when the first session ends
      await expect(nodePg(s.port, 'lim')).resolves.toMatchObject({ simple: { one: 1, current_user: 'lim' } });
    });
    it('answers the queries of SPEC §3 in the simple protocol through psql', async () => {
      const sql = [
        'SELECT 7',
        'SELECT current_user, session_user, user',
        'SELECT version()',
        'SHOW server_version',
        'SHOW DateStyle',
        "SET application_name = 'probe'",
        'SHOW application_name',
        'RESET application_name',
        'BEGIN',
        'COMMIT',
        'ROLLBACK',
        'DISCARD ALL',
        '',
      ].join(';\n');
      const r = await psql(s.port, 'alice', sql);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(
        '7\nalice|alice|alice\nPostgreSQL 18.0 (pgauth serve test server, not a database)\n18.0\nISO, MDY\nSET\nprobe\nRESET\nBEGIN\nCOMMIT\nROLLBACK\nDISCARD ALL\n',
      );
    });
    it('anything else is ERROR 0A000 and the session stays usable (node-postgres)', async () => {
      const c = await connectPg({ port: s.port, user: 'alice', password: PASSWORD, database: 'd' });
      try {
        const err = await c.query('SELECT * FROM pg_class').catch((e: unknown) => e as { code: string; message: string; severity: string });
        expect(err).toMatchObject({ code: '0A000', severity: 'ERROR' });
        expect((err as { message: string }).message).toContain('pgauth serve answers only SELECT of literals');
        const err2 = await c.query('SELECT $1::int AS n', ['abc']).catch((e: unknown) => e as { code: string });
        expect(err2).toMatchObject({ code: '22P02' });
        // Regression: a NUL in a parameter once crashed the whole server.
        await expect(c.query('SELECT $1::text AS t', ['a\0b'])).rejects.toMatchObject({ code: '22021', message: 'invalid byte sequence for encoding "UTF8": 0x00' });
        expect((await c.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
        // a failed statement inside a transaction aborts it until ROLLBACK, as PostgreSQL
        await c.query('BEGIN');
        await expect(c.query('SELECT nope')).rejects.toMatchObject({ code: '0A000' });
        await expect(c.query('SELECT 1')).rejects.toMatchObject({ code: '25P02' });
        await c.query('ROLLBACK');
        expect((await c.query('SHOW TimeZone')).rows).toEqual([{ TimeZone: 'UTC' }]);
        expect((await c.query('')).rows).toEqual([]);
      } finally {
        await c.end();
      }
    });
  });

  describe('--auth reject and the pre-auth refusals', () => {
    let s: Served;
    beforeAll(async () => {
      s = await startServe(['--auth', 'reject', '--roles', rolesPath]);
    });
    afterAll(async () => {
      await s?.stop();
    });
    it('answers with pg_hba.conf rejects connection (28000)', async () => {
      const err = await nodePg(s.port, 'alice').catch((e: unknown) => e as { code: string; message: string });
      expect(err).toMatchObject({ code: '28000', message: 'pg_hba.conf rejects connection for host "127.0.0.1", user "alice", database "appdb", no encryption' });
    });
  });
});

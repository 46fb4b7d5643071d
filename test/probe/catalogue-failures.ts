/** Catalogue cases: failures the server reports with an ErrorResponse. */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/pg.js';
import { pgauth } from '../helpers/proc.js';
import { cleanEnv } from './helpers.js';
import { ALICE_PW, MD5_PW, itWhen, type CatalogueContext } from './catalogue.js';

export function serverFailureCases(c: CatalogueContext): void {
  const { probe, withPw, at } = c;
  describe('failures, one per diagnosis code', () => {
    it('auth-failed: wrong password (28P01), the first of the stacked prefer errors is the cause', async () => {
      await c.pg.setHba('host all all 127.0.0.1/32 scram-sha-256\n');
      const r = await withPw([at(), '-U', 'alice'], 'wrong-password');
      expect(r.code).toBe(1);
      expect(r.json.ok).toBe(false);
      expect(r.json.diagnosis.code).toBe('auth-failed');
      expect(r.json.error.code).toBe('28P01');
      expect(r.json.auth.method).toBe('scram-sha-256');
      expect(r.json.attempts.length).toBe(2);
      expect(r.json.attempts[0]).toMatchObject({ encryption: 'ssl', tls: true, cause: true });
      expect(r.json.attempts[1]).toMatchObject({ encryption: 'plain', tls: false, cause: false });
    });

    // The cause of auth-failed names the server log's DETAIL lines that tell the causes apart: each must be this version's text.
    const AUTH_FAILED: Array<[title: string, hba: string, user: string, pw: string, detail: string | null, quoted: string]> = [
      ['a wrong SCRAM password (no DETAIL of its own)', 'scram-sha-256', 'alice', 'wrong-password', null, 'only "Connection matched ..." (wrong password)'],
      ['a wrong md5 password', 'md5', 'mdy', 'wrong-password', 'Password does not match for user "mdy".', '"Password does not match" (wrong password)'],
      ['an unknown role', 'scram-sha-256', 'ghost', 'any-password', 'Role "ghost" does not exist.', '"Role ... does not exist"'],
      ['an md5 secret under scram-sha-256', 'scram-sha-256', 'mdy', MD5_PW, 'User "mdy" does not have a valid SCRAM secret.', '"User ... does not have a valid SCRAM secret"'],
      ['an expired password', 'scram-sha-256', 'expy', ALICE_PW, 'User "expy" has an expired password.', '"User ... has an expired password"'],
    ];
    for (const [title, method, user, pw, detail, quoted] of AUTH_FAILED) {
      it(`auth-failed: ${title} is 28P01, and the log line the cause quotes is PostgreSQL ${c.version}'s`, async () => {
        if (user === 'expy') await c.pg.sql(`DROP ROLE IF EXISTS expy; CREATE ROLE expy LOGIN PASSWORD '${ALICE_PW}' VALID UNTIL '2001-01-01'`);
        await c.pg.setHba(`host all all 127.0.0.1/32 ${method}\n`);
        const before = c.pg.log().length;
        const r = await withPw([`${at()} sslmode=disable`, '-U', user], pw);
        expect(r.code).toBe(1);
        expect(r.json.diagnosis.code).toBe('auth-failed');
        expect(r.json.error.code).toBe('28P01');
        expect(r.json.error.message).toBe(`password authentication failed for user "${user}"`);
        expect(r.json.diagnosis.cause).toContain(quoted);
        const logged = async () => {
          await waitFor(() => c.pg.log().slice(before).includes('Connection matched'), 'the failed login in the log', 10_000);
          return c.pg.log().slice(before).split('\n').filter((l) => /DETAIL:/.test(l)).map((l) => l.replace(/^.*DETAIL:\s+/, ''));
        };
        const details = await logged();
        if (detail === null) expect(details.every((d) => d.startsWith('Connection matched'))).toBe(true);
        else expect(details).toContain(detail);
      });
    }

    it('password-required: the server asks, nothing to give', async () => {
      const r = await probe([at(), '-U', 'alice']);
      expect(r.code).toBe(1);
      expect(r.json.diagnosis.code).toBe('password-required');
      expect(r.json.error.code).toBeNull();
      expect(r.json.auth.method).toBe('scram-sha-256');
      expect(r.json.error.message).toContain('no password supplied');
    });

    it('no-hba-entry: with the pg_hba.conf line that would admit the connection', async () => {
      await c.pg.setHba('host all bob 127.0.0.1/32 trust\n');
      const r = await withPw([`host=127.0.0.1 port=${c.pg.port} sslmode=disable`, '-U', 'alice']);
      expect(r.code).toBe(1);
      expect(r.json.diagnosis.code).toBe('no-hba-entry');
      expect(r.json.error.code).toBe('28000');
      expect(r.json.error.message).toBe('no pg_hba.conf entry for host "127.0.0.1", user "alice", database "alice", no encryption');
      expect(r.json.auth.method).toBeNull();
      expect(r.json.diagnosis.hbaLine).toMatch(/^host\s+alice\s+alice\s+127\.0\.0\.1\/32\s+scram-sha-256$/);
      const human = await pgauth(['probe', `host=127.0.0.1 port=${c.pg.port} sslmode=disable`, '-U', 'alice', '--password-stdin'], { input: ALICE_PW + '\n', env: cleanEnv() });
      expect(human.code).toBe(1);
        expect(human.stdout).toContain('FAILED   FATAL:  no pg_hba.conf entry for host "127.0.0.1", user "alice", database "alice", no encryption (SQLSTATE 28000)');
      expect(human.stdout).toContain('diagnosis no-hba-entry');
      expect(human.stdout).toContain(`pg_hba.conf line: ${r.json.diagnosis.hbaLine}`);
      expect(human.stderr).toBe('');
      // The proposed line really admits the connection.
      await c.pg.setHba(r.json.diagnosis.hbaLine + '\n');
      const again = await withPw([`host=127.0.0.1 port=${c.pg.port} sslmode=disable`, '-U', 'alice']);
      expect(again.json.error.message ?? '').not.toContain('no pg_hba.conf entry');
      expect(again.json.diagnosis.code).toBe('database-missing');
    });

    it('tls-required: hostssl only, connecting without TLS', async () => {
      await c.pg.setHba('hostssl all all 127.0.0.1/32 scram-sha-256\n');
      const r = await withPw([`${at()} sslmode=disable dbname=postgres`, '-U', 'alice']);
      expect(r.code).toBe(1);
      expect(r.json.diagnosis.code).toBe('tls-required');
      expect(r.json.error.code).toBe('28000');
      expect(r.json.auth.method).toBeNull();
      expect(r.json.attempts.at(-1).diagnostic).toBe(true);
      // The alternative to TLS, from the hba engine: the line that admits this plaintext connection.
      expect(r.json.diagnosis.hbaLine).toMatch(/^host\s+postgres\s+alice\s+127\.0\.0\.1\/32\s+scram-sha-256$/);
      expect(r.json.diagnosis.fix).toContain('sslmode=require');
      expect(r.json.diagnosis.fix).toContain(r.json.diagnosis.hbaLine);
      // ...and it really does admit it.
      await c.pg.setHba(r.json.diagnosis.hbaLine + '\n');
      const again = await withPw([`${at()} sslmode=disable dbname=postgres`, '-U', 'alice']);
      expect(again.json.diagnosis.code).toBe('ok');
    });

    it('sslmode=allow: plaintext first, then TLS, each attempt reported', async () => {
      await c.pg.setHba('hostssl all all 127.0.0.1/32 scram-sha-256\n');
      const r = await withPw([`${at()} sslmode=allow`, '-U', 'alice']);
      expect(r.code).toBe(0);
      expect(r.json.attempts.map((a: { encryption: string; result: string }) => [a.encryption, a.result])).toEqual([
        ['plain', 'failed'],
        ['ssl', 'ok'],
      ]);
      expect(r.json.attempts[0].message).toContain('no encryption');
    });

    it('hba-reject', async () => {
      await c.pg.setHba('host all alice 127.0.0.1/32 reject\n');
      const r = await withPw([`${at()} dbname=postgres`, '-U', 'alice']);
      expect(r.code).toBe(1);
      expect(r.json.diagnosis.code).toBe('hba-reject');
      expect(r.json.error.code).toBe('28000');
      expect(r.json.auth.method).toBeNull();
    });

    it('role-missing (28000 after AuthenticationOk)', async () => {
      await c.pg.setHba('host all all 127.0.0.1/32 trust\n');
      const r = await probe([`${at()} dbname=postgres`, '-U', 'ghost']);
      expect(r.code).toBe(1);
      expect(r.json.diagnosis.code).toBe('role-missing');
      expect(r.json.error.code).toBe('28000');
      expect(r.json.auth.method).toBe('none');
    });

    it('login-not-permitted', async () => {
      const r = await probe([`${at()} dbname=postgres`, '-U', 'grp']);
      expect(r.code).toBe(1);
      expect(r.json.diagnosis.code).toBe('login-not-permitted');
      expect(r.json.error.code).toBe('28000');
      expect(r.json.auth.method).toBe('none');
    });

    it('database-missing', async () => {
      const r = await probe([`${at()} dbname=nosuchdb`, '-U', 'alice']);
      expect(r.code).toBe(1);
      expect(r.json.diagnosis.code).toBe('database-missing');
      expect(r.json.error.code).toBe('3D000');
      expect(r.json.auth.method).toBe('none');
      // An error after AuthenticationOk is final: libpq's prefer does not retry without TLS.
      expect(r.json.attempts).toHaveLength(1);
      expect(r.json.attempts[0]).toMatchObject({ encryption: 'ssl', tls: true });
    });

    it('connect-denied (no CONNECT privilege)', async () => {
      const r = await probe([`${at()} dbname=appdb`, '-U', 'alice']);
      expect(r.code).toBe(1);
      expect(r.json.diagnosis.code).toBe('connect-denied');
      expect(r.json.error.code).toBe('42501');
    });

    it('too-many-connections (role connection limit)', async () => {
      const r = await probe([`${at()} dbname=postgres`, '-U', 'limited']);
      expect(r.code).toBe(1);
      expect(r.json.diagnosis.code).toBe('too-many-connections');
      expect(r.json.error.code).toBe('53300');
      expect(r.json.auth.method).toBe('none');
    });

  });
}

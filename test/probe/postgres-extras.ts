/**
 * Probe cases that do not depend on the server's version (expectations,
 * libpq's credential sources, redaction, live role import, and peers that
 * are not PostgreSQL at all): run once, on the PostgreSQL 15 cluster.
 */
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../helpers/pg.js';
import { pgauth } from '../helpers/proc.js';
import { fetchRolesFromServer } from '../../src/probe/import-live.js';
import { cleanEnv } from './helpers.js';
import { ALICE_PW, MD5_PW, type CatalogueContext } from './catalogue.js';

export function versionIndependentCases(c: CatalogueContext): void {
  const { probe, withPw, at } = c;
  describe('no PostgreSQL at the other end (client-side causes, the same for every version)', () => {
    it('connection-refused (exit 2)', async () => {
      const port = await freePort();
      const r = await probe([`host=127.0.0.1 port=${port}`, '-U', 'alice']);
      expect(r.code).toBe(2);
      expect(r.json.diagnosis.code).toBe('connection-refused');
      expect(r.json.error.code).toBeNull();
      expect(r.json.auth.method).toBeNull();
      expect(r.json.diagnosis.fix).toContain('listen_addresses');
      expect(r.json.error.message).toBe(`connection to server at "127.0.0.1", port ${port} failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?`);
    });

    it('timeout: a listener that accepts and never answers', async () => {
      const silent: Server = createServer(() => {});
      await new Promise<void>((res) => silent.listen(0, '127.0.0.1', res));
      const port = (silent.address() as { port: number }).port;
      try {
        const r = await probe([`host=127.0.0.1 port=${port} connect_timeout=1`, '-U', 'alice']);
        expect(r.code).toBe(2);
        expect(r.json.diagnosis.code).toBe('timeout');
        expect(r.json.error.message).toContain('timeout expired');
        expect(r.json.auth.method).toBeNull();
      } finally {
        silent.close();
      }
    });

    it('not-postgres: an HTTP server', async () => {
      const http = createHttpServer((_req, res) => res.end('hello'));
      await new Promise<void>((res) => http.listen(0, '127.0.0.1', res));
      const port = (http.address() as { port: number }).port;
      try {
        for (const mode of ['prefer', 'disable']) {
          const r = await probe([`host=127.0.0.1 port=${port} sslmode=${mode} connect_timeout=5`, '-U', 'alice']);
          expect(r.code, mode).toBe(2);
          expect(r.json.diagnosis.code, mode).toBe('not-postgres');
          expect(r.json.auth.method).toBeNull();
        }
      } finally {
        http.close();
      }
    });
  });

  describe('expectations', () => {
    it('--expect-auth md5 against a SCRAM server exits 4 and names the expectation', async () => {
      await c.pg.setHba('host all all 127.0.0.1/32 scram-sha-256\n');
      const r = await withPw([`${at()} dbname=postgres`, '-U', 'alice', '--expect-auth', 'md5']);
      expect(r.code).toBe(4);
      expect(r.json.ok).toBe(true);
      expect(r.json.expectations).toEqual([expect.objectContaining({ name: 'auth md5', met: false })]);
      const human = await pgauth(['probe', `${at()} dbname=postgres`, '-U', 'alice', '--expect-auth', 'md5', '--password-stdin'], { input: ALICE_PW + '\n', env: cleanEnv() });
      expect(human.code).toBe(4);
      expect(human.stdout).toContain('auth md5');
    });

    it('--expect-failure passes only when the login is refused', async () => {
      const refused = await withPw([`${at()} dbname=postgres`, '-U', 'alice', '--expect-failure'], 'nope');
      expect(refused.code).toBe(0);
      expect(refused.json.diagnosis.code).toBe('auth-failed');
      const accepted = await withPw([`${at()} dbname=postgres`, '-U', 'alice', '--expect-failure']);
      expect(accepted.code).toBe(4);
      const port = await freePort();
      const unreachable = await probe([`host=127.0.0.1 port=${port}`, '-U', 'alice', '--expect-failure']);
      expect(unreachable.code).toBe(4);
    });

    it('--expect-channel-binding and --expect-tls fail without TLS', async () => {
      const r = await withPw([`${at()} dbname=postgres sslmode=disable`, '-U', 'alice', '--expect-channel-binding', '--expect-tls']);
      expect(r.code).toBe(4);
      expect(r.json.expectations.map((e: { name: string; met: boolean }) => [e.name, e.met])).toEqual([
        ['tls', false],
        ['channel-binding', false],
      ]);
    });
  });

  describe('credentials like libpq', () => {
    it('from a URI (user, password, database)', async () => {
      await c.pg.setHba('host all all 127.0.0.1/32 scram-sha-256\n');
      const r = await probe([`postgresql://alice:${encodeURIComponent(ALICE_PW)}@127.0.0.1:${c.pg.port}/postgres?sslmode=require`]);
      expect(r.code).toBe(0);
      expect(r.json.auth.passwordSource).toBe('conninfo');
      expect(r.stderr).toContain('the password in TARGET is on the command line');
      expect(r.json.target.user).toBe('alice');
      expect(r.json.tls.version).not.toBeNull();
    });

    it('from PG* environment variables', async () => {
      const env = cleanEnv({ PGHOST: '127.0.0.1', PGPORT: String(c.pg.port), PGUSER: 'alice', PGDATABASE: 'postgres', PGPASSWORD: ALICE_PW, PGSSLMODE: 'disable', PGAPPNAME: 'probe-test' });
      const r = await probe([], { env });
      expect(r.code).toBe(0);
      expect(r.json.auth.passwordSource).toBe('PGPASSWORD');
      expect(r.json.tls.version).toBeNull();
      expect(r.json.server.parameters.application_name).toBe('probe-test');
    });

    it('from ~/.pgpass (0600), and a 0644 .pgpass is ignored with libpq\'s warning', async () => {
      const env = cleanEnv({ PGUSER: 'alice' });
      const file = join(env.HOME!, '.pgpass');
      writeFileSync(file, `# comment\nother:*:*:*:nope\n127.0.0.1:${c.pg.port}:postgres:alice:${ALICE_PW.replace(/:/g, '\\:')}\n`);
      chmodSync(file, 0o600);
      const r = await probe([`${at()} dbname=postgres`], { env });
      expect(r.code).toBe(0);
      expect(r.json.auth.passwordSource).toBe('pgpass');
      chmodSync(file, 0o644);
      const w = await probe([`${at()} dbname=postgres`], { env });
      expect(w.code).toBe(1);
      expect(w.json.diagnosis.code).toBe('password-required');
      expect(w.stderr).toContain(`WARNING: password file "${file}" has group or world access; permissions should be u=rw (0600) or less`);
    });

    it('psql flags -h -p -U -d and a Unix socket directory', async () => {
      await c.pg.setHba('local all all trust\n');
      const r = await probe(['-h', c.pg.socketDir, '-p', String(c.pg.port), '-U', 'alice', '-d', 'postgres']);
      expect(r.code).toBe(0);
      expect(r.json.auth.method).toBe('none');
      expect(r.json.tls.version).toBeNull();
    });

    it('several hosts: the first refuses, the second logs in', async () => {
      await c.pg.setHba('host all all 127.0.0.1/32 trust\n');
      const dead = await freePort();
      const r = await probe([`host=127.0.0.1,127.0.0.1 port=${dead},${c.pg.port} dbname=postgres`, '-U', 'alice']);
      expect(r.code).toBe(0);
      expect(r.json.attempts[0].result).toBe('failed');
      expect(r.json.attempts.at(-1).result).toBe('ok');
      expect(r.json.server.port).toBe(c.pg.port);
      // The human list of attempts names each address with its port (two hosts may share an address).
      const human = await pgauth(['probe', `host=127.0.0.1,127.0.0.1 port=${dead},${c.pg.port} dbname=postgres`, '-U', 'alice'], { env: cleanEnv() });
      expect(human.stdout).toContain(`attempt 1 (127.0.0.1:${dead}, TLS): connection to server at "127.0.0.1", port ${dead} failed: Connection refused`);
      expect(human.stdout).toContain(`(127.0.0.1:${c.pg.port}, TLS): ok`);
    });

    it('a malformed target is a usage error (exit 3) naming the fault', async () => {
      const r = await pgauth(['probe', 'host=x bogus=1'], { env: cleanEnv() });
      expect(r.code).toBe(3);
      expect(r.stderr).toContain('invalid connection option "bogus"');
    });
  });

  describe('secrets never shown', () => {
    it('--trace and --json contain neither the password, the proof nor the salted password', async () => {
      await c.pg.setHba('host all all 127.0.0.1/32 scram-sha-256\n');
      const args = ['probe', `${at()} dbname=postgres sslmode=disable`, '-U', 'alice', '--trace', '--password-stdin'];
      const human = await pgauth(args, { input: ALICE_PW + '\n', env: cleanEnv() });
      const json = await pgauth([...args, '--json'], { input: ALICE_PW + '\n', env: cleanEnv() });
      expect(human.code).toBe(0);
      expect(json.code).toBe(0);
      const doc = JSON.parse(json.stdout);
      // Rebuild the real proof from the trace and the stored verifier, then look for it.
      const secret = await c.pg.sql(`SELECT rolpassword FROM pg_authid WHERE rolname = 'alice'`);
      const m = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(secret)!;
      const salted = pbkdf2Sync(ALICE_PW, Buffer.from(m[2]!, 'base64'), Number(m[1]), 32, 'sha256');
      const trace = doc.trace as Array<{ type: string; detail: string }>;
      const first = trace.find((t) => t.type === 'SASLInitialResponse')!.detail.replace(/^SCRAM-SHA-256 /, '');
      const serverFirst = trace.find((t) => t.type === 'AuthenticationSASLContinue')!.detail;
      const finalRedacted = trace.find((t) => t.type === 'SASLResponse')!.detail;
      expect(finalRedacted).toContain('p=[redacted]');
      const withoutProof = finalRedacted.replace(/,p=\[redacted\]$/, '');
      const authMessage = `${first.replace(/^[ny],,/, '')},${serverFirst},${withoutProof}`;
      const clientKey = createHmac('sha256', salted).update('Client Key').digest();
      const storedKey = createHash('sha256').update(clientKey).digest();
      const signature = createHmac('sha256', storedKey).update(authMessage).digest();
      const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
      expect(storedKey.toString('base64')).toBe(m[3]); // the rebuild is right
      for (const out of [human.stdout + human.stderr, json.stdout + json.stderr]) {
        expect(out).not.toContain(ALICE_PW);
        expect(out).not.toContain(proof.toString('base64'));
        expect(out).not.toContain(proof.toString('hex'));
        expect(out).not.toContain(salted.toString('base64'));
        expect(out).not.toContain(salted.toString('hex'));
        expect(out).not.toContain(clientKey.toString('base64'));
      }
      expect(human.stdout).toContain('SASLResponse');
    });

    it('md5 and cleartext responses are redacted in the trace', async () => {
      await c.pg.setHba('host all mdy 127.0.0.1/32 md5\nhost all alice 127.0.0.1/32 password\n');
      const md5 = await withPw([`${at()} dbname=postgres sslmode=disable`, '-U', 'mdy', '--trace'], MD5_PW);
      expect(md5.code).toBe(0);
      expect(md5.stdout).not.toContain(MD5_PW);
      expect(md5.stdout).not.toMatch(/md5[0-9a-f]{32}/);
      const pw = await withPw([`${at()} dbname=postgres sslmode=disable`, '-U', 'alice', '--trace']);
      expect(pw.code).toBe(0);
      expect(pw.stdout).not.toContain(ALICE_PW);
      expect(pw.stdout).toContain('[redacted]');
    });
  });

  describe('live role import (pgauth import postgresql://...)', () => {
    it('reads pg_authid and memberships as a superuser', async () => {
      await c.pg.setHba('host all all 127.0.0.1/32 trust\n');
      await c.pg.sql(`CREATE ROLE readers NOLOGIN; GRANT readers TO alice; ALTER ROLE mdy VALID UNTIL '2031-02-03 04:05:06+00' CONNECTION LIMIT 7`);
      const roles = await fetchRolesFromServer(`postgresql://postgres@127.0.0.1:${c.pg.port}/postgres?sslmode=disable`, {});
      const alice = roles.find((r) => r.name === 'alice')!;
      expect(alice.secret).toBe(await c.pg.sql(`SELECT rolpassword FROM pg_authid WHERE rolname = 'alice'`));
      expect(alice.attrs).toEqual({ memberOf: ['readers'] });
      const mdy = roles.find((r) => r.name === 'mdy')!;
      expect(mdy.secret).toMatch(/^md5[0-9a-f]{32}$/);
      expect(mdy.attrs).toEqual({ validUntil: '2031-02-03T04:05:06Z', connLimit: 7 });
      expect(roles.find((r) => r.name === 'readers')).toBeUndefined(); // no password: nothing to import
    });

    it('pgauth import postgresql://... writes the roles into a role file', async () => {
      const env = cleanEnv();
      const file = join(env.HOME!, 'userlist.txt');
      const r = await pgauth(['import', `postgresql://postgres@127.0.0.1:${c.pg.port}/postgres?sslmode=disable`, '--roles', file], { env });
      expect(r.code, r.stderr + r.stdout).toBe(0);
      const text = readFileSync(file, 'utf8');
      expect(text).toContain(`"alice" "${await c.pg.sql(`SELECT rolpassword FROM pg_authid WHERE rolname = 'alice'`)}"`);
      expect(text).toMatch(/"mdy" "md5[0-9a-f]{32}".*conn-limit=7/);
    });

    it('says a superuser is needed when pg_authid is not readable', async () => {
      await expect(fetchRolesFromServer(`postgresql://alice@127.0.0.1:${c.pg.port}/postgres?sslmode=disable`, {})).rejects.toThrow(/needs a superuser/);
    });

    it('a refused login is a clear error', async () => {
      await c.pg.setHba('host all all 127.0.0.1/32 scram-sha-256\n');
      await expect(fetchRolesFromServer(`postgresql://alice@127.0.0.1:${c.pg.port}/postgres?sslmode=disable`, { password: 'wrong' })).rejects.toThrow(
        /cannot log in to .*password authentication failed/,
      );
    });
  });
}

/**
 * pgauth probe against a real PostgreSQL (ssl on, CA made with openssl):
 * one case per diagnosis code PostgreSQL can produce, asserting
 * diagnosis.code, error.code, auth.method and the exit code.
 */
import { createHmac, createHash, pbkdf2Sync } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect as netConnect, createServer, type Server } from 'node:net';
import { readFileSync } from 'node:fs';
import { connect as tlsConnect, createSecureContext, TLSSocket } from 'node:tls';
import { createServer as createHttpServer } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCerts, type CertSet } from '../helpers/certs.js';
import { describeWith, pgMissing } from '../helpers/env.js';
import { freePort, startCluster, type Cluster } from '../helpers/pg.js';
import { pgauth } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';
import { cleanEnv, probeJson } from './helpers.js';
import { fetchRolesFromServer } from '../../src/probe/import-live.js';

const ALICE_PW = 'alice-s3cret-pw';
const MD5_PW = 'md5-s3cret-pw';

describeWith(pgMissing(), 'pgauth probe against PostgreSQL', () => {
  let pg: Cluster;
  let certs: CertSet;
  let otherCa: CertSet;
  const tmp = tempDir('pgauth-probe-');
  const at = () => `host=127.0.0.1 port=${pg.port} dbname=postgres`;
  const stdinPw = (pw: string) => ({ input: pw + '\n' });
  const probe = (args: string[], o: { env?: NodeJS.ProcessEnv; input?: string } = {}) => probeJson(args, o);
  const withPw = (args: string[], pw = ALICE_PW, env?: NodeJS.ProcessEnv) => probe([...args, '--password-stdin'], { ...stdinPw(pw), ...(env ? { env } : {}) });

  beforeAll(async () => {
    mkdirSync(join(tmp.path, 'certs'));
    mkdirSync(join(tmp.path, 'other'));
    certs = makeCerts(join(tmp.path, 'certs'), { clients: ['certuser', 'alice'] });
    otherCa = makeCerts(join(tmp.path, 'other'), { caName: 'some other CA', clients: ['certuser'] });
    pg = await startCluster({ ssl: { cert: certs.serverCert, key: certs.serverKey, ca: certs.caCert } });
    await pg.sql(`CREATE ROLE alice LOGIN PASSWORD '${ALICE_PW}'`);
    await pg.sql(`SET password_encryption = 'md5'; CREATE ROLE mdy LOGIN PASSWORD '${MD5_PW}'`);
    await pg.sql(`CREATE ROLE grp NOLOGIN`);
    await pg.sql(`CREATE ROLE limited LOGIN CONNECTION LIMIT 0`);
    await pg.sql(`CREATE ROLE certuser LOGIN`);
    await pg.sql(`CREATE DATABASE appdb`);
    await pg.sql(`REVOKE CONNECT ON DATABASE appdb FROM PUBLIC`);
    for (const c of [...Object.values(certs.clients), ...Object.values(otherCa.clients)]) chmodSync(c.key, 0o600);
  });
  afterAll(async () => {
    await pg?.stop();
    tmp.remove();
  });

  describe('logins that work', () => {
    it('ok with scram-sha-256 (SCRAM-SHA-256-PLUS over TLS by default)', async () => {
      await pg.setHba('host all all 127.0.0.1/32 scram-sha-256\n');
      const r = await withPw([at(), '-U', 'alice']);
      expect(r.code).toBe(0);
      expect(r.json.ok).toBe(true);
      expect(r.json.diagnosis.code).toBe('ok');
      expect(r.json.error.code).toBeNull();
      expect(r.json.auth.method).toBe('scram-sha-256');
      expect(r.json.auth.mechanism).toBe('SCRAM-SHA-256-PLUS');
      expect(r.json.auth.channelBinding).toBe('tls-server-end-point');
      expect(r.json.auth.iterations).toBe(4096);
      expect(r.json.auth.currentUser).toBe('alice');
      expect(r.json.tls.version).toMatch(/^TLSv1\.[23]$/);
      expect(r.json.server.kind).toBe('postgresql');
      expect(r.json.server.version).toMatch(new RegExp(`^${pg.version}\\.`));
      const steps = r.json.steps.map((s: { step: string }) => s.step);
      for (const s of ['connect', 'ssl-request', 'tls', 'startup', 'auth-request', 'sasl-initial', 'sasl-continue', 'server-signature', 'authentication-ok', 'parameters', 'query']) {
        expect(steps).toContain(s);
      }
      for (const s of r.json.steps) expect(typeof s.ms).toBe('number');
    });

    it('ok with SCRAM-SHA-256 without TLS (sslmode=disable), --expect-auth passes', async () => {
      const r = await withPw([`${at()} sslmode=disable`, '-U', 'alice', '--expect-auth', 'scram-sha-256']);
      expect(r.code).toBe(0);
      expect(r.json.auth.mechanism).toBe('SCRAM-SHA-256');
      expect(r.json.auth.channelBinding).toBeNull();
      expect(r.json.tls.version).toBeNull();
      expect(r.json.expectations).toEqual([expect.objectContaining({ name: 'auth scram-sha-256', met: true })]);
    });

    it('ok with md5', async () => {
      await pg.setHba('host all mdy 127.0.0.1/32 md5\n');
      const r = await withPw([`${at()} sslmode=disable`, '-U', 'mdy'], MD5_PW);
      expect(r.code).toBe(0);
      expect(r.json.diagnosis.code).toBe('ok');
      expect(r.json.auth.method).toBe('md5');
      expect(r.json.auth.currentUser).toBe('mdy');
    });

    it('ok with password (cleartext)', async () => {
      await pg.setHba('host all alice 127.0.0.1/32 password\n');
      const r = await withPw([at(), '-U', 'alice', '--expect-tls']);
      expect(r.code).toBe(0);
      expect(r.json.auth.method).toBe('password');
      expect(r.json.expectations[0]).toMatchObject({ name: 'tls', met: true });
    });

    it('ok with a client certificate (cert), method none', async () => {
      await pg.setHba('hostssl all certuser 127.0.0.1/32 cert\n');
      const c = certs.clients.certuser!;
      const r = await probe([`${at()} sslmode=verify-full sslrootcert=${certs.caCert} sslcert=${c.cert} sslkey=${c.key}`, '-U', 'certuser', '-d', 'postgres']);
      expect(r.code).toBe(0);
      expect(r.json.auth.method).toBe('none');
      expect(r.json.tls.chainVerified).toBe(true);
      expect(r.json.tls.clientCertificate).toContain('certuser');
    });

    it('--no-password discovers the method and sends no secret', async () => {
      await pg.setHba('host all all 127.0.0.1/32 scram-sha-256\n');
      const r = await probe([at(), '-U', 'alice', '--no-password']);
      expect(r.code).toBe(0);
      expect(r.json.auth.method).toBe('scram-sha-256');
      expect(r.json.auth.mechanismsOffered).toEqual(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256']);
      expect(r.json.auth.currentUser).toBeNull();
    });
  });

  describe('failures, one per diagnosis code', () => {
    it('auth-failed: wrong password (28P01), the first of the stacked prefer errors is the cause', async () => {
      await pg.setHba('host all all 127.0.0.1/32 scram-sha-256\n');
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

    it('password-required: the server asks, nothing to give', async () => {
      const r = await probe([at(), '-U', 'alice']);
      expect(r.code).toBe(1);
      expect(r.json.diagnosis.code).toBe('password-required');
      expect(r.json.error.code).toBeNull();
      expect(r.json.auth.method).toBe('scram-sha-256');
      expect(r.json.error.message).toContain('no password supplied');
    });

    it('no-hba-entry: with the pg_hba.conf line that would admit the connection', async () => {
      await pg.setHba('host all bob 127.0.0.1/32 trust\n');
      const r = await withPw([`host=127.0.0.1 port=${pg.port} sslmode=disable`, '-U', 'alice']);
      expect(r.code).toBe(1);
      expect(r.json.diagnosis.code).toBe('no-hba-entry');
      expect(r.json.error.code).toBe('28000');
      expect(r.json.error.message).toBe('no pg_hba.conf entry for host "127.0.0.1", user "alice", database "alice", no encryption');
      expect(r.json.auth.method).toBeNull();
      expect(r.json.diagnosis.hbaLine).toMatch(/^host\s+alice\s+alice\s+127\.0\.0\.1\/32\s+scram-sha-256$/);
      const human = await pgauth(['probe', `host=127.0.0.1 port=${pg.port} sslmode=disable`, '-U', 'alice', '--password-stdin'], { input: ALICE_PW + '\n', env: cleanEnv() });
      expect(human.code).toBe(1);
      expect(human.stdout).toMatch(/│ step\s+│ ms/);
      expect(human.stdout).toContain('FAILED   FATAL:  no pg_hba.conf entry for host "127.0.0.1", user "alice", database "alice", no encryption (SQLSTATE 28000)');
      expect(human.stdout).toContain('diagnosis no-hba-entry');
      expect(human.stdout).toContain(`pg_hba.conf line: ${r.json.diagnosis.hbaLine}`);
      expect(human.stderr).toBe('');
      // The proposed line really admits the connection.
      await pg.setHba(r.json.diagnosis.hbaLine + '\n');
      const again = await withPw([`host=127.0.0.1 port=${pg.port} sslmode=disable`, '-U', 'alice']);
      expect(again.json.error.message ?? '').not.toContain('no pg_hba.conf entry');
      expect(again.json.diagnosis.code).toBe('database-missing');
    });

    it('tls-required: hostssl only, connecting without TLS', async () => {
      await pg.setHba('hostssl all all 127.0.0.1/32 scram-sha-256\n');
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
      await pg.setHba(r.json.diagnosis.hbaLine + '\n');
      const again = await withPw([`${at()} sslmode=disable dbname=postgres`, '-U', 'alice']);
      expect(again.json.diagnosis.code).toBe('ok');
    });

    it('sslmode=allow: plaintext first, then TLS, each attempt reported', async () => {
      await pg.setHba('hostssl all all 127.0.0.1/32 scram-sha-256\n');
      const r = await withPw([`${at()} sslmode=allow`, '-U', 'alice']);
      expect(r.code).toBe(0);
      expect(r.json.attempts.map((a: { encryption: string; result: string }) => [a.encryption, a.result])).toEqual([
        ['plain', 'failed'],
        ['ssl', 'ok'],
      ]);
      expect(r.json.attempts[0].message).toContain('no encryption');
    });

    it('hba-reject', async () => {
      await pg.setHba('host all alice 127.0.0.1/32 reject\n');
      const r = await withPw([`${at()} dbname=postgres`, '-U', 'alice']);
      expect(r.code).toBe(1);
      expect(r.json.diagnosis.code).toBe('hba-reject');
      expect(r.json.error.code).toBe('28000');
      expect(r.json.auth.method).toBeNull();
    });

    it('role-missing (28000 after AuthenticationOk)', async () => {
      await pg.setHba('host all all 127.0.0.1/32 trust\n');
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

    it('tls-verify-failed: wrong host name (verify-full)', async () => {
      const r = await probe([`host=wrong.example hostaddr=127.0.0.1 port=${pg.port} sslmode=verify-full sslrootcert=${certs.caCert} dbname=postgres`, '-U', 'alice']);
      expect(r.code).toBe(2);
      expect(r.json.diagnosis.code).toBe('tls-verify-failed');
      expect(r.json.error.code).toBeNull();
      expect(r.json.error.message).toMatch(/server certificate for "localhost" \(and 2 other names\) does not match host name "wrong.example"/);
      expect(r.json.diagnosis.cause).toContain('does not name the host');
      expect(r.json.auth.method).toBeNull();
    });

    it('sslmode=prefer with a root file of another CA: verification fails, then libpq retries without TLS', async () => {
      await pg.setHba('host all all 127.0.0.1/32 trust\n');
      const r = await probe([`${at()} sslrootcert=${otherCa.caCert} dbname=postgres`, '-U', 'alice']);
      expect(r.code).toBe(0);
      expect(r.json.attempts.map((a: { encryption: string; result: string }) => [a.encryption, a.result])).toEqual([
        ['ssl', 'failed'],
        ['plain', 'ok'],
      ]);
      expect(r.json.attempts[0].message).toContain('certificate verify failed');
    });

    it('tls-verify-failed: verify-full with hostaddr alone has no host name to check (libpq)', async () => {
      const r = await probe([`hostaddr=127.0.0.1 port=${pg.port} sslmode=verify-full sslrootcert=${certs.caCert} dbname=postgres`, '-U', 'alice']);
      expect(r.code).toBe(2);
      expect(r.json.diagnosis.code).toBe('tls-verify-failed');
      expect(r.json.error.message).toBe('host name must be specified for a verified SSL connection');
    });

    it('tls-verify-failed: unknown CA (verify-ca)', async () => {
      const r = await probe([`${at()} sslmode=verify-ca sslrootcert=${otherCa.caCert} dbname=postgres`, '-U', 'alice']);
      expect(r.code).toBe(2);
      expect(r.json.diagnosis.code).toBe('tls-verify-failed');
      expect(r.json.diagnosis.cause).toContain('unknown CA');
      expect(r.json.auth.method).toBeNull();
    });

    it('tls-client-cert: the cert method without a client certificate', async () => {
      await pg.setHba('hostssl all certuser 127.0.0.1/32 cert\n');
      const r = await probe([`${at()} sslmode=require dbname=postgres`, '-U', 'certuser']);
      expect(r.code).toBe(1);
      expect(r.json.diagnosis.code).toBe('tls-client-cert');
      expect(r.json.error.code).toBe('28000');
      expect(r.json.auth.method).toBeNull();
    });

    it('tls-client-cert: a certificate whose CN is another user', async () => {
      const c = certs.clients.alice!;
      const r = await probe([`${at()} sslmode=require sslcert=${c.cert} sslkey=${c.key} dbname=postgres`, '-U', 'certuser']);
      expect(r.code).toBe(1);
      expect(r.json.diagnosis.code).toBe('tls-client-cert');
      expect(r.json.error.message).toContain('certificate authentication failed');
    });

    it('tls-client-cert: a client certificate from a CA the server does not trust (TLS alert, exit 2)', async () => {
      await pg.setHba('hostssl all certuser 127.0.0.1/32 cert\n');
      const c = otherCa.clients.certuser!;
      const r = await probe([`${at()} sslmode=require sslcert=${c.cert} sslkey=${c.key}`, '-U', 'certuser']);
      expect(r.code).toBe(2);
      expect(r.json.diagnosis.code).toBe('tls-client-cert');
      expect(r.json.error.code).toBeNull();
      expect(r.json.error.message).toMatch(/SSL error: .*(unknown ca|certificate)/);
    });

    it('channel-binding-unavailable: channel_binding=require without TLS', async () => {
      await pg.setHba('host all all 127.0.0.1/32 scram-sha-256\n');
      const r = await withPw([`${at()} sslmode=disable channel_binding=require dbname=postgres`, '-U', 'alice']);
      expect(r.code).toBe(1);
      expect(r.json.diagnosis.code).toBe('channel-binding-unavailable');
      expect(r.json.error.code).toBeNull();
      expect(r.json.auth.method).toBe('scram-sha-256');
    });

    it('channel-binding-unavailable: channel_binding=require against an md5 line', async () => {
      await pg.setHba('host all mdy 127.0.0.1/32 md5\n');
      const r = await withPw([`${at()} sslmode=require channel_binding=require dbname=postgres`, '-U', 'mdy'], MD5_PW);
      expect(r.code).toBe(1);
      expect(r.json.diagnosis.code).toBe('channel-binding-unavailable');
      expect(r.json.auth.method).toBe('md5');
    });

    it('auth-method-refused: require_auth=md5 against SCRAM', async () => {
      await pg.setHba('host all all 127.0.0.1/32 scram-sha-256\n');
      const r = await withPw([`${at()} require_auth=md5 dbname=postgres`, '-U', 'alice']);
      expect(r.code).toBe(1);
      expect(r.json.diagnosis.code).toBe('auth-method-refused');
      // libpq 16-18 (fe-auth.c check_expected_areq): a SASL request that require_auth excludes altogether.
      expect(r.json.error.message).toBe('authentication method requirement "md5" failed: server requested SASL authentication');
      expect(r.json.auth.method).toBe('scram-sha-256');
      // A client-side refusal is final too: no plaintext retry under sslmode=prefer (libpq, psql).
      expect(r.json.attempts).toHaveLength(1);
    });

    it('auth-method-refused comes before channel_binding, as in libpq: require_auth=scram-sha-256 channel_binding=require against md5', async () => {
      await pg.setHba('host all mdy 127.0.0.1/32 md5\n');
      const r = await withPw([`${at()} sslmode=require channel_binding=require require_auth=scram-sha-256 dbname=postgres`, '-U', 'mdy'], MD5_PW);
      expect(r.code).toBe(1);
      expect(r.json.diagnosis.code).toBe('auth-method-refused');
      expect(r.json.error.message).toBe('authentication method requirement "scram-sha-256" failed: server requested a hashed password');
      expect(r.json.auth.method).toBe('md5');
    });

    it('auth-method-refused: require_auth=!password against a password line', async () => {
      await pg.setHba('host all alice 127.0.0.1/32 password\n');
      const r = await withPw([`${at()} require_auth=!password dbname=postgres`, '-U', 'alice']);
      expect(r.code).toBe(1);
      expect(r.json.diagnosis.code).toBe('auth-method-refused');
      expect(r.json.error.message).toContain('server requested a cleartext password');
    });

    it('pam-failed: PAM refuses (the method seen is a cleartext password)', async () => {
      await pg.setHba('host all alice 127.0.0.1/32 pam pamservice=pgauth-no-such-service\n');
      const r = await withPw([`${at()} sslmode=require`, '-U', 'alice']);
      expect(r.code).toBe(1);
      expect(r.json.diagnosis.code).toBe('pam-failed');
      expect(r.json.error.code).toBe('28000');
      expect(r.json.auth.method).toBe('password');
    });

    it('peer-failed: a local peer line and another OS user', async () => {
      await pg.setHba('local all alice peer\n');
      const r = await probe(['-h', pg.socketDir, '-p', String(pg.port), '-U', 'alice', '-d', 'postgres']);
      expect(r.code).toBe(1);
      expect(r.json.diagnosis.code).toBe('peer-failed');
      expect(r.json.error.code).toBe('28000');
      expect(r.json.auth.method).toBeNull();
    });

    it('channel-binding-failed: a TLS-terminating proxy in the middle', async () => {
      await pg.setHba('host all all 127.0.0.1/32 scram-sha-256\n');
      const ctx = createSecureContext({ cert: readFileSync(otherCa.serverCert), key: readFileSync(otherCa.serverKey) });
      const proxy = createServer((client) => {
        client.on('error', () => {});
        client.once('data', () => {
          client.write('S'); // answer the client's SSLRequest, then terminate its TLS with our own certificate
          const front = new TLSSocket(client, { isServer: true, secureContext: ctx });
          front.on('error', () => {});
          const up = netConnect(pg.port, '127.0.0.1', () => up.write(Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])));
          up.on('error', () => {});
          up.once('data', () => {
            const back = tlsConnect({ socket: up, rejectUnauthorized: false }, () => {
              front.pipe(back);
              back.pipe(front);
            });
            back.on('error', () => {});
          });
        });
      });
      await new Promise<void>((res) => proxy.listen(0, '127.0.0.1', res));
      const port = (proxy.address() as { port: number }).port;
      try {
        const r = await withPw([`host=127.0.0.1 port=${port} dbname=postgres sslmode=require channel_binding=require`, '-U', 'alice']);
        expect(r.code).toBe(1);
        expect(r.json.diagnosis.code).toBe('channel-binding-failed');
        expect(r.json.error.code).toBe('28000');
        expect(r.json.error.message).toBe('SCRAM channel binding check failed');
        expect(r.json.auth.mechanism).toBe('SCRAM-SHA-256-PLUS');
        expect(r.json.tls.issuer).toContain('some other CA');
      } finally {
        proxy.close();
      }
    });

    it('tls-unsupported: ssl turned off, sslmode=require', async () => {
      await pg.setHba('host all all 127.0.0.1/32 trust\n');
      await pg.sql('ALTER SYSTEM SET ssl = off');
      await pg.reload();
      try {
        const r = await probe([`${at()} sslmode=require dbname=postgres`, '-U', 'alice']);
        expect(r.code).toBe(2);
        expect(r.json.diagnosis.code).toBe('tls-unsupported');
        expect(r.json.error.message).toBe('server does not support SSL, but SSL was required');
        expect(r.json.auth.method).toBeNull();
        // prefer continues in plaintext on the same connection after 'N'.
        const p = await probe([`${at()} dbname=postgres`, '-U', 'alice']);
        expect(p.code).toBe(0);
        expect(p.json.attempts).toHaveLength(1);
        expect(p.json.attempts[0].sslResponse).toBe('N');
      } finally {
        await pg.sql('ALTER SYSTEM SET ssl = on');
        await pg.reload();
      }
    });
  });

  describe('no response', () => {
    it('sslnegotiation=direct against PostgreSQL 16 or older: tls-unsupported', async () => {
      if (pg.version >= 17) return;
      const r = await probe([`${at()} sslmode=require sslnegotiation=direct`, '-U', 'alice']);
      expect(r.code).toBe(2);
      expect(r.json.diagnosis.code).toBe('tls-unsupported');
      expect(r.json.error.message).toContain('sslnegotiation=direct');
    });

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
      await pg.setHba('host all all 127.0.0.1/32 scram-sha-256\n');
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
      await pg.setHba('host all all 127.0.0.1/32 scram-sha-256\n');
      const r = await probe([`postgresql://alice:${encodeURIComponent(ALICE_PW)}@127.0.0.1:${pg.port}/postgres?sslmode=require`]);
      expect(r.code).toBe(0);
      expect(r.json.auth.passwordSource).toBe('conninfo');
      expect(r.stderr).toContain('the password in TARGET is on the command line');
      expect(r.json.target.user).toBe('alice');
      expect(r.json.tls.version).not.toBeNull();
    });

    it('from PG* environment variables', async () => {
      const env = cleanEnv({ PGHOST: '127.0.0.1', PGPORT: String(pg.port), PGUSER: 'alice', PGDATABASE: 'postgres', PGPASSWORD: ALICE_PW, PGSSLMODE: 'disable', PGAPPNAME: 'probe-test' });
      const r = await probe([], { env });
      expect(r.code).toBe(0);
      expect(r.json.auth.passwordSource).toBe('PGPASSWORD');
      expect(r.json.tls.version).toBeNull();
      expect(r.json.server.parameters.application_name).toBe('probe-test');
    });

    it('from ~/.pgpass (0600), and a 0644 .pgpass is ignored with libpq\'s warning', async () => {
      const env = cleanEnv({ PGUSER: 'alice' });
      const file = join(env.HOME!, '.pgpass');
      writeFileSync(file, `# comment\nother:*:*:*:nope\n127.0.0.1:${pg.port}:postgres:alice:${ALICE_PW.replace(/:/g, '\\:')}\n`);
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
      await pg.setHba('local all all trust\n');
      const r = await probe(['-h', pg.socketDir, '-p', String(pg.port), '-U', 'alice', '-d', 'postgres']);
      expect(r.code).toBe(0);
      expect(r.json.auth.method).toBe('none');
      expect(r.json.tls.version).toBeNull();
    });

    it('several hosts: the first refuses, the second logs in', async () => {
      await pg.setHba('host all all 127.0.0.1/32 trust\n');
      const dead = await freePort();
      const r = await probe([`host=127.0.0.1,127.0.0.1 port=${dead},${pg.port} dbname=postgres`, '-U', 'alice']);
      expect(r.code).toBe(0);
      expect(r.json.attempts[0].result).toBe('failed');
      expect(r.json.attempts.at(-1).result).toBe('ok');
      expect(r.json.server.port).toBe(pg.port);
      // The human list of attempts names each address with its port (two hosts may share an address).
      const human = await pgauth(['probe', `host=127.0.0.1,127.0.0.1 port=${dead},${pg.port} dbname=postgres`, '-U', 'alice'], { env: cleanEnv() });
      expect(human.stdout).toContain(`attempt 1 (127.0.0.1:${dead}, TLS): connection to server at "127.0.0.1", port ${dead} failed: Connection refused`);
      expect(human.stdout).toContain(`(127.0.0.1:${pg.port}, TLS): ok`);
    });

    it('a malformed target is a usage error (exit 3) naming the fault', async () => {
      const r = await pgauth(['probe', 'host=x bogus=1'], { env: cleanEnv() });
      expect(r.code).toBe(3);
      expect(r.stderr).toContain('invalid connection option "bogus"');
    });
  });

  describe('secrets never shown', () => {
    it('--trace and --json contain neither the password, the proof nor the salted password', async () => {
      await pg.setHba('host all all 127.0.0.1/32 scram-sha-256\n');
      const args = ['probe', `${at()} dbname=postgres sslmode=disable`, '-U', 'alice', '--trace', '--password-stdin'];
      const human = await pgauth(args, { input: ALICE_PW + '\n', env: cleanEnv() });
      const json = await pgauth([...args, '--json'], { input: ALICE_PW + '\n', env: cleanEnv() });
      expect(human.code).toBe(0);
      expect(json.code).toBe(0);
      const doc = JSON.parse(json.stdout);
      // Rebuild the real proof from the trace and the stored verifier, then look for it.
      const secret = await pg.sql(`SELECT rolpassword FROM pg_authid WHERE rolname = 'alice'`);
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
      await pg.setHba('host all mdy 127.0.0.1/32 md5\nhost all alice 127.0.0.1/32 password\n');
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
      await pg.setHba('host all all 127.0.0.1/32 trust\n');
      await pg.sql(`CREATE ROLE readers NOLOGIN; GRANT readers TO alice; ALTER ROLE mdy VALID UNTIL '2031-02-03 04:05:06+00' CONNECTION LIMIT 7`);
      const roles = await fetchRolesFromServer(`postgresql://postgres@127.0.0.1:${pg.port}/postgres?sslmode=disable`, {});
      const alice = roles.find((r) => r.name === 'alice')!;
      expect(alice.secret).toBe(await pg.sql(`SELECT rolpassword FROM pg_authid WHERE rolname = 'alice'`));
      expect(alice.attrs).toEqual({ memberOf: ['readers'] });
      const mdy = roles.find((r) => r.name === 'mdy')!;
      expect(mdy.secret).toMatch(/^md5[0-9a-f]{32}$/);
      expect(mdy.attrs).toEqual({ validUntil: '2031-02-03T04:05:06Z', connLimit: 7 });
      expect(roles.find((r) => r.name === 'readers')).toBeUndefined(); // no password: nothing to import
    });

    it('pgauth import postgresql://... writes the roles into a role file', async () => {
      const env = cleanEnv();
      const file = join(env.HOME!, 'userlist.txt');
      const r = await pgauth(['import', `postgresql://postgres@127.0.0.1:${pg.port}/postgres?sslmode=disable`, '--roles', file], { env });
      expect(r.code, r.stderr + r.stdout).toBe(0);
      const text = readFileSync(file, 'utf8');
      expect(text).toContain(`"alice" "${await pg.sql(`SELECT rolpassword FROM pg_authid WHERE rolname = 'alice'`)}"`);
      expect(text).toMatch(/"mdy" "md5[0-9a-f]{32}".*conn-limit=7/);
    });

    it('says a superuser is needed when pg_authid is not readable', async () => {
      await expect(fetchRolesFromServer(`postgresql://alice@127.0.0.1:${pg.port}/postgres?sslmode=disable`, {})).rejects.toThrow(/needs a superuser/);
    });

    it('a refused login is a clear error', async () => {
      await pg.setHba('host all all 127.0.0.1/32 scram-sha-256\n');
      await expect(fetchRolesFromServer(`postgresql://alice@127.0.0.1:${pg.port}/postgres?sslmode=disable`, { password: 'wrong' })).rejects.toThrow(
        /cannot log in to .*password authentication failed/,
      );
    });
  });
});

/**
 * TLS: SCRAM-SHA-256-PLUS with channel_binding=require, verify-full against
 * an openssl CA, --require-tls, cert auth (CN = user), the self-signed
 * certificate, and PostgreSQL 17's direct TLS with ALPN "postgresql".
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCerts, type CertSet } from '../helpers/certs.js';
import { connectPg, PSQL, psqlMissing, runPsql } from '../helpers/clients.js';
import { describeWith, which } from '../helpers/env.js';
import { run } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';
import { PASSWORD, writeRoles } from './roles.js';
import { startServe, type Served } from '../helpers/serve.js';
import { RawClient, errorOf } from './wire.js';
import { createScramClient, tlsServerEndPoint } from '../../src/scram/index.js';

const missing = psqlMissing() ?? (which('openssl') ? undefined : 'openssl not installed');

const tmp = tempDir('pgauth-serve-tls-');
afterAll(() => tmp.remove());

function psql(conninfo: string, sql = 'SELECT system_user', env: NodeJS.ProcessEnv = {}) {
  return runPsql(conninfo, sql, { password: PASSWORD, env: { HOME: tmp.path, ...env } });
}

/** libpq's major version, from psql --version. */
async function libpqMajor(): Promise<number> {
  const r = await run(PSQL!, ['--version']);
  return Number(/(\d+)\./.exec(r.stdout)?.[1] ?? 0);
}

describeWith(missing, 'pgauth serve over TLS', () => {
  let certs: CertSet;
  let rolesPath: string;
  beforeAll(() => {
    certs = makeCerts(tmp.path, { clients: ['alice', 'mallory'] });
    rolesPath = writeRoles(tmp.path);
  });

  describe('scram-sha-256 with a CA-signed certificate', () => {
    let s: Served;
    beforeAll(async () => {
      s = await startServe(['--auth', 'scram-sha-256', '--roles', rolesPath, '--tls-cert', certs.serverCert, '--tls-key', certs.serverKey]);
    });
    afterAll(async () => {
      await s?.stop();
    });

    it('psql "sslmode=require channel_binding=require" logs in with SCRAM-SHA-256-PLUS', async () => {
      const r = await psql(`host=127.0.0.1 port=${s.port} user=alice dbname=d sslmode=require channel_binding=require`);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('scram-sha-256:alice\n');
      const line = await s.waitForLine((l) => l.event === 'attempt' && l.result === 'ok' && l.tls === true, 'a TLS login');
      expect(line.mechanism).toBe('SCRAM-SHA-256-PLUS');
    });

    it('sslmode=verify-full succeeds against the openssl CA, and fails with another CA', async () => {
      const ok = await psql(`host=127.0.0.1 port=${s.port} user=alice dbname=d sslmode=verify-full sslrootcert=${certs.caCert}`);
      expect(ok.stderr).toBe('');
      expect(ok.stdout).toBe('scram-sha-256:alice\n');
      const other = makeCerts(tempDir('pgauth-other-ca-').path, { caName: 'other CA' });
      const bad = await psql(`host=127.0.0.1 port=${s.port} user=alice dbname=d sslmode=verify-full sslrootcert=${other.caCert}`);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/certificate verify failed/);
    });

    it('node-postgres uses SCRAM-SHA-256-PLUS when channel binding is enabled', async () => {
      const c = new pg.Client({
        host: '127.0.0.1',
        port: s.port,
        user: 'alice',
        password: PASSWORD,
        database: 'd',
        ssl: { ca: readFileSync(certs.caCert, 'utf8'), servername: 'localhost' },
        enableChannelBinding: true,
      } as pg.ClientConfig);
      await c.connect();
      try {
        expect((await c.query('SELECT system_user, $1::int AS n', [5])).rows).toEqual([{ system_user: 'scram-sha-256:alice', n: 5 }]);
      } finally {
        await c.end();
      }
      const lines = s.attempts().filter((l) => l.result === 'ok' && l.tls === true);
      expect(lines.at(-1)!.mechanism).toBe('SCRAM-SHA-256-PLUS');
    });

    it('psql logs in over direct TLS (sslnegotiation=direct)', async (ctx) => {
      const major = await libpqMajor();
      // Not a CI failure: the raw TLS client in the next test proves direct TLS on any libpq.
      ctx.skip(major < 17, `the installed libpq is ${major}; sslnegotiation=direct needs 17+`);
      const r = await psql(`host=127.0.0.1 port=${s.port} user=alice dbname=d sslmode=require sslnegotiation=direct channel_binding=require`);
      expect(r.stdout).toBe('scram-sha-256:alice\n');
    });

    it('direct TLS with ALPN "postgresql" is accepted; without ALPN the connection is closed', async () => {
      // A raw TLS client, so this runs whatever the installed libpq.
      const c = await RawClient.connectDirectTls(s.port, ['postgresql']);
      expect((c.socket as import('node:tls').TLSSocket).alpnProtocol).toBe('postgresql');
      c.startup('alice');
      const sasl = await c.until('AuthenticationSASL');
      expect(sasl.mechanisms).toEqual(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256']);
      c.end();
      const noAlpn = await RawClient.connectDirectTls(s.port, undefined).catch(() => undefined);
      if (noAlpn) {
        noAlpn.startup('alice');
        const events = await noAlpn.drain();
        expect(events.map((e) => e.type)).toEqual(['close']);
      }
      await s.waitForLine((l) => l.event === 'attempt' && String(l.detail).includes('without ALPN'), 'the no-ALPN attempt');
    });

    it("refuses a downgrade ('y' over TLS) and a wrong channel binding, with PostgreSQL's errors", async () => {
      const y = await RawClient.connectDirectTls(s.port, ['postgresql']);
      y.startup('alice');
      await y.until('AuthenticationSASL');
      y.write({ type: 'SASLInitialResponse', mechanism: 'SCRAM-SHA-256', data: Buffer.from('y,,n=,r=clientnonce') });
      expect(errorOf(await y.drain())?.fields).toMatchObject({ code: '28000', message: 'SCRAM channel binding negotiation error' });

      const client = createScramClient({ password: PASSWORD, channelBinding: { mode: 'tls-server-end-point', data: Buffer.alloc(32, 0xab) } });
      const p = await RawClient.connectDirectTls(s.port, ['postgresql']);
      p.startup('alice');
      await p.until('AuthenticationSASL');
      p.write({ type: 'SASLInitialResponse', mechanism: 'SCRAM-SHA-256-PLUS', data: Buffer.from(client.clientFirstMessage()) });
      const cont = await p.until('AuthenticationSASLContinue');
      p.write({ type: 'SASLResponse', data: Buffer.from(client.handleServerFirst(cont.data.toString())) });
      expect(errorOf(await p.drain())?.fields).toMatchObject({ code: '28000', message: 'SCRAM channel binding check failed' });

      // the right binding (our certificate's tls-server-end-point) passes
      const der = new X509Certificate(readFileSync(certs.serverCert)).raw;
      const good = createScramClient({ password: PASSWORD, channelBinding: { mode: 'tls-server-end-point', data: tlsServerEndPoint(der) } });
      const g = await RawClient.connectDirectTls(s.port, ['postgresql']);
      g.startup('alice');
      await g.until('AuthenticationSASL');
      g.write({ type: 'SASLInitialResponse', mechanism: 'SCRAM-SHA-256-PLUS', data: Buffer.from(good.clientFirstMessage()) });
      const gc = await g.until('AuthenticationSASLContinue');
      g.write({ type: 'SASLResponse', data: Buffer.from(good.handleServerFirst(gc.data.toString())) });
      good.verifyServerFinal((await g.until('AuthenticationSASLFinal')).data.toString());
      await g.until('ReadyForQuery');
      g.end();
    });

    it('over plain TCP only SCRAM-SHA-256 is offered', async () => {
      const c = await RawClient.connect(s.port);
      c.startup('alice');
      expect((await c.until('AuthenticationSASL')).mechanisms).toEqual(['SCRAM-SHA-256']);
      c.end();
    });
  });

  it('channel binding hashes the certificate with its signature digest (RFC 5929 as PostgreSQL): sha384 and sha512 certificates', async () => {
    const variants: Array<[string, string[]]> = [
      ['ec384', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-sha384']],
      ['rsa512', ['-newkey', 'rsa:2048', '-sha512']],
    ];
    for (const [name, args] of variants) {
      const cert = join(tmp.path, `${name}.crt`);
      const key = join(tmp.path, `${name}.key`);
      execFileSync('openssl', ['req', '-x509', ...args, '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost'], { stdio: 'ignore' });
      const s = await startServe(['--auth', 'scram-sha-256', '--roles', rolesPath, '--tls-cert', cert, '--tls-key', key]);
      try {
        const r = await psql(`host=127.0.0.1 port=${s.port} user=alice dbname=d sslmode=require channel_binding=require`);
        expect(r.stderr, name).toBe('');
        expect(r.stdout).toBe('scram-sha-256:alice\n');
        const line = await s.waitForLine((l) => l.event === 'attempt' && l.result === 'ok', 'the login');
        expect(line.mechanism).toBe('SCRAM-SHA-256-PLUS');
      } finally {
        await s.stop();
      }
    }
  });

  describe('--require-tls with --tls-self-signed', () => {
    let s: Served;
    beforeAll(async () => {
      s = await startServe(['--auth', 'scram-sha-256', '--roles', rolesPath, '--tls-self-signed', '--require-tls']);
    });
    afterAll(async () => {
      await s?.stop();
    });
    it('refuses sslmode=disable as a hostssl-only pg_hba.conf does', async () => {
      const r = await psql(`host=127.0.0.1 port=${s.port} user=alice dbname=appdb sslmode=disable`);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('FATAL:  no pg_hba.conf entry for host "127.0.0.1", user "alice", database "appdb", no encryption');
    });
    it('admits TLS with channel binding on the in-process self-signed certificate', async () => {
      const r = await psql(`host=127.0.0.1 port=${s.port} user=alice dbname=appdb sslmode=require channel_binding=require`);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('scram-sha-256:alice\n');
    });
  });

  describe('--auth cert', () => {
    let s: Served;
    beforeAll(async () => {
      s = await startServe(['--auth', 'cert', '--roles', rolesPath, '--tls-cert', certs.serverCert, '--tls-key', certs.serverKey, '--tls-ca', certs.caCert]);
    });
    afterAll(async () => {
      await s?.stop();
    });
    const withCert = (user: string, cn: string) =>
      psql(`host=127.0.0.1 port=${s.port} user=${user} dbname=d sslmode=verify-full sslrootcert=${certs.caCert} sslcert=${certs.clients[cn]!.cert} sslkey=${certs.clients[cn]!.key}`);

    it('admits a client certificate whose CN is the user', async () => {
      const r = await withCert('alice', 'alice');
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('cert:CN=alice\n');
    });
    it('pgbench -C and node-postgres log in with the client certificate too', async () => {
      const script = join(tmp.path, 'select1.sql');
      writeFileSync(script, 'SELECT 1;\n');
      const bench = await run(which('pgbench')!, ['-n', '-C', '-c', '2', '-j', '2', '-t', '10', '-f', script, '-h', '127.0.0.1', '-p', String(s.port), '-U', 'alice', 'd'], {
        env: { ...process.env, HOME: tmp.path, PGSSLMODE: 'verify-full', PGSSLROOTCERT: certs.caCert, PGSSLCERT: certs.clients.alice!.cert, PGSSLKEY: certs.clients.alice!.key },
      });
      expect(bench.code, bench.stderr).toBe(0);
      expect(bench.stdout).toMatch(/number of failed transactions: 0 /);
      const c = await connectPg({
        port: s.port,
        user: 'alice',
        database: 'd',
        ssl: { ca: readFileSync(certs.caCert, 'utf8'), cert: readFileSync(certs.clients.alice!.cert, 'utf8'), key: readFileSync(certs.clients.alice!.key, 'utf8'), servername: 'localhost' },
      });
      try {
        expect((await c.query('SELECT system_user, $1::text AS t', ['x'])).rows).toEqual([{ system_user: 'cert:CN=alice', t: 'x' }]);
      } finally {
        await c.end();
      }
    });
    it('refuses a certificate with another CN', async () => {
      const r = await withCert('alice', 'mallory');
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('FATAL:  certificate authentication failed for user "alice"');
      const line = await s.waitForLine((l) => l.event === 'attempt' && l.sqlstate === '28000' && String(l.detail).includes('mallory'), 'the mallory attempt');
      expect(line.detail).toBe('provided user name (alice) and authenticated user name (mallory) do not match');
    });
    it('refuses a connection without a certificate, and one without TLS', async () => {
      const r = await psql(`host=127.0.0.1 port=${s.port} user=alice dbname=d sslmode=require`);
      expect(r.stderr).toContain('FATAL:  connection requires a valid client certificate');
      const plain = await psql(`host=127.0.0.1 port=${s.port} user=alice dbname=d sslmode=disable`);
      expect(plain.stderr).toContain('no pg_hba.conf entry for host "127.0.0.1", user "alice", database "d", no encryption');
    });
  });
});

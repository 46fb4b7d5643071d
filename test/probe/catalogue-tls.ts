/** Catalogue cases around TLS, channel binding, require_auth, PAM and peer. */
import { readFileSync } from 'node:fs';
import { connect as netConnect, createServer } from 'node:net';
import { connect as tlsConnect, createSecureContext, TLSSocket } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/pg.js';
import { ALICE_PW, MD5_PW, itWhen, type CatalogueContext } from './catalogue.js';

export function tlsCases(c: CatalogueContext): void {
  const { probe, withPw, at } = c;
  describe('failures around TLS and the method', () => {
    it('tls-verify-failed: wrong host name (verify-full)', async () => {
      const r = await probe([`host=wrong.example hostaddr=127.0.0.1 port=${c.pg.port} sslmode=verify-full sslrootcert=${c.certs.caCert} dbname=postgres`, '-U', 'alice']);
      expect(r.code).toBe(2);
      expect(r.json.diagnosis.code).toBe('tls-verify-failed');
      expect(r.json.error.code).toBeNull();
      expect(r.json.error.message).toMatch(/server certificate for "localhost" \(and 2 other names\) does not match host name "wrong.example"/);
      expect(r.json.diagnosis.cause).toContain('does not name the host');
      expect(r.json.auth.method).toBeNull();
    });

    it('sslmode=prefer with a root file of another CA: verification fails, then libpq retries without TLS', async () => {
      await c.pg.setHba('host all all 127.0.0.1/32 trust\n');
      const r = await probe([`${at()} sslrootcert=${c.otherCa.caCert} dbname=postgres`, '-U', 'alice']);
      expect(r.code).toBe(0);
      expect(r.json.attempts.map((a: { encryption: string; result: string }) => [a.encryption, a.result])).toEqual([
        ['ssl', 'failed'],
        ['plain', 'ok'],
      ]);
      expect(r.json.attempts[0].message).toContain('certificate verify failed');
    });

    it('tls-verify-failed: verify-full with hostaddr alone has no host name to check (libpq)', async () => {
      const r = await probe([`hostaddr=127.0.0.1 port=${c.pg.port} sslmode=verify-full sslrootcert=${c.certs.caCert} dbname=postgres`, '-U', 'alice']);
      expect(r.code).toBe(2);
      expect(r.json.diagnosis.code).toBe('tls-verify-failed');
      expect(r.json.error.message).toBe('host name must be specified for a verified SSL connection');
    });

    it('tls-verify-failed: unknown CA (verify-ca)', async () => {
      const r = await probe([`${at()} sslmode=verify-ca sslrootcert=${c.otherCa.caCert} dbname=postgres`, '-U', 'alice']);
      expect(r.code).toBe(2);
      expect(r.json.diagnosis.code).toBe('tls-verify-failed');
      expect(r.json.diagnosis.cause).toContain('unknown CA');
      expect(r.json.auth.method).toBeNull();
    });

    it('tls-client-cert: the cert method without a client certificate', async () => {
      await c.pg.setHba('hostssl all certuser 127.0.0.1/32 cert\n');
      const r = await probe([`${at()} sslmode=require dbname=postgres`, '-U', 'certuser']);
      expect(r.code).toBe(1);
      expect(r.json.diagnosis.code).toBe('tls-client-cert');
      expect(r.json.error.code).toBe('28000');
      expect(r.json.auth.method).toBeNull();
    });

    it('tls-client-cert: a certificate whose CN is another user', async () => {
      const k = c.certs.clients.alice!;
      const r = await probe([`${at()} sslmode=require sslcert=${k.cert} sslkey=${k.key} dbname=postgres`, '-U', 'certuser']);
      expect(r.code).toBe(1);
      expect(r.json.diagnosis.code).toBe('tls-client-cert');
      expect(r.json.error.message).toContain('certificate authentication failed');
    });

    it('tls-client-cert: a client certificate from a CA the server does not trust (TLS alert, exit 2)', async () => {
      await c.pg.setHba('hostssl all certuser 127.0.0.1/32 cert\n');
      const k = c.otherCa.clients.certuser!;
      const r = await probe([`${at()} sslmode=require sslcert=${k.cert} sslkey=${k.key}`, '-U', 'certuser']);
      expect(r.code).toBe(2);
      expect(r.json.diagnosis.code).toBe('tls-client-cert');
      expect(r.json.error.code).toBeNull();
      expect(r.json.error.message).toMatch(/SSL error: .*(unknown ca|certificate)/);
    });

    it('channel-binding-unavailable: channel_binding=require without TLS', async () => {
      await c.pg.setHba('host all all 127.0.0.1/32 scram-sha-256\n');
      const r = await withPw([`${at()} sslmode=disable channel_binding=require dbname=postgres`, '-U', 'alice']);
      expect(r.code).toBe(1);
      expect(r.json.diagnosis.code).toBe('channel-binding-unavailable');
      expect(r.json.error.code).toBeNull();
      expect(r.json.auth.method).toBe('scram-sha-256');
    });

    it('channel-binding-unavailable: channel_binding=require against an md5 line', async () => {
      await c.pg.setHba('host all mdy 127.0.0.1/32 md5\n');
      const r = await withPw([`${at()} sslmode=require channel_binding=require dbname=postgres`, '-U', 'mdy'], MD5_PW);
      expect(r.code).toBe(1);
      expect(r.json.diagnosis.code).toBe('channel-binding-unavailable');
      expect(r.json.auth.method).toBe('md5');
    });

    it('auth-method-refused: require_auth=md5 against SCRAM', async () => {
      await c.pg.setHba('host all all 127.0.0.1/32 scram-sha-256\n');
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
      await c.pg.setHba('host all mdy 127.0.0.1/32 md5\n');
      const r = await withPw([`${at()} sslmode=require channel_binding=require require_auth=scram-sha-256 dbname=postgres`, '-U', 'mdy'], MD5_PW);
      expect(r.code).toBe(1);
      expect(r.json.diagnosis.code).toBe('auth-method-refused');
      expect(r.json.error.message).toBe('authentication method requirement "scram-sha-256" failed: server requested a hashed password');
      expect(r.json.auth.method).toBe('md5');
    });

    it('auth-method-refused: require_auth=!password against a password line', async () => {
      await c.pg.setHba('host all alice 127.0.0.1/32 password\n');
      const r = await withPw([`${at()} require_auth=!password dbname=postgres`, '-U', 'alice']);
      expect(r.code).toBe(1);
      expect(r.json.diagnosis.code).toBe('auth-method-refused');
      expect(r.json.error.message).toContain('server requested a cleartext password');
    });

    const noPam = c.hasPam ? undefined : `the npm build of PostgreSQL ${c.version} has no PAM: a pam line is "not supported by this build"`;
    itWhen(noPam, 'pam-failed: PAM refuses (the method seen is a cleartext password)', async () => {
      await c.pg.setHba('host all alice 127.0.0.1/32 pam pamservice=pgauth-no-such-service\n');
      const r = await withPw([`${at()} sslmode=require`, '-U', 'alice']);
      expect(r.code).toBe(1);
      expect(r.json.diagnosis.code).toBe('pam-failed');
      expect(r.json.error.code).toBe('28000');
      expect(r.json.auth.method).toBe('password');
    });

    itWhen(c.hasPam ? `PostgreSQL ${c.version} here is built with PAM (pam-failed runs instead)` : undefined, 'this build refuses pam lines, which is why pam-failed cannot happen here', async () => {
      await c.pg.setHba('host all alice 127.0.0.1/32 pam\n');
      expect(await c.pg.sql('select error from pg_hba_file_rules where line_number = 2')).toBe('invalid authentication method "pam": not supported by this build');
    });

    it('peer-failed: a local peer line and another OS user', async () => {
      await c.pg.setHba('local all alice peer\n');
      const r = await probe(['-h', c.pg.socketDir, '-p', String(c.pg.port), '-U', 'alice', '-d', 'postgres']);
      expect(r.code).toBe(1);
      expect(r.json.diagnosis.code).toBe('peer-failed');
      expect(r.json.error.code).toBe('28000');
      expect(r.json.auth.method).toBeNull();
    });

    it('channel-binding-failed: a TLS-terminating proxy in the middle', async () => {
      await c.pg.setHba('host all all 127.0.0.1/32 scram-sha-256\n');
      const ctx = createSecureContext({ cert: readFileSync(c.otherCa.serverCert), key: readFileSync(c.otherCa.serverKey) });
      const proxy = createServer((client) => {
        client.on('error', () => {});
        client.once('data', () => {
          client.write('S'); // answer the client's SSLRequest, then terminate its TLS with our own certificate
          const front = new TLSSocket(client, { isServer: true, secureContext: ctx });
          front.on('error', () => {});
          const up = netConnect(c.pg.port, '127.0.0.1', () => up.write(Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])));
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
      await c.pg.setHba('host all all 127.0.0.1/32 trust\n');
      await c.pg.sql('ALTER SYSTEM SET ssl = off');
      await c.pg.reload();
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
        await c.pg.sql('ALTER SYSTEM SET ssl = on');
        await c.pg.reload();
      }
    });
  });

  describe('direct TLS (sslnegotiation=direct)', () => {
    const noDirect = c.version < 17 ? `PostgreSQL ${c.version} has no direct TLS (17 and newer)` : undefined;
    const hasDirect = c.version >= 17 ? `PostgreSQL ${c.version} takes direct TLS` : undefined;

    itWhen(noDirect, 'ok: direct TLS, ALPN postgresql, no SSLRequest', async () => {
      await c.pg.setHba('hostssl all all 127.0.0.1/32 scram-sha-256\n');
      const r = await withPw([`${at()} sslmode=require sslnegotiation=direct`, '-U', 'alice']);
      expect(r.code).toBe(0);
      expect(r.json.diagnosis.code).toBe('ok');
      expect(r.json.attempts).toHaveLength(1);
      expect(r.json.attempts[0]).toMatchObject({ encryption: 'direct', tls: true });
      expect(r.json.auth.mechanism).toBe('SCRAM-SHA-256-PLUS');
    });

    itWhen(hasDirect, 'tls-unsupported: the server closes at a direct ClientHello but takes TLS after an SSLRequest (PostgreSQL 16 and older)', async () => {
      await c.pg.setHba('hostssl all all 127.0.0.1/32 trust\n');
      const before = c.pg.log().length;
      const r = await probe([`${at()} sslmode=require sslnegotiation=direct`, '-U', 'alice']);
      // The server read the ClientHello as the length of a startup packet.
      await waitFor(() => c.pg.log().slice(before).includes('invalid length of startup packet'), 'the server to log the ClientHello as a bad startup packet', 10_000);
      expect(r.code).toBe(2);
      expect(r.json.diagnosis.code).toBe('tls-unsupported');
      expect(r.json.error.code).toBeNull();
      expect(r.json.error.message).toContain('sslnegotiation=direct');
      expect(r.json.auth.method).toBeNull();
      // The probe asked the same server with an SSLRequest: 'S', so TLS is there and direct TLS is what is missing.
      expect(r.json.attempts.at(-1)).toMatchObject({ diagnostic: true, sslResponse: 'S' });
      expect(r.json.diagnosis.cause).toContain('PostgreSQL 16 and older');
      expect(r.json.diagnosis.fix).toContain('sslnegotiation=postgres');
    });

    it(`tls-unsupported: ssl = off, direct TLS is refused, and the cause names no wrong version (PostgreSQL ${c.version})`, async () => {
      await c.pg.setHba('host all all 127.0.0.1/32 trust\n');
      await c.pg.sql('ALTER SYSTEM SET ssl = off');
      await c.pg.reload();
      try {
        const r = await probe([`${at()} sslmode=require sslnegotiation=direct`, '-U', 'alice']);
        expect(r.code).toBe(2);
        expect(r.json.diagnosis.code).toBe('tls-unsupported');
        expect(r.json.error.code).toBeNull();
        expect(r.json.auth.method).toBeNull();
        expect(r.json.attempts.at(-1)).toMatchObject({ diagnostic: true, sslResponse: 'N' });
        expect(r.json.diagnosis.cause).toContain('ssl = off');
        expect(r.json.diagnosis.cause).not.toMatch(/PostgreSQL 1\d and older/);
        expect(r.json.diagnosis.fix).toContain('ssl = on');
      } finally {
        await c.pg.sql('ALTER SYSTEM SET ssl = on');
        await c.pg.reload();
      }
    });
  });
}

/** Catalogue cases that log in, and the failures the server reports itself (SQLSTATE in error.code). */
import { describe, expect, it } from 'vitest';
import { pgauth } from '../helpers/proc.js';
import { cleanEnv } from './helpers.js';
import { ALICE_PW, MD5_PW, type CatalogueContext } from './catalogue.js';

export function loginCases(c: CatalogueContext): void {
  const { probe, withPw, at } = c;
  describe('logins that work', () => {
    it('ok with scram-sha-256 (SCRAM-SHA-256-PLUS over TLS by default)', async () => {
      await c.pg.setHba('host all all 127.0.0.1/32 scram-sha-256\n');
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
      expect(r.json.server.version).toMatch(new RegExp(`^${c.pg.version}\\.`));
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
      await c.pg.setHba('host all mdy 127.0.0.1/32 md5\n');
      const r = await withPw([`${at()} sslmode=disable`, '-U', 'mdy'], MD5_PW);
      expect(r.code).toBe(0);
      expect(r.json.diagnosis.code).toBe('ok');
      expect(r.json.auth.method).toBe('md5');
      expect(r.json.auth.currentUser).toBe('mdy');
    });

    it('ok with password (cleartext)', async () => {
      await c.pg.setHba('host all alice 127.0.0.1/32 password\n');
      const r = await withPw([at(), '-U', 'alice', '--expect-tls']);
      expect(r.code).toBe(0);
      expect(r.json.auth.method).toBe('password');
      expect(r.json.expectations[0]).toMatchObject({ name: 'tls', met: true });
    });

    it('ok with a client certificate (cert), method none', async () => {
      await c.pg.setHba('hostssl all certuser 127.0.0.1/32 cert\n');
      const k = c.certs.clients.certuser!;
      const r = await probe([`${at()} sslmode=verify-full sslrootcert=${c.certs.caCert} sslcert=${k.cert} sslkey=${k.key}`, '-U', 'certuser', '-d', 'postgres']);
      expect(r.code).toBe(0);
      expect(r.json.auth.method).toBe('none');
      expect(r.json.tls.chainVerified).toBe(true);
      expect(r.json.tls.clientCertificate).toContain('certuser');
    });

    it('--discover discovers the method and sends no secret', async () => {
      await c.pg.setHba('host all all 127.0.0.1/32 scram-sha-256\n');
      const r = await probe([at(), '-U', 'alice', '--discover']);
      expect(r.code).toBe(0);
      expect(r.json.auth.method).toBe('scram-sha-256');
      expect(r.json.auth.mechanismsOffered).toEqual(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256']);
      expect(r.json.auth.currentUser).toBeNull();
    });
  });
}

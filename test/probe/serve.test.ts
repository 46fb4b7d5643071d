/** pgauth probe against pgauth serve in every method it offers (trust, reject, password, md5, scram-sha-256, cert). */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCerts, type CertSet } from '../helpers/certs.js';
import { tempDir } from '../helpers/tmp.js';
import { describeWith } from '../helpers/env.js';
import { buildMd5Secret, buildScramSecret } from '../../src/secrets/index.js';
import { cleanEnv, probeJson } from './helpers.js';
import { startServe } from '../helpers/serve.js';
import { pgauth } from '../helpers/proc.js';
import { ALICE_PASSWORD, makePamStacks, pamModulesMissing } from '../pam/stacks.js';

const PW = 'serve-s3cret';

describe('pgauth probe against pgauth serve', () => {
  const tmp = tempDir('pgauth-probe-serve-');
  let certs: CertSet;
  let roles: string;
  beforeAll(() => {
    mkdirSync(join(tmp.path, 'certs'));
    certs = makeCerts(join(tmp.path, 'certs'), { clients: ['alice'] });
    chmodSync(certs.clients.alice!.key, 0o600);
    roles = join(tmp.path, 'userlist.txt');
    writeFileSync(roles, `"alice" "${buildScramSecret(PW)}"\n"carol" "${buildMd5Secret(PW, 'carol')}"\n`, { mode: 0o600 });
  });
  afterAll(() => tmp.remove());

  const tlsArgs = () => ['--tls-cert', certs.serverCert, '--tls-key', certs.serverKey, '--tls-ca', certs.caCert];
  const withServe = async (args: string[], fn: (port: number) => Promise<void>) => {
    const s = await startServe(['--roles', roles, ...tlsArgs(), ...args]);
    try {
      await fn(s.port);
    } finally {
      await s.stop();
    }
  };
  const login = (port: number, extra: string, user: string, pw = PW) =>
    probeJson([`host=127.0.0.1 port=${port} dbname=postgres ${extra}`, '-U', user, '--password-stdin'], { input: pw + '\n' });

  it('trust: ok, no challenge, server kind pgauth', () =>
    withServe(['--auth', 'trust'], async (port) => {
      const r = await login(port, '', 'alice');
      expect(r.code, r.stdout).toBe(0);
      expect(r.json.auth.method).toBe('none');
      expect(r.json.server.kind).toBe('pgauth');
      expect(r.json.auth.currentUser).toBe('alice');
    }));

  it('reject: hba-reject', () =>
    withServe(['--auth', 'reject'], async (port) => {
      const r = await login(port, 'sslmode=disable', 'alice');
      expect(r.code).toBe(1);
      expect(r.json.diagnosis.code).toBe('hba-reject');
      expect(r.json.error.code).toBe('28000');
    }));

  it('password: ok, and a wrong password is auth-failed', () =>
    withServe(['--auth', 'password'], async (port) => {
      const ok = await login(port, '', 'alice');
      expect(ok.code, ok.stdout).toBe(0);
      expect(ok.json.auth.method).toBe('password');
      const bad = await login(port, '', 'alice', 'nope');
      expect(bad.code).toBe(1);
      expect(bad.json.diagnosis.code).toBe('auth-failed');
      expect(bad.json.error.code).toBe('28P01');
    }));

  it('md5: ok with an md5 secret', () =>
    withServe(['--auth', 'md5'], async (port) => {
      const r = await login(port, 'sslmode=disable', 'carol');
      expect(r.code, r.stdout).toBe(0);
      expect(r.json.auth.method).toBe('md5');
      expect(r.json.server.kind).toBe('pgauth');
    }));

  it('scram-sha-256: SCRAM-SHA-256-PLUS over TLS with channel binding, plain SCRAM without', () =>
    withServe(['--auth', 'scram-sha-256'], async (port) => {
      const tls = await login(port, `sslmode=verify-full sslrootcert=${certs.caCert} channel_binding=require`, 'alice');
      expect(tls.code, tls.stdout).toBe(0);
      expect(tls.json.auth.mechanism).toBe('SCRAM-SHA-256-PLUS');
      expect(tls.json.auth.channelBinding).toBe('tls-server-end-point');
      expect(tls.json.auth.serverSignature).toBe('verified');
      const plain = await login(port, 'sslmode=disable', 'alice');
      expect(plain.code).toBe(0);
      expect(plain.json.auth.mechanism).toBe('SCRAM-SHA-256');
      const unknown = await login(port, 'sslmode=disable', 'ghost');
      expect(unknown.code).toBe(1);
      expect(unknown.json.diagnosis.code).toBe('auth-failed');
      expect(unknown.json.auth.method).toBe('scram-sha-256');
    }));

  it('sslnegotiation=direct: TLS first with ALPN postgresql', () =>
    withServe(['--auth', 'scram-sha-256'], async (port) => {
      const r = await login(port, `sslmode=verify-full sslrootcert=${certs.caCert} sslnegotiation=direct`, 'alice');
      expect(r.code, r.stdout).toBe(0);
      expect(r.json.tls.alpn).toBe('postgresql');
      expect(r.json.attempts[0].encryption).toBe('direct');
      expect(r.json.auth.channelBinding).toBe('tls-server-end-point');
    }));

  it('sslrootcert=system: verify-full against the system store (SSL_CERT_FILE), a private CA is unknown to the real one', () =>
    withServe(['--auth', 'trust'], async (port) => {
      const trusted = await probeJson([`host=127.0.0.1 port=${port} dbname=postgres sslrootcert=system`, '-U', 'alice'], { env: cleanEnv({ SSL_CERT_FILE: certs.caCert }) });
      expect(trusted.code, trusted.stdout).toBe(0);
      expect(trusted.json.target.sslmode).toBe('verify-full');
      expect(trusted.json.tls.chainVerified).toBe(true);
      if (existsSync('/etc/ssl/certs/ca-certificates.crt')) {
        const r = await probeJson([`host=127.0.0.1 port=${port} dbname=postgres sslrootcert=system`, '-U', 'alice'], { env: cleanEnv() });
        expect(r.code).toBe(2);
        expect(r.json.diagnosis.code).toBe('tls-verify-failed');
        expect(r.json.diagnosis.cause).toContain('unknown CA');
      }
    }));

  it('tls-verify-failed: an expired server certificate', async () => {
    mkdirSync(join(tmp.path, 'expired'));
    // Expired when made (notAfter a day before now): nothing to wait for.
    const old = makeCerts(join(tmp.path, 'expired'), { serverDays: -1 });
    expect(Date.parse(new X509Certificate(readFileSync(old.serverCert)).validTo)).toBeLessThan(Date.now());
    const s = await startServe(['--roles', roles, '--auth', 'trust', '--tls-cert', old.serverCert, '--tls-key', old.serverKey]);
    try {
      const r = await login(s.port, `sslmode=verify-ca sslrootcert=${old.caCert}`, 'alice');
      expect(r.code).toBe(2);
      expect(r.json.diagnosis.code).toBe('tls-verify-failed');
      expect(r.json.diagnosis.cause).toContain('expired');
      expect(r.json.error.message).toContain('CERT_HAS_EXPIRED');
    } finally {
      await s.stop();
    }
  });

  it('cert: ok with a client certificate whose CN is the user; tls-client-cert without one', () =>
    withServe(['--auth', 'cert'], async (port) => {
      const c = certs.clients.alice!;
      const ok = await login(port, `sslmode=verify-ca sslrootcert=${certs.caCert} sslcert=${c.cert} sslkey=${c.key}`, 'alice');
      expect(ok.code, ok.stdout).toBe(0);
      expect(ok.json.auth.method).toBe('none');
      const missing = await login(port, 'sslmode=require', 'alice');
      expect(missing.code).toBe(1);
      expect(missing.json.diagnosis.code).toBe('tls-client-cert');
    }));

  describeWith(pamModulesMissing(), 'with PAM', () => it('pam: ok (a cleartext password request), and pam-failed', async () => {
    const stacks = makePamStacks();
    try {
      await withServe(['--auth', 'pam', '--pam-service', 'svc-ok', '--pam-confdir', stacks.dir], async (port) => {
        const ok = await login(port, 'sslmode=require', 'alice', ALICE_PASSWORD);
        expect(ok.code, ok.stdout).toBe(0);
        expect(ok.json.auth.method).toBe('password');
        const bad = await login(port, 'sslmode=require', 'alice', 'wrong');
        expect(bad.code).toBe(1);
        expect(bad.json.diagnosis.code).toBe('pam-failed');
        expect(bad.json.error.code).toBe('28000');
      });
    } finally {
      stacks.remove();
    }
  }));

  it('usage errors exit 3 and name the flag', async () => {
    const w = await pgauth(['probe', 'localhost', '-W'], { env: cleanEnv() });
    expect(w.code).toBe(3);
    expect(w.stderr).toContain('-W needs a terminal');
    const e = await pgauth(['probe', 'localhost', '--expect-auth', 'kerberos'], { env: cleanEnv() });
    expect(e.code).toBe(3);
    expect(e.stderr).toContain('--expect-auth: unknown method "kerberos"');
    const m = await pgauth(['probe', 'sslmode=sometimes'], { env: cleanEnv() });
    expect(m.code).toBe(3);
    expect(m.stderr).toBe('pgauth: invalid sslmode value: "sometimes"\n');
  });

  it('--require-tls: a plaintext probe is told TLS is required', () =>
    withServe(['--auth', 'scram-sha-256', '--require-tls'], async (port) => {
      const r = await login(port, 'sslmode=disable', 'alice');
      expect(r.code).toBe(1);
      expect(r.json.diagnosis.code).toBe('tls-required');
    }));
});

/**
 * The probe as a client of the hostile scenarios (SPEC §10): under strict
 * settings it refuses every one; under default settings it logs in as libpq
 * would and names each weakness in `warnings`/`weaknesses`.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatRoleFile } from '../../src/roles/format.js';
import { buildScramSecret } from '../../src/secrets/index.js';
import { startScenarioServer } from '../../src/conform/run.js';
import { makeSelfSignedCertificate, type ScenarioName } from '../../src/server/index.js';
import { loginWeaknesses, type LoginFacts } from '../../src/probe/weaknesses.js';
import { PGAUTH_BIN, pgauth } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir('pgauth-probe-scenarios-');
afterAll(() => tmp.remove());
const password = randomBytes(9).toString('base64url');
const rolesPath = join(tmp.path, 'userlist.txt');
const certPath = join(tmp.path, 'server.crt');
const keyPath = join(tmp.path, 'server.key');

beforeAll(async () => {
  writeFileSync(rolesPath, formatRoleFile([{ name: 'alice', secret: buildScramSecret(password), attrs: {} }]), { mode: 0o600 });
  const pair = await makeSelfSignedCertificate();
  writeFileSync(certPath, pair.cert);
  writeFileSync(keyPath, pair.key, { mode: 0o600 });
});

/** Probes a server running the scenario (or honest SCRAM when none) with default settings plus `env`. */
async function probe(scenario: ScenarioName | null, env: NodeJS.ProcessEnv = {}) {
  const server = await startScenarioServer({ scenarios: scenario ? [scenario] : [], rolesPath, tls: { certPath, keyPath }, onEvent: () => {} });
  try {
    const r = await pgauth(['probe', '--json', `host=127.0.0.1 port=${server.port} user=alice dbname=postgres`], { env: { PGPASSWORD: password, ...env } });
    expect(r.stdout + r.stderr).not.toContain(password);
    const doc = JSON.parse(r.stdout) as { ok: boolean; warnings: string[]; weaknesses: Array<{ code: string; message: string }> };
    return { code: r.code, doc, codes: doc.weaknesses.map((w) => w.code), stderr: r.stderr };
  } finally {
    await server.shutdown();
  }
}

describe('probe warnings under default settings (it logs in, as libpq, and says why it should not have)', () => {
  it('password sent in clear', async () => {
    const r = await probe('cleartext');
    expect(r.code).toBe(0);
    expect(r.codes).toContain('password-in-clear');
    expect(r.stderr).toContain('WARNING: the server asked for the password in clear text');
  });
  it('md5', async () => {
    const r = await probe('md5-downgrade');
    expect(r.codes).toContain('md5');
    expect(r.doc.warnings.some((w) => w.includes('md5 password hash'))).toBe(true);
  });
  it('SCRAM without channel binding over TLS', async () => {
    const r = await probe('strip-plus');
    expect(r.codes).toContain('scram-without-channel-binding');
  });
  it('no authentication at all', async () => {
    const r = await probe('early-ok');
    expect(r.codes).toContain('no-authentication');
  });
  it('TLS without certificate verification, and none once the certificate is verified', async () => {
    expect((await probe(null, { PGSSLMODE: 'require' })).codes).toEqual(['tls-unverified']);
    expect((await probe(null, { PGSSLMODE: 'verify-full', PGSSLROOTCERT: certPath })).codes).toEqual([]);
  });
});

describe('loginWeaknesses (pure)', () => {
  const base: LoginFacts = { method: 'scram-sha-256', mechanism: 'SCRAM-SHA-256-PLUS', tlsUsed: true, unix: false, sslmode: 'verify-full', clientCertificate: false, serverKind: 'postgresql' };
  it('finds nothing in SCRAM-SHA-256-PLUS over verified TLS', () => expect(loginWeaknesses(base)).toEqual([]));
  it('does not call a pooler without channel binding a downgrade', () => {
    expect(loginWeaknesses({ ...base, mechanism: 'SCRAM-SHA-256', serverKind: 'pgbouncer' })).toEqual([]);
  });
  it('names a cleartext password sent without TLS as readable on the network', () => {
    const [w] = loginWeaknesses({ ...base, method: 'password', mechanism: null, tlsUsed: false, sslmode: 'disable' });
    expect(w).toMatchObject({ code: 'password-in-clear' });
    expect(w!.message).toContain('without TLS: anyone on the network path can read it');
  });
  it('does not count a TLS client certificate as no authentication', () => {
    expect(loginWeaknesses({ ...base, method: null, mechanism: null, clientCertificate: true })).toEqual([]);
  });
});

describe('pgauth conform -- pgauth probe', () => {
  it('under channel_binding=require, require_auth=scram-sha-256, sslmode=verify-full refuses every scenario', async () => {
    const r = await pgauth(['conform', '--json', '--scenario-timeout', '5s', '--', process.execPath, PGAUTH_BIN, 'probe'], {
      env: { PGCHANNELBINDING: 'require', PGREQUIREAUTH: 'scram-sha-256', PGSSLMODE: 'verify-full' },
      timeoutMs: 120_000,
    });
    const doc = JSON.parse(r.stdout) as { ok: boolean; results: Array<{ scenario: string; did: string }> };
    expect(doc.results.filter((x) => x.did !== 'refused')).toEqual([]);
    expect(doc.ok).toBe(true);
    expect(r.code).toBe(0);
  });
});

/**
 * A PostgreSQL whose server certificate is Ed25519 (no digest in its
 * signature, so no tls-server-end-point hash): psql fails even at
 * channel_binding=prefer; the probe names the cause, logs in without
 * binding to show the password is fine, and never crashes.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith, pgMissing } from '../helpers/env.js';
import { startCluster, type Cluster } from '../helpers/pg.js';
import { runPsql } from '../helpers/clients.js';
import { chownToPostgres, tempDir } from '../helpers/tmp.js';
import { clientBinDir, libpq18, libpq18Missing, pgInstallMissing } from '../helpers/versions.js';
import { cleanEnv, probeJson } from './helpers.js';
import { pgauth } from '../helpers/proc.js';

const PW = 'ed-s3cret';
const MAJOR = 18;

describeWith(pgMissing() ?? pgInstallMissing(MAJOR) ?? libpq18Missing(), `pgauth probe against PostgreSQL ${MAJOR} with an Ed25519 certificate`, () => {
  let pg: Cluster;
  const tmp = tempDir('pgauth-probe-ed25519-');
  const conninfo = (extra: string) => `host=127.0.0.1 port=${pg.port} user=alice dbname=postgres ${extra}`;
  const psql = (bin: string, extra: string, env: NodeJS.ProcessEnv = {}) =>
    runPsql(conninfo(extra), 'SELECT current_user', { bin, password: PW, env: { HOME: tmp.path, ...env } });
  const probe = (extra: string, args: string[] = []) => probeJson([conninfo(extra), '--password-stdin', ...args], { input: PW + '\n' });

  beforeAll(async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ed25519', '-nodes', '-keyout', 'server.key', '-out', 'server.crt', '-days', '2', '-subj', '/CN=localhost'], {
      cwd: tmp.path,
      stdio: 'ignore',
    });
    for (const f of ['server.key', 'server.crt']) chownToPostgres(join(tmp.path, f));
    pg = await startCluster({
      version: MAJOR,
      ssl: { cert: join(tmp.path, 'server.crt'), key: join(tmp.path, 'server.key') },
      hba: 'hostssl all all 127.0.0.1/32 scram-sha-256\nhost all all 127.0.0.1/32 scram-sha-256\n',
    });
    await pg.sql(`CREATE ROLE alice LOGIN PASSWORD '${PW}'`);
  });
  afterAll(async () => {
    await pg?.stop();
    tmp.remove();
  });

  it('psql (libpq 15 and libpq 18) fails at channel_binding=prefer with "could not find digest for NID UNDEF"', async () => {
    const c = libpq18()!;
    const on18 = await psql(c.psql, 'sslmode=require', c.env);
    const on15 = await psql(join(clientBinDir()!, 'psql'), 'sslmode=require');
    for (const r of [on18, on15]) {
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('could not find digest for NID UNDEF');
    }
    expect((await psql(c.psql, 'sslmode=require channel_binding=disable', c.env)).stdout.trim()).toBe('alice');
  });

  it('sslmode=require, channel_binding=prefer: diagnosed, the password proven without binding, exit 1, valid JSON', async () => {
    const r = await probe('sslmode=require');
    expect(r.code).toBe(1);
    expect(r.json.diagnosis.code).toBe('channel-binding-unsupported-certificate');
    expect(r.json.error.message).toBe('could not find digest for NID UNDEF');
    expect(r.json.tls.version).toMatch(/^TLSv1\.[23]$/);
    expect(r.json.auth).toMatchObject({ mechanism: 'SCRAM-SHA-256', channelBinding: null, serverSignature: 'verified', currentUser: 'alice' });
    expect(r.json.auth.mechanismsOffered).toContain('SCRAM-SHA-256-PLUS');
    expect(r.json.diagnosis.cause).toMatch(/channel_binding=prefer/);
    expect(r.json.diagnosis.cause).toMatch(/logged in/);
    expect(r.stderr).not.toMatch(/pgauth: error: could not find digest for certificate/);
  });

  it('channel_binding=require: the same diagnosis, no login', async () => {
    const r = await probe('sslmode=require channel_binding=require');
    expect(r.code).toBe(1);
    expect(r.json.diagnosis.code).toBe('channel-binding-unsupported-certificate');
    expect(r.json.auth.currentUser).toBeNull();
  });

  it('channel_binding=disable: logs in over TLS, as psql does', async () => {
    const r = await probe('sslmode=require channel_binding=disable');
    expect(r.code, r.stdout).toBe(0);
    expect(r.json.auth.currentUser).toBe('alice');
  });

  it('sslmode=prefer: libpq does not retry without TLS after this failure, and neither does the probe', async () => {
    const c = libpq18()!;
    const ps = await psql(c.psql, 'sslmode=prefer', c.env);
    expect(ps.code).toBe(2);
    expect(ps.stderr).toContain('could not find digest for NID UNDEF');
    const r = await probe('sslmode=prefer');
    expect(r.json.diagnosis.code).toBe('channel-binding-unsupported-certificate');
    expect(r.json.attempts).toHaveLength(1);
  });

  it('human output names the cause (no stack trace, no "pgauth: error" from TLS code)', async () => {
    const r = await pgauth(['probe', conninfo('sslmode=require'), '--password-stdin'], { input: PW + '\n', env: cleanEnv() });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('channel-binding-unsupported-certificate');
    expect(r.stdout + r.stderr).not.toMatch(/at .*\.js:\d+/);
  });
});

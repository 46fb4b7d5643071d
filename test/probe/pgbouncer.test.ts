/** pgauth probe through a real PgBouncer in front of a real PostgreSQL: ok, auth-failed, server kind PgBouncer. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith, pgMissing, pgbouncerMissing } from '../helpers/env.js';
import { startCluster, type Cluster } from '../helpers/pg.js';
import { startPgBouncer, type Bouncer } from '../helpers/pgbouncer.js';
import { tempDir } from '../helpers/tmp.js';
import { probeJson } from './helpers.js';

const PW = 'bouncer-s3cret';

describeWith(pgMissing() ?? pgbouncerMissing(), 'pgauth probe through PgBouncer', () => {
  let pg: Cluster;
  let bouncer: Bouncer;
  const tmp = tempDir('pgauth-probe-bouncer-');
  const target = () => `host=127.0.0.1 port=${bouncer.port} dbname=postgres sslmode=disable`;

  beforeAll(async () => {
    pg = await startCluster({ hba: 'host all all 127.0.0.1/32 scram-sha-256\n' });
    await pg.sql(`CREATE ROLE alice LOGIN PASSWORD '${PW}'`);
    const verifier = await pg.sql(`SELECT rolpassword FROM pg_authid WHERE rolname = 'alice'`);
    const userlist = join(tmp.path, 'userlist.txt');
    // carol's secret is md5 while PgBouncer runs scram-sha-256: "SASL authentication failed".
    writeFileSync(userlist, `"alice" "${verifier}"\n"carol" "md5${'0'.repeat(32)}"\n`);
    bouncer = await startPgBouncer({
      databases: [`postgres = host=127.0.0.1 port=${pg.port} dbname=postgres`],
      authFile: userlist,
      authType: 'scram-sha-256',
    });
  });
  afterAll(async () => {
    await bouncer?.stop();
    await pg?.stop();
    tmp.remove();
  });

  it('ok: SCRAM through PgBouncer (identical verifiers), server kind PgBouncer', async () => {
    const r = await probeJson([target(), '-U', 'alice', '--password-stdin'], { input: PW + '\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.diagnosis.code).toBe('ok');
    expect(r.json.auth.method).toBe('scram-sha-256');
    expect(r.json.auth.mechanismsOffered).toEqual(['SCRAM-SHA-256']);
    expect(r.json.auth.currentUser).toBe('alice');
    expect(r.json.server.kind).toBe('pgbouncer');
  });

  it('auth-failed: wrong password, server kind PgBouncer', async () => {
    const r = await probeJson([target(), '-U', 'alice', '--password-stdin'], { input: 'wrong\n' });
    expect(r.code).toBe(1);
    expect(r.json.diagnosis.code).toBe('auth-failed');
    expect(r.json.auth.method).toBe('scram-sha-256');
    expect(r.json.server.kind).toBe('pgbouncer');
    expect(r.json.error.message).toMatch(/authentication failed/);
    expect(r.json.diagnosis.cause).toContain('PgBouncer');
  });

  it('auth-failed: an md5 secret under auth_type scram-sha-256 (PgBouncer says "SASL authentication failed")', async () => {
    const r = await probeJson([target(), '-U', 'carol', '--password-stdin'], { input: 'whatever\n' });
    expect(r.code).toBe(1);
    expect(r.json.diagnosis.code).toBe('auth-failed');
    expect(r.json.server.kind).toBe('pgbouncer');
    expect(r.json.diagnosis.cause).toContain('md5');
  });

  it('channel-binding-unavailable: PgBouncer never offers SCRAM-SHA-256-PLUS', async () => {
    const r = await probeJson([`${target()} channel_binding=require sslmode=disable`, '-U', 'alice', '--password-stdin'], { input: PW + '\n' });
    expect(r.code).toBe(1);
    expect(r.json.diagnosis.code).toBe('channel-binding-unavailable');
  });
});

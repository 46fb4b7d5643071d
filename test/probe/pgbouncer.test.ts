/** pgauth probe through a real PgBouncer in front of a real PostgreSQL: ok, auth-failed, server kind PgBouncer. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith, pgMissing, pgbouncerMissing } from '../helpers/env.js';
import { startCluster, type Cluster } from '../helpers/pg.js';
import { startPgBouncer, type Bouncer } from '../helpers/pgbouncer.js';
import { tempDir } from '../helpers/tmp.js';
import { probeJson } from './helpers.js';
import { runPsql } from '../helpers/clients.js';
import { libpq18, libpq18Missing } from '../helpers/versions.js';

const PW = 'bouncer-s3cret';

describeWith(pgMissing() ?? pgbouncerMissing() ?? libpq18Missing(), 'pgauth probe through PgBouncer', () => {
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

  // PgBouncer 1.18 (observed): any startup version but 3.0 gets FATAL 08P01 "bad packet header: '<length><version>'"
  // and the connection closes -- no NegotiateProtocolVersion, for 3.2 and for the 3.9999 grease request alike.
  it('--grease: PgBouncer 1.18 refuses 3.9999 with "bad packet header": protocol-negotiation-failed, fix named', async () => {
    const r = await probeJson([target(), '-U', 'alice', '--password-stdin', '--grease'], { input: PW + '\n' });
    expect(r.code).toBe(2);
    expect(r.json.diagnosis.code).toBe('protocol-negotiation-failed');
    expect(r.json.error).toMatchObject({ code: '08P01', message: "bad packet header: '000000460003270f'" });
    expect(r.json.protocol).toMatchObject({ requested: '3.9999', grease: true, version: null, negotiated: false });
    expect(r.json.server.kind).toBe('pgbouncer');
    expect(r.json.diagnosis.fix).toMatch(/max_protocol_version=3\.0/);
    expect(r.json.diagnosis.fix).toMatch(/PgBouncer/);
  });

  it('max_protocol_version=3.2: refused the same way (libpq 18 psql too); 3.0 still works', async () => {
    const r = await probeJson([`${target()} max_protocol_version=3.2`, '-U', 'alice', '--password-stdin'], { input: PW + '\n' });
    expect(r.code).toBe(2);
    expect(r.json.diagnosis.code).toBe('protocol-negotiation-failed');
    expect(r.json.error.message).toMatch(/^bad packet header: '[0-9a-f]+00030002'$/);
    const c = libpq18()!;
    const psql = await runPsql(`${target()} user=alice max_protocol_version=3.2`, 'SELECT 1', { bin: c.psql, password: PW, env: c.env });
    expect(psql.code).toBe(2);
    expect(psql.stderr).toContain('FATAL:  bad packet header');
    const ok = await probeJson([`${target()} max_protocol_version=3.0`, '-U', 'alice', '--password-stdin', '--expect-protocol', '3.0'], { input: PW + '\n' });
    expect(ok.code, ok.stdout).toBe(0);
    expect(ok.json.protocol).toMatchObject({ version: '3.0', cancelKeyBytes: 4, negotiated: false });
  });
});

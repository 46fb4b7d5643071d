/**
 * SCRAM pass-through, end to end: PgBouncer 1.18 with the role file as its
 * auth_file in front of PostgreSQL 18 seeded from the same file. After a
 * `passwd` on one tier only (same password, new salt), the drift names the
 * role and the probe through PgBouncer is diagnosed as pass-through.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { diagnosePassThrough, passThroughFactsOf, type PassThroughFacts } from '../../src/probe/pass-through.js';
import { detectServerKind } from '../../src/probe/server-kind.js';
import { refineFromServerLog } from '../../src/probe/server-log/refine.js';
import { exportRoles } from '../../src/roles/commands.js';
import { hasDrift } from '../../src/roles/drift.js';
import { driftAgainstServer } from '../../src/probe/drift-live.js';
import { formatRoleLine } from '../../src/roles/format.js';
import { loadRoleFile } from '../../src/roles/index.js';
import { buildScramSecret } from '../../src/secrets/index.js';
import { startCluster, waitFor, type Cluster } from '../helpers/pg.js';
import { startPgBouncer, type Bouncer } from '../helpers/pgbouncer.js';
import { pgauth } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';
import { probeLogin } from './helpers.js';

const secret = (saltByte: number) => buildScramSecret('alice-pw', { iterations: 4096, salt: Buffer.alloc(16, saltByte) });
const RETRY_TEXT = 'server login has been failing, try again later (server_login_retry)';

/** `pgauth probe` through PgBouncer as alice, the password from the environment, --json. */
async function cliProbe(port: number): Promise<{ code: number | null; json: Record<string, unknown> }> {
  const target = `host=127.0.0.1 port=${port} user=alice dbname=postgres sslmode=disable connect_timeout=3`;
  const r = await pgauth(['probe', target, '--password-env', 'PGAUTH_TEST_PW', '--json'], { env: { PGAUTH_TEST_PW: 'alice-pw', PGPASSFILE: '/nonexistent' } });
  return { code: r.code, json: JSON.parse(r.stdout) as Record<string, unknown> };
}

describe('PgBouncer 1.18 in front of PostgreSQL 18', () => {
  let c: Cluster;
  let tmp: ReturnType<typeof tempDir>;
  const bouncers: Bouncer[] = [];
  const file = () => join(tmp.path, 'roles.txt');
  const writeAlice = (saltByte: number) => writeFileSync(file(), formatRoleLine({ name: 'alice', secret: secret(saltByte), attrs: {} }) + '\n', { mode: 0o600 });
  const bouncer = async () => {
    const b = await startPgBouncer({ databases: [`postgres = host=127.0.0.1 port=${c.port} dbname=postgres`], authFile: file(), authType: 'scram-sha-256' });
    bouncers.push(b);
    return b;
  };
  const psql = async (sql: string) => {
    const r = await c.client('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', c.socketDir, '-p', String(c.port), '-U', 'postgres', '-d', 'postgres', '-f', '-'], { input: sql });
    expect(r.code, r.stderr).toBe(0);
  };
  const drift = async () =>
    (await driftAgainstServer([...(await loadRoleFile(file())).roles.values()], `postgresql://postgres@127.0.0.1:${c.port}/postgres?sslmode=disable`)).roles.filter(hasDrift);

  beforeAll(async () => {
    tmp = tempDir('pgauth-passthrough-');
    c = await startCluster({ version: 18, hba: 'host all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n' });
    writeAlice(1);
    await psql((await exportRoles({ path: file(), format: 'sql' })).text);
  }, 120_000);
  afterAll(async () => {
    for (const b of bouncers) await b.stop();
    await c?.stop();
    tmp?.remove();
  });

  test('identical verifiers: pass-through logs in, nothing to diagnose', async () => {
    const b = await bouncer();
    const { result } = await probeLogin({ host: '127.0.0.1', port: b.port }, 'alice', 'alice-pw');
    expect(result.ok).toBe(true);
    expect(diagnosePassThrough(passThroughFactsOf(result))).toBeNull();
    expect(await drift()).toEqual([]);
  });

  test('passwd on the file side only: the drift names it, the probe through PgBouncer names pass-through', async () => {
    writeAlice(2); // same password, new salt: PgBouncer's tier only
    const b = await bouncer();
    expect((await drift()).map((d) => [d.role, d.differences])).toEqual([['alice', [{ kind: 'verifier', why: 'salt', file: 'scram-sha-256', server: 'scram-sha-256' }]]]);
    const { result, facts } = await probeLogin({ host: '127.0.0.1', port: b.port }, 'alice', 'alice-pw');
    expect(result.ok).toBe(false);
    expect(result.auth.serverSignature).toBe('verified'); // PgBouncer's tier accepted the password
    const d = diagnosePassThrough(passThroughFactsOf(result));
    expect(d).toMatchObject({ code: 'pass-through-mismatch', confidence: 'certain', poolerError: 'password authentication failed for user "alice"' });
    expect(d?.fix).toContain('pgauth check-roles --against');
    // The server's own log says why it refused PgBouncer: a SCRAM proof that does not match
    // (PgBouncer's client port is not the probe's: matched by user and time).
    const fromLog = refineFromServerLog({ file: c.logFile, prefix: '%m [%p] ', probe: { ...facts, clientPort: null } });
    expect(fromLog).toMatchObject({ code: 'password-mismatch', matchedBy: 'user-time', ambiguous: false });
    // The same through the CLI: check-roles --against names alice's salt, the probe names pass-through (exit 1).
    const uri = `postgresql://postgres@127.0.0.1:${c.port}/postgres?sslmode=disable`;
    const check = await pgauth(['check-roles', '--roles', file(), '--against', uri]);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/alice .*drift .*different scram-sha-256 verifier \(salt differs/);
    // A fresh PgBouncer (the one above now holds clients while its server login keeps failing).
    const cli = await cliProbe((await bouncer()).port);
    expect(cli.code).toBe(1);
    expect(cli.json).toMatchObject({
      server: { kind: 'pgbouncer' },
      error: { code: '08P01', message: 'password authentication failed for user "alice"' },
      diagnosis: { code: 'pass-through-mismatch' },
      passThrough: { confidence: 'certain', poolerError: 'password authentication failed for user "alice"' },
    });
  });

  test('the pool logged in before the re-salt: the held first query and PgBouncer\'s retry error are diagnosed', async () => {
    writeAlice(1);
    const b = await bouncer();
    expect((await probeLogin({ host: '127.0.0.1', port: b.port }, 'alice', 'alice-pw')).result.ok).toBe(true);
    await psql(`ALTER ROLE alice PASSWORD '${secret(3)}'; SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'alice';`);
    await waitFor(async () => (await c.sql(`SELECT count(*) FROM pg_stat_activity WHERE usename = 'alice'`)) === '0', 'the pooled backend to go');
    // PgBouncer answers from its cache, then holds the first query while its own login fails: a timeout
    // after login (not "the peer never spoke"), diagnosed as pass-through.
    const held = (await probeLogin({ host: '127.0.0.1', port: b.port }, 'alice', 'alice-pw', { connectTimeout: 3 })).result;
    const facts: PassThroughFacts = passThroughFactsOf(held);
    expect(facts).toMatchObject({ authOk: true, serverSignatureVerified: true, serverKind: 'pgbouncer', ended: 'timeout' });
    expect(held.error.message).not.toMatch(/closed the connection unexpectedly/);
    expect(held.diagnosis.code).toBe('pass-through-mismatch');
    expect(held.exit).toBe('rejected');
    // The clients that follow are turned away with PgBouncer's own FATAL after its cached AuthenticationOk:
    // the CLI keeps that error (not "server closed the connection unexpectedly") and diagnoses it.
    const next = await cliProbe(b.port);
    await waitFor(() => b.log().includes(RETRY_TEXT), 'PgBouncer to turn clients away');
    expect(next.code).toBe(1);
    expect(next.json).toMatchObject({ error: { severity: 'FATAL', message: RETRY_TEXT }, diagnosis: { code: 'pass-through-mismatch' }, passThrough: { confidence: 'likely', poolerError: RETRY_TEXT } });
    expect(diagnosePassThrough(facts)).toMatchObject({ code: 'pass-through-mismatch', confidence: 'likely' });
    expect(diagnosePassThrough({ ...facts, errorMessage: RETRY_TEXT, ended: null })).toMatchObject({ code: 'pass-through-mismatch', poolerError: RETRY_TEXT });
    await psql(`ALTER ROLE alice PASSWORD '${secret(1)}';`);
  });
});

describe('diagnosePassThrough (pure)', () => {
  const base: PassThroughFacts = { serverKind: 'pgbouncer', user: 'alice', errorMessage: null, serverSignatureVerified: false, authOk: false, ended: null };
  test.each<[string, Partial<PassThroughFacts>, string | null]>([
    ['server login failed: wrong password type', { errorMessage: 'server login failed: wrong password type' }, 'pass-through-wrong-secret-type'],
    ['server login failed: other', { errorMessage: 'server login failed: FATAL password authentication failed' }, 'pass-through-mismatch'],
    ['server login failed for NOLOGIN is not a verifier mismatch', { errorMessage: 'server login failed: FATAL role "alice" is not permitted to log in' }, null],
    ['server login failed for a missing database is not a verifier mismatch', { errorMessage: 'server login failed: FATAL database "x" does not exist' }, null],
    ['SASL authentication failed at PgBouncer', { errorMessage: 'SASL authentication failed' }, 'pooler-auth-failed'],
    ['a password failure before any verified signature is not pass-through', { errorMessage: 'password authentication failed for user "alice"' }, null],
    ['a plain PostgreSQL closing after login is not pass-through', { serverKind: 'postgresql', authOk: true, serverSignatureVerified: true, ended: 'closed' }, null],
    ['verified, then no AuthenticationOk: a pooler waiting for its login', { serverKind: 'unknown', serverSignatureVerified: true, ended: 'timeout' }, 'pass-through-mismatch'],
  ])('%s', (_name, facts, code) => {
    expect(diagnosePassThrough({ ...base, ...facts })?.code ?? null).toBe(code);
  });
});

describe('PgBouncer seen through its forwarded login error', () => {
  const ev = { parameters: {}, versionText: null, errorHadRoutine: false, backendKeyPid: null, spoke: true };
  const forwarded = 'password authentication failed for user "alice"';
  test.each<[string, Partial<Parameters<typeof detectServerKind>[0]>, string]>([
    ["PostgreSQL's 28P01 text with SQLSTATE 08P01 and no source fields: PgBouncer forwarding it", { errorMessages: [forwarded], errorCodes: ['08P01'] }, 'pgbouncer'],
    ['the same text as PostgreSQL sends it (28P01, source fields)', { errorMessages: [forwarded], errorCodes: ['28P01'], errorHadRoutine: true }, 'postgresql'],
    ['PgBouncer turning clients away (server_login_retry)', { errorMessages: [RETRY_TEXT], errorCodes: ['08P01'] }, 'pgbouncer'],
  ])('%s', (_name, e, kind) => {
    expect(detectServerKind({ ...ev, errorMessages: [], ...e }).kind).toBe(kind);
  });
});

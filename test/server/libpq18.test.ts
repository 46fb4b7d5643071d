/**
 * `pgauth serve` (default --server-version 18.0) with libpq 18 clients:
 * Debian's psql on libpq 18 (test/helpers/versions.ts libpq18()) with
 * max_protocol_version=3.2 over TLS, direct TLS and channel binding; a C
 * program on libpq 18 that prints PQfullProtocolVersion; and `SELECT
 * pg_sleep(30)` cancelled by SIGINT to psql, once over 3.2 (libpq 18, the
 * 32-byte key) and once over 3.0 (Debian's libpq 15, the 4-byte key).
 */
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeCerts, type CertSet } from '../helpers/certs.js';
import { describeWith, which } from '../helpers/env.js';
import { run, type RunResult } from '../helpers/proc.js';
import { runPsql } from '../helpers/clients.js';
import { tempDir } from '../helpers/tmp.js';
import { libpq18, libpq18Missing } from '../helpers/versions.js';
import { PASSWORD, writeRoles } from './roles.js';
import { startServe, type Served } from '../helpers/serve.js';
import { RawClient } from './wire.js';

const missing = libpq18Missing() ?? (which('openssl') ? undefined : 'openssl not installed');
const tmp = tempDir('pgauth-serve-libpq18-');
afterAll(() => tmp.remove());

const clientEnv = (libpq: 'libpq18' | 'debian'): NodeJS.ProcessEnv => ({
  ...process.env,
  ...(libpq === 'libpq18' ? libpq18()!.env : {}),
  PGPASSWORD: PASSWORD,
  PGCONNECT_TIMEOUT: '10',
  HOME: tmp.path,
});

function psql(conninfo: string, sql = 'SELECT system_user', libpq: 'libpq18' | 'debian' = 'libpq18'): Promise<RunResult> {
  return runPsql(conninfo, sql, { bin: libpq18()!.psql, env: clientEnv(libpq) });
}

describeWith(missing, 'pgauth serve with libpq 18: protocol 3.2, TLS, cancel', () => {
  let certs: CertSet;
  let s: Served;
  beforeAll(async () => {
    certs = makeCerts(tmp.path);
    s = await startServe(['--auth', 'scram-sha-256', '--roles', writeRoles(tmp.path), '--tls-cert', certs.serverCert, '--tls-key', certs.serverKey]);
  });
  afterAll(async () => {
    await s?.stop();
  });

  /** Runs psql and returns the attempt line of its login. */
  async function loginLine(conninfo: string): Promise<Record<string, unknown>> {
    const from = s.lines.length;
    const r = await psql(`host=127.0.0.1 port=${s.port} user=alice dbname=d ${conninfo}`);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('scram-sha-256:alice\n');
    return s.waitForLine((l) => l.event === 'attempt' && l.result === 'ok', 'the login line', from);
  }

  it('psql max_protocol_version=3.2 sslmode=require logs in over protocol 3.2', async () => {
    expect(await loginLine('max_protocol_version=3.2 sslmode=require')).toMatchObject({ protocol: '3.2', tls: true, mechanism: 'SCRAM-SHA-256-PLUS' });
    // libpq 18 still asks for 3.0 unless told otherwise.
    expect(await loginLine('sslmode=require')).toMatchObject({ protocol: '3.0', tls: true });
  });

  it('psql sslnegotiation=direct sslmode=require (PostgreSQL 17 direct TLS) with 3.2', async () => {
    expect(await loginLine('sslnegotiation=direct sslmode=require max_protocol_version=3.2')).toMatchObject({ protocol: '3.2', tls: true });
  });

  it('psql channel_binding=require require_auth=scram-sha-256 uses SCRAM-SHA-256-PLUS', async () => {
    expect(await loginLine('sslmode=require channel_binding=require require_auth=scram-sha-256 max_protocol_version=3.2')).toMatchObject({
      protocol: '3.2',
      mechanism: 'SCRAM-SHA-256-PLUS',
    });
  });

  it('libpq 18 itself says 3.2 is in use (PQfullProtocolVersion from a C program)', async (ctx) => {
    // Optional even under CI: the raw-wire test (protocol.test.ts) proves the 32-byte key.
    ctx.skip(!which('gcc'), 'gcc not installed: cannot build the PQfullProtocolVersion program');
    const lib = libpq18()!.env.LD_LIBRARY_PATH!.split(':');
    const src = join(tmp.path, 'proto.c');
    // Our own prototypes: no libpq headers needed, only libpq 18's libpq.so.5.
    writeFileSync(
      src,
      [
        'typedef struct pg_conn PGconn;',
        'extern PGconn *PQconnectdb(const char *conninfo);',
        'extern int PQstatus(const PGconn *conn);',
        'extern char *PQerrorMessage(const PGconn *conn);',
        'extern int PQfullProtocolVersion(const PGconn *conn);',
        'extern int PQbackendPID(const PGconn *conn);',
        'extern void PQfinish(PGconn *conn);',
        'int printf(const char *, ...);',
        'int main(int argc, char **argv) {',
        '  PGconn *c = PQconnectdb(argv[1]);',
        '  if (PQstatus(c) != 0) { printf("error %s", PQerrorMessage(c)); return 1; }',
        '  printf("%d\\n", PQfullProtocolVersion(c));',
        '  PQfinish(c);',
        '  return 0;',
        '}',
      ].join('\n'),
    );
    const bin = join(tmp.path, 'proto');
    execFileSync('gcc', ['-o', bin, src, join(lib[0]!, 'libpq.so.5'), `-Wl,-rpath-link,${lib[1]}`]);
    const base = `host=127.0.0.1 port=${s.port} user=alice dbname=d sslmode=require`;
    const r32 = await run(bin, [`${base} max_protocol_version=3.2`], { env: clientEnv('libpq18') });
    expect(r32.stdout).toBe('30002\n');
    const r30 = await run(bin, [base], { env: clientEnv('libpq18') });
    expect(r30.stdout).toBe('30000\n');
  });

  it('against --server-version 17.0, libpq 18 asking for 3.2 is negotiated down to 3.0; min_protocol_version=3.2 is refused by libpq', async () => {
    const s17 = await startServe(['--auth', 'scram-sha-256', '--roles', writeRoles(tmp.path), '--server-version', '17.0']);
    try {
      const base = `host=127.0.0.1 port=${s17.port} user=alice dbname=d sslmode=disable`;
      const down = await psql(`${base} max_protocol_version=3.2`);
      expect(down.stderr).toBe('');
      expect(down.stdout).toBe('scram-sha-256:alice\n');
      expect(await s17.waitForLine((l) => l.event === 'attempt' && l.result === 'ok', 'the login')).toMatchObject({ protocol: '3.0' });
      const refused = await psql(`${base} min_protocol_version=3.2`);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('server only supports protocol version 3.0, but "min_protocol_version" was set to 3.2');
    } finally {
      await s17.stop();
    }
  });

  /**
   * Starts `SELECT pg_sleep(30)` in psql, waits until serve's log says the
   * statement runs, sends psql SIGINT (psql then sends a CancelRequest with
   * the key it got), and returns psql's outcome and the log lines.
   */
  async function cancelSleep(libpq: 'libpq18' | 'debian', conninfo: string) {
    const from = s.lines.length;
    const child = spawn(libpq18()!.psql, ['-X', '-At', '-c', 'SELECT pg_sleep(30)', `host=127.0.0.1 port=${s.port} user=alice dbname=d ${conninfo}`], {
      env: clientEnv(libpq),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const started = await s.waitForLine((l) => l.event === 'sleep' && l.state === 'started', 'the sleep to start', from);
    child.kill('SIGINT');
    const code = await exited;
    const cancelLine = await s.waitForLine((l) => l.event === 'attempt' && l.result === 'cancel', 'the cancel request', from);
    const end = await s.waitForLine((l) => l.event === 'sleep' && l.pid === started.pid && l.state !== 'started', 'the sleep to end', from);
    const login = s.lines.slice(from).find((l) => l.event === 'attempt' && l.result === 'ok');
    return { code, stderr, cancelLine, end, login, pid: started.pid };
  }

  it('SIGINT to libpq 18 psql cancels SELECT pg_sleep(30) over protocol 3.2 (32-byte key): 57014, promptly', async () => {
    const r = await cancelSleep('libpq18', 'sslmode=require max_protocol_version=3.2');
    expect(r.login).toMatchObject({ protocol: '3.2' });
    expect(r.stderr).toContain('ERROR:  canceling statement due to user request');
    expect(r.code).toBe(1);
    expect(r.cancelLine.detail).toBe(`cancel request for process ${r.pid}: statement canceled`);
    // Cancelled, not finished: the 30 s had not passed.
    expect(r.end.state).toBe('canceled');
  });

  it('SIGINT to Debian psql (libpq 15, protocol 3.0, 4-byte key) cancels it too', async () => {
    const r = await cancelSleep('debian', 'sslmode=disable');
    expect(r.login).toMatchObject({ protocol: '3.0', tls: false });
    expect(r.stderr).toContain('ERROR:  canceling statement due to user request');
    expect(r.code).toBe(1);
    expect(r.end.state).toBe('canceled');
  });
});

describeWith(missing, 'pgauth serve with an Ed25519 or Ed448 certificate (no hash for tls-server-end-point)', () => {
  const edCert = (alg: 'ed25519' | 'ed448') => {
    const dir = join(tmp.path, alg);
    mkdirSync(dir);
    execFileSync('openssl', ['req', '-x509', '-newkey', alg, '-nodes', '-keyout', 'server.key', '-out', 'server.crt', '-days', '30', '-subj', '/CN=localhost'], {
      cwd: dir,
      stdio: 'ignore',
    });
    return { cert: join(dir, 'server.crt'), key: join(dir, 'server.key') };
  };
  let s: Served;
  let rolesPath: string;
  beforeAll(async () => {
    rolesPath = writeRoles(tmp.path);
    const ed = edCert('ed25519');
    s = await startServe(['--auth', 'scram-sha-256', '--roles', rolesPath, '--tls-cert', ed.cert, '--tls-key', ed.key, '--log-format', 'text']);
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('starts with one warning line on stderr: SCRAM-SHA-256-PLUS is off', async () => {
    await s.waitForStderr('warning', 'the warning on stderr');
    // The other stderr lines are serve's start lines (role file, method, how to connect).
    const lines = s.stderr().split('\n').filter((l) => l.startsWith('pgauth: warning'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^pgauth: warning: --tls-cert .*server\.crt: SCRAM-SHA-256-PLUS is off: the certificate's signature algorithm \(Ed25519\) has no hash for tls-server-end-point channel binding/);
  });

  it('offers only SCRAM-SHA-256 over TLS, and libpq 18 psql logs in with the default channel_binding=prefer', async () => {
    const c = await RawClient.connectDirectTls(s.port, ['postgresql']);
    c.startup('alice');
    expect((await c.until('AuthenticationSASL')).mechanisms).toEqual(['SCRAM-SHA-256']);
    c.end();
    // libpq sends the 'y' flag (it could bind, the server offered no PLUS): accepted, since the server truly cannot.
    for (const libpq of ['libpq18', 'debian'] as const) {
      const r = await psql(`host=127.0.0.1 port=${s.port} user=alice dbname=d sslmode=require`, 'SELECT system_user', libpq);
      expect(r.stderr, libpq).toBe('');
      expect(r.stdout, libpq).toBe('scram-sha-256:alice\n');
    }
  });

  it('channel_binding=require is refused by libpq itself, as for a server without channel binding', async () => {
    const r = await psql(`host=127.0.0.1 port=${s.port} user=alice dbname=d sslmode=require channel_binding=require`);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('channel binding is required, but server did not offer an authentication method that supports channel binding');
  });

  it('an Ed448 certificate warns the same way', async () => {
    const ed = edCert('ed448');
    const s448 = await startServe(['--auth', 'scram-sha-256', '--roles', rolesPath, '--tls-cert', ed.cert, '--tls-key', ed.key, '--log-format', 'text']);
    try {
      await s448.waitForStderr('\n', 'the warning on stderr');
      expect(s448.stderr()).toMatch(/SCRAM-SHA-256-PLUS is off: the certificate's signature algorithm \(Ed448\)/);
    } finally {
      await s448.stop();
    }
  });
});

/**
 * `pgauth serve`'s start: the listening line first on stdout, then (text
 * mode, stderr) the role file, method, TLS and a psql line that works; and
 * --tls-self-signed-out, against which real psql connects with verify-full.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../helpers/env.js';
import { runPsql } from '../helpers/clients.js';
import { pgauth, run } from '../helpers/proc.js';
import { startServe, type Served, type ServeOptions } from '../helpers/serve.js';
import { clientBinDir } from '../helpers/versions.js';
import { startLines } from '../../src/cli/serve-start.js';

let started: Served[] = [];
afterEach(async () => {
  await Promise.all(started.map((s) => s.stop()));
  started = [];
});

/** serve in its default text log format (the start lines are what this file tests). */
async function serve(args: string[], opts: ServeOptions = {}): Promise<Served> {
  const s = await startServe(['--log-format', 'text', ...args], { watch: false, ...opts });
  started.push(s);
  return s;
}

let dir: string;
let roles: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pgauth-serve-start-'));
  roles = join(dir, 'userlist.txt');
  writeFileSync(roles, '"alice" "wonderland"\n"bob" "builder"\n', { mode: 0o600 });
});

const psqlMissing = clientBinDir() ? undefined : 'psql not found (apt-get install postgresql-client)';

describeWith(psqlMissing, 'pgauth serve start lines', () => {
  it('names the role file, method and TLS, and its psql line logs in with verify-full against --tls-self-signed-out', async () => {
    const pem = join(dir, 'serve-ca.pem');
    const s = await serve(['--roles', roles, '--auth', 'password', '--tls-self-signed', '--tls-self-signed-out', pem]);
    expect(s.stdout()).toMatch(/^pgauth serve: listening on 127\.0\.0\.1:\d+ \(auth password, TLS on\)\n/);
    expect(s.stderr()).toContain(`pgauth serve: role file ${roles} (2 roles)\n`);
    expect(s.stderr()).toContain(`pgauth serve: auth password, TLS on, certificate in ${pem}\n`);
    expect(s.stderr()).not.toContain('wonderland');
    const st = statSync(pem);
    expect(st.mode & 0o777).toBe(0o644);
    const text = readFileSync(pem, 'utf8');
    expect(text).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
    expect(text).not.toContain('PRIVATE KEY');
    const conninfo = /connect with: psql '([^']+)'/.exec(s.stderr())![1]!;
    expect(conninfo).toContain(`sslmode=verify-full sslrootcert=${pem}`);
    // libpq checks the name: host=localhost also verifies (the certificate names localhost, 127.0.0.1, ::1).
    for (const c of [conninfo, conninfo.replace('host=127.0.0.1', 'host=localhost')]) {
      const r = await runPsql(c, 'select 1', { bin: join(clientBinDir()!, 'psql'), password: 'wonderland' });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('1\n');
    }
    // A certificate of another run is refused by verify-full: the file is the one served.
    const other = join(dir, 'other.pem');
    const s2 = await serve(['--roles', roles, '--auth', 'password', '--tls-self-signed', '--tls-self-signed-out', other]);
    const port2 = /port=(\d+)/.exec(s2.stderr())![1]!;
    const bad = await runPsql(`host=localhost port=${port2} user=alice dbname=postgres sslmode=verify-full sslrootcert=${pem}`, 'select 1', { bin: join(clientBinDir()!, 'psql'), password: 'wonderland' });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/certificate verify failed/);
  });

  it('--tls-cert-out FILE (the same as --tls-self-signed-out): psql logs in with sslmode=verify-full sslrootcert=FILE', async () => {
    const pem = join(dir, 'cert-out.pem');
    const s = await serve(['--roles', roles, '--auth', 'scram-sha-256', '--tls-self-signed', '--tls-cert-out', pem]);
    expect(s.stderr()).toContain(`pgauth serve: auth scram-sha-256, TLS on, certificate in ${pem}\n`);
    const port = /port=(\d+)/.exec(s.stderr())![1]!;
    const r = await runPsql(`host=localhost port=${port} user=alice dbname=postgres sslmode=verify-full sslrootcert=${pem}`, 'select current_user', { bin: join(clientBinDir()!, 'psql'), password: 'wonderland' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('alice\n');
    const both = await pgauth(['serve', '--port', '0', '--roles', roles, '--tls-self-signed', '--tls-cert-out', pem, '--tls-self-signed-out', pem]);
    expect(both.code).toBe(3);
    expect(both.stderr).toBe('pgauth: --tls-cert-out and --tls-self-signed-out are the same option: give one\n');
    const alone = await pgauth(['serve', '--port', '0', '--roles', roles, '--tls-cert-out', pem]);
    expect(alone.code).toBe(3);
    expect(alone.stderr).toBe('pgauth: --tls-cert-out needs --tls-self-signed\n');
  });

  it('says "no role file" and sslmode=disable without TLS', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'pgauth-serve-cwd-'));
    const err = (await serve(['--auth', 'trust'], { cwd, env: { PGAUTH_ROLES: '' } })).stderr();
    expect(err).toContain('pgauth serve: no role file');
    expect(err).toContain('pgauth serve: auth trust, TLS off');
    const conninfo = /connect with: psql '([^']+)'/.exec(err)![1]!;
    expect(conninfo).toMatch(/sslmode=disable$/);
    expect(conninfo).toContain('user=NAME');
    const r = await runPsql(conninfo, 'select 1', { bin: join(clientBinDir()!, 'psql') });
    expect(r.stdout).toBe('1\n');
  });

  it('keeps stdout pure JSON lines and prints no start lines in --log-format json', async () => {
    const s = await serve(['--roles', roles, '--log-format', 'json']);
    for (const line of s.stdout().trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
    expect(s.stderr()).not.toContain('connect with');
  });

  it('refuses --tls-self-signed-out without --tls-self-signed', async () => {
    const r = await pgauth(['serve', '--port', '0', '--roles', roles, '--tls-self-signed-out', join(dir, 'x.pem')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('pgauth: --tls-self-signed-out needs --tls-self-signed\n');
    const nowhere = await pgauth(['serve', '--port', '0', '--roles', roles, '--tls-self-signed', '--tls-self-signed-out', join(dir, 'no', 'x.pem')]);
    expect(nowhere.code).toBe(3);
    expect(nowhere.stderr).toBe(`pgauth: --tls-self-signed-out ${join(dir, 'no', 'x.pem')}: cannot write the certificate: its folder does not exist\n`);
  });
});

it('quotes the example for a shell and for libpq', async () => {
  const lines = startLines({ host: '::', port: 5, socketPath: null, rolesPath: 'r', roleNames: ["o'neil"], method: 'md5', tls: true, rootCert: '/tmp/a b.pem' });
  const word = lines[2]!.replace('pgauth serve: connect with: psql ', '');
  const r = await run('sh', ['-c', `printf %s ${word}`]);
  expect(r.stdout).toBe(`host=::1 port=5 user='o\\'neil' dbname=postgres sslmode=verify-full sslrootcert='/tmp/a b.pem'`);
});

/**
 * `pgauth serve`'s start: the listening line first on stdout, then (text
 * mode, stderr) the role file, method, TLS and a psql line that works; and
 * --tls-self-signed-out, against which real psql connects with verify-full.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../helpers/env.js';
import { waitFor } from '../helpers/pg.js';
import { PGAUTH_BIN, pgauth, run } from '../helpers/proc.js';
import { clientBinDir } from '../helpers/versions.js';
import { startLines } from '../../src/cli/serve-start.js';

interface Serve {
  child: ChildProcess;
  out: () => string;
  err: () => string;
}

let children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    const done = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await done;
  }
  children = [];
});

async function serve(args: string[], ready: (s: Serve) => boolean): Promise<Serve> {
  const child = spawn(process.execPath, [PGAUTH_BIN, 'serve', '--port', '0', '--no-watch', ...args], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const s = { child, out: () => out, err: () => err };
  await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}: ${err}`);
    return ready(s) || undefined;
  }, 'pgauth serve to start', 15_000);
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
    const s = await serve(['--roles', roles, '--auth', 'password', '--tls-self-signed', '--tls-self-signed-out', pem], (x) => x.err().includes('connect with:'));
    expect(s.out()).toMatch(/^pgauth serve: listening on 127\.0\.0\.1:\d+ \(auth password, TLS on\)\n/);
    expect(s.err()).toContain(`pgauth serve: role file ${roles} (2 roles)\n`);
    expect(s.err()).toContain(`pgauth serve: auth password, TLS on, certificate in ${pem}\n`);
    expect(s.err()).not.toContain('wonderland');
    const st = statSync(pem);
    expect(st.mode & 0o777).toBe(0o644);
    const text = readFileSync(pem, 'utf8');
    expect(text).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
    expect(text).not.toContain('PRIVATE KEY');
    const conninfo = /connect with: psql '([^']+)'/.exec(s.err())![1]!;
    expect(conninfo).toContain(`sslmode=verify-full sslrootcert=${pem}`);
    // libpq checks the name: host=localhost also verifies (the certificate names localhost, 127.0.0.1, ::1).
    for (const c of [conninfo, conninfo.replace('host=127.0.0.1', 'host=localhost')]) {
      const r = await run(join(clientBinDir()!, 'psql'), [c, '-XAtc', 'select 1'], { env: { ...process.env, PGPASSWORD: 'wonderland' } });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('1\n');
    }
    // A certificate of another run is refused by verify-full: the file is the one served.
    const other = join(dir, 'other.pem');
    const s2 = await serve(['--roles', roles, '--auth', 'password', '--tls-self-signed', '--tls-self-signed-out', other], (x) => x.err().includes('connect with:'));
    const port2 = /port=(\d+)/.exec(s2.err())![1]!;
    const bad = await run(join(clientBinDir()!, 'psql'), [`host=localhost port=${port2} user=alice dbname=postgres sslmode=verify-full sslrootcert=${pem}`, '-XAtc', 'select 1'], { env: { ...process.env, PGPASSWORD: 'wonderland' } });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/certificate verify failed/);
  });

  it('says "no role file" and sslmode=disable without TLS', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'pgauth-serve-cwd-'));
    const child = spawn(process.execPath, [PGAUTH_BIN, 'serve', '--port', '0', '--no-watch', '--auth', 'trust'], { cwd, env: { ...process.env, NO_COLOR: '1', PGAUTH_ROLES: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    await waitFor(() => err.includes('connect with:') || undefined, 'serve to start', 15_000);
    expect(err).toContain('pgauth serve: no role file');
    expect(err).toContain('pgauth serve: auth trust, TLS off');
    const conninfo = /connect with: psql '([^']+)'/.exec(err)![1]!;
    expect(conninfo).toMatch(/sslmode=disable$/);
    expect(conninfo).toContain('user=NAME');
    const r = await run(join(clientBinDir()!, 'psql'), [conninfo, '-XAtc', 'select 1']);
    expect(r.stdout).toBe('1\n');
  });

  it('keeps stdout pure JSON lines and prints no start lines in --log-format json', async () => {
    const s = await serve(['--roles', roles, '--log-format', 'json'], (x) => x.out().includes('\n'));
    for (const line of s.out().trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
    expect(s.err()).not.toContain('connect with');
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

/**
 * What `npm pack` ships is what users run (issue 16): the tarball holds the
 * bundle (dist/bundle) and not tsc's output, installs into an empty prefix
 * without the libraries bundled into it, and the installed `pgauth` serves,
 * logs in with SCRAM, uses each bundled library, and maps --debug stack
 * traces to src/*.ts through the bundle's source maps.
 * Needs the npm cache or registry for the dependencies (npm ci fills it).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../helpers/proc.js';
import { startServe, type Served } from '../helpers/serve.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const npm = (args: string[], cwd = ROOT) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' } });

let dir: string;
let files: string[];
let bin: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pgauth-pack-'));
  const [packed] = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dir])) as Array<{ filename: string; files: Array<{ path: string }> }>;
  files = packed!.files.map((f) => f.path);
  npm(['install', '--global', '--prefix', join(dir, 'prefix'), join(dir, packed!.filename), '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund']);
  bin = join(dir, 'prefix', 'bin', 'pgauth');
}, 240_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the packed tarball', () => {
  it("ships the bundle with its source maps, the bin and the action, and nothing of tsc's dist/", () => {
    expect(files).toEqual(expect.arrayContaining(['bin/pgauth.cjs', 'dist/bundle/pgauth.cjs', 'dist/bundle/pgauth.cjs.map', 'dist/bundle/worker.js', 'dist/bundle/action.js', 'action.yml']));
    expect(files.filter((f) => f.startsWith('dist/') && !f.startsWith('dist/bundle/'))).toEqual([]);
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
  });

  it('installs only the libraries the bundle loads at run time; the bundled ones are not installed at all', () => {
    const installed = join(dir, 'prefix', 'lib', 'node_modules', 'pgauth', 'node_modules');
    for (const kept of ['koffi', 'xmlbuilder2', 'cli-table3', '@mongodb-js/saslprep']) expect(existsSync(join(installed, kept)), kept).toBe(true);
    for (const bundled of ['commander', 'chalk', '@inquirer/prompts', '@peculiar/x509', 'jose', 'proper-lockfile', 'reflect-metadata']) expect(existsSync(join(installed, bundled)), bundled).toBe(false);
  });

  it('installed, `pgauth --version` prints the package version', async () => {
    const r = await run(bin, ['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  });

  describe('installed serve and probe', () => {
    let served: Served;
    beforeAll(async () => {
      const roles = join(dir, 'userlist.txt');
      writeFileSync(roles, '"alice" "s3cret"\n', { mode: 0o600 });
      served = await startServe(['--auth', 'scram-sha-256', '--roles', roles], { bin });
    });
    afterAll(async () => void (await served?.stop()));

    it('the installed probe logs in to the installed serve with SCRAM', async () => {
      const r = await run(bin, ['probe', `host=127.0.0.1 port=${served.port} user=alice dbname=postgres sslmode=disable`, '--json'], { env: { ...process.env, PGPASSWORD: 's3cret', NO_COLOR: '1' } });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.stdout) as { ok: boolean; auth: { method: string; mechanism: string } };
      expect(doc.ok).toBe(true);
      expect(doc.auth).toMatchObject({ method: 'scram-sha-256', mechanism: 'SCRAM-SHA-256' });
    });
  });

  it('the installed commands run the libraries bundled into them: add-role (the lock file), oauth-token (jose), hba lint --junit (xmlbuilder2), serve --tls-self-signed (X.509)', async () => {
    const roles = join(dir, 'roles-bundled.txt');
    const add = await run(bin, ['add-role', 'bob', '--roles', roles, '--password-env', 'PW'], { env: { ...process.env, PW: 'pw-bob', NO_COLOR: '1' } });
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(readFileSync(roles, 'utf8')).toMatch(/^"bob" "SCRAM-SHA-256\$4096:/m);

    const jwks = join(dir, 'jwks.json');
    expect((await run(bin, ['oauth-token', '--new-jwks', jwks])).code).toBe(0);
    const token = await run(bin, ['oauth-token', '--jwks', jwks, '--issuer', 'https://issuer.test', '--subject', 'bob', '--json']);
    expect(token.code).toBe(0);
    expect((JSON.parse(token.stdout) as { token: string }).token.split('.')).toHaveLength(3);

    const hba = join(dir, 'pg_hba.conf');
    writeFileSync(hba, 'host all all 127.0.0.1/32 scram-sha-256\n');
    const junit = join(dir, 'lint.xml');
    const lint = await run(bin, ['hba', 'lint', hba, '--junit', junit]);
    expect(lint.code).toBe(0);
    expect(readFileSync(junit, 'utf8')).toMatch(/^<\?xml[^>]*>\s*<testsuites/);

    const tls = await startServe(['--auth', 'scram-sha-256', '--roles', roles, '--tls-self-signed'], { bin });
    try {
      const r = await run(bin, ['probe', `host=127.0.0.1 port=${tls.port} user=bob dbname=postgres sslmode=require`, '--json'], { env: { ...process.env, PGPASSWORD: 'pw-bob', NO_COLOR: '1' } });
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.stdout) as { tls: { version: string | null }; auth: { mechanism: string } };
      expect(doc.tls.version).toMatch(/^TLSv1\.[23]$/);
      expect(doc.auth.mechanism).toBe('SCRAM-SHA-256-PLUS');
    } finally {
      await tls.stop();
    }
  });

  it('--debug maps the stack of an error to src/*.ts lines through the source maps', async () => {
    const r = await run(bin, ['list-roles', '--roles', join(dir, 'missing.txt'), '--debug']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/cannot read role file/);
    expect(r.stderr).toMatch(/\bsrc\/roles\/store\.ts:\d+:\d+/);
  });
});

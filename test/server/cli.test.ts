/** `pgauth serve` flag and file errors: one line, exit 3, nothing started. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeCerts } from '../helpers/certs.js';
import { freePort } from '../helpers/pg.js';
import { pgauth } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';
import { startServe } from '../helpers/serve.js';

const tmp = tempDir('pgauth-serve-cli-');
afterAll(() => tmp.remove());

const notPem = join(tmp.path, 'not-pem.txt');
writeFileSync(notPem, 'hello\n');
const certDir = (name: string) => {
  mkdirSync(join(tmp.path, name));
  return join(tmp.path, name);
};
const certs = makeCerts(certDir('a'), { clients: [] });
const other = makeCerts(certDir('b'), { clients: [] });

describe('pgauth serve usage errors', () => {
  const cases: Array<[string[], RegExp]> = [
    // each bad TLS file is named by its flag
    [['--tls-cert', notPem, '--tls-key', certs.serverKey], /--tls-cert .*not-pem\.txt: not a PEM certificate/],
    [['--tls-cert', certs.serverCert, '--tls-key', notPem], /--tls-key .*not-pem\.txt: not a PEM private key/],
    [['--tls-cert', certs.serverCert, '--tls-key', other.serverKey], /--tls-cert .* with --tls-key .*: .*key values mismatch/],
    [['--tls-cert', certs.serverCert, '--tls-key', certs.serverKey, '--tls-ca', notPem], /--tls-ca .*not-pem\.txt: not a PEM certificate/],
    [['--auth', 'pam', '--pam-confdir', '/nonexistent/pam.d'], /--pam-confdir \/nonexistent\/pam\.d: not a directory/],
    [['--port', 'abc'], /--port: expected an integer/],
    [['--port', '70000'], /--port: must be between 0 and 65535/],
    [['--auth', 'kerberos'], /argument 'kerberos' is invalid/],
    [['--auth-timeout', 'soon'], /--auth-timeout: expected seconds/],
    [['--require-tls'], /--require-tls needs --tls-cert/],
    [['--auth', 'cert', '--tls-self-signed'], /--auth cert needs .*--tls-ca/],
    [['--tls-cert', '/nonexistent/c.pem', '--tls-key', '/nonexistent/k.pem'], /--tls-cert \/nonexistent\/c.pem/],
    [['--roles', '/nonexistent/userlist.txt'], /nonexistent\/userlist.txt/],
  ];
  for (const [args, message] of cases) {
    it(`${args.join(' ').replaceAll(tmp.path, 'TMP')} -> exit 3`, async () => {
      const r = await pgauth(['serve', '--port', '0', ...args], { cwd: tmp.path });
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    });
  }
  it('a port in use is a clear usage error', async () => {
    const s = await startServe(['--auth', 'trust'], { cwd: tmp.path, env: { PGAUTH_ROLES: '' } });
    try {
      const r = await pgauth(['serve', '--port', String(s.port), '--auth', 'trust'], { cwd: tmp.path, env: { PGAUTH_ROLES: '' } });
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(new RegExp(`cannot listen \\(--host 127.0.0.1 --port ${s.port}\\): .*EADDRINUSE`));
    } finally {
      await s.stop();
    }
  });
  it("does not take over a Unix socket another server is listening on", async () => {
    const port = await freePort();
    const dir = join(tmp.path, 'sock');
    mkdirSync(dir);
    const path = join(dir, `.s.PGSQL.${port}`);
    const other = createServer((c) => c.end());
    await new Promise<void>((r) => other.listen(path, r));
    try {
      const r = await pgauth(['serve', '--port', String(port), '--auth', 'trust', '--socket-dir', dir], { cwd: tmp.path, env: { PGAUTH_ROLES: '' } });
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(new RegExp(`cannot listen \\(--socket-dir ${dir}\\): .*EADDRINUSE.*another server is listening`));
      // the other server's socket is still there and still answers
      await new Promise<void>((resolve, reject) => connect(path).once('connect', function (this: import('node:net').Socket) {
        this.destroy();
        resolve();
      }).once('error', reject));
    } finally {
      await new Promise((r) => other.close(r));
    }
  });
  it('refuses a role file PgBouncer would mis-read, naming the line', async () => {
    const path = join(tmp.path, 'broken.txt');
    writeFileSync(path, '"alice" "x"\n# not a comment for PgBouncer\n"bob" "y"\n', { mode: 0o600 });
    const r = await pgauth(['serve', '--port', '0', '--roles', path]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/broken\.txt:2: /);
  });
  it('--json, as in the other commands, gives the JSON lines of --log-format json', async () => {
    const s = await startServe(['--auth', 'trust', '--log-format', 'text', '--json'], { cwd: tmp.path, env: { PGAUTH_ROLES: '' } });
    try {
      await s.waitForLine((l) => l.event === 'warning', 'the no-role-file warning');
      expect(s.lines[0]).toMatchObject({ event: 'listening', host: '127.0.0.1', port: s.port, tls: false, auth: 'trust' });
      expect(s.lines[1]).toMatchObject({ event: 'warning' });
    } finally {
      await s.stop();
    }
  });
  it('without a role file it warns and serves; text log lines', async () => {
    const s = await startServe(['--auth', 'trust', '--log-format', 'text'], { cwd: tmp.path, env: { PGAUTH_ROLES: '' } });
    try {
      expect(s.stderr()).toMatch(/warning: no role file at/);
      expect(s.stdout()).toMatch(/^pgauth serve: listening on 127\.0\.0\.1:\d+ \(auth trust, TLS off\)/);
    } finally {
      expect(await s.stop('SIGINT')).toBe(0);
    }
  });
});

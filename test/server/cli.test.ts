/** `pgauth serve` flag and file errors: one line, exit 3, nothing started. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pgauth } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';
import { startServe } from './serve.js';

const tmp = tempDir('pgauth-serve-cli-');
afterAll(() => tmp.remove());

describe('pgauth serve usage errors', () => {
  const cases: Array<[string[], RegExp]> = [
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
    it(`${args.join(' ')} -> exit 3`, async () => {
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
  it('refuses a role file PgBouncer would mis-read, naming the line', async () => {
    const path = join(tmp.path, 'broken.txt');
    writeFileSync(path, '"alice" "x"\n# not a comment for PgBouncer\n"bob" "y"\n', { mode: 0o600 });
    const r = await pgauth(['serve', '--port', '0', '--roles', path]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/broken\.txt:2: /);
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

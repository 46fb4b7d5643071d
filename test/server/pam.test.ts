/**
 * The pam method's plumbing in the server (the PAM binding itself is tested
 * in test/pam): a cleartext password request, then the role checks after
 * AuthenticationOk, which run after an asynchronous PAM call.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { login } from '../helpers/clients.js';
import { describeWith } from '../helpers/env.js';
import { tempDir } from '../helpers/tmp.js';
import { writeRoles } from './roles.js';
import { startServe, type Served } from '../helpers/serve.js';

const permit = ['/usr/lib/x86_64-linux-gnu/security/pam_permit.so', '/lib/x86_64-linux-gnu/security/pam_permit.so', '/usr/lib64/security/pam_permit.so'].find((p) => existsSync(p));
const tmp = tempDir('pgauth-serve-pam-');
afterAll(() => tmp.remove());

async function attempt(port: number, user: string) {
  const r = await login({ port, user, password: 'anything', database: 'd' }, 'SELECT system_user');
  return r.ok ? { ok: true as const, systemUser: r.row.system_user } : r;
}

describeWith(permit ? undefined : 'pam_permit.so not found (libpam-modules)', 'pgauth serve --auth pam (plumbing)', () => {
  let s: Served;
  beforeAll(async () => {
    const confdir = join(tmp.path, 'pam.d');
    mkdirSync(confdir);
    writeFileSync(join(confdir, 'pgauth-permit'), `auth required ${permit}\naccount required ${permit}\n`);
    s = await startServe(['--auth', 'pam', '--pam-service', 'pgauth-permit', '--pam-confdir', confdir, '--roles', writeRoles(tmp.path)]);
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('logs in after PAM says yes, with system_user pam:<user>', async () => {
    expect(await attempt(s.port, 'alice')).toEqual({ ok: true, systemUser: 'pam:alice' });
  });
  it('still applies the role checks after AuthenticationOk (nologin, unknown role) without hurting the server', async () => {
    expect(await attempt(s.port, 'nolo')).toEqual({ ok: false, code: '28000', message: 'role "nolo" is not permitted to log in' });
    expect(await attempt(s.port, 'ghost')).toEqual({ ok: false, code: '28000', message: 'role "ghost" does not exist' });
    expect(await attempt(s.port, 'alice')).toEqual({ ok: true, systemUser: 'pam:alice' });
  });
});

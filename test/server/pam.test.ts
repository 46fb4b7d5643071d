/**
 * The pam method's plumbing in the server (the PAM binding itself is tested
 * in test/pam): a cleartext password request, then the role checks after
 * AuthenticationOk, which run after an asynchronous PAM call.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../helpers/env.js';
import { tempDir } from '../helpers/tmp.js';
import { writeRoles } from './roles.js';
import { startServe, type Served } from './serve.js';

const permit = ['/usr/lib/x86_64-linux-gnu/security/pam_permit.so', '/lib/x86_64-linux-gnu/security/pam_permit.so', '/usr/lib64/security/pam_permit.so'].find((p) => existsSync(p));
const tmp = tempDir('pgauth-serve-pam-');
afterAll(() => tmp.remove());

async function attempt(port: number, user: string) {
  const c = new pg.Client({ host: '127.0.0.1', port, user, password: 'anything', database: 'd', ssl: false });
  try {
    await c.connect();
    return { ok: true as const, systemUser: (await c.query('SELECT system_user')).rows[0].system_user as string };
  } catch (e) {
    return { ok: false as const, code: (e as { code?: string }).code, message: (e as Error).message };
  } finally {
    await c.end().catch(() => undefined);
  }
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

/**
 * `pgauth serve --auth pam` (and `pam` as an hba method) with real clients:
 * psql and node-postgres log in through pam_exec stacks in a temporary
 * confdir; failures are PostgreSQL's FATAL 28000; slow PAM logins do not
 * hold up other connections or a role-file reload; many logins through the
 * server neither mix up users nor grow its memory without bound.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { login as loginPg, runPsql } from '../helpers/clients.js';
import { describeWith, pgBinDir } from '../helpers/env.js';
import { waitFor } from '../helpers/pg.js';
import { startServe, type Served } from '../helpers/serve.js';
import { serializeFrontend } from '../../src/protocol/index.js';
import { ALICE_PASSWORD, allStarted, makePamStacks, pamModulesMissing, releaseGates, type PamStacks } from './stacks.js';

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]);
}

/** node-postgres login; resolves with current_user or the server's SQLSTATE and message. */
async function login(port: number, user: string, password: string): Promise<{ user?: unknown; code?: string; message?: string }> {
  const r = await loginPg({ port, user, password });
  return r.ok ? { user: r.row.current_user } : { code: r.code, message: r.message };
}

const psql = (port: number, user: string, password: string) =>
  runPsql(`host=127.0.0.1 port=${port} user=${user} dbname=postgres sslmode=disable`, 'SELECT current_user', { password, bin: join(pgBinDir()!, 'psql') });

function serveMissing(): string | undefined {
  if (!pgBinDir()) return 'psql not found under /usr/lib/postgresql/<ver>/bin';
  return pamModulesMissing();
}

describeWith(serveMissing(), 'serve --auth pam', () => {
  let stacks: PamStacks;
  let server: Served | undefined;
  beforeAll(() => {
    stacks = makePamStacks();
  });
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });
  afterAll(() => stacks.remove());

  it('psql logs in with the right password; a wrong one gets 28000 with PostgreSQL message', async () => {
    server = await startServe(['--host', '127.0.0.1', '--auth', 'pam', '--pam-service', 'svc-ok', '--pam-confdir', stacks.dir]);
    const ok = await psql(server.port, 'alice', ALICE_PASSWORD);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout.trim()).toBe('alice');

    const bad = await psql(server.port, 'alice', 'wrong-password');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('FATAL:  PAM authentication failed for user "alice"');
    const viaPg = await login(server.port, 'alice', 'wrong-password');
    expect(viaPg.code).toBe('28000');
    expect(viaPg.message).toBe('PAM authentication failed for user "alice"');

    // A user the stack does not know gets the very same answer (the PAM result stays in the log).
    const unknown = await login(server.port, 'nobody-here', 'x');
    expect(unknown).toEqual({ code: '28000', message: 'PAM authentication failed for user "nobody-here"' });

    await server.waitForLine((l) => JSON.stringify(l).includes('PAM_AUTH_ERR'), 'the PAM result in the server log');
    expect(`${server.stdout()}${server.stderr()}`).not.toContain(ALICE_PASSWORD);
    expect(`${server.stdout()}${server.stderr()}`).not.toContain('wrong-password');
  });

  it('logs what the stack sent as PAM_ERROR_MSG, as PostgreSQL does; the client sees only 28000', async () => {
    // pam_exec without `quiet` reports a failing program with PAM_ERROR_MSG; pam_echo's TEXT_INFO is not logged.
    server = await startServe(['--host', '127.0.0.1', '--auth', 'pam', '--pam-service', 'svc-messages', '--pam-confdir', stacks.dir]);
    expect(await login(server.port, 'alice', 'wrong-password')).toEqual({ code: '28000', message: 'PAM authentication failed for user "alice"' });
    const attempt = await server.waitForLine((l) => l.event === 'attempt' && l.result === 'rejected', 'the attempt in the server log');
    const detail = String(attempt.detail);
    expect(detail).toMatch(/^service "svc-messages": PAM_AUTH_ERR: Authentication failure; error from underlying PAM layer: .*check\.sh failed: exit code 1$/);
    expect(detail).not.toContain('hello from pam_echo');
  });

  it('PAM_RHOST is the client address over TCP and unset over a Unix socket, as PostgreSQL; an empty password never reaches PAM', async () => {
    const sockets = join(stacks.dir, 'sock');
    mkdirSync(sockets, { mode: 0o755 });
    server = await startServe(['--host', '127.0.0.1', '--auth', 'pam', '--pam-service', 'svc-rhost-record', '--pam-confdir', stacks.dir, '--socket-dir', sockets]);
    expect(await login(server.port, 'tcpuser', 'x')).toEqual({ user: 'tcpuser' });
    expect(readFileSync(join(stacks.dir, 'rhost-tcpuser'), 'utf8')).toBe('127.0.0.1');
    const local = await runPsql(`host=${sockets} port=${server.port} user=localuser dbname=postgres`, 'SELECT current_user', { password: 'x', bin: join(pgBinDir()!, 'psql') });
    expect(local.stderr).toBe('');
    expect(local.stdout.trim()).toBe('localuser');
    expect(readFileSync(join(stacks.dir, 'rhost-localuser'), 'utf8')).toBe('unset');

    // PostgreSQL refuses an empty password before PAM runs (28P01, not PAM's 28000).
    expect(await login(server.port, 'emptyuser', '')).toEqual({ code: '28P01', message: 'empty password returned by client' });
    expect(existsSync(join(stacks.dir, 'rhost-emptyuser'))).toBe(false);
  });

  it('refuses a correct password when the account stack denies (pam_access)', async () => {
    server = await startServe(['--host', '127.0.0.1', '--auth', 'pam', '--pam-service', 'svc-acct-deny', '--pam-confdir', stacks.dir]);
    const r = await psql(server.port, 'alice', ALICE_PASSWORD);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('FATAL:  PAM authentication failed for user "alice"');
    // root exists (PAM_PERM_DENIED), alice does not (PAM_USER_UNKNOWN): the client cannot tell them apart.
    expect(await login(server.port, 'root', 'pw-root')).toEqual({ code: '28000', message: 'PAM authentication failed for user "root"' });
    expect(await login(server.port, 'alice', ALICE_PASSWORD)).toEqual({ code: '28000', message: 'PAM authentication failed for user "alice"' });
    await server.waitForLine((l) => JSON.stringify(l).includes('PAM_PERM_DENIED'), 'PAM_PERM_DENIED in the server log');
    await server.waitForLine((l) => JSON.stringify(l).includes('PAM_USER_UNKNOWN'), 'PAM_USER_UNKNOWN in the server log');
  });

  it('8 PAM logins held inside PAM: a trust connection and a role-file reload complete meanwhile', async () => {
    const roles = join(stacks.dir, 'userlist.txt');
    const users = Array.from({ length: 8 }, (_, i) => `u${i}`);
    writeFileSync(roles, ['trusty', ...users].map((u) => `"${u}" "unused-plain-${u}"\n`).join(''), { mode: 0o600 });
    const hba = join(stacks.dir, 'pg_hba.conf');
    writeFileSync(hba, 'host all trusty,newbie 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 pam pamservice=svc-gate\n');
    server = await startServe(['--host', '127.0.0.1', '--hba', hba, '--roles', roles, '--pam-confdir', stacks.dir]);
    const port = server.port;

    let answered = 0;
    const held = Promise.all(users.map((u) => login(port, u, `pw-${u}`).then((r) => (answered++, r))));
    try {
      await waitFor(() => allStarted(stacks.dir, users), 'eight PAM logins inside the gated module', 10_000);
      // The eight cannot finish until the test opens their gates: all that follows ran beside them.
      expect(await login(port, 'trusty', '')).toEqual({ user: 'trusty' });

      // Reload: newbie appears in the role file; the server picks it up on SIGHUP.
      expect(await login(port, 'newbie', '')).toEqual({ code: '28000', message: 'role "newbie" does not exist' });
      writeFileSync(roles, readFileSync(roles, 'utf8') + '"newbie" "unused-plain-newbie"\n');
      const from = server.lines.length;
      server.hup();
      await server.waitForLine((l) => l.event === 'reload' && l.ok === true, 'the reload after SIGHUP', from);
      expect(await login(port, 'newbie', '')).toEqual({ user: 'newbie' });
      expect(answered).toBe(0);
    } finally {
      await releaseGates(stacks.dir, users);
    }
    expect(await held).toEqual(users.map((user) => ({ user })));
    // (How long the trust login and the reload took beside them: bench/timing.bench.ts.)
  });

  it('a client that leaves while its login waits for a PAM thread is dropped: PAM never runs for it', async () => {
    server = await startServe(['--host', '127.0.0.1', '--auth', 'pam', '--pam-service', 'svc-slow', '--pam-confdir', stacks.dir]);
    const port = server.port;
    // Eight logins take the eight PAM threads for a second each.
    const held = Promise.all(Array.from({ length: 8 }, (_, i) => login(port, `q${i}`, `pw-q${i}`)));
    await waitFor(() => Array.from({ length: 8 }, (_, i) => existsSync(join(stacks.dir, `started-q${i}`))).every(Boolean), 'eight PAM logins inside the slow module', 10_000);
    // A ninth sends its password, so its login queues for a thread, and leaves.
    const sock = connect(port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    sock.write(serializeFrontend({ type: 'StartupMessage', major: 3, minor: 0, parameters: [['user', 'gone']] }));
    await new Promise((r) => sock.once('data', r)); // AuthenticationCleartextPassword
    sock.write(serializeFrontend({ type: 'PasswordMessage', password: 'pw-gone' }));
    sock.end(); // the server reads the password, then the end of the stream
    expect(await held).toEqual(Array.from({ length: 8 }, (_, i) => ({ user: `q${i}` })));
    // The queue is first come, first served: once a later login has run, the dropped one would have run before it.
    expect(await login(port, 'q9', 'pw-q9')).toEqual({ user: 'q9' });
    expect(existsSync(join(stacks.dir, 'started-gone'))).toBe(false);
  });

  it('stops on SIGTERM (exit 0) while a PAM login is stuck in a module', async () => {
    server = await startServe(['--host', '127.0.0.1', '--auth', 'pam', '--pam-service', 'svc-hang', '--pam-confdir', stacks.dir]);
    const stuck = login(server.port, 'hung', 'x');
    await waitFor(() => existsSync(join(stacks.dir, 'hang-started-hung')), 'the login to enter the stuck module', 10_000);
    // The module sleeps 60 s: a stop that waited for it would outlast this test's 30 s.
    expect(await server.stop()).toBe(0);
    expect(await stuck).toEqual({ code: '57P01', message: 'terminating connection due to administrator command' }); // told, never logged in
  }, 30_000);

  it('many logins through the server: no crash, no mix-up of users, bounded memory', async () => {
    server = await startServe(['--host', '127.0.0.1', '--auth', 'pam', '--pam-service', 'svc-ok', '--pam-confdir', stacks.dir]);
    const port = server.port;
    const attempt = async (i: number) => {
      const user = `u${i % 10}`;
      const right = i % 3 !== 0;
      const r = await login(port, user, right ? `pw-${user}` : `pw-u${(i + 1) % 10}`);
      const expected = right ? { user } : { code: '28000', message: `PAM authentication failed for user "${user}"` };
      if (JSON.stringify(r) !== JSON.stringify(expected)) throw new Error(`login ${i}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(r)}`);
    };
    const round = async (base: number) => {
      for (let i = 0; i < 100; i++) await attempt(base + i);
      await Promise.all(Array.from({ length: 60 }, (_, i) => attempt(base + 100 + i)));
    };
    await round(0); // warm up: every PAM worker thread started, modules loaded
    const before = rssKiB(server.child.pid!);
    await round(1000);
    await round(2000);
    const growthMiB = (rssKiB(server.child.pid!) - before) / 1024;
    expect(growthMiB).toBeLessThan(30);
    expect(`${server.stdout()}${server.stderr()}`).not.toMatch(/pw-u\d/);
  }, 120_000); // 480 logins, each forking a shell: about 5 s alone, more on a loaded machine
});

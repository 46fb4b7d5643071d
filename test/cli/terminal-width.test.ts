/**
 * The terminal experience at 80 columns (issue 15): a successful probe, a
 * failed probe, list-roles with 20 roles and hba lint of a 30-line file each
 * print no line longer than the terminal (tmux, wrapped lines joined back);
 * the same commands piped print no box-drawing character.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../helpers/env.js';
import { pgauth, PGAUTH_BIN } from '../helpers/proc.js';
import { startServe, type Served } from '../helpers/serve.js';
import { tempDir } from '../helpers/tmp.js';
import { startTmux, tmuxMissing, type TmuxSession } from '../helpers/tmux.js';
import { buildScramSecret } from '../../src/secrets/index.js';

const PW = 'eighty-columns';
const BOX = /[─│┌┐└┘├┤┬┴┼]/;
const tmp = tempDir('pgauth-width-');
const roles = join(tmp.path, 'userlist.txt');
const hbaFile = join(tmp.path, 'pg_hba.conf');

/** 20 roles with every column filled: expiry, memberships, limits. */
function writeRoles(): void {
  const secret = buildScramSecret(PW);
  const lines = Array.from({ length: 20 }, (_, i) => `"application_role_${i}" "${secret}" valid-until=2031-0${1 + (i % 9)}-15T12:00:00Z conn-limit=${i} member-of=readers,writers,reporting_group_${i}`);
  writeFileSync(roles, lines.join('\n') + '\n', { mode: 0o600 });
}

/** 30 lines: long options, lists, and three errors with long messages. */
function writeHba(): void {
  const lines: string[] = [];
  for (let i = 0; i < 27; i++) {
    if (i % 3 === 0) lines.push(`hostssl app_db_${i},reporting_${i} +readers,writer_${i} 10.${i}.0.0/16 cert clientcert=verify-full map=certmap_${i}`);
    else if (i % 3 === 1) lines.push(`host all ldap_user_${i} 192.168.${i}.0 255.255.255.0 ldap ldapserver=ldap${i}.example.com ldapbasedn="dc=example,dc=com" ldapsearchattribute=uid`);
    else lines.push(`local sameuser all peer map=localmap_${i}`);
  }
  lines.push('hosts all all 0.0.0.0/0 md5', 'host all all 10.0.0.0/33 scram-sha-256', 'host all all 127.0.0.1/32 md5x');
  writeFileSync(hbaFile, lines.join('\n') + '\n');
}

describeWith(tmuxMissing(), 'output at 80 columns', () => {
  let serve: Served;
  let tty: TmuxSession | undefined;
  // An idle session for the whole file: a tmux server ending as the next test starts one fails it.
  let anchor: TmuxSession | undefined;
  beforeAll(async () => {
    anchor = startTmux('true');
    writeRoles();
    writeHba();
    serve = await startServe(['--auth', 'scram-sha-256', '--roles', roles, '--tls-self-signed']);
  });
  afterEach(() => tty?.kill());
  afterAll(async () => {
    anchor?.kill();
    await serve?.stop();
    tmp.remove();
  });

  /** Runs `args` on an 80-column terminal; returns every line printed. */
  async function at80(args: string[]): Promise<{ code: number; lines: string[] }> {
    const words = args.map((a) => `'${a}'`).join(' ');
    tty = startTmux(`${process.execPath} ${PGAUTH_BIN} ${words}`, { NO_COLOR: '1', PW, PGAUTH_ROLES: '', HOME: tmp.path }, { columns: 80, rows: 50 });
    const code = await tty.waitForExit(30_000);
    const lines = tty.history().split('\n').map((l) => l.trimEnd()).filter((l) => !/^EXIT:\d+$/.test(l));
    return { code, lines };
  }

  const cases: Array<[string, () => string[], number, string]> = [
    ['a successful probe', () => ['probe', `127.0.0.1:${serve.port}`, '-U', 'application_role_3', '-d', 'postgres', '--password-env', 'PW'], 0, 'logged in as application_role_3'],
    ['a failed probe', () => ['probe', `127.0.0.1:${serve.port}`, '-U', 'nobody_with_a_long_name', '-d', 'postgres', '--password-env', 'PW'], 1, 'diagnosis auth-failed'],
    ['a probe with --steps', () => ['probe', `127.0.0.1:${serve.port}`, '-U', 'application_role_3', '-d', 'postgres', '--password-env', 'PW', '--steps'], 0, 'sasl-continue'],
    ['list-roles with 20 roles', () => ['list-roles', '--roles', roles], 0, 'application_role_19'],
    ['hba lint of a 30-line file', () => ['hba', 'lint', hbaFile], 1, '3 errors'],
  ];
  for (const [what, args, code, shows] of cases) {
    it(`${what}: no line longer than 80 columns; piped, no box drawing`, async () => {
      const r = await at80(args());
      expect(r.code).toBe(code);
      expect(r.lines.join('\n')).toContain(shows);
      const long = r.lines.filter((l) => l.length > 80);
      expect(long).toEqual([]);
      const piped = await pgauth(args(), { env: { PW, PGAUTH_ROLES: '', HOME: tmp.path } });
      expect(piped.code).toBe(code);
      expect(piped.stdout).toContain(shows);
      expect(piped.stdout + piped.stderr).not.toMatch(BOX);
    }, 60_000);
  }
});

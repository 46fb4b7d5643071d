/**
 * Flags that used to be accepted silently: a past --valid-until, a weak
 * --iterations, two password sources; and the shared wording of a directory
 * given as a file and of "(and N more error(s))".
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pgauth } from '../helpers/proc.js';
import { andMore, count } from '../../src/files/wording.js';

let dir: string;
let roles: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pgauth-nosilent-'));
  roles = join(dir, 'userlist.txt');
  mkdirSync(join(dir, 'adir'));
});

describe('no silent acceptance', () => {
  it('warns that a role with a past --valid-until cannot log in, and stores it (PostgreSQL allows it)', async () => {
    const r = await pgauth(['add-role', 'old', '--roles', roles, '--password-stdin', '--valid-until', '2001-01-01'], { input: 'pw\n' });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('--valid-until 2001-01-01T00:00:00Z is in the past: the role cannot log in');
    expect(readFileSync(roles, 'utf8')).toContain('valid-until=2001-01-01T00:00:00Z');
    const alter = await pgauth(['alter-role', 'old', '--roles', roles, '--valid-until', '2002-02-02']);
    expect(alter.code).toBe(0);
    expect(alter.stderr).toContain('--valid-until 2002-02-02T00:00:00Z is in the past');
    const future = await pgauth(['alter-role', 'old', '--roles', roles, '--valid-until', '2999-01-01']);
    expect(future.code).toBe(0);
    expect(future.stderr).not.toContain('in the past');
  });

  it('warns below 4096 iterations and refuses 0', async () => {
    const weak = await pgauth(['add-role', 'weak', '--roles', roles, '--password-stdin', '--iterations', '1'], { input: 'pw\n' });
    expect(weak.code).toBe(0);
    expect(weak.stderr).toContain("--iterations 1 is below PostgreSQL's default of 4096");
    const v = await pgauth(['verifier', '--password-stdin', '--iterations', '100'], { input: 'pw\n' });
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^SCRAM-SHA-256\$100:/);
    expect(v.stderr).toContain("--iterations 100 is below PostgreSQL's default of 4096");
    const ok = await pgauth(['verifier', '--password-stdin', '--iterations', '4096'], { input: 'pw\n' });
    expect(ok.stderr).not.toContain('below');
    for (const args of [['verifier'], ['add-role', 'zero', '--roles', roles]]) {
      const zero = await pgauth([...args, '--password-stdin', '--iterations', '0'], { input: 'pw\n' });
      expect(zero.code).toBe(3);
      expect(zero.stderr).toContain('--iterations: "0" is not a whole number from 1 to');
    }
  });

  it('refuses two password sources with exit 3 naming both flags', async () => {
    const env = { ...process.env, PW: 'other' };
    const hba = join(dir, 'pg_hba.conf');
    writeFileSync(hba, 'host all all 0.0.0.0/0 scram-sha-256\n');
    // One rule for every command that takes a password (nothing is contacted: the flags are refused first).
    for (const args of [
      ['verifier'],
      ['add-role', 'two', '--roles', roles],
      ['verify', 'weak', '--roles', roles],
      ['probe', '127.0.0.1:1'],
      ['pam-check', '--user', 'x'],
      ['import', 'postgresql://x@127.0.0.1:1/db', '--roles', join(dir, 'never.txt')],
      ['hba', 'check', hba, '--user', 'a', '--addr', '10.0.0.1', '--roles', 'postgresql://x@127.0.0.1:1/db'],
    ]) {
      const r = await pgauth([...args, '--password-stdin', '--password-env', 'PW'], { input: 'pw\n', env });
      expect(r.code).toBe(3);
      expect(r.stderr).toBe('pgauth: --password-stdin and --password-env: give only one password source\n');
    }
  });

  it('hba check refuses password flags without --roles postgresql:// (they would be ignored)', async () => {
    const hba = join(dir, 'pg_hba.conf');
    writeFileSync(hba, 'host all all 0.0.0.0/0 scram-sha-256\n');
    const r = await pgauth(['hba', 'check', hba, '--user', 'a', '--addr', '10.0.0.1', '--password-env', 'PW'], { env: { ...process.env, PW: 'x' } });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('pgauth: --password-stdin and --password-env go with --roles postgresql://... (reading memberships from a live server)\n');
  });

  it('says "Is a directory" the same way in every command given a directory as a file', async () => {
    const d = join(dir, 'adir');
    const cases = [
      ['list-roles', '--roles', d],
      ['check-roles', '--roles', d],
      ['export', '--roles', d],
      ['add-role', 'x', '--roles', d, '--password-stdin'],
      ['import', d, '--roles', join(dir, 'imported.txt')],
      ['serve', '--port', '0', '--roles', d],
      ['serve', '--port', '0', '--roles', roles, '--tls-cert', d, '--tls-key', d],
      ['serve', '--port', '0', '--roles', roles, '--tls-self-signed', '--tls-ca', d],
      ['serve', '--port', '0', '--roles', roles, '--tls-self-signed', '--tls-self-signed-out', d],
      ['serve', '--port', '0', '--roles', roles, '--auth', 'trust', '--ident', d],
      ['hba', 'lint', d],
    ];
    for (const args of cases) {
      const r = await pgauth(args, { input: 'pw\n' });
      expect(r.code, args.join(' ')).toBe(3);
      expect(r.stderr, args.join(' ')).toMatch(new RegExp(`${d.replace(/[/.]/g, '\\$&')}"?: Is a directory\\n$`));
    }
  });

  it('says "not a regular file" the same way in every command given a FIFO as a file', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const cases = [
      ['list-roles', '--roles', fifo],
      ['check-roles', '--roles', fifo],
      ['import', fifo, '--roles', join(dir, 'imported.txt')],
      ['serve', '--port', '0', '--roles', fifo],
      ['hba', 'lint', fifo],
      ['hba', 'check', fifo, '--user', 'a', '--local'],
    ];
    for (const args of cases) {
      const r = await pgauth(args);
      expect(r.code, args.join(' ')).toBe(3);
      expect(r.stderr, args.join(' ')).toMatch(new RegExp(`${fifo.replace(/[/.]/g, '\\$&')}"?: not a regular file\\n$`));
    }
  });

  it('counts "(and N more error)" with the right grammar', async () => {
    expect(andMore(0, 'error')).toBe('');
    expect(andMore(1, 'error')).toBe(' (and 1 more error)');
    expect(andMore(2, 'error')).toBe(' (and 2 more errors)');
    expect([count(1, 'role'), count(0, 'error'), count(2, 'warning')]).toEqual(['1 role', '0 errors', '2 warnings']);
    const bad = join(dir, 'bad.txt');
    writeFileSync(bad, '"a" "s" valid-until=xx\n"b" "s" conn-limit=zz\n', { mode: 0o600 });
    const serve = await pgauth(['serve', '--port', '0', '--roles', bad], { timeoutMs: 20_000 });
    expect(serve.code).toBe(3);
    expect(serve.stderr).toContain('(and 1 more error)');
    const add = await pgauth(['add-role', 'c', '--roles', bad, '--password-stdin'], { input: 'pw\n' });
    expect(add.code).toBe(3);
    expect(add.stderr).toContain('(and 1 more error)');
  });
});

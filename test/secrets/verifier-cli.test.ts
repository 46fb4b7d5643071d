/** `pgauth verifier` through the built CLI. */
import { describe, expect, it } from 'vitest';
import { buildScramSecret, parseScramSecret, verifyPassword } from '../../src/secrets/index.js';
import { pgauth } from '../helpers/proc.js';
import { pgVerifiers } from './vectors.js';

const ALICE = pgVerifiers().find((r) => r.role === 'alice')!;
const CAROL = pgVerifiers().find((r) => r.role === 'carol')!;

describe('pgauth verifier', () => {
  it("prints exactly alice's secret for pencil with her salt and iterations", async () => {
    const r = await pgauth(['verifier', '--password-stdin', '--salt', 'BR5ZSTt+Zs/zxpi+xCjBYg==', '--iterations', '4096'], { input: 'pencil\n' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${ALICE.secret}\n`);
  });

  it('makes a fresh random salt and 4096 iterations by default', async () => {
    const [a, b] = await Promise.all([
      pgauth(['verifier', '--password-stdin'], { input: 'pencil\n' }),
      pgauth(['verifier', '--password-env', 'PW'], { env: { PW: 'pencil' } }),
    ]);
    const sa = parseScramSecret(a.stdout.trim());
    const sb = parseScramSecret(b.stdout.trim());
    expect(sa.iterations).toBe(4096);
    expect(sa.salt).toHaveLength(16);
    expect(sa.salt).not.toEqual(sb.salt);
    expect(verifyPassword('pencil', sa, 'x')).toBe(true);
    expect(verifyPassword('pencil', sb, 'x')).toBe(true);
  });

  it('md5 with --user', async () => {
    const r = await pgauth(['verifier', '--password-stdin', '--method', 'md5', '--user', 'carol'], { input: `${CAROL.password}\n` });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${CAROL.secret}\n`);
  });

  it('--sql prints an ALTER ROLE statement with the role quoted as an identifier', async () => {
    const r = await pgauth(['verifier', '--password-stdin', '--salt', 'BR5ZSTt+Zs/zxpi+xCjBYg==', '--sql', 'we"ird Role'], { input: 'pencil\n' });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`ALTER ROLE "we""ird Role" PASSWORD '${ALICE.secret}';\n`);
  });

  it('--method md5 --sql ROLE uses the role for the hash', async () => {
    const r = await pgauth(['verifier', '--password-stdin', '--method', 'md5', '--sql', 'carol'], { input: `${CAROL.password}\n` });
    expect(r.stdout).toBe(`ALTER ROLE "carol" PASSWORD '${CAROL.secret}';\n`);
  });

  it('--json prints one document with secret, method, iterations, salt', async () => {
    const r = await pgauth(['verifier', '--password-stdin', '--salt', 'BR5ZSTt+Zs/zxpi+xCjBYg==', '--json'], { input: 'pencil\n' });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      secret: ALICE.secret,
      method: 'scram-sha-256',
      iterations: 4096,
      salt: 'BR5ZSTt+Zs/zxpi+xCjBYg==',
      user: null,
      sql: null,
    });
    const m = await pgauth(['verifier', '--password-stdin', '--method', 'md5', '--user', 'carol', '--json'], { input: `${CAROL.password}\n` });
    expect(JSON.parse(m.stdout)).toEqual({ secret: CAROL.secret, method: 'md5', iterations: null, salt: null, user: 'carol', sql: null });
  });

  const usage: Array<[string, string[], RegExp]> = [
    ['a salt that is not base64', ['--salt', 'not base64!'], /--salt/],
    ['a salt without padding', ['--salt', 'BR5ZSTt+Zs/zxpi+xCjBYg'], /--salt/],
    ['an empty salt', ['--salt', ''], /--salt/],
    ['iterations not a number', ['--iterations', 'many'], /--iterations/],
    ['iterations zero', ['--iterations', '0'], /--iterations/],
    ['iterations negative', ['--iterations', '-5'], /--iterations/],
    ['iterations above int', ['--iterations', '2147483648'], /--iterations/],
    ['an unknown method', ['--method', 'sha1'], /--method/],
    ['md5 without --user', ['--method', 'md5'], /--user/],
    ['md5 with --salt', ['--method', 'md5', '--user', 'u', '--salt', 'AAAA'], /--salt/],
    ['--user with scram', ['--user', 'u'], /--user/],
    ['md5 with --user and --sql that differ', ['--method', 'md5', '--user', 'a', '--sql', 'b'], /--user.*--sql/],
    ['an empty --sql role', ['--sql', ''], /--sql/],
  ];
  for (const [name, args, re] of usage) {
    it(`exits 3 naming the flag for ${name}`, async () => {
      const r = await pgauth(['verifier', '--password-stdin', ...args], { input: 'pencil\n' });
      expect(r.code).toBe(3);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(re);
    });
  }

  it('exits 3 for a password with a NUL byte (libpq sends passwords as C strings)', async () => {
    const r = await pgauth(['verifier', '--password-stdin'], { input: 'a\0b\n' });
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/NUL/);
  });

  it('exits 3 for an empty password', async () => {
    const r = await pgauth(['verifier', '--password-stdin'], { input: '\n' });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/empty/);
  });

  it('without a terminal and without a password source, exits 3 naming --password-stdin', async () => {
    const r = await pgauth(['verifier']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/--password-stdin/);
  });

  it('stays quiet on a pipe even for a high iteration count (progress is for terminals)', async () => {
    const r = await pgauth(['verifier', '--password-stdin', '--iterations', '1000000', '--salt', 'AAAA'], { input: 'pw\n' });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${buildScramSecret('pw', { iterations: 1000000, salt: Buffer.from('AAAA', 'base64') })}\n`);
  });

  it('never puts the password on stdout or stderr', async () => {
    const r = await pgauth(['verifier', '--password-stdin', '--json', '--sql', 'x'], { input: 'Sup3rS3cret\n' });
    expect(r.stdout + r.stderr).not.toContain('Sup3rS3cret');
  });
});

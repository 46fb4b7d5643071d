/** The role commands through the built CLI, without a server: exit codes, JSON, refusals. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pgauth } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';
import { buildMd5Secret, buildScramSecret, parseSecret, verifyPassword } from '../../src/secrets/index.js';

const tmp = tempDir('pgauth-roles-cli-');
afterAll(() => tmp.remove());
let n = 0;
const fresh = (content?: string) => {
  const f = join(tmp.path, `roles-${++n}.txt`);
  if (content !== undefined) writeFileSync(f, content, { mode: 0o600 });
  return f;
};
// alice's verifier from shared/vectors/pg-verifiers.tsv (made by a real PostgreSQL)
const ALICE = 'SCRAM-SHA-256$4096:BR5ZSTt+Zs/zxpi+xCjBYg==$';

describe('add-role', () => {
  it('without a terminal and without a password source exits 3 and names --password-stdin', async () => {
    const f = fresh();
    const r = await pgauth(['add-role', 'x', '--roles', f]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('--password-stdin');
    expect(r.stdout).toBe('');
  });

  it('without a name and without a terminal exits 3 naming NAME', async () => {
    const r = await pgauth(['add-role', '--roles', fresh(), '--password-stdin'], { input: 'pw\n' });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('NAME');
  });

  it('adds SCRAM (default), md5 and plain roles with attributes; --json describes the result', async () => {
    const f = fresh();
    const a = await pgauth(['add-role', 'alice', '--roles', f, '--password-stdin', '--iterations', '5000', '--valid-until', '2030-01-01', '--member-of', 'admins,readers', '--conn-limit', '3', '--json'], { input: 'pencil\n' });
    expect(a.code).toBe(0);
    expect(JSON.parse(a.stdout)).toEqual({
      action: 'added',
      name: 'alice',
      method: 'scram-sha-256',
      path: f,
      attrs: { validUntil: '2030-01-01T00:00:00Z', connLimit: 3, memberOf: ['admins', 'readers'] },
    });
    const b = await pgauth(['add-role', 'bob', '--roles', f, '--password-env', 'PW', '--method', 'md5', '--nologin'], { env: { PW: 'secret' } });
    expect(b.code).toBe(0);
    const c = await pgauth(['add-role', 'carol', '--roles', f, '--password-stdin', '--method', 'plain'], { input: 'plainpw\n' });
    expect(c.code).toBe(0);
    expect(c.stderr).toContain('plaintext');
    const lines = readFileSync(f, 'utf8').split('\n');
    expect(lines[0]).toMatch(/^"alice" "SCRAM-SHA-256\$5000:[A-Za-z0-9+/=]{24}\$[^"]+" valid-until=2030-01-01T00:00:00Z conn-limit=3 member-of=admins,readers$/);
    expect(lines[1]).toBe(`"bob" "${buildMd5Secret('secret', 'bob')}" nologin`);
    expect(lines[2]).toBe('"carol" "plainpw"');

    const list = await pgauth(['list-roles', '--roles', f, '--json']);
    const doc = JSON.parse(list.stdout) as { roles: Array<Record<string, unknown>> };
    expect(doc.roles.map((r) => [r.name, r.method, r.iterations, r.login, r.connLimit])).toEqual([
      ['alice', 'scram-sha-256', 5000, true, 3],
      ['bob', 'md5', null, false, null],
      ['carol', 'plain', null, true, null],
    ]);
    expect(doc.roles.every((r) => !('secret' in r))).toBe(true);
    expect(list.stdout).not.toContain('SCRAM-SHA-256$');
    const shown = await pgauth(['list-roles', '--roles', f, '--show-secrets', '--json']);
    expect(shown.stdout).toContain('SCRAM-SHA-256$5000:');
  });

  it('refuses an existing name unless --replace, before asking for a password', async () => {
    const f = fresh();
    expect((await pgauth(['add-role', 'alice', '--roles', f, '--password-stdin'], { input: 'a\n' })).code).toBe(0);
    const again = await pgauth(['add-role', 'alice', '--roles', f]);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain('already exists');
    expect(again.stderr).toContain('--replace');
    const replaced = await pgauth(['add-role', 'alice', '--roles', f, '--password-stdin', '--replace', '--json'], { input: 'b\n' });
    expect(JSON.parse(replaced.stdout).action).toBe('replaced');
    const v = await pgauth(['verify', 'alice', '--roles', f, '--password-stdin'], { input: 'b\n' });
    expect(v.code, v.stdout + v.stderr + readFileSync(f, 'utf8')).toBe(0);
  });

  it('stores a ready --secret after validating it; an md5 hash of another name is refused when the password is known', async () => {
    const f = fresh();
    const scram = buildScramSecret('pencil');
    expect((await pgauth(['add-role', 'a', '--roles', f, '--secret', scram])).code).toBe(0);
    const bad = await pgauth(['add-role', 'b', '--roles', f, '--secret', scram.slice(0, -4)]);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/--secret: /);
    const notSecret = await pgauth(['add-role', 'b', '--roles', f, '--secret', 'hunter2']);
    expect(notSecret.code).toBe(3);
    expect(notSecret.stderr).toContain('--method plain');
    const wrongKind = await pgauth(['add-role', 'b', '--roles', f, '--method', 'md5', '--secret', scram]);
    expect(wrongKind.code).toBe(3);
    // md5 is salted with the name: a hash made for "olduser" cannot belong to "newuser".
    const renamed = await pgauth(['add-role', 'newuser', '--roles', f, '--secret', buildMd5Secret('pw', 'olduser'), '--password-stdin'], { input: 'pw\n' });
    expect(renamed.code).toBe(3);
    expect(renamed.stderr).toContain('renamed');
    const right = await pgauth(['add-role', 'newuser', '--roles', f, '--secret', buildMd5Secret('pw', 'newuser'), '--password-stdin'], { input: 'pw\n' });
    expect(right.code).toBe(0);
    // An md5 hash is password-equivalent for md5 auth: on argv it draws the same warning as --password.
    expect(right.stderr).toMatch(/--secret puts an md5 hash.*other users can see it/);
    expect(readFileSync(f, 'utf8')).toBe(`"a" "${scram}"\n"newuser" "${buildMd5Secret('pw', 'newuser')}"\n`);
  });

  it('refuses bad flags with exit 3 naming the flag', async () => {
    const f = fresh();
    const cases: Array<[string[], string]> = [
      [['--valid-until', 'tomorrow'], '--valid-until'],
      [['--conn-limit', 'many'], '--conn-limit'],
      [['--iterations', '0'], '--iterations'],
      [['--method', 'sha1'], '--method'],
      [['--member-of', 'a b'], '--member-of'],
      [['--secret', buildScramSecret('pw'), '--iterations', '8192'], '--iterations'],
    ];
    for (const [flags, named] of cases) {
      const r = await pgauth(['add-role', 'x', '--roles', f, '--password-stdin', ...flags], { input: 'pw\n' });
      expect(r.code, flags.join(' ')).toBe(3);
      expect(r.stderr).toContain(named);
    }
    const nul = await pgauth(['add-role', 'x', '--roles', f, '--password-stdin'], { input: 'a\0b\n' });
    expect(nul.code).toBe(3);
    expect(nul.stderr).toContain('NUL');
    const empty = await pgauth(['add-role', 'x', '--roles', f, '--password-stdin'], { input: '\n' });
    expect(empty.code).toBe(3);
    expect(empty.stderr).toContain('empty password');
  });

  it('on a file with a # line refuses with exit 3 naming file:line and leaves the file untouched', async () => {
    const content = `"alice" "${buildScramSecret('x')}"\n# a hash comment\n"bob" "md5${'0'.repeat(32)}"\n`;
    const f = fresh(content);
    const r = await pgauth(['add-role', 'carol', '--roles', f, '--password-stdin'], { input: 'pw\n' });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`${f}:2:`);
    expect(r.stderr).toContain("'#' does not start a comment");
    expect(readFileSync(f, 'utf8')).toBe(content);
    for (const args of [['remove-role', 'alice'], ['alter-role', 'alice', '--nologin'], ['export', '--format', 'sql'], ['import', f]]) {
      const other = await pgauth([...args, '--roles', f], { input: 'pw\n' });
      expect(other.code, args.join(' ')).toBe(3);
      expect(readFileSync(f, 'utf8')).toBe(content);
    }
  });
});

describe('check-roles', () => {
  it('flags each PgBouncer trap with its line number and exits 1', async () => {
    const scram = buildScramSecret('pw');
    const lines = [
      '; pgauth check-roles fixture', // 1
      `"alice" "${scram}"`, // 2
      '"frank" ""', // 3  empty secret
      `"dup" "${scram}"`, // 4  duplicate (kept: line 5)
      `"dup" "${scram}"`, // 5
      `"mal" "${scram.slice(0, -8)}"`, // 6  malformed SCRAM
      `"md" "md5${'A'.repeat(32)}"`, // 7  malformed md5 (upper case)
      `"old" "${buildMd5Secret('pw', 'old')}"`, // 8
      `"renamed" "${buildMd5Secret('pw', 'old')}"`, // 9  md5 of another name
      '# hash comment', // 10 stops PgBouncer
      'unquoted line', // 11
      `"${'n'.repeat(128)}" "x"`, // 12 name too long
    ];
    const f = fresh(lines.join('\n') + '\n');
    const r = await pgauth(['check-roles', '--roles', f, '--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { ok: boolean; findings: Array<{ line: number; severity: string; code: string }> };
    expect(doc.ok).toBe(false);
    expect(doc.findings.map((x) => `${x.line}:${x.severity}:${x.code}`)).toEqual([
      '3:warning:empty-secret',
      '4:warning:duplicate',
      '6:error:malformed-secret',
      '7:error:malformed-secret',
      '9:warning:md5-wrong-name',
      '10:error:hash-comment',
      '11:error:unquoted',
      '12:error:name-too-long',
    ]);
    const human = await pgauth(['check-roles', '--roles', f]);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain(`${f}:10: error: '#' does not start a comment`);
    expect(human.stdout).toContain(`${f}:3: warning:`);
  });

  it('flags a BOM on line 1 and exits 0 for a clean file', async () => {
    const bom = fresh();
    writeFileSync(bom, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('"a" "md5' + '0'.repeat(32) + '"\n')]));
    const r = await pgauth(['check-roles', '--roles', bom]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${bom}:1: error: the file starts with a UTF-8 byte-order mark`);
    const clean = fresh(`"a" "${buildScramSecret('x')}"\n`);
    const ok = await pgauth(['check-roles', '--roles', clean]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('1 role, no errors');
  });

  it('a missing role file exits 3', async () => {
    const r = await pgauth(['check-roles', '--roles', join(tmp.path, 'nope.txt')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('no such file');
  });
});

describe('verify', () => {
  const aliceSecret = () =>
    readFileSync(new URL('../../../shared/vectors/pg-verifiers.tsv', import.meta.url), 'utf8')
      .split('\n')
      .find((l) => l.includes(ALICE))!
      .split('\t')
      .find((c) => c.startsWith('SCRAM-SHA-256$'))!;

  it('--verifier without a role file: exit 0 for the password, 1 otherwise', async () => {
    const v = aliceSecret();
    expect((await pgauth(['verify', '--verifier', v, '--password-stdin'], { input: 'pencil\n' })).code).toBe(0);
    const bad = await pgauth(['verify', '--verifier', v, '--password-stdin', '--json'], { input: 'pencil2\n' });
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ match: false, method: 'scram-sha-256' });
  });

  it('--verifier must be a SCRAM verifier or an md5 hash', async () => {
    const r = await pgauth(['verify', '--verifier', 'hunter2', '--password-stdin'], { input: 'hunter2\n' });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('--verifier');
  });

  it('md5 needs the name: verify NAME --verifier md5...', async () => {
    const md5 = buildMd5Secret('pw', 'carol');
    const noName = await pgauth(['verify', '--verifier', md5, '--password-stdin'], { input: 'pw\n' });
    expect(noName.code).toBe(3);
    const carol = await pgauth(['verify', 'carol', '--verifier', md5, '--password-stdin'], { input: 'pw\n' });
    expect(carol.code).toBe(0);
    expect(carol.stderr).toMatch(/--verifier puts an md5 hash.*other users can see it/);
    expect((await pgauth(['verify', 'dave', '--verifier', md5, '--password-stdin'], { input: 'pw\n' })).code).toBe(1);
  });

  it('against the role file; an unknown role exits 1; an expired role matches but says so', async () => {
    const f = fresh(`"alice" "${aliceSecret()}" valid-until=2001-01-01T00:00:00Z\n`);
    const ok = await pgauth(['verify', 'alice', '--roles', f, '--password-stdin'], { input: 'pencil\n' });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('expired');
    expect((await pgauth(['verify', 'alice', '--roles', f, '--password-stdin'], { input: 'nope\n' })).code).toBe(1);
    const missing = await pgauth(['verify', 'bob', '--roles', f, '--password-stdin'], { input: 'pencil\n' });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('not in');
  });

  it('PGAUTH_ROLES selects the role file', async () => {
    const f = fresh(`"alice" "${aliceSecret()}"\n`);
    expect((await pgauth(['verify', 'alice', '--password-stdin'], { input: 'pencil\n', env: { PGAUTH_ROLES: f } })).code).toBe(0);
  });
});

describe('passwd, alter-role, remove-role', () => {
  it('passwd changes the secret and keeps attributes and a trailing comment; alter-role never touches the secret', async () => {
    const f = fresh('; team\n"alice" "old" nologin conn-limit=2 ; owner: ops\n"bob" "x"\n');
    const p = await pgauth(['passwd', 'alice', '--roles', f, '--password-stdin'], { input: 'newpw\n' });
    expect(p.code).toBe(0);
    let lines = readFileSync(f, 'utf8').split('\n');
    expect(lines[0]).toBe('; team');
    expect(lines[1]).toMatch(/^"alice" "SCRAM-SHA-256\$4096:[^"]+" nologin conn-limit=2 ; owner: ops$/);
    expect(lines[2]).toBe('"bob" "x"');
    const secretBefore = lines[1]!.split('"')[3];
    const a = await pgauth(['alter-role', 'alice', '--roles', f, '--login', '--no-conn-limit', '--valid-until', 'infinity', '--member-of', 'g1,g2', '--json']);
    expect(a.code).toBe(0);
    expect(JSON.parse(a.stdout).attrs).toEqual({ validUntil: 'infinity', memberOf: ['g1', 'g2'] });
    lines = readFileSync(f, 'utf8').split('\n');
    expect(lines[1]).toBe(`"alice" "${secretBefore}" valid-until=infinity member-of=g1,g2 ; owner: ops`);
    expect((await pgauth(['alter-role', 'alice', '--roles', f, '--no-valid-until', '--no-member-of'])).code).toBe(0);
    expect(readFileSync(f, 'utf8').split('\n')[1]).toBe(`"alice" "${secretBefore}" ; owner: ops`);
    expect((await pgauth(['alter-role', 'alice', '--roles', f])).code).toBe(3);
    expect((await pgauth(['passwd', 'nobody', '--roles', f, '--password-stdin'], { input: 'x\n' })).code).toBe(1);
    expect((await pgauth(['alter-role', 'nobody', '--roles', f, '--nologin'])).code).toBe(1);
  });

  it('passwd and alter-role keep unknown words and a UTF-8 comment of the line they rewrite, byte for byte', async () => {
    const f = fresh('"alice" "old" nologin owner=ops ; owner: José\n');
    expect((await pgauth(['passwd', 'alice', '--roles', f, '--password-stdin', '--method', 'plain'], { input: 'newpw\n' })).code).toBe(0);
    expect(readFileSync(f, 'utf8')).toBe('"alice" "newpw" nologin owner=ops ; owner: José\n');
    expect((await pgauth(['alter-role', 'alice', '--roles', f, '--member-of', 'équipe'])).code).toBe(0);
    expect(readFileSync(f, 'utf8')).toBe('"alice" "newpw" nologin member-of=équipe owner=ops ; owner: José\n');
  });

  it('remove-role removes every duplicate of the name; an unknown name exits 1', async () => {
    const f = fresh('"a" "1"\n"b" "2"\n"a" "3"\n');
    const r = await pgauth(['remove-role', 'a', '--roles', f]);
    expect(r.code).toBe(0);
    expect(readFileSync(f, 'utf8')).toBe('"b" "2"\n');
    const again = await pgauth(['remove-role', 'a', '--roles', f]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('"a" is not in');
  });
});

describe('large output through a pipe', () => {
  // Regression: cli/main.ts exits right after the command, and Node writes to a
  // pipe asynchronously, so `pgauth export --format sql | psql` got 64 KiB only.
  it('export, list-roles --json and check-roles --json write all of their output, however large', async () => {
    let text = '';
    for (let i = 0; i < 2000; i++) text += `"user${i}" "${buildMd5Secret('pw', `user${i}`)}"\n`;
    const f = fresh(text);
    const ul = await pgauth(['export', '--format', 'userlist', '--roles', f]);
    expect(ul.stdout.length).toBeGreaterThan(65536);
    expect(ul.stdout).toBe(text);
    const sql = await pgauth(['export', '--format', 'sql', '--roles', f]);
    expect(sql.stdout.trimEnd().endsWith('COMMIT;')).toBe(true);
    const list = await pgauth(['list-roles', '--roles', f, '--json']);
    expect((JSON.parse(list.stdout) as { roles: unknown[] }).roles).toHaveLength(2000);
    const check = await pgauth(['check-roles', '--roles', fresh('"p" "plain"\n'.repeat(600)), '--json']);
    expect((JSON.parse(check.stdout) as { findings: unknown[] }).findings.length).toBeGreaterThan(500);
  });
});

describe('export and import (files)', () => {
  it('export --format userlist|json, and import of a userlist reports added, replaced, skipped', async () => {
    const src = fresh(`; from elsewhere\n"alice" "${buildScramSecret('a')}" nologin\n"bob" "${buildMd5Secret('b', 'bob')}"\n`);
    const ul = await pgauth(['export', '--format', 'userlist', '--roles', src]);
    expect(ul.stdout).toBe(readFileSync(src, 'utf8').split('\n').slice(1).join('\n'));
    const js = JSON.parse((await pgauth(['export', '--format', 'json', '--roles', src])).stdout) as { roles: Array<{ name: string; secret: string; login: boolean }> };
    expect(js.roles.map((r) => [r.name, r.login, r.secret.slice(0, 3)])).toEqual([
      ['alice', false, 'SCR'],
      ['bob', true, 'md5'],
    ]);

    const dst = fresh(`"bob" "${buildMd5Secret('old', 'bob')}"\n`);
    const r = await pgauth(['import', src, '--roles', dst, '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { kind: string; added: string[]; replaced: string[]; skipped: Array<{ name: string }> };
    expect(report.kind).toBe('userlist');
    expect(report.added).toEqual(['alice']);
    expect(report.replaced).toEqual([]);
    expect(report.skipped.map((s) => s.name)).toEqual(['bob']);
    const r2 = await pgauth(['import', src, '--roles', dst, '--replace', '--json']);
    expect(JSON.parse(r2.stdout)).toMatchObject({ added: [], replaced: ['alice', 'bob'], skipped: [] });
    expect((await pgauth(['verify', 'bob', '--roles', dst, '--password-stdin'], { input: 'b\n' })).code).toBe(0);

    const broken = fresh('"x" "1"\n# oops\n');
    const b = await pgauth(['import', broken, '--roles', dst]);
    expect(b.code).toBe(3);
    expect(b.stderr).toContain(`${broken}:2:`);
  });

  it('import from stdin (-) reads SQL', async () => {
    const dst = fresh();
    const sql = `CREATE ROLE "Weird ""Name""";\nALTER ROLE "Weird ""Name""" WITH LOGIN PASSWORD 'it''s' VALID UNTIL 'infinity';\n`;
    const r = await pgauth(['import', '-', '--roles', dst, '--json'], { input: sql });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'sql', added: ['Weird "Name"'] });
    // A plaintext PASSWORD is stored as PostgreSQL stores it: a SCRAM-SHA-256 verifier.
    const [, secret] = /^"Weird ""Name""" "(SCRAM-SHA-256\$4096:[^"]+)" valid-until=infinity\n$/.exec(readFileSync(dst, 'utf8'))!;
    expect(verifyPassword("it's", parseSecret(secret!), 'Weird "Name"')).toBe(true);
    const kept = fresh();
    expect((await pgauth(['import', '-', '--roles', kept, '--keep-plaintext'], { input: sql })).code).toBe(0);
    expect(readFileSync(kept, 'utf8')).toBe(`"Weird ""Name""" "it's" valid-until=infinity\n`);
  });

  it('a postgresql:// source goes to the probe\'s live import: no answer exits 2, a password in the URI draws the argv warning and is never echoed', async () => {
    const r = await pgauth(['import', 'postgresql://127.0.0.1:1/postgres', '--roles', fresh()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot log in to postgresql://127.0.0.1:1/postgres');
    expect(r.stderr).not.toContain('command line');
    const withPw = await pgauth(['import', 'postgresql://admin:s3cr3t-Pw@127.0.0.1:1/postgres', '--roles', fresh()]);
    expect(withPw.code).toBe(2);
    expect(withPw.stderr).toContain('the password in the URI is on the command line');
    expect(withPw.stderr).toContain('postgresql://admin:***@127.0.0.1:1');
    expect(withPw.stderr + withPw.stdout).not.toContain('s3cr3t-Pw');
  });
});

/**
 * hba lint's findings: the pure rules (src/hba/lint.ts) line by line, the
 * conservative shadowing check (no false positives), and the CLI's --json
 * findings, human output and --strict.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { explainHba, parseHbaFile, type AuthFileSource, type HbaFile, type HbaRule } from '../../src/hba/index.js';
import type { ConnectionFacts } from '../../src/hba/decision.js';
import { lintHba, shadows, type HbaFinding } from '../../src/hba/lint.js';
import { pgauth } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir('pgauth-hba-lint-');
afterAll(() => tmp.remove());

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const findingsFile = join(FIXTURES, 'lint-findings.conf');
const cleanFile = join(FIXTURES, 'lint-clean.conf');

function memory(files: Record<string, string>): AuthFileSource {
  return {
    read: (p) => (p in files ? { ok: true, text: files[p]! } : { ok: false, missing: true, message: 'No such file or directory' }),
    list: () => ({ ok: false, message: 'No such file or directory' }),
  };
}
const parse = (text: string, files: Record<string, string> = {}): HbaFile => parseHbaFile('/etc/pg/pg_hba.conf', memory({ ...files, '/etc/pg/pg_hba.conf': text }));
const codes = (text: string): string[] => lintHba(parse(text)).map((f) => `${f.line}:${f.code}`);

/** The findings the fixture must give, by line (the fixture says what each line is for). */
const EXPECTED = [
  '4:trust-open',
  '5:password-open',
  '6:world-weak',
  '6:md5',
  '8:md5',
  '8:shadowed',
  '9:world-weak',
  '10:ldap-no-tls',
  '10:shadowed',
  '11:shadowed',
  '12:shadowed',
  '13:cert-not-hostssl',
  '15:oauth-issuer-not-https',
  '15:shadowed',
  '16:shadowed',
];

describe('lint rules (pure)', () => {
  it('each rule fires on its line', () => {
    const f = parseHbaFile(findingsFile, memory({ [findingsFile]: readFileSync(findingsFile, 'utf8') }));
    expect(lintHba(f).map((x) => `${x.line}:${x.code}`)).toEqual(EXPECTED);
  });

  it('trust/password only beyond loopback; TCP lines only', () => {
    expect(codes('host all all 127.0.0.1/32 trust\nhost all all 127.0.0.0/8 password\nhost all all ::1/128 trust\nlocal all all trust\nhost all all localhost trust\n')).toEqual([]);
    expect(codes('host all all ::1/127 trust\n')).toEqual(['1:trust-open']);
    expect(codes('host all all 127.0.0.1 0.0.0.0 trust\n')).toEqual(['1:world-weak']);
    expect(codes('hostnossl all all samehost trust\n')).toEqual(['1:trust-open']);
    expect(codes('host all all 10.0.0.0/8 scram-sha-256\n')).toEqual([]);
  });

  it('world-open lines with a weak method: 0.0.0.0/0, ::/0, all', () => {
    expect(codes('host all all 0.0.0.0/0 trust\n')).toEqual(['1:world-weak']);
    expect(codes('hostssl all all ::/0 password\n')).toEqual(['1:world-weak']);
    expect(codes('host all all all scram-sha-256\n')).toEqual([]);
    expect(codes('hostssl all all all cert\n')).toEqual([]);
  });

  it('ldap needs ldaptls=1, ldapscheme=ldaps or an ldaps:// URL', () => {
    expect(codes('host all all 10.0.0.0/8 ldap ldapserver=x ldapprefix="cn=" ldapsuffix=",dc=x"\n')).toEqual(['1:ldap-no-tls']);
    expect(codes('host all all 10.0.0.0/8 ldap ldapserver=x ldaptls=0 ldapprefix="cn=" ldapsuffix=",dc=x"\n')).toEqual(['1:ldap-no-tls']);
    expect(codes('host all all 10.0.0.0/8 ldap ldapserver=x ldapscheme=ldaps ldapprefix="cn=" ldapsuffix=",dc=x"\n')).toEqual([]);
    expect(codes('host all all 10.0.0.0/8 ldap ldapurl="ldaps://x/dc=x?uid?sub"\n')).toEqual([]);
  });

  it('cert on host/hostnossl is PostgreSQL\'s own error, given a code and a fix', () => {
    const f = lintHba(parse('hostnossl all all 10.0.0.0/8 cert\n'));
    expect(f).toEqual([
      { file: '/etc/pg/pg_hba.conf', line: 1, severity: 'error', code: 'cert-not-hostssl', message: 'cert authentication is only supported on hostssl connections', fix: expect.stringContaining('hostssl') },
    ]);
    expect(codes('hostssl all all 10.0.0.0/8 cert\n')).toEqual([]);
  });

  it('a file without rules: a file-level finding on line 0, as check-roles gives one', () => {
    expect(lintHba(parse('# nothing\n'))).toEqual([
      { file: '/etc/pg/pg_hba.conf', line: 0, severity: 'error', code: 'syntax', message: 'configuration file "/etc/pg/pg_hba.conf" contains no entries', fix: 'add at least one rule' },
    ]);
  });

  it('every finding has a fix; errors come with code syntax', () => {
    const f: HbaFinding[] = lintHba(parse('hosts all all all trust\nhost all all 0.0.0.0/0 md5\n'));
    expect(f.map((x) => `${x.line}:${x.severity}:${x.code}`)).toEqual(['1:error:syntax', '2:warning:world-weak', '2:warning:md5']);
    for (const x of f) expect(x.fix.length).toBeGreaterThan(0);
  });
});

/** Every connection of a small space (users, databases, addresses, TLS, GSS, replication, socket). */
function* connections(): Generator<ConnectionFacts> {
  const addrs = [null, '10.1.2.3', '10.2.0.1', '10.200.0.1', '127.0.0.1', '192.168.1.9', '::1', 'fe80::1'];
  for (const remoteAddress of addrs)
    for (const ssl of remoteAddress === null ? [false] : [false, true])
      for (const gssenc of remoteAddress === null || ssl ? [false] : [false, true])
        for (const replication of [false, true])
          for (const user of ['alice', 'bob', 'carol', 'all'])
            for (const database of ['db', 'db1', 'db2', 'app1', 'alice', 'staff', 'all', 'replication'])
              yield { transport: remoteAddress === null ? 'unix' : 'tcp', remoteAddress, ssl, gssenc, user, database, replication };
}
const groupsOf = (role: string): string[] => (role === 'carol' ? ['staff'] : []);
/** A connection the later rule matches that reaches it past the earlier one: a shadowing claim that does not hold. */
function counterexample(e: HbaRule, l: HbaRule): ConnectionFacts | undefined {
  const opts = { interfaces: () => [{ address: '127.0.0.1', netmask: '255.0.0.0' }], resolver: { reverse: () => null, forward: () => [] } };
  for (const c of connections()) {
    if (!explainHba([l], c, groupsOf, opts).at(-1)?.matched) continue;
    if (explainHba([e, l], c, groupsOf, opts).at(-1)?.rule !== e) return c;
  }
  return undefined;
}

describe('shadowed lines: exact and conservative', () => {
  const rules = (text: string) => parse(text).rules;
  const pair = (a: string, b: string) => {
    const [e, l] = rules(`${a}\n${b}\n`);
    const claim = shadows(e!, l!);
    // Checked against the matcher (itself compared with PostgreSQL): a claim must hold for every connection tried.
    if (claim) expect(counterexample(e!, l!), `${a} / ${b}`).toBeUndefined();
    return claim;
  };
  it('an earlier line that matches every connection of the later one shadows it', () => {
    expect(pair('host all all 10.0.0.0/8 scram-sha-256', 'host all all 10.1.0.0/16 reject')).toBe(true);
    expect(pair('host all all 10.0.0.0/8 scram-sha-256', 'hostssl all all 10.1.2.3/32 cert')).toBe(true);
    expect(pair('host all all all reject', 'hostnogssenc db alice ::1/128 trust')).toBe(true);
    expect(pair('local all all peer', 'local db1,db2 alice,+staff peer')).toBe(true);
    expect(pair('local db1,db2 alice peer', 'local db2 alice peer')).toBe(true);
    expect(pair('local /^app alice peer', 'local app1 alice peer')).toBe(true);
    expect(pair('local replication all peer', 'local replication alice peer')).toBe(true);
    expect(pair('local all +staff peer', 'local db +staff md5')).toBe(true);
    expect(pair('host all all 10.0.0.0 255.0.0.0 trust', 'host all all 10.2.0.0/16 md5')).toBe(true);
  });
  it('no false positives', () => {
    // Narrower earlier lines, other types, other families.
    expect(pair('host all all 10.1.0.0/16 md5', 'host all all 10.0.0.0/8 md5')).toBe(false);
    expect(pair('hostssl all all all cert', 'host all all all md5')).toBe(false);
    expect(pair('hostssl all all all cert', 'hostnossl all all all md5')).toBe(false);
    expect(pair('host all all 0.0.0.0/0 md5', 'host all all ::1/128 md5')).toBe(false);
    expect(pair('local all all peer', 'host all all 127.0.0.1/32 md5')).toBe(false);
    // all does not match replication connections; sameuser/samerole depend on the connection.
    expect(pair('local all all peer', 'local replication all peer')).toBe(false);
    expect(pair('local all all peer', 'local replication,db all peer')).toBe(false);
    expect(pair('local sameuser all peer', 'local db all peer')).toBe(false);
    expect(pair('local db all peer', 'local sameuser all peer')).toBe(false);
    expect(pair('local samerole all peer', 'local db all peer')).toBe(false);
    // A quoted "all" is a name; +group is not every user; a group is not a user named like it.
    expect(pair('local "all" all peer', 'local db all peer')).toBe(false);
    expect(pair('local all "all" peer', 'local all alice peer')).toBe(false);
    expect(pair('local all +staff peer', 'local all alice peer')).toBe(false);
    expect(pair('local all alice peer', 'local all +alice peer')).toBe(false);
    expect(pair('local all /^a peer', 'local all /^ab peer')).toBe(false);
    expect(pair('local all alice peer', 'local all alice,bob peer')).toBe(false);
    // Host names, samehost and samenet only cover their own kind.
    expect(pair('host all all .example.com md5', 'host all all db.example.com md5')).toBe(false);
    expect(pair('host all all samenet md5', 'host all all samehost md5')).toBe(false);
    expect(pair('host all all samehost md5', 'host all all 127.0.0.1/32 md5')).toBe(false);
    expect(pair('host all all 127.0.0.1/32 md5', 'host all all localhost md5')).toBe(false);
  });
  it('names the first shadowing line, in another file when included', () => {
    const f = parse('include extra.conf\nlocal all alice peer\n', { '/etc/pg/extra.conf': 'local all all peer\n' });
    const s = lintHba(f).filter((x) => x.code === 'shadowed');
    expect(s).toEqual([expect.objectContaining({ file: '/etc/pg/pg_hba.conf', line: 2, message: expect.stringContaining('/etc/pg/extra.conf:1') })]);
  });
});

describe('pgauth hba lint findings', () => {
  it('--json: findings with line, severity, code, message, fix; the old keys stay', async () => {
    const r = await pgauth(['hba', 'lint', findingsFile, '--json']);
    expect(r.code).toBe(1); // line 13 is an error
    const doc = JSON.parse(r.stdout) as { errors: number; rules: number; lines: unknown[]; warnings: unknown[]; findings: Array<Record<string, unknown>> };
    expect(doc.errors).toBe(1);
    expect(doc.rules).toBe(14);
    expect(doc.lines).toHaveLength(15);
    expect(doc.findings.map((f) => `${f.line}:${f.code}`)).toEqual(EXPECTED);
    for (const f of doc.findings) expect(Object.keys(f).sort()).toEqual(['code', 'fix', 'line', 'message', 'severity']);
    expect(doc.warnings).toHaveLength(EXPECTED.length - 1);
  });

  it('human output lists the findings after the table, with their fix', async () => {
    const r = await pgauth(['hba', 'lint', findingsFile, '--no-color']);
    const text = r.stdout;
    expect(text.indexOf('lint-findings.conf:4: warning:')).toBeGreaterThan(text.lastIndexOf('└'));
    expect(text).toContain('[trust-open]');
    expect(text).toContain('fix: use scram-sha-256');
    expect(text).toMatch(/1 error.*14 warnings/);
  });

  it('a well-configured file has no findings, also under --strict', async () => {
    const r = await pgauth(['hba', 'lint', cleanFile, '--json', '--strict']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { findings: unknown[] }).findings).toEqual([]);
  });

  it('--strict makes warnings fail (exit 1); without it they do not', async () => {
    const file = join(tmp.path, 'md5.conf');
    writeFileSync(file, 'local all all peer\nhost all all 127.0.0.1/32 md5\n');
    expect((await pgauth(['hba', 'lint', file])).code).toBe(0);
    const strict = await pgauth(['hba', 'lint', file, '--strict', '--json']);
    expect(strict.code).toBe(1);
    expect((JSON.parse(strict.stdout) as { findings: Array<{ line: number; code: string }> }).findings).toEqual([expect.objectContaining({ line: 2, code: 'md5', severity: 'warning' })]);
  });

  it('findings carry the file when includes are involved', async () => {
    writeFileSync(join(tmp.path, 'inc.conf'), 'host all all 0.0.0.0/0 trust\n');
    const top = join(tmp.path, 'top.conf');
    writeFileSync(top, 'include inc.conf\nlocal all all peer\n');
    const r = await pgauth(['hba', 'lint', top, '--json']);
    const doc = JSON.parse(r.stdout) as { findings: Array<{ file: string; line: number; code: string }> };
    expect(doc.findings).toEqual([expect.objectContaining({ file: join(tmp.path, 'inc.conf'), line: 1, code: 'world-weak' })]);
  });
});

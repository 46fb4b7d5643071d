/**
 * SPEC §8's CI outputs on the file checks, through the built CLI: `hba lint`,
 * `check-roles` and `verify` with --junit (read back by junit2json), --sarif
 * (validated against the vendored SARIF 2.1.0 schema), and GitHub Actions
 * annotations (exact lines) and step summary under GITHUB_ACTIONS=true.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'junit2json';
import type { Log } from 'sarif';
import { afterAll, describe, expect, it } from 'vitest';
import { LINT_RULES } from '../../src/hba/lint-rules.js';
import { ROLE_RULES } from '../../src/roles/finding-rules.js';
import { buildMd5Secret } from '../../src/secrets/index.js';
import { pgauth } from '../helpers/proc.js';
import { sarifValidator } from '../helpers/sarif.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir('pgauth-ci-files-');
afterAll(() => tmp.remove());
let n = 0;
/** A fresh folder to run in: files are named relative to it, as in a checkout. */
function workdir(files: Record<string, string>): string {
  const dir = join(tmp.path, `w${++n}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text, { mode: 0o600 });
  return dir;
}

/** Runs in `cwd` as a GitHub Actions step (or not), with a fresh step summary file. */
async function inCi(cwd: string, args: string[], opts: { github?: boolean; input?: string } = {}) {
  const summary = join(cwd, 'summary.md');
  const env: NodeJS.ProcessEnv = opts.github === false ? { GITHUB_ACTIONS: '', GITHUB_STEP_SUMMARY: '' } : { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary };
  const r = await pgauth(args, { cwd, env, ...(opts.input !== undefined ? { input: opts.input } : {}) });
  const read = (f: string) => readFileSync(join(cwd, f), 'utf8');
  return { ...r, summary: existsSync(summary) ? read('summary.md') : null, read };
}

const commandLines = (text: string) => text.split('\n').filter((l) => l.startsWith('::'));

interface JCase {
  name: string;
  classname: string;
  failure?: Array<{ message: string; inner: string }>;
  'system-out'?: string[];
}
interface JSuite {
  tests: number;
  failures: number;
  testcase: JCase[];
}
const junitOf = async (xml: string) => ((await parse(xml)) as { testsuite: JSuite[] }).testsuite[0]!;

const validate = sarifValidator();

const HBA = [
  'host all all 0.0.0.0/0 trust', // 1 world-weak
  'hosts all all 10.0.0.0/8 scram-sha-256', // 2 syntax error
  'host all all 10.0.0.0/8 md5', // 3 md5, shadowed by line 1
  'local all all peer', // 4
].join('\n');

const WORLD_WEAK = 'host line open to every address (0.0.0.0 mask 0.0.0.0) with the weak method trust';
const HBA_ANNOTATIONS = [
  `::warning file=pg_hba.conf,line=1,title=pgauth world-weak::${WORLD_WEAK}%0AFix: narrow the address to the networks that need access and use scram-sha-256 (or cert on hostssl)`,
  '::error file=pg_hba.conf,line=2,title=pgauth syntax::invalid connection type "hosts"%0AFix: correct the line: PostgreSQL refuses to load a file with an error',
  "::warning file=pg_hba.conf,line=3,title=pgauth md5::md5 is deprecated since PostgreSQL 18 (MD5 password hashes are weak and may be removed in a future release)%0AFix: use scram-sha-256 (set password_encryption = scram-sha-256 and reset each role's password)",
  '::warning file=pg_hba.conf,line=3,title=pgauth shadowed::no connection can reach this line: line 1 (host all all 0.0.0.0/0 trust) matches every connection it could, first%0AFix: move this line above line 1 if it should apply, or remove it',
];

describe('hba lint for CI', () => {
  it('--junit: the error is a failing testcase carrying its fix, warnings pass with their text, clean rules pass', async () => {
    const dir = workdir({ 'pg_hba.conf': HBA });
    const r = await inCi(dir, ['hba', 'lint', 'pg_hba.conf', '--junit', 'lint.xml'], { github: false });
    expect(r.code).toBe(1);
    expect(statSync(join(dir, 'lint.xml')).mode & 0o777).toBe(0o644);
    const suite = await junitOf(r.read('lint.xml'));
    expect(suite.failures).toBe(1);
    const failing = suite.testcase.filter((c) => c.failure);
    expect(failing.map((c) => c.name)).toEqual(['syntax at pg_hba.conf:2']);
    expect(failing[0]!.failure![0]!).toEqual({
      message: 'invalid connection type "hosts"',
      inner: 'error: invalid connection type "hosts"\nfix: correct the line: PostgreSQL refuses to load a file with an error',
    });
    const weak = suite.testcase.find((c) => c.name === 'world-weak at pg_hba.conf:1')!;
    expect(weak.failure).toBeUndefined();
    expect(weak['system-out']![0]).toContain('fix: narrow the address');
    // Every rule is a testcase: the ones that found nothing pass under their id and title.
    expect(suite.testcase.find((c) => c.name === 'ldap-no-tls: ldap without TLS')).toMatchObject({ classname: 'pgauth.hba-lint' });
    // Four rules found one thing each: their passing case is replaced by the finding's case.
    expect(suite.tests).toBe(LINT_RULES.length);
    expect(r.summary).toBeNull(); // not under GitHub Actions
    expect(commandLines(r.stdout)).toEqual([]);
  });

  it('--strict: the warnings fail as testcases too', async () => {
    const dir = workdir({ 'pg_hba.conf': 'host all all 0.0.0.0/0 trust\n' });
    const r = await inCi(dir, ['hba', 'lint', 'pg_hba.conf', '--strict', '--junit', 'lint.xml'], { github: false });
    expect(r.code).toBe(1);
    const suite = await junitOf(r.read('lint.xml'));
    expect(suite.testcase.filter((c) => c.failure).map((c) => c.name)).toEqual(['world-weak at pg_hba.conf:1']);
  });

  it('a clean file: one passing testcase per rule, an empty SARIF run, no annotations, a summary saying so', async () => {
    const dir = workdir({ 'pg_hba.conf': 'local all all peer\nhost all all 10.0.0.0/8 scram-sha-256\n' });
    const r = await inCi(dir, ['hba', 'lint', 'pg_hba.conf', '--junit', 'lint.xml', '--sarif', 'lint.sarif']);
    expect(r.code).toBe(0);
    const suite = await junitOf(r.read('lint.xml'));
    expect(suite.failures).toBe(0);
    expect(suite.testcase.map((c) => c.name)).toEqual(LINT_RULES.map((x) => `${x.id}: ${x.title}`));
    const sarif = JSON.parse(r.read('lint.sarif')) as Log;
    expect(validate(sarif), JSON.stringify(validate.errors)).toBe(true);
    expect(sarif.runs[0]!.results).toEqual([]);
    expect(commandLines(r.stdout)).toEqual([]);
    expect(r.summary).toBe('### pgauth hba lint pg_hba.conf\n\n0 errors, 0 warnings\n\n');
  });

  it('--sarif: valid SARIF 2.1.0, every rule id with a title and help, results at file:line', async () => {
    const dir = workdir({ 'pg_hba.conf': HBA });
    const r = await inCi(dir, ['hba', 'lint', 'pg_hba.conf', '--sarif', 'lint.sarif'], { github: false });
    expect(r.code).toBe(1);
    const log = JSON.parse(r.read('lint.sarif')) as Log;
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
    const run = log.runs[0]!;
    const rules = run.tool.driver.rules!;
    expect(rules.map((x) => x.id)).toEqual(LINT_RULES.map((x) => x.id));
    for (const rule of rules) {
      expect(rule.shortDescription!.text.length).toBeGreaterThan(0);
      expect(rule.help!.text.length).toBeGreaterThan(20);
    }
    const at = run.results!.map((x) => `${x.ruleId}@${x.locations![0]!.physicalLocation!.artifactLocation!.uri}:${x.locations![0]!.physicalLocation!.region!.startLine}:${x.level}`);
    expect(at).toEqual(['world-weak@pg_hba.conf:1:warning', 'syntax@pg_hba.conf:2:error', 'md5@pg_hba.conf:3:warning', 'shadowed@pg_hba.conf:3:warning']);
    expect(run.results![1]!.message.text).toBe('invalid connection type "hosts" Fix: correct the line: PostgreSQL refuses to load a file with an error');
    expect(rules[run.results![1]!.ruleIndex!]!.id).toBe('syntax');
  });

  it('GITHUB_ACTIONS=true: one annotation per finding on stdout, line by line, and the step summary', async () => {
    const dir = workdir({ 'pg_hba.conf': HBA });
    writeFileSync(join(dir, 'summary.md'), '## earlier step\n');
    const r = await inCi(dir, ['hba', 'lint', 'pg_hba.conf']);
    expect(r.code).toBe(1);
    expect(commandLines(r.stdout)).toEqual(HBA_ANNOTATIONS);
    expect(r.summary).toBe(
      [
        '## earlier step',
        '### pgauth hba lint pg_hba.conf',
        '',
        '1 error, 3 warnings',
        '',
        '| where | severity | rule | message | fix |',
        '|---|---|---|---|---|',
        `| pg_hba.conf:1 | warning | world-weak | ${WORLD_WEAK} | narrow the address to the networks that need access and use scram-sha-256 (or cert on hostssl) |`,
        '| pg_hba.conf:2 | error | syntax | invalid connection type "hosts" | correct the line: PostgreSQL refuses to load a file with an error |',
        "| pg_hba.conf:3 | warning | md5 | md5 is deprecated since PostgreSQL 18 (MD5 password hashes are weak and may be removed in a future release) | use scram-sha-256 (set password_encryption = scram-sha-256 and reset each role's password) |",
        '| pg_hba.conf:3 | warning | shadowed | no connection can reach this line: line 1 (host all all 0.0.0.0/0 trust) matches every connection it could, first | move this line above line 1 if it should apply, or remove it |',
        '',
        '',
      ].join('\n'),
    );
  });

  it('--json: stdout is the same one document as without CI flags, the annotations go to stderr', async () => {
    const dir = workdir({ 'pg_hba.conf': HBA });
    const plain = await inCi(dir, ['hba', 'lint', 'pg_hba.conf', '--json'], { github: false });
    const r = await inCi(dir, ['hba', 'lint', 'pg_hba.conf', '--json', '--junit', 'l.xml', '--sarif', 'l.sarif']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(plain.stdout);
    expect(commandLines(r.stdout)).toEqual([]);
    expect(commandLines(r.stderr)).toEqual(HBA_ANNOTATIONS);
  });

  it('--no-annotations: no workflow commands and no step summary', async () => {
    const dir = workdir({ 'pg_hba.conf': HBA });
    const r = await inCi(dir, ['hba', 'lint', 'pg_hba.conf', '--no-annotations']);
    expect(r.code).toBe(1);
    expect(commandLines(r.stdout + r.stderr)).toEqual([]);
    expect(r.summary).toBeNull();
  });

  it('a report that cannot be written: exit 3 naming the flag, and with --json one error document', async () => {
    const dir = workdir({ 'pg_hba.conf': HBA });
    const r = await inCi(dir, ['hba', 'lint', 'pg_hba.conf', '--junit', 'no/such/folder/l.xml'], { github: false });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('pgauth: --junit: cannot write no/such/folder/l.xml: its folder does not exist\n');
    const j = await inCi(dir, ['hba', 'lint', 'pg_hba.conf', '--sarif', '', '--json'], { github: false });
    expect(j.code).toBe(3);
    expect(JSON.parse(j.stdout)).toEqual({ ok: false, error: { kind: 'usage', message: '--sarif: empty file name' } });
  });
});

const MD5 = buildMd5Secret('pw', 'alice');
const ROLES = [
  '; roles', // 1
  `"alice" "${MD5}"`, // 2
  '# not a comment', // 3 hash-comment (error)
  '"bob" ""', // 4 empty-secret (warning)
].join('\n');

const HASH = `'#' does not start a comment in an auth_file (only ';' does); PgBouncer logs "broken auth file" and ignores this line and every line after it (1 role below it is not loaded)`;
const EMPTY = 'role "bob" has an empty secret and can never log in (PgBouncer refuses empty stored passwords)';

describe('check-roles for CI', () => {
  it('--json: each finding gains a fix, nothing else changes', async () => {
    const dir = workdir({ 'userlist.txt': ROLES });
    const r = await inCi(dir, ['check-roles', '--roles', 'userlist.txt', '--json'], { github: false });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      path: 'userlist.txt',
      ok: false,
      roles: 1,
      findings: [
        { line: 3, severity: 'error', code: 'hash-comment', message: HASH, fix: "start the comment with ';' instead of '#'" },
        { line: 4, severity: 'warning', code: 'empty-secret', message: EMPTY, fix: 'set a password: pgauth passwd bob (or remove the role)' },
      ],
    });
  });

  it('--junit, --sarif and annotations: the error fails with its fix, the SARIF validates, one annotation per finding', async () => {
    const dir = workdir({ 'userlist.txt': ROLES });
    const r = await inCi(dir, ['check-roles', '--roles', 'userlist.txt', '--junit', 'roles.xml', '--sarif', 'roles.sarif']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("userlist.txt:3: error: '#' does not start a comment");
    expect(r.stdout).toContain("  fix: start the comment with ';' instead of '#'");
    expect(commandLines(r.stdout)).toEqual([
      `::error file=userlist.txt,line=3,title=pgauth hash-comment::${HASH}%0AFix: start the comment with ';' instead of '#'`,
      `::warning file=userlist.txt,line=4,title=pgauth empty-secret::${EMPTY}%0AFix: set a password: pgauth passwd bob (or remove the role)`,
    ]);
    expect(r.summary).toContain('### pgauth check-roles userlist.txt\n\n1 error, 1 warning\n');
    expect(r.summary).toContain(`| userlist.txt:3 | error | hash-comment | ${HASH} | start the comment with ';' instead of '#' |`);

    const suite = await junitOf(r.read('roles.xml'));
    expect(suite.failures).toBe(1);
    const failing = suite.testcase.filter((c) => c.failure);
    expect(failing.map((c) => c.name)).toEqual(['hash-comment at userlist.txt:3']);
    expect(failing[0]!.failure![0]!.inner).toBe(`error: ${HASH}\nfix: start the comment with ';' instead of '#'`);
    expect(suite.testcase.find((c) => c.name === 'empty-secret at userlist.txt:4')!['system-out']![0]).toContain('fix: set a password');
    expect(suite.testcase.find((c) => c.name === 'bom: UTF-8 byte-order mark')).toBeDefined();

    const log = JSON.parse(r.read('roles.sarif')) as Log;
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
    const run = log.runs[0]!;
    expect(run.tool.driver.rules!.map((x) => x.id)).toEqual(ROLE_RULES.map((x) => x.id));
    expect(run.results!.map((x) => [x.ruleId, x.level, x.locations![0]!.physicalLocation!.region!.startLine])).toEqual([
      ['hash-comment', 'error', 3],
      ['empty-secret', 'warning', 4],
    ]);
  });

  it('a clean file passes every check as a testcase and annotates nothing', async () => {
    const dir = workdir({ 'userlist.txt': `"alice" "${MD5}"\n` });
    const r = await inCi(dir, ['check-roles', '--roles', 'userlist.txt', '--junit', 'roles.xml']);
    expect(r.code).toBe(0);
    const suite = await junitOf(r.read('roles.xml'));
    expect(suite.failures).toBe(0);
    expect(suite.tests).toBe(ROLE_RULES.length - 1); // all but more-findings, which counts and checks nothing
    expect(commandLines(r.stdout)).toEqual([]);
  });
});

describe('verify for CI', () => {
  it('a mismatch: a failing testcase for the role with the fix, an annotation at the role\'s line', async () => {
    const dir = workdir({ 'userlist.txt': ROLES.split('\n').slice(0, 2).join('\n') + '\n' });
    const r = await inCi(dir, ['verify', 'alice', '--roles', 'userlist.txt', '--password-stdin', '--junit', 'v.xml'], { input: 'wrong\n' });
    expect(r.code).toBe(1);
    const fix = 'if the password is right, the stored secret is out of date: set it with pgauth passwd alice';
    expect(commandLines(r.stdout)).toEqual([`::error file=userlist.txt,line=2,title=pgauth password-mismatch::the password does not match role alice (md5)%0AFix: ${fix}`]);
    const suite = await junitOf(r.read('v.xml'));
    expect(suite.testcase).toHaveLength(1);
    expect(suite.testcase[0]).toMatchObject({ name: 'alice', classname: 'pgauth.verify' });
    expect(suite.testcase[0]!.failure![0]).toEqual({ message: 'the password does not match role alice (md5)', inner: `error: the password does not match role alice (md5)\nfix: ${fix}` });
    expect(r.summary).toContain('### pgauth verify alice\n\n1 error, 0 warnings\n');
  });

  it('a match: a passing testcase; an expired password is a warning annotation; --json unchanged', async () => {
    const dir = workdir({ 'userlist.txt': `"alice" "${MD5}" valid-until=2001-01-01T00:00:00Z\n` });
    const r = await inCi(dir, ['verify', 'alice', '--roles', 'userlist.txt', '--password-stdin', '--junit', 'v.xml', '--json'], { input: 'pw\n' });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ name: 'alice', match: true, method: 'md5', source: 'userlist.txt:1', expired: true, login: true });
    const lines = commandLines(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^::warning file=userlist\.txt,line=1,title=pgauth password-expired::the password matches role alice but expired at 2001-01-01.*%0AFix: pgauth alter-role alice --valid-until TIMESTAMP \(or --no-valid-until\)$/);
    const suite = await junitOf(r.read('v.xml'));
    expect(suite.failures).toBe(0);
    expect(suite.testcase[0]!.name).toBe('alice');
  });

  it('a role not in the file: exit 1 as before, and a failing testcase and annotation for it', async () => {
    const dir = workdir({ 'userlist.txt': `"alice" "${MD5}"\n` });
    const r = await inCi(dir, ['verify', 'carol', '--roles', 'userlist.txt', '--password-stdin', '--junit', 'v.xml', '--json'], { input: 'pw\n' });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ ok: false, error: { kind: 'rejected', message: 'role "carol" is not in userlist.txt' } });
    const fix = 'add it (pgauth add-role carol), or give the role file it is in (--roles)';
    expect(commandLines(r.stderr)).toEqual([`::error file=userlist.txt,title=pgauth role-missing::role carol is not in userlist.txt%0AFix: ${fix}`]);
    const suite = await junitOf(r.read('v.xml'));
    expect(suite.testcase.map((c) => [c.name, c.failure?.[0]?.inner])).toEqual([['carol', `error: role carol is not in userlist.txt\nfix: ${fix}`]]);
  });

  it('--verifier: the annotation names no file (the secret is on no line of any file)', async () => {
    const dir = workdir({});
    const r = await inCi(dir, ['verify', 'alice', '--verifier', MD5, '--password-stdin', '--junit', 'v.xml'], { input: 'nope\n' });
    expect(r.code).toBe(1);
    expect(commandLines(r.stdout)).toEqual([
      '::error title=pgauth password-mismatch::the password does not match role alice (md5)%0AFix: check that the verifier was made from this password (and, for md5, with this role name)',
    ]);
    expect((await junitOf(r.read('v.xml'))).testcase[0]!.name).toBe('alice');
  });
});

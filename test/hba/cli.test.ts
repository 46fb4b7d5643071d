/**
 * `pgauth hba lint` and `pgauth hba check` through the built CLI: output,
 * JSON fields and exit codes (0 ok, 1 errors / rejected, 3 unreadable/usage).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pgauth } from '../helpers/proc.js';
import { IN_CI } from '../helpers/env.js';
import { tempDir } from '../helpers/tmp.js';
import { EVERY_SYNTAX } from './syntax.js';
import { BROKEN_LINES } from './cases.js';

const tmp = tempDir('pgauth-hba-cli-');
afterAll(() => tmp.remove());

const everyDir = join(tmp.path, 'every');
const everyFile = join(everyDir, 'pg_hba.conf');
const brokenFile = join(tmp.path, 'broken.conf');
const checkFile = join(tmp.path, 'check.conf');
const rolesFile = join(tmp.path, 'userlist.txt');

beforeAll(() => {
  for (const [name, body] of Object.entries(EVERY_SYNTAX.files)) {
    mkdirSync(join(everyDir, name, '..'), { recursive: true });
    writeFileSync(join(everyDir, name), body);
  }
  writeFileSync(brokenFile, BROKEN_LINES.map((b) => b.line).join('\n') + '\n');
  writeFileSync(
    checkFile,
    [
      'local   all     postgres                 peer',
      'hostssl appdb   alice     127.0.0.1/32   scram-sha-256 clientcert=verify-full',
      'host    all     +admins   ::1/128        md5',
      'host    all     mallory   all            reject',
      'local   all     all                      pam pamservice=pgauth',
    ].join('\n') + '\n',
  );
  writeFileSync(rolesFile, '"carol" "md5d2a5b8a3f2e1f0c9b8a7d6e5f4c3b2a1" member-of=staff\n"staff" "md5d2a5b8a3f2e1f0c9b8a7d6e5f4c3b2a1" nologin member-of=admins\n', { mode: 0o600 });
});

function samplePath(): string | undefined {
  const root = '/usr/share/postgresql';
  if (!existsSync(root)) return undefined;
  const v = readdirSync(root).filter((d) => /^\d+$/.test(d) && existsSync(join(root, d, 'pg_hba.conf.sample'))).sort((a, b) => Number(b) - Number(a))[0];
  return v ? join(root, v, 'pg_hba.conf.sample') : undefined;
}

describe('pgauth hba lint', () => {
  const sample = samplePath();
  // Skipped visibly on a laptop without PostgreSQL; under CI=true a missing sample fails, as describeWith does.
  (sample || IN_CI ? it : it.skip)(`reads Debian's pg_hba.conf.sample without error${sample ? '' : ' [skipped: no /usr/share/postgresql/<ver>/pg_hba.conf.sample]'}`, async () => {
    expect(typeof sample, "Debian's pg_hba.conf.sample (postgresql package)").toBe('string');
    const r = await pgauth(['hba', 'lint', sample!, '--json']);
    expect(r.stderr).toContain("initdb's template");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { template: boolean; errors: number; lines: Array<{ type: string; database: string[]; address: string | null; auth_method: string }> };
    expect(out.template).toBe(true);
    expect(out.errors).toBe(0);
    expect(out.lines.map((l) => `${l.type} ${l.database.join(',')} ${l.address ?? '-'} ${l.auth_method}`)).toEqual([
      'local all - peer',
      'host all 127.0.0.1 scram-sha-256',
      'host all ::1 scram-sha-256',
      'local replication - peer',
      'host replication 127.0.0.1 scram-sha-256',
      'host replication ::1 scram-sha-256',
    ]);
    const human = await pgauth(['hba', 'lint', sample!]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('6 rules, no errors');
  });

  it('reads a file with every syntax without error (exit 0)', async () => {
    const r = await pgauth(['hba', 'lint', everyFile, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { errors: number; rules: number; lines: Array<{ rule_number: number; file_name: string; line_number: number; error: null }> };
    expect(out.errors).toBe(0);
    expect(out.rules).toBe(EVERY_SYNTAX.rows.length);
    expect(out.lines.map((l) => l.rule_number)).toEqual(EVERY_SYNTAX.rows.map((_, i) => i + 1));
    expect(out.lines.at(-1)!.file_name).toBe(join(everyDir, 'conf.d/02-second.conf'));
  });

  it('reports each broken line with its number and exits 1', async () => {
    const r = await pgauth(['hba', 'lint', brokenFile, '--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { errors: number; lines: Array<{ line_number: number; error: string | null }> };
    // hba lint reads the file as the newest PostgreSQL (18) unless told --server-version.
    const expected = BROKEN_LINES.map((b, i) => ({ line: i + 1, error: b.error18 ?? b.error })).filter((e) => e.error !== null);
    expect(out.errors).toBe(expected.length);
    const got = out.lines.filter((l) => l.error !== null).map((l) => ({ line: l.line_number, error: l.error }));
    expect(got.map((g) => g.line)).toEqual(expected.map((e) => e.line));
    got.forEach((g, i) => expect(g.error).toContain(expected[i]!.error!));

    const human = await pgauth(['hba', 'lint', brokenFile]);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain(`${expected.length} errors`);
    expect(human.stdout).toMatch(/^2\s+error\s+.*invalid connection type "hosts"/m);
  });

  it('--server-version: PostgreSQL 15\'s texts and methods (no oauth), and a bad major is a usage error', async () => {
    const file = join(tmp.path, 'versions.conf');
    writeFileSync(file, 'host all all 127.0.0.1/32 trust map=x\nhost all all 127.0.0.1/32 oauth issuer=i scope=s\n');
    const at = async (v?: string) => JSON.parse((await pgauth(['hba', 'lint', file, '--json', ...(v ? ['--server-version', v] : [])])).stdout).lines.map((l: { error: string | null }) => l.error);
    expect(await at('15')).toEqual([BROKEN_LINES.find((b) => b.line.endsWith('map=x'))!.error, 'invalid authentication method "oauth"']);
    expect(await at()).toEqual([BROKEN_LINES.find((b) => b.line.endsWith('map=x'))!.error18, null]);
    const bad = await pgauth(['hba', 'lint', file, '--server-version', '13']);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain('--server-version: "13" is not a PostgreSQL major from 14 to 18');
  });

  it('exits 3 for a file it cannot read', async () => {
    const r = await pgauth(['hba', 'lint', join(tmp.path, 'nope.conf')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^pgauth: could not open file ".*nope.conf": No such file or directory\n$/);
    expect(r.stdout).toBe('');
  });
});

describe('pgauth hba check', () => {
  it('hba alone is a usage error (exit 3) that shows the subcommands', async () => {
    const r = await pgauth(['hba']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('check [options] <file>');
    expect(r.stderr).toContain('pgauth: hba needs a subcommand: check or lint');
    expect(r.stdout).toBe('');
  });

  it('names the matching line, its method and options (exit 0)', async () => {
    const r = await pgauth(['hba', 'check', checkFile, '--user', 'alice', '--db', 'appdb', '--addr', '127.0.0.1', '--ssl', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      decision: 'method',
      method: 'scram-sha-256',
      options: { clientcert: 'verify-full' },
      line: { file: checkFile, lineNumber: 2, ruleNumber: 2, text: 'hostssl appdb   alice     127.0.0.1/32   scram-sha-256 clientcert=verify-full' },
      message: null,
      proposedLine: null,
      skipped: [{ lineNumber: 1, reason: 'connection-type' }],
    });
    const human = await pgauth(['hba', 'check', checkFile, '--user', 'alice', '--db', 'appdb', '--addr', '127.0.0.1', '--ssl']);
    expect(human.stdout).toContain(`matches ${checkFile}:2:`);
    expect(human.stdout).toContain('method: scram-sha-256');
    expect(human.stdout).toContain('options: clientcert=verify-full');
  });

  it("takes psql's -U USER -d DB for --user and --db", async () => {
    const long = await pgauth(['hba', 'check', checkFile, '--user', 'alice', '--db', 'appdb', '--addr', '127.0.0.1', '--ssl', '--json']);
    const short = await pgauth(['hba', 'check', checkFile, '-U', 'alice', '-d', 'appdb', '--addr', '127.0.0.1', '--ssl', '--json']);
    expect(short.code).toBe(0);
    expect(JSON.parse(short.stdout)).toEqual(JSON.parse(long.stdout));
    expect(JSON.parse(short.stdout).connection).toMatchObject({ user: 'alice', database: 'appdb' });
  });

  it('without TLS there is no entry: says why each line failed, gives the message and the line to add (exit 1)', async () => {
    const r = await pgauth(['hba', 'check', checkFile, '--user', 'alice', '--db', 'appdb', '--addr', '127.0.0.1', '--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.decision).toBe('no-entry');
    expect(out.message).toBe('no pg_hba.conf entry for host "127.0.0.1", user "alice", database "appdb", no encryption');
    expect(out.proposedLine).toBe('host  appdb  alice  127.0.0.1/32  scram-sha-256');
    expect(out.skipped.map((s: { reason: string }) => s.reason)).toEqual(['connection-type', 'ssl', 'address', 'user', 'connection-type']);
    expect(out.withSsl).toEqual({ method: 'scram-sha-256', lineNumber: 2, file: checkFile });
    const human = await pgauth(['hba', 'check', checkFile, '--user', 'alice', '--db', 'appdb', '--addr', '127.0.0.1', '--method', 'md5']);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain('no matching line');
    expect(human.stdout).toContain('host  appdb  alice  127.0.0.1/32  md5');
    expect(human.stdout).toContain('(SSL state (hostssl/hostnossl) does not match)');
    expect(human.stdout).toContain(`Over TLS it would be admitted by ${checkFile}:2 (scram-sha-256)`);
  });

  it('a reject line: exit 1, the rejecting line and what to put before it', async () => {
    const r = await pgauth(['hba', 'check', checkFile, '--user', 'mallory', '--addr', '10.1.2.3', '--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ decision: 'reject', method: 'reject', line: { lineNumber: 4 }, message: 'pg_hba.conf rejects connection for host "10.1.2.3", user "mallory", database "mallory", no encryption' });
    expect(out.proposedLine).toBe('host  mallory  mallory  10.1.2.3/32  scram-sha-256');
    expect(out.withSsl).toBeNull();
  });

  it('+group membership comes from the role file (indirect through member-of), local connections too', async () => {
    const withRoles = await pgauth(['hba', 'check', checkFile, '--user', 'carol', '--db', 'x', '--addr', '::1', '--roles', rolesFile, '--json']);
    expect(withRoles.code).toBe(0);
    expect(JSON.parse(withRoles.stdout)).toMatchObject({ method: 'md5', line: { lineNumber: 3 }, rolesFile });
    const without = await pgauth(['hba', 'check', checkFile, '--user', 'carol', '--db', 'x', '--addr', '::1', '--json'], { cwd: tmp.path + '/every' });
    expect(without.code).toBe(1);
    // A role file with errors gives no trustworthy memberships: refused, naming file:line, as serve does.
    const broken = await pgauth(['hba', 'check', checkFile, '--user', 'carol', '--db', 'x', '--addr', '::1', '--roles', checkFile]);
    expect({ code: broken.code, stdout: broken.stdout }).toEqual({ code: 3, stdout: '' });
    expect(broken.stderr).toMatch(new RegExp(`^pgauth: ${checkFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1: .*\\(--roles\\)\n$`));
    const local = await pgauth(['hba', 'check', checkFile, '--user', 'carol', '--local', '--json']);
    expect(JSON.parse(local.stdout)).toMatchObject({ method: 'pam', options: { pamservice: 'pgauth' }, line: { lineNumber: 5 } });
  });

  it('usage errors exit 3', async () => {
    for (const args of [
      ['--user', 'a'],
      ['--user', 'a', '--local', '--addr', '127.0.0.1'],
      ['--user', 'a', '--local', '--ssl'],
      ['--user', 'a', '--addr', 'db.example.com'],
    ]) {
      const r = await pgauth(['hba', 'check', checkFile, ...args]);
      expect(r.code, args.join(' ')).toBe(3);
      expect(r.stderr).toMatch(/^pgauth: /);
    }
    // Without a terminal, a missing value is a usage error naming the flag (on a terminal it is asked for).
    for (const [args, message] of [
      [[], 'missing --user NAME'],
      [['--user', 'a'], 'missing --addr IP or --local'],
    ] as const) {
      const r = await pgauth(['hba', 'check', checkFile, ...args]);
      expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 3, stdout: '' });
      expect(r.stderr).toContain(`pgauth: ${message}`);
    }
    // --method must give a line PostgreSQL would load for this connection.
    for (const [args, message] of [
      [['--addr', '127.0.0.1', '--method', 'bogus'], '--method bogus: invalid authentication method "bogus"'],
      [['--addr', '127.0.0.1', '--method', 'peer'], '--method peer: peer authentication is only supported on local sockets'],
      [['--addr', '127.0.0.1', '--method', 'cert'], '--method cert: cert authentication is only supported on hostssl connections'],
      [['--local', '--method', 'reject'], '--method reject would not admit the connection'],
    ] as const) {
      const r = await pgauth(['hba', 'check', checkFile, '--user', 'a', ...args]);
      expect({ code: r.code, stdout: r.stdout }, args.join(' ')).toEqual({ code: 3, stdout: '' });
      expect(r.stderr).toContain(`pgauth: ${message}`);
    }
    const cert = await pgauth(['hba', 'check', checkFile, '--user', 'a', '--addr', '127.0.0.1', '--ssl', '--method', 'cert', '--json']);
    expect(JSON.parse(cert.stdout).proposedLine).toBe('hostssl  a  a  127.0.0.1/32  cert');
    const broken = await pgauth(['hba', 'check', brokenFile, '--user', 'a', '--local']);
    expect(broken.code).toBe(3);
    expect(broken.stderr).toContain(`${brokenFile}:2: invalid connection type "hosts"`);
  });
});

/**
 * The engine on its own: tokenizing, parsing, includes, matching rules that
 * need injected facts (host names, interfaces, role membership), messages and
 * the proposed line. The agreement with PostgreSQL is in differential.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { tempDir } from '../helpers/tmp.js';
import {
  HbaFileError,
  explainHba,
  hbaFileRules,
  hbaRejectMessage,
  loadHbaFile,
  loadHbaSelector,
  matchHba,
  parseHbaFile,
  proposeHbaLine,
  staticResolver,
  hostsFileResolver,
  type AuthFileSource,
  type HbaFile,
} from '../../src/hba/index.js';
import { formatIpAddress, parseIpAddress } from '../../src/hba/address.js';
import type { ConnectionFacts } from '../../src/hba/decision.js';
import { EVERY_SYNTAX } from './syntax.js';

const tmp = tempDir('pgauth-hba-engine-');
afterAll(() => tmp.remove());

/** Files in memory, for the tokenizer's include paths. */
function memory(files: Record<string, string>): AuthFileSource {
  return {
    read: (p) => (p in files ? { ok: true, text: files[p]! } : { ok: false, missing: true, message: 'No such file or directory' }),
    list: (dir) => {
      const names = Object.keys(files).filter((p) => p.startsWith(dir + '/') && !p.slice(dir.length + 1).includes('/'));
      return names.length > 0 ? { ok: true, names: names.map((p) => p.slice(dir.length + 1)) } : { ok: false, message: 'No such file or directory' };
    },
  };
}
const parse = (text: string, files: Record<string, string> = {}): HbaFile => parseHbaFile('/etc/pg/pg_hba.conf', memory({ ...files, '/etc/pg/pg_hba.conf': text }));

const tcp = (user: string, database: string, remoteAddress = '127.0.0.1', ssl = false): ConnectionFacts => ({
  transport: 'tcp', remoteAddress, ssl, gssenc: false, user, database, replication: false,
});
const local = (user: string, database: string): ConnectionFacts => ({ transport: 'unix', remoteAddress: null, ssl: false, gssenc: false, user, database, replication: false });
const none = () => [];
const decide = (f: HbaFile, facts: ConnectionFacts, opts = {}, groups: (r: string) => string[] = none) => {
  const d = matchHba(f, facts, groups, opts);
  return d.kind === 'method' ? `${d.method}@${d.line}` : d.kind === 'reject' ? `reject@${d.line}` : 'no-entry';
};

describe('tokenizer', () => {
  it('quotes: spaces, commas, # and "" inside; a quoted keyword is a name', () => {
    const f = parse('host "my db","a,b" "the ""boss"" #1",all all trust\n');
    expect(f.errors).toEqual([]);
    const r = f.rules[0]!;
    expect(r.databases.map((t) => [t.string, t.quoted])).toEqual([['my db', true], ['a,b', true]]);
    expect(r.users.map((t) => [t.string, t.quoted])).toEqual([['the "boss" #1', true], ['all', false]]);
    expect(decide(f, tcp('all', 'my db'))).toBe('trust@1');
    const q = parse('host "all" "all" all trust\n');
    expect(decide(q, tcp('alice', 'x'))).toBe('no-entry');
    expect(decide(q, tcp('all', 'all'))).toBe('trust@1');
  });

  it('comments, blank lines, CRLF and continuations keep PostgreSQL line numbers', () => {
    const f = parse('# comment\r\n\r\nhost all \\\r\n  all \\\n  127.0.0.1/32 trust # tail\nlocal all all peer\n');
    expect(f.errors).toEqual([]);
    expect(f.rules.map((r) => [r.lineNumber, r.type])).toEqual([[3, 'host'], [6, 'local']]);
    expect(f.rules[0]!.rawLine).toBe('host all   all   127.0.0.1/32 trust # tail');
  });

  it('a backslash only continues a line once: "\\\\" then an empty line ends it', () => {
    const f = parse('local all all \\\n\\\n\npeer\n');
    // Line 1 continues into line 2 (a lone backslash, continuing again into the empty line 3): "local all all " ends there.
    expect(f.errors.map((e) => [e.line, e.message])).toEqual([
      [1, 'end-of-line before authentication method'],
      [4, 'invalid connection type "peer"'],
    ]);
  });

  it('@file: tokens of every line, nested, relative to the including file; "@x" quoted is a name', () => {
    const f = parse('host @dbs @"users list" 127.0.0.1/32 md5\nhost all "@x" all trust\n', {
      '/etc/pg/dbs': 'db1, "db 2"  # comment\n@sub/more\n',
      '/etc/pg/sub/more': 'db3\n',
      '/etc/pg/users list': 'alice\n',
    });
    expect(f.errors).toEqual([]);
    expect(f.rules[0]!.databases.map((t) => t.string)).toEqual(['db1', 'db 2', 'db3']);
    expect(f.rules[0]!.users.map((t) => t.string)).toEqual(['alice']);
    expect(decide(f, tcp('@x', 'x'))).toBe('trust@2');
  });

  it('include, include_if_exists, include_dir (only *.conf, in name order) with their own file names and lines', () => {
    const f = parse('include a.conf\ninclude_if_exists nope.conf\ninclude_dir d\nhost all all all reject\n', {
      '/etc/pg/a.conf': '\nhost all alice all md5\n',
      '/etc/pg/d/20.conf': 'host all carol all password\n',
      '/etc/pg/d/10.conf': 'host all bob all trust\n',
      '/etc/pg/d/.hidden.conf': 'host all all all trust\n',
      '/etc/pg/d/x.txt': 'host all all all trust\n',
    });
    expect(f.errors).toEqual([]);
    expect(f.rules.map((r) => `${r.file}:${r.lineNumber}:${r.method}`)).toEqual([
      '/etc/pg/a.conf:2:md5', '/etc/pg/d/10.conf:1:trust', '/etc/pg/d/20.conf:1:password', '/etc/pg/pg_hba.conf:4:reject',
    ]);
    expect(f.rules.map((r) => r.ruleNumber)).toEqual([1, 2, 3, 4]);
  });

  it('a missing include, a missing @file and an include loop are errors on the including line', () => {
    const f = parse('include gone.conf\nhost all @gone all trust\ninclude self.conf\nhost all all all trust\n', { '/etc/pg/self.conf': 'include self.conf\n' });
    expect(f.errors.map((e) => `${e.file}:${e.line}: ${e.message}`)).toEqual([
      '/etc/pg/pg_hba.conf:1: could not open file "/etc/pg/gone.conf": No such file or directory',
      '/etc/pg/pg_hba.conf:2: could not open file "/etc/pg/gone": No such file or directory',
      '/etc/pg/self.conf:1: could not open file "/etc/pg/self.conf": maximum nesting depth exceeded',
    ]);
  });

  it('include_dir errors read as in pg_hba_file_rules (GetConfFilesInDir): a missing folder, a blank name', () => {
    const f = parse('include_dir nowhere\ninclude_dir ""\nhost all all all trust\n');
    expect(f.errors.map((e) => `${e.line}: ${e.message}`)).toEqual(['1: could not open directory "/etc/pg/nowhere"', '2: empty configuration directory name']);
  });

  it('bounded: @files read again and again stop at 64 MiB in all', () => {
    const big = ' '.repeat(4 * 1024 * 1024) + 'x\n';
    const f = parse(`host all ${Array.from({ length: 20 }, () => '@big').join(',')} all trust\n`, { '/etc/pg/big': big });
    expect(f.errors.map((e) => e.message)).toEqual([expect.stringMatching(/^could not open file "\/etc\/pg\/big": the included files exceed \d+ bytes in all$/)]);
  });

  it('bounded on the real file system: /dev/zero (size 0, endless) and a FIFO are errors on the including line, never a hang or a crash', async () => {
    const dir = join(tmp.path, 'devices');
    mkdirSync(dir);
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    writeFileSync(join(dir, 'pg_hba.conf'), 'include /dev/zero\ninclude fifo\ninclude_if_exists /dev/null\nhost all @/dev/zero all trust\nlocal all all trust\n');
    const f = await loadHbaFile(join(dir, 'pg_hba.conf'));
    expect(f.errors.map((e) => `${e.line}: ${e.message}`)).toEqual([
      '1: could not open file "/dev/zero": file is larger than 16777216 bytes',
      `2: could not open file "${join(dir, 'fifo')}": not a regular file`,
      '4: could not open file "/dev/zero": file is larger than 16777216 bytes',
    ]);
    await expect(loadHbaFile('/dev/zero')).rejects.toThrow('could not open file "/dev/zero": file is larger than 16777216 bytes');
  });

  it('hostssl without TLS on the server: PostgreSQL\'s warning in the view, but the file loads', () => {
    const f = parseHbaFile('/x/pg_hba.conf', memory({ '/x/pg_hba.conf': 'hostssl all all all md5\nhost all all all trust\n' }), { sslEnabled: false });
    expect(f.errors).toEqual([]);
    // As the view shows it (PostgreSQL 16+, checked against 18 by differential-18.test.ts): a line with a warning gets no rule number.
    expect(hbaFileRules(f).map((r) => [r.rule_number, r.type, r.error])).toEqual([
      [null, 'hostssl', 'hostssl record cannot match because SSL is disabled'],
      [1, 'host', null],
    ]);
    expect(f.rules.map((r) => r.ruleNumber)).toEqual([1, 2]); // both still match in that order
  });

  it('an empty file is an error (PostgreSQL would lock everyone out)', () => {
    expect(parse('# nothing\n').errors).toEqual([{ file: '/etc/pg/pg_hba.conf', line: null, message: 'configuration file "/etc/pg/pg_hba.conf" contains no entries' }]);
  });
});

describe('matching', () => {
  it('first match wins; no fallthrough to a later line', () => {
    const f = parse('host all alice 127.0.0.1/32 scram-sha-256\nhost all all 127.0.0.1/32 trust\n');
    expect(decide(f, tcp('alice', 'db'))).toBe('scram-sha-256@1');
    expect(decide(f, tcp('bob', 'db'))).toBe('trust@2');
  });

  it('hostssl / hostnossl / host / hostgssenc / hostnogssenc against TLS and GSS state', () => {
    const f = parse('hostgssenc all all all trust\nhostssl all all all scram-sha-256\nhostnossl all all all md5\n');
    expect(decide(f, tcp('a', 'b', '::1', true))).toBe('scram-sha-256@2');
    expect(decide(f, tcp('a', 'b', '::1', false))).toBe('md5@3');
    expect(decide(f, { ...tcp('a', 'b'), gssenc: true })).toBe('trust@1');
    expect(decide(f, local('a', 'b'))).toBe('no-entry');
  });

  it('address forms: CIDR, address + mask, IPv4 never matches IPv6 and back', () => {
    const f = parse('host all all 10.1.0.0/16 md5\nhost all all 192.168.0.0 255.255.255.0 password\nhost all all ::ffff:0:0/96 trust\nhost all all 0.0.0.0/0 reject\n');
    expect(decide(f, tcp('a', 'b', '10.1.200.3'))).toBe('md5@1');
    expect(decide(f, tcp('a', 'b', '192.168.0.77'))).toBe('password@2');
    expect(decide(f, tcp('a', 'b', '::ffff:10.1.2.3'))).toBe('trust@3');
    expect(decide(f, tcp('a', 'b', '::1'))).toBe('no-entry');
    expect(decide(f, tcp('a', 'b', '8.8.8.8'))).toBe('reject@4');
  });

  it('samehost and samenet use the server interfaces', () => {
    const interfaces = () => [{ address: '192.0.2.10', netmask: '255.255.255.0' }, { address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::' }];
    const f = parse('host all all samehost trust\nhost all all samenet md5\n');
    expect(decide(f, tcp('a', 'b', '192.0.2.10'), { interfaces })).toBe('trust@1');
    expect(decide(f, tcp('a', 'b', '192.0.2.99'), { interfaces })).toBe('md5@2');
    expect(decide(f, tcp('a', 'b', 'fe80::abcd'), { interfaces })).toBe('md5@2');
    expect(decide(f, tcp('a', 'b', '198.51.100.1'), { interfaces })).toBe('no-entry');
  });

  it('host names: reverse lookup, name or .suffix match, then forward confirmation (injected resolver, no DNS)', () => {
    const resolver = staticResolver(
      { '192.0.2.5': 'app1.example.test', '192.0.2.6': 'liar.example.test' },
      { 'app1.example.test': ['192.0.2.5'], 'liar.example.test': ['192.0.2.99'] },
    );
    const f = parse('host all all APP1.example.test md5\nhost all all .example.test password\nhost all all all reject\n');
    expect(decide(f, tcp('a', 'b', '192.0.2.5'), { resolver })).toBe('md5@1');
    // Reverse says liar.example.test but its forward lookup does not give the address back: no host-name line matches.
    expect(decide(f, tcp('a', 'b', '192.0.2.6'), { resolver })).toBe('reject@3');
    expect(decide(f, tcp('a', 'b', '192.0.2.7'), { resolver })).toBe('reject@3');
  });

  it('the default resolver reads /etc/hosts text only', () => {
    const r = hostsFileResolver('127.0.0.1 localhost loopy\n::1 ip6-localhost # c\n');
    expect(r.reverse(parseIpAddress('127.0.0.1')!)).toBe('localhost');
    expect(r.forward('LOOPY').map(formatIpAddress)).toEqual(['127.0.0.1']);
    expect(r.reverse(parseIpAddress('10.0.0.1')!)).toBeNull();
  });

  it('+group: direct and indirect membership, a role is a member of itself, unknown roles never match', () => {
    const groups: Record<string, string[]> = { carol: ['staff'], staff: ['admins'] };
    const g = (r: string) => groups[r] ?? [];
    const f = parse('host all +admins all md5\nhost all +alice all password\nhost samerole all all trust\n');
    expect(decide(f, tcp('carol', 'x'), {}, g)).toBe('md5@1');
    expect(decide(f, tcp('alice', 'x'), {}, g)).toBe('password@2');
    expect(decide(f, tcp('carol', 'staff'), {}, g)).toBe('md5@1');
    expect(decide(f, tcp('bob', 'staff'), {}, g)).toBe('no-entry');
    const exists = (r: string) => r !== 'alice';
    expect(decide(f, tcp('alice', 'x'), { roleExists: exists }, g)).toBe('no-entry');
  });

  it('physical replication connections match only the replication keyword', () => {
    const f = parse('host all all all trust\nhost replication all all md5\n');
    expect(decide(f, { ...tcp('a', 'replication'), replication: true })).toBe('md5@2');
    expect(decide(f, tcp('a', 'replication'))).toBe('trust@1');
  });

  it('/regex on database and user names (PostgreSQL 16)', () => {
    const f = parse('host /^app_[0-9]+$ /^svc- all md5\nhost all all all reject\n');
    expect(decide(f, tcp('svc-web', 'app_12'))).toBe('md5@1');
    expect(decide(f, tcp('svc-web', 'app_x'))).toBe('reject@2');
    expect(parse('host /( all all trust\n').errors[0]!.message).toMatch(/^invalid regular expression "\(": /);
  });

  it('explainHba says which field stopped each earlier line', () => {
    const f = parse('local all all peer\nhostssl all all all md5\nhost other all all md5\nhost all bob all md5\nhost all all 10.0.0.0/8 md5\nhost all all all trust\n');
    expect(explainHba(f.rules, tcp('alice', 'db'), none).map((v) => v.reason ?? 'match')).toEqual(['connection-type', 'ssl', 'database', 'user', 'address', 'match']);
  });
});

describe('serve --hba, messages and advice', () => {
  it('loadHbaSelector gives a MethodSelector, and refuses a file with an error naming file:line', async () => {
    const good = join(tmp.path, 'good.conf');
    writeFileSync(good, 'host all +admins all md5 \nhost all all all pam pamservice=pgauth\n');
    const select = await loadHbaSelector(good, (r) => (r === 'bob' ? ['admins'] : []));
    expect(select(tcp('bob', 'x'))).toEqual({ kind: 'method', method: 'md5', options: {}, file: good, line: 1 });
    expect(select(tcp('eve', 'x'))).toEqual({ kind: 'method', method: 'pam', options: { pamservice: 'pgauth' }, file: good, line: 2 });

    const bad = join(tmp.path, 'bad.conf');
    writeFileSync(bad, 'host all all all trust\nhost all all all magic\n');
    const err = await loadHbaSelector(bad, none).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HbaFileError);
    expect((err as HbaFileError).message).toBe(`${bad}:2: invalid authentication method "magic"`);
    expect((err as HbaFileError).code).toBe('HBA_FILE');
    expect([(err as HbaFileError).file, (err as HbaFileError).line]).toEqual([bad, 2]);
    await expect(loadHbaSelector(join(tmp.path, 'none.conf'), none)).rejects.toThrow(/could not open file ".*none.conf": No such file or directory/);
  });

  it("PostgreSQL's messages for no entry and reject", () => {
    expect(hbaRejectMessage(tcp('alice', 'appdb', '127.0.0.1', true), 'no-entry')).toBe('no pg_hba.conf entry for host "127.0.0.1", user "alice", database "appdb", SSL encryption');
    expect(hbaRejectMessage(tcp('alice', 'appdb', '::1'), 'reject')).toBe('pg_hba.conf rejects connection for host "::1", user "alice", database "appdb", no encryption');
    expect(hbaRejectMessage(local('bob', 'x'), 'no-entry')).toBe('no pg_hba.conf entry for host "[local]", user "bob", database "x", no encryption');
    expect(hbaRejectMessage({ ...tcp('rep', 'replication'), replication: true }, 'no-entry')).toBe('no pg_hba.conf entry for replication connection from host "127.0.0.1", user "rep", no encryption');
  });

  it('proposeHbaLine writes a line that admits exactly that connection', () => {
    expect(proposeHbaLine(tcp('alice', 'appdb', '127.0.0.1', true), 'scram-sha-256')).toBe('hostssl  appdb  alice  127.0.0.1/32  scram-sha-256');
    expect(proposeHbaLine(tcp('alice', 'appdb', '::1'), 'md5')).toBe('host  appdb  alice  ::1/128  md5');
    expect(proposeHbaLine(local('Eve Q', 'all'), 'peer')).toBe('local  "all"  "Eve Q"  peer');
    // The proposal, parsed back, admits the connection and nothing broader.
    for (const facts of [tcp('+x', 'sameuser', '10.9.8.7', true), local('/weird', 'db,1'), tcp('a"b', '@f', '2001:db8::5')]) {
      const f = parse(proposeHbaLine(facts, 'md5') + '\n');
      expect(f.errors).toEqual([]);
      expect(decide(f, facts)).toBe('md5@1');
      expect(decide(f, { ...facts, user: 'someone-else' })).toBe('no-entry');
    }
  });
});

describe('addresses', () => {
  it('numeric forms getaddrinfo accepts, printed as inet_ntop prints them', () => {
    const cases: Array<[string, string]> = [
      ['127.1', '127.0.0.1'], ['10.0x10.1', '10.16.0.1'], ['0177.0.0.1', '127.0.0.1'], ['::1', '::1'],
      ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], ['::ffff:1.2.3.4', '::ffff:1.2.3.4'], ['fe80:0:0:0:0:0:0:0', 'fe80::'],
    ];
    for (const [input, out] of cases) expect(formatIpAddress(parseIpAddress(input)!)).toBe(out);
    for (const bad of ['256.1.1.1', '1.2.3.4.5', 'localhost', '::g']) expect(parseIpAddress(bad)).toBeUndefined();
  });
});

describe('every syntax', () => {
  it('a file with every syntax parses without error, and each line reads as written', async () => {
    const dir = join(tmp.path, 'every');
    for (const [name, body] of Object.entries(EVERY_SYNTAX.files)) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), body);
    }
    const file = await loadHbaFile(join(dir, 'pg_hba.conf'));
    expect(file.errors).toEqual([]);
    const rows = hbaFileRules(file).map((r) => `${r.file_name.slice(dir.length + 1)}:${r.line_number} ${r.type} ${r.database} ${r.user_name} ${r.address ?? '-'} ${r.netmask ?? '-'} ${r.auth_method} ${r.options ?? '-'}`);
    expect(rows).toEqual(EVERY_SYNTAX.rows);
  });
});

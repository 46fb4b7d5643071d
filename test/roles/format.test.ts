/**
 * The role-file parser and writer, byte for byte, against PgBouncer's loader
 * rules (shared/reference/pgbouncer-auth.md §1a, verified with PgBouncer 1.18).
 */
import { describe, expect, it } from 'vitest';
import { normalizeValidUntil } from '../../src/roles/attributes.js';
import { formatRoleLine, renderRoleFile, type RoleLine } from '../../src/roles/format.js';
import { MAX_FINDINGS_PER_SEVERITY, parseRoleFile } from '../../src/roles/parse.js';
import { effectiveRoles, type Finding } from '../../src/roles/role-file.js';
import { isExpired } from '../../src/roles/index.js';
import { buildMd5Secret, buildScramSecret } from '../../src/secrets/index.js';

const SCRAM = buildScramSecret('pencil', { salt: Buffer.alloc(16, 1) });
const codes = (fs: Finding[]) => fs.map((f) => `${f.line}:${f.severity}:${f.code}`);
const errorCodes = (fs: Finding[]) => codes(fs).filter((c) => c.includes(':error:'));
const names = (text: string | Buffer) => [...effectiveRoles(parseRoleFile(text)).values()].map((e) => [e.name, e.secret]);

describe('reading like PgBouncer', () => {
  it('reads quoted fields, "" escapes, tabs, CRLF, ; comments, blank lines and ignores the rest of the line', () => {
    const text = [
      '; a comment',
      '',
      '   ; indented comment',
      '"alice" "pw1"',
      '"bob"   "pw2"   trailing garbage "x" "y"',
      '"we""ird" "p""q"',
      '"gina"\t"pw6"\r',
      '\t"henry" "pw7"',
    ].join('\n');
    expect(names(text)).toEqual([
      ['alice', 'pw1'],
      ['bob', 'pw2'],
      ['we"ird', 'p"q'],
      ['gina', 'pw6'],
      ['henry', 'pw7'],
    ]);
  });

  it('keeps the last of duplicate names and warns on the earlier line', () => {
    const parsed = parseRoleFile('"alice" "pw1"\n"alice" "pw9"\n');
    expect(names('"alice" "pw1"\n"alice" "pw9"\n')).toEqual([['alice', 'pw9']]);
    expect(codes(parsed.findings)).toContain('1:warning:duplicate');
    expect(effectiveRoles(parsed).get('alice')!.line).toBe(2);
  });

  it('stops at a # line: that line and every later one are not loaded', () => {
    const parsed = parseRoleFile('"alice" "pw1"\n# hash comment\n"harry" "pw7"\n');
    expect([...effectiveRoles(parsed).keys()]).toEqual(['alice']);
    expect(parsed.stop).toEqual({ line: 2, code: 'hash-comment' });
    const f = parsed.findings.find((x) => x.code === 'hash-comment')!;
    expect(f.severity).toBe('error');
    expect(f.message).toContain('1 role below it is not loaded');
  });

  it('stops at an unquoted line', () => {
    const parsed = parseRoleFile('"a" "1"\nalice pw1\n"b" "2"\n');
    expect([...effectiveRoles(parsed).keys()]).toEqual(['a']);
    expect(errorCodes(parsed.findings)).toEqual(['2:error:unquoted']);
  });

  it('loads nobody when the file starts with a UTF-8 BOM', () => {
    const parsed = parseRoleFile(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('"alice" "pw1"\n')]));
    expect(effectiveRoles(parsed).size).toBe(0);
    expect(codes(parsed.findings)).toEqual(['1:error:bom']);
  });

  it('stops at a name of 128 bytes or more (raw, as written), not at 127', () => {
    const ok = 'n'.repeat(127);
    const long = 'n'.repeat(128);
    expect(names(`"${ok}" "pw"\n`)).toEqual([[ok, 'pw']]);
    const parsed = parseRoleFile(`"${long}" "pw"\n"after" "x"\n`);
    expect(effectiveRoles(parsed).size).toBe(0);
    expect(codes(parsed.findings)[0]).toBe('1:error:name-too-long');
    // The limit counts bytes, not characters: 64 two-byte characters are 128 bytes.
    expect(codes(parseRoleFile(`"${'é'.repeat(64)}" "pw"\n`).findings)).toContain('1:error:name-too-long');
    // ...and the raw length includes the doubled quotes.
    expect(codes(parseRoleFile(`"${'""'.repeat(64)}" "pw"\n`).findings)).toContain('1:error:name-too-long');
  });

  it('stops silently at a NUL byte', () => {
    const parsed = parseRoleFile(Buffer.from('"a" "1"\n\0"b" "2"\n', 'latin1'));
    expect([...effectiveRoles(parsed).keys()]).toEqual(['a']);
    expect(errorCodes(parsed.findings)).toEqual(['2:error:nul-byte']);
  });

  it('takes the next quoted string as the secret when the secret is on the next line (and flags it)', () => {
    const parsed = parseRoleFile('"carol"\n"dave" "pw"\n"erin" "pw3"\n');
    expect(names('"carol"\n"dave" "pw"\n"erin" "pw3"\n')).toEqual([
      ['carol', 'dave'],
      ['erin', 'pw3'],
    ]);
    expect(codes(parsed.findings)).toContain('1:error:secret-on-next-line');
  });

  it('skips junk between the fields like PgBouncer and flags it', () => {
    const parsed = parseRoleFile('"eve"junk"pw5" more\n');
    expect(names('"eve"junk"pw5" more\n')).toEqual([['eve', 'pw5']]);
    expect(codes(parsed.findings)).toContain('1:error:junk-between-fields');
  });

  it('warns about an empty secret, an empty name, a plaintext password', () => {
    const parsed = parseRoleFile('"frank" ""\n"" "x"\n');
    expect(codes(parsed.findings)).toEqual(['1:warning:empty-secret', '2:warning:empty-name', '2:warning:plaintext-secret']);
  });

  it('flags malformed SCRAM and md5 look-alikes (PgBouncer would take them as plaintext)', () => {
    const bad = SCRAM.replace(/:[^:]+$/, ':AAAA');
    const parsed = parseRoleFile(`"a" "${bad}"\n"b" "md5${'A'.repeat(32)}"\n"c" "md5${'a'.repeat(31)}"\n"d" "${SCRAM}"\n"e" "${buildMd5Secret('x', 'e')}"\n`);
    expect(codes(parsed.findings)).toEqual(['1:error:malformed-secret', '2:error:malformed-secret', '3:error:malformed-secret']);
  });

  it('a verifier PostgreSQL and PgBouncer do parse, though not canonical, is a warning, not an error', () => {
    const keys = SCRAM.slice(SCRAM.lastIndexOf('$') + 1);
    const parsed = parseRoleFile(`"a" "SCRAM-SHA-256$+4096:AAAA$${keys}"\n"b" "SCRAM-SHA-256$0:AAAA$${keys}"\n`);
    expect(codes(parsed.findings)).toEqual(['1:warning:malformed-secret', '2:warning:malformed-secret']);
    expect(parsed.findings[0]!.message).toMatch(/"\+4096" is not a decimal number: it works, but it is not in the canonical form/);
    expect(parsed.findings[1]!.message).toMatch(/below 1: no client can log in with it/);
    expect(parsed.findings.every((f) => !/plain/.test(f.message))).toBe(true);
  });

  it('warns when two roles share an md5 secret (md5 is salted with the name: a renamed copy)', () => {
    const md5 = buildMd5Secret('pw', 'olduser');
    const parsed = parseRoleFile(`"olduser" "${md5}"\n"newuser" "${md5}"\n`);
    expect(codes(parsed.findings)).toEqual(['2:warning:md5-wrong-name']);
  });

  it('reads attribute words and a ; comment after the secret', () => {
    const parsed = parseRoleFile(`"alice" "${SCRAM}" valid-until=2027-01-01T00:00:00Z nologin conn-limit=5 member-of=admins,readers ; note\n`);
    const e = effectiveRoles(parsed).get('alice')!;
    expect(e.attrs).toEqual({ validUntil: '2027-01-01T00:00:00Z', nologin: true, connLimit: 5, memberOf: ['admins', 'readers'] });
    expect(e.comment).toBe('; note');
    expect(parsed.findings).toEqual([]);
  });

  it('reports bad and unknown attribute words with their line', () => {
    const parsed = parseRoleFile(`"a" "${SCRAM}"\n"b" "${SCRAM}" valid-until=tomorrow\n"c" "${SCRAM}" superuser\n"d" "${SCRAM}" conn-limit=-5\n"e" "${SCRAM}" ""\n`);
    expect(codes(parsed.findings)).toEqual(['2:error:bad-attribute', '3:warning:unknown-attribute', '4:error:bad-attribute']);
  });

  it('reads the rest of the line as UTF-8 text: a comment and member-of= names, and keeps unknown words', () => {
    const parsed = parseRoleFile(Buffer.from(`"a" "${SCRAM}" member-of=équipe owner=ops x ; owner: José\n`, 'utf8'));
    const e = effectiveRoles(parsed).get('a')!;
    expect(e.attrs).toEqual({ memberOf: ['équipe'] });
    expect(e.comment).toBe('; owner: José');
    expect(e.extra).toBe('owner=ops x');
    const out = renderRoleFile(parsed, new Map([['a', { name: 'a', secret: 'new', attrs: e.attrs, extra: e.extra!, comment: e.comment! }]]));
    expect(out.toString('utf8')).toBe('"a" "new" member-of=équipe owner=ops x ; owner: José\n');
  });

  it('reports the unknown words of a line in one finding, however many there are', () => {
    const parsed = parseRoleFile(`"a" "${SCRAM}" ${'x '.repeat(100_000)}\n"b" "${SCRAM}" ${'conn-limit=z '.repeat(10)}\n`);
    expect(codes(parsed.findings)).toEqual(['1:warning:unknown-attribute', '2:error:bad-attribute', '2:error:bad-attribute', '2:error:bad-attribute', '2:error:bad-attribute']);
    expect(parsed.findings[0]!.message).toMatch(/^unknown words "x", "x", "x" \(and 99997 more\) after the secret/);
    expect(parsed.findings[4]!.message).toBe('7 more unreadable attribute words on this line');
  });

  it('lists at most MAX_FINDINGS_PER_SEVERITY findings of each severity, always the stop, and counts the rest', () => {
    const many = `"p" "plain"\n`.repeat(MAX_FINDINGS_PER_SEVERITY + 10) + '# stop\n' + '# again\n'.repeat(MAX_FINDINGS_PER_SEVERITY + 5);
    const parsed = parseRoleFile(many);
    const stopLine = MAX_FINDINGS_PER_SEVERITY + 11;
    expect(parsed.stop).toEqual({ line: stopLine, code: 'hash-comment' });
    expect(parsed.findings.filter((f) => f.severity === 'error' && f.code !== 'more-findings')).toHaveLength(MAX_FINDINGS_PER_SEVERITY);
    expect(parsed.findings.some((f) => f.line === stopLine && f.code === 'hash-comment')).toBe(true);
    expect(parsed.findings.filter((f) => f.severity === 'warning' && f.code !== 'more-findings')).toHaveLength(MAX_FINDINGS_PER_SEVERITY);
    const more = parsed.findings.filter((f) => f.code === 'more-findings');
    expect(more.map((f) => [f.line, f.severity, f.message.split(' not')[0]])).toEqual([
      [0, 'error', '6 more errors'],
      // plaintext warnings for every line, duplicate warnings for all but the last
      [0, 'warning', `${2 * (MAX_FINDINGS_PER_SEVERITY + 10) - 1 - MAX_FINDINGS_PER_SEVERITY} more warnings`],
    ]);
  });

  it('keeps reading after a stop to report every trap at once', () => {
    const text = `"a" "${SCRAM}"\n# one\n"b" "${SCRAM}"\nplain words\n"${'x'.repeat(130)}" "y"\n`;
    const parsed = parseRoleFile(text);
    expect(codes(parsed.findings)).toEqual(['2:error:hash-comment', '4:error:unquoted', '5:error:name-too-long']);
    expect(parsed.entries.map((e) => [e.name, e.read])).toEqual([
      ['a', true],
      ['b', false],
    ]);
  });
});

describe('writing', () => {
  it('writes the canonical form with "" escaping and attributes in a fixed order', () => {
    const line: RoleLine = { name: 'we"ird', secret: 'p"q', attrs: { memberOf: ['g'], connLimit: 2, nologin: true, validUntil: 'infinity' } };
    expect(formatRoleLine(line)).toBe('"we""ird" "p""q" valid-until=infinity nologin conn-limit=2 member-of=g');
    expect(names(formatRoleLine(line) + '\n')).toEqual([['we"ird', 'p"q']]);
  });

  it('refuses names PgBouncer would not read back', () => {
    expect(() => formatRoleLine({ name: 'x'.repeat(128), secret: 's', attrs: {} })).toThrow(/128 bytes/);
    expect(() => formatRoleLine({ name: 'a\nb', secret: 's', attrs: {} })).toThrow(/LF/);
    expect(() => formatRoleLine({ name: '', secret: 's', attrs: {} })).toThrow(/empty/);
  });

  it('keeps comments, blank lines, CRLF lines, odd bytes and unknown words byte-exact on rewrite', () => {
    const original = Buffer.concat([
      Buffer.from('; header\r\n\n"alice" "pw1" weird-word ; keep me\n'),
      Buffer.from([0x3b, 0x20, 0xff, 0xfe, 0x0a]), // a comment with invalid UTF-8
      Buffer.from('"bob" "pw2"\r\n   \n"carol" "pw3"'), // no final newline
    ]);
    const parsed = parseRoleFile(original);
    const out = renderRoleFile(parsed, new Map([['bob', { name: 'bob', secret: 'new', attrs: { nologin: true } }]]));
    const expected = Buffer.concat([
      Buffer.from('; header\r\n\n"alice" "pw1" weird-word ; keep me\n'),
      Buffer.from([0x3b, 0x20, 0xff, 0xfe, 0x0a]),
      Buffer.from('"bob" "new" nologin\n   \n"carol" "pw3"\n'),
    ]);
    expect(out.toString('hex')).toBe(expected.toString('hex'));
  });

  it('appends new roles, removes a role with all its duplicates, keeps a trailing comment', () => {
    const parsed = parseRoleFile('"a" "1"\n"b" "2" ; b\n"a" "3"\n');
    const out = renderRoleFile(
      parsed,
      new Map<string, RoleLine | null>([
        ['a', null],
        ['c', { name: 'c', secret: 'é', attrs: {} }],
      ]),
    );
    expect(out.toString('utf8')).toBe('"b" "2" ; b\n"c" "é"\n');
    const replaced = renderRoleFile(parsed, new Map([['a', { name: 'a', secret: '9', attrs: {} }]]));
    expect(replaced.toString()).toBe('"b" "2" ; b\n"a" "9"\n');
  });

  it('writes no BOM and LF endings into a new file', () => {
    const out = renderRoleFile(parseRoleFile(''), new Map([['x', { name: 'x', secret: SCRAM, attrs: {} }]]));
    expect(out[0]).toBe(0x22);
    expect(out.toString()).toBe(`"x" "${SCRAM}"\n`);
  });
});

describe('valid-until', () => {
  it('normalizes timestamps to ISO-8601 UTC and refuses nonsense', () => {
    expect(normalizeValidUntil('2027-01-01')).toBe('2027-01-01T00:00:00Z');
    expect(normalizeValidUntil('2030-01-01 00:00:00+00')).toBe('2030-01-01T00:00:00Z');
    expect(normalizeValidUntil('2030-06-01 12:30:00+02:00')).toBe('2030-06-01T10:30:00Z');
    expect(normalizeValidUntil('2030-06-01T12:30:00.5Z')).toBe('2030-06-01T12:30:00.500Z');
    expect(normalizeValidUntil('Infinity')).toBe('infinity');
    expect(normalizeValidUntil('2027-02-31')).toBeUndefined();
    expect(normalizeValidUntil('tomorrow')).toBeUndefined();
  });

  it('refuses a date that does not exist also when a zone is given (Date.parse would roll it over)', () => {
    expect(normalizeValidUntil('2027-02-31T00:00+02:00')).toBeUndefined();
    expect(normalizeValidUntil('2027-04-31 10:00:00-05')).toBeUndefined();
    expect(normalizeValidUntil('2027-02-29T00:00Z')).toBeUndefined();
    expect(normalizeValidUntil('0000-01-01')).toBeUndefined(); // PostgreSQL has no year 0
    expect(normalizeValidUntil('2028-02-29T23:00-05:00')).toBe('2028-03-01T04:00:00Z');
  });

  it('is expired only strictly after the instant, like rolvaliduntil < now()', () => {
    const at = new Date('2027-01-01T00:00:00Z');
    expect(isExpired({ validUntil: '2027-01-01T00:00:00Z' }, at)).toBe(false);
    expect(isExpired({ validUntil: '2027-01-01T00:00:00Z' }, new Date(at.getTime() + 1))).toBe(true);
    expect(isExpired({ validUntil: 'infinity' }, at)).toBe(false);
    expect(isExpired({}, at)).toBe(false);
  });
});

describe('layering', () => {
  it('the roles core never imports the terminal (chalk, prompts, cli/)', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const dir = new URL('../../src/roles/', import.meta.url);
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
      const text = readFileSync(new URL(f, dir), 'utf8');
      expect(text, f).not.toMatch(/from '(chalk|@inquirer\/prompts|cli-table3)'|from '\.\.\/cli\//);
    }
  });
});

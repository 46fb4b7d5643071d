/**
 * The SQL lexer, byte by byte: every literal form decoded as PostgreSQL's
 * scan.l decodes it (the same statements are run on a real server in
 * test/roles/sql-import-pg.test.ts), and everything PostgreSQL refuses refused
 * with its line.
 */
import { describe, expect, it } from 'vitest';
import { SqlLexer, SqlSyntaxError, type SqlToken } from '../../src/roles/sql-lexer.js';

function lex(sql: string, standardStrings = true): SqlToken[] {
  const l = new SqlLexer(sql);
  l.standardStrings = standardStrings;
  const out: SqlToken[] = [];
  for (let t = l.next(); t; t = l.next()) out.push(t);
  return out;
}
const one = (sql: string, standardStrings = true): SqlToken => {
  const toks = lex(sql, standardStrings);
  expect(toks).toHaveLength(1);
  return toks[0]!;
};
const str = (sql: string, standardStrings = true): string => {
  const t = one(sql, standardStrings);
  expect(t.t).toBe('string');
  return t.v;
};
const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex');
const refused = (sql: string, message: string | RegExp, line = 1) => {
  let err: unknown;
  try {
    lex(sql);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(SqlSyntaxError);
  expect((err as SqlSyntaxError).message).toMatch(message);
  expect((err as SqlSyntaxError).line).toBe(line);
};

describe('standard strings', () => {
  it("'' is a quote, backslashes are plain", () => {
    expect(str("'it''s'")).toBe("it's");
    expect(str("'a\\x41\\n'")).toBe('a\\x41\\n');
  });
  it('a literal continues after whitespace with a newline, not without one', () => {
    expect(str("'a'\n  'b'")).toBe('ab');
    expect(lex("'a' 'b'").map((t) => t.v)).toEqual(['a', 'b']);
  });
  it('with standard_conforming_strings off they take backslash escapes', () => {
    expect(str("'a\\x41'", false)).toBe('aA');
  });
  it('unterminated is refused at its first line', () => {
    refused("\n'abc\n", 'unterminated quoted string', 2);
  });
});

describe("E'...' escapes", () => {
  it('octal, hex, \\u and \\U, as bytes then UTF-8', () => {
    expect(str("E'\\101\\x42\\u0043'")).toBe('ABC');
    expect(hex(str("E'\\xc3\\xa9'"))).toBe('c3a9');
    expect(str("E'\\u00e9\\U0001F600'")).toBe('é😀');
    expect(str("E'\\uD83D\\uDE00'")).toBe('😀');
  });
  it('single-character escapes; other characters stand for themselves', () => {
    expect(str("E'\\b\\f\\n\\r\\t'")).toBe('\b\f\n\r\t');
    expect(str("E'a\\qb\\x-\\'-''-\\\\'")).toBe("aqbx-'-'-\\");
  });
  it('an octal escape keeps the low 8 bits (\\400 is NUL)', () => {
    refused("E'\\400'", 'invalid byte sequence for encoding "UTF8": 0x00');
  });
  it.each([
    ["E'nul\\000x'", 'invalid byte sequence for encoding "UTF8": 0x00'],
    ["E'\\xc3'", 'invalid byte sequence for encoding "UTF8"'],
    ["E'\\u0000'", 'invalid Unicode escape value'],
    ["E'\\uD83D'", 'invalid Unicode surrogate pair'],
    ["E'\\uDE00'", 'invalid Unicode surrogate pair'],
    ["E'\\u12'", 'invalid Unicode escape'],
    ["E'\\U00110000'", 'invalid Unicode escape value'],
    ["E'\\v'", 'a vertical tab to PostgreSQL 17 and later but the letter v to 16 and older'],
  ])('%s is refused', (sql, message) => refused(sql, message));
});

describe("U&'...' and U&\"...\"", () => {
  it('\\XXXX, \\+XXXXXX, a doubled escape, surrogate pairs', () => {
    expect(str("U&'d\\0061t\\+000061'")).toBe('data');
    expect(str("U&'a\\\\b'")).toBe('a\\b');
    expect(str("U&'\\D83D\\DE00'")).toBe('😀');
  });
  it('UESCAPE picks the escape character', () => {
    expect(str("U&'d!0061t' UESCAPE '!'")).toBe('dat');
    expect(str("u&'a!!b' uescape '!'")).toBe('a!b');
  });
  it('identifiers: not lower-cased', () => {
    expect(one('U&"\\0061lice"')).toMatchObject({ t: 'ident', v: 'alice' });
    expect(one('U&"A\\00e9"')).toMatchObject({ t: 'ident', v: 'Aé' });
  });
  it.each([
    ["U&'\\0000'", 'invalid Unicode escape value'],
    ["U&'\\00'", 'invalid Unicode escape'],
    ["U&'a' UESCAPE 'a'", 'invalid Unicode escape character'],
    ["U&'a' UESCAPE '+'", 'invalid Unicode escape character'],
    ['U&""', 'zero-length delimited identifier'],
  ])('%s is refused', (sql, message) => refused(sql, message));
  it('refused when standard_conforming_strings is off', () => {
    expect(() => lex("U&'a'", false)).toThrow('unsafe use of string constant with Unicode escapes');
  });
});

describe('dollar quotes', () => {
  it('$$...$$ and $tag$...$tag$ keep the body as is', () => {
    expect(str('$$dollar$$')).toBe('dollar');
    expect(str("$x$a$$b'\\$x$")).toBe("a$$b'\\");
  });
  it('$1 is not a dollar quote', () => {
    expect(lex('$1').map((t) => t.t)).toEqual(['op', 'number']);
  });
  it('unterminated is refused', () => refused('$a$ body', 'unterminated dollar-quoted string'));
});

describe('identifiers', () => {
  it('unquoted: ASCII lower-cased only, like downcase_identifier with UTF8', () => {
    expect(one('ALICE')).toMatchObject({ t: 'word', v: 'alice' });
    expect(one('École')).toMatchObject({ t: 'word', v: 'École' });
    expect(one('a$b')).toMatchObject({ t: 'word', v: 'a$b' });
  });
  it('quoted: "" is a quote, case kept', () => {
    expect(one('"Mixed ""Case"""')).toMatchObject({ t: 'ident', v: 'Mixed "Case"' });
  });
  it('cut to 63 bytes at a character boundary', () => {
    expect(one('a'.repeat(62) + 'é').v).toBe('a'.repeat(62));
    expect(one(`"${'b'.repeat(70)}"`).v).toBe('b'.repeat(63));
  });
  it('an empty quoted identifier is refused', () => refused('""', 'zero-length delimited identifier'));
});

describe('numbers, operators, comments, psql meta-commands', () => {
  it('numbers as written; trailing junk refused', () => {
    expect(lex('CONNECTION LIMIT -1').map((t) => [t.t, t.v])).toEqual([
      ['word', 'connection'],
      ['word', 'limit'],
      ['op', '-'],
      ['number', '1'],
    ]);
    expect(one('99999999999999999999')).toMatchObject({ t: 'number', v: '99999999999999999999' });
    refused('0x10', 'trailing junk after numeric literal');
    refused('1_000', 'trailing junk after numeric literal');
  });
  it('comments (nested) are skipped and lines counted', () => {
    expect(lex("/* a /* b */ c */ -- x\n\nx").map((t) => [t.v, t.line])).toEqual([['x', 3]]);
    refused('\n/* a /* b */', 'unterminated /* comment', 2);
  });
  it('a backslash outside quotes is a psql meta-command to the end of the line', () => {
    expect(lex('\\connect x\nselect').map((t) => [t.t, t.v])).toEqual([
      ['meta', '\\connect x'],
      ['word', 'select'],
    ]);
  });
});

/** Roles <-> SQL, pure: quoting, the export's statements, the pg_dumpall reader. */
import { describe, expect, it } from 'vitest';
import { exportSql, looksLikeSql, parseRolesSql, quoteIdent, quoteLiteral, tokenizeSql } from '../../src/roles/sql.js';

describe('quoting', () => {
  it('always quotes identifiers and doubles quotes', () => {
    expect(quoteIdent('alice')).toBe('"alice"');
    expect(quoteIdent('we"ird')).toBe('"we""ird"');
    expect(() => quoteIdent('a\0b')).toThrow();
  });
  it('writes literals that mean the same whatever standard_conforming_strings is', () => {
    expect(quoteLiteral("it's")).toBe("'it''s'");
    expect(quoteLiteral('a\\b')).toBe("E'a\\\\b'");
    expect(quoteLiteral("a\\'b")).toBe("E'a\\\\''b'");
  });
});

describe('export --format sql', () => {
  it('creates missing groups as NOLOGIN, then roles, sets every attribute, grants memberships, in one transaction', () => {
    const { sql, skipped } = exportSql(
      [
        { name: 'alice', secret: 'SCRAM-SHA-256$4096:c2FsdA==$a:b', attrs: { validUntil: '2030-01-01T00:00:00Z', connLimit: 2, memberOf: ['admins', 'bob'] }, line: 1 },
        { name: 'bob', secret: 'md5' + '0'.repeat(32), attrs: { nologin: true }, line: 2 },
        { name: 'pg_monitor', secret: 'x', attrs: {}, line: 3 },
        { name: 'has $pgauth$ in it', secret: '', attrs: {}, line: 4 },
      ],
      'userlist.txt',
    );
    expect(skipped).toEqual([{ name: 'pg_monitor', reason: expect.stringContaining('reserved') }]);
    const lines = sql.trimEnd().split('\n');
    expect(lines.slice(2)).toEqual([
      'BEGIN;',
      'DO $pgauth$ BEGIN CREATE ROLE "admins" NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $pgauth$;',
      'DO $pgauth$ BEGIN CREATE ROLE "alice"; EXCEPTION WHEN duplicate_object THEN NULL; END $pgauth$;',
      'DO $pgauth$ BEGIN CREATE ROLE "bob"; EXCEPTION WHEN duplicate_object THEN NULL; END $pgauth$;',
      'DO $pgauth0$ BEGIN CREATE ROLE "has $pgauth$ in it"; EXCEPTION WHEN duplicate_object THEN NULL; END $pgauth0$;',
      `ALTER ROLE "alice" WITH LOGIN CONNECTION LIMIT 2 PASSWORD 'SCRAM-SHA-256$4096:c2FsdA==$a:b' VALID UNTIL '2030-01-01T00:00:00Z';`,
      `ALTER ROLE "bob" WITH NOLOGIN CONNECTION LIMIT -1 PASSWORD 'md5${'0'.repeat(32)}';`,
      'ALTER ROLE "has $pgauth$ in it" WITH LOGIN CONNECTION LIMIT -1 PASSWORD NULL;',
      'GRANT "admins" TO "alice";',
      'GRANT "bob" TO "alice";',
      'COMMIT;',
    ]);
  });

  it("grants PostgreSQL's predefined pg_* roles without creating them (a pg_dumpall round trip keeps them)", () => {
    const { sql } = exportSql([{ name: 'reader', secret: 'md5' + '1'.repeat(32), attrs: { memberOf: ['pg_read_all_data', 'public', 'analysts'] }, line: 1 }], 'f');
    expect(sql).toContain('GRANT "pg_read_all_data" TO "reader";');
    expect(sql).toContain('GRANT "analysts" TO "reader";');
    expect(sql).not.toContain('"public"');
    expect(sql).not.toMatch(/CREATE ROLE "pg_read_all_data"/);
  });

  it('reads its own export back', () => {
    const { sql } = exportSql([{ name: 'O\'Brien', secret: "p'w\\x", attrs: { validUntil: 'infinity', memberOf: ['g'] }, line: 1 }], 'f');
    expect(parseRolesSql(sql).roles).toEqual([{ name: "O'Brien", secret: "p'w\\x", attrs: { validUntil: 'infinity', memberOf: ['g'] }, line: 6 }]);
  });
});

describe('reading pg_dumpall --roles-only', () => {
  const dump = `--
-- PostgreSQL database cluster dump
--
\\restrict abc123

SET default_transaction_read_only = off;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;

--
-- Roles
--

CREATE ROLE admins;
ALTER ROLE admins WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB NOLOGIN NOREPLICATION NOBYPASSRLS;
CREATE ROLE alice;
ALTER ROLE alice WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 3 PASSWORD 'SCRAM-SHA-256$4096:c2FsdA==$a:b' VALID UNTIL '2030-01-01 00:00:00+00';
ALTER ROLE alice SET search_path TO 'x';
CREATE ROLE "Mixed ""Case""";
ALTER ROLE "Mixed ""Case""" WITH NOLOGIN PASSWORD 'md5${'1'.repeat(32)}' VALID UNTIL 'infinity';
CREATE ROLE postgres;
ALTER ROLE postgres WITH SUPERUSER INHERIT CREATEROLE CREATEDB LOGIN REPLICATION BYPASSRLS;
COMMENT ON ROLE alice IS 'a; tricky comment';
/* block comment; with semicolon */

--
-- Role memberships
--

GRANT admins TO alice WITH INHERIT TRUE GRANTED BY postgres;
GRANT admins TO "Mixed ""Case""" GRANTED BY postgres;
GRANT SELECT ON TABLE t TO alice;

\\unrestrict abc123
`;

  it('takes secrets, VALID UNTIL, NOLOGIN, CONNECTION LIMIT and memberships; skips roles without a password', () => {
    expect(looksLikeSql(dump)).toBe(true);
    const r = parseRolesSql(dump);
    expect(r.roles).toEqual([
      { name: 'alice', secret: 'SCRAM-SHA-256$4096:c2FsdA==$a:b', attrs: { validUntil: '2030-01-01T00:00:00Z', connLimit: 3, memberOf: ['admins'] }, line: 17 },
      { name: 'Mixed "Case"', secret: 'md5' + '1'.repeat(32), attrs: { validUntil: 'infinity', nologin: true, memberOf: ['admins'] }, line: 20 },
    ]);
    expect(r.skipped.map((s) => s.name)).toEqual(['admins', 'postgres']);
    // ALTER ROLE ... SET and GRANT ... ON are not role attributes or memberships.
    expect(r.roles[0]!.attrs.memberOf).toEqual(['admins']);
  });

  it('a userlist is not SQL', () => {
    expect(looksLikeSql('; comment\n"alice" "x"\n')).toBe(false);
    expect(looksLikeSql('"alice" "x"\n')).toBe(false);
  });
});

describe('bounded reading', () => {
  it('keeps no tokens of statements that cannot be about roles, and refuses a role statement of more than 10,000 tokens', () => {
    const big = `SET x = on;\nSELECT ${'a, '.repeat(50_000)}b;\nCREATE ROLE r LOGIN;\nALTER ROLE r PASSWORD 'pw';\n`;
    const statements = tokenizeSql(big);
    expect(statements.map((st) => st[0]!.v)).toEqual(['create', 'alter']);
    expect(parseRolesSql(big).roles.map((r) => [r.name, r.secret])).toEqual([['r', 'pw']]);
    const huge = `SELECT 1;\nCREATE ROLE r ${'LOGIN '.repeat(20_000)};\n`;
    expect(() => tokenizeSql(huge)).toThrow(expect.objectContaining({ line: 2, message: 'a statement of more than 10000 tokens' }));
  });
});

describe('reading a whole pg_dumpall (not only --roles-only)', () => {
  it("skips COPY ... FROM stdin data (quotes, semicolons and all) and keeps counting lines", () => {
    const dump = [
      "CREATE ROLE a LOGIN PASSWORD 'pa';",
      'COPY public.t (x, y) FROM stdin;',
      "it's\t'; CREATE ROLE evil LOGIN PASSWORD 'x';",
      '$$\t/*',
      '\\.',
      "CREATE ROLE b LOGIN PASSWORD 'pb';",
      "CREATE ROLE c LOGIN PASSWORD E'\\xff';",
    ].join('\n');
    expect(() => parseRolesSql(dump)).toThrow(expect.objectContaining({ line: 7 }));
    const r = parseRolesSql(dump.split('\n').slice(0, 6).join('\n'));
    expect(r.roles.map((x) => [x.name, x.secret, x.line])).toEqual([
      ['a', 'pa', 1],
      ['b', 'pb', 6],
    ]);
  });

  it('follows SET standard_conforming_strings', () => {
    const sql = "SET standard_conforming_strings = off;\nCREATE ROLE a LOGIN PASSWORD 'a\\\\b\\x41';\nSET standard_conforming_strings = on;\nCREATE ROLE b LOGIN PASSWORD 'a\\\\b';\n";
    expect(parseRolesSql(sql).roles.map((x) => x.secret)).toEqual(['a\\bA', 'a\\\\b']);
  });

  it('a COPY without its \\. line is refused', () => {
    expect(() => parseRolesSql('COPY t FROM stdin;\nrow\n')).toThrow(/COPY data without its closing/);
  });
});

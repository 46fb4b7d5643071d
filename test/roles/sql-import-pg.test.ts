/**
 * `pgauth import` of SQL against a real PostgreSQL given the same statements.
 * Each case runs on a throwaway cluster inside BEGIN ... ROLLBACK (session
 * TimeZone UTC, which is what pgauth assumes for a zone-less time), and what
 * PostgreSQL stored (pg_authid.rolname, rolpassword, rolvaliduntil,
 * rolconnlimit, rolcanlogin, memberships) or its refusal is compared with
 * what `pgauth import` writes to a fresh role file, or its refusal (exit 3
 * naming file:line). A hashed password is compared by checking that both
 * PostgreSQL's verifier and pgauth's accept the password the case decodes to.
 * Debian's PostgreSQL 15 by default; PGAUTH_CMP_VERSION=18 (any major of the
 * matrix) compares with another server.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith, pgMissing } from '../helpers/env.js';
import { startCluster, type Cluster } from '../helpers/pg.js';
import { pgauth } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';
import { loadRoleFile, type RoleRecord } from '../../src/roles/index.js';
import { parseSecret, verifyPassword } from '../../src/secrets/index.js';

interface Case {
  sql: string;
  /** What a hashed PASSWORD decodes to, for the roles that have one. */
  password?: string;
  /** PostgreSQL accepts it but pgauth cannot read the VALID UNTIL exactly: skipped, or nologin with the flag. */
  unreadable?: boolean;
  /** PostgreSQL accepts it but its meaning depends on the server version: pgauth refuses it. */
  refused?: boolean;
}

const md5 = 'md5' + 'a'.repeat(32);
const scram = 'SCRAM-SHA-256$4096:c2FsdHNhbHRzYWx0c2FsdA==$47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';
const vu = (text: string, extra: Partial<Case> = {}): Case => ({ sql: `CREATE ROLE r LOGIN PASSWORD '${md5}' VALID UNTIL '${text}'`, ...extra });
const pw = (literal: string, password?: string): Case => ({ sql: `CREATE ROLE r LOGIN PASSWORD ${literal}`, ...(password !== undefined ? { password } : {}) });

const CASES: Array<[string, Case]> = [
  // VALID UNTIL: the forms pg_dumpall and people write.
  ...[
    '-infinity', 'epoch', 'infinity', 'Infinity', ' infinity ', 'yesterday', 'tomorrow', 'today',
    'Mon Jan 01 00:00:00 2001 PST', 'Mon 01 Jan 00:00:00 2001 PST', 'Mon Jan 01 00:00:00.5 2001', '01/02/2001', '01.02.2001 00:00:00 CET',
    '12/31/2001 23:59:59.99 EST', '2001-01-01 BC', '0001-01-01 BC', '2030-01-01 00:00:00+00', '2001-01-02T03:04:05Z', '2001-01-02 03:04:05 +0530',
    '2001-01-01 00:00:00-08:00:30', '2001-01-01 12:00 +05', '2001-01-01 00:00:00 +14:30', '2001-01-01 00:00:00 Europe/Paris',
    '2001-07-01 00:00:00 america/new_york', '2001-01-01 00:00:00 PST8PDT', '2001-01-01 10:00 pm IST', '2001-01-01 00:00:00 JST',
    '2001-01-01 00:00:00 BST', '2001-01-01 00:00:00 cest', '2001-01-01 00:00:00 z', '20300101', '2001-1-2 3:4:5', 'Jan 2 2001',
    'January 2, 2001', 'Wed Dec 02 2026', '2001-01-01 24:00', '2001-01-01 00:00:60', '2001-01-01 00:00:00 AD',
    // refused by PostgreSQL
    '2001-02-30', '', '13/01/2001', '2001-01-01 25:00', '2001-01-01 00:00:00 +16', '0000-01-01', '4714-11-23 BC',
  ].map((t): [string, Case] => [`VALID UNTIL '${t}'`, vu(t)]),
  // accepted by PostgreSQL, not read exactly by pgauth
  // ('+infinity': refused by PostgreSQL 15, infinity to 18; pgauth leaves the role out.)
  ...['01/02/01', '2001-01-02 03:04:05 UTC+3', 'J2451187', '99999-01-01', 'epoch BC', '+infinity'].map((t): [string, Case] => [`VALID UNTIL '${t}' (unreadable)`, vu(t, { unreadable: true })]),
  // String syntax.
  ["E'\\101\\x42\\u0043'", pw("E'\\101\\x42\\u0043'", 'ABC')],
  ["E'nul\\000x'", pw("E'nul\\000x'")],
  ["E'\\xc3'", pw("E'\\xc3'")],
  ["E'\\xc3\\xa9'", pw("E'\\xc3\\xa9'", 'é')],
  ["E'\\u00e9\\U0001F600'", pw("E'\\u00e9\\U0001F600'", 'é😀')],
  ["E'\\uD83D\\uDE00'", pw("E'\\uD83D\\uDE00'", '😀')],
  ["E'\\uD83D'", pw("E'\\uD83D'")],
  ["E'\\u0000'", pw("E'\\u0000'")],
  ["E'\\b\\f'", pw("E'\\b\\f'", '\b\f')],
  ["E'\\v' (the letter v before PostgreSQL 17, a vertical tab since)", { ...pw("E'\\v'"), refused: true }],
  ["E'a\\qb\\x-\\'-''-\\\\'", pw("E'a\\qb\\x-\\'-''-\\\\'", "aqbx-'-'-\\")],
  ["U&'d\\0061t\\+000061'", pw("U&'d\\0061t\\+000061'", 'data')],
  ["U&'d!0061t' UESCAPE '!'", pw("U&'d!0061t' UESCAPE '!'", 'dat')],
  ["U&'\\0000'", pw("U&'\\0000'")],
  ["U&'a' UESCAPE 'a'", pw("U&'a' UESCAPE 'a'")],
  ['$$dollar$$', pw('$$dollar$$', 'dollar')],
  ['$x$a$$b$x$', pw('$x$a$$b$x$', 'a$$b')],
  ["'a' newline 'b'", pw("'a'\n'b'", 'ab')],
  ["X'41' (a bit string, not Sconst)", pw("X'41'")],
  ["N'x' (a national character literal, not Sconst)", pw("N'x'")],
  ["ALTER ROLE CURRENT_USER (pgauth cannot tell which role)", { sql: `ALTER ROLE CURRENT_USER PASSWORD '${md5}'`, refused: true }],
  ["standard_conforming_strings = off: 'a\\x41'", { sql: "SET standard_conforming_strings = off;\nCREATE ROLE r LOGIN PASSWORD 'a\\x41'", password: 'aA' }],
  // Identifiers.
  ['U&"\\0061lice"', { sql: `CREATE ROLE U&"\\0061lice" LOGIN PASSWORD '${md5}'` }],
  ['"ÉCOLE" and École (no lower-casing beyond ASCII)', { sql: `CREATE ROLE "ÉCOLE" LOGIN PASSWORD '${md5}'; CREATE ROLE École LOGIN PASSWORD '${md5}'; CREATE ROLE MiXeD LOGIN PASSWORD '${md5}'` }],
  ['"Mixed ""Case"""', { sql: `CREATE ROLE "Mixed ""Case""" LOGIN PASSWORD '${md5}'` }],
  ["'a'*62 + 'é' unquoted (cut at a character)", { sql: `CREATE ROLE ${'a'.repeat(62)}é LOGIN PASSWORD '${md5}'` }],
  ['"" (empty)', { sql: `CREATE ROLE "" LOGIN PASSWORD '${md5}'` }],
  // Attributes.
  ['CONNECTION LIMIT 0x10 (16 to PostgreSQL 16 and later, refused by 15)', { sql: `CREATE ROLE r LOGIN PASSWORD '${md5}' CONNECTION LIMIT 0x10`, refused: true }],
  ...['99999999999999999999', '-2', '2147483648', '2147483647', '-1', '+5', '5.0', "'5'"].map((n): [string, Case] => [
    `CONNECTION LIMIT ${n}`,
    { sql: `CREATE ROLE r LOGIN PASSWORD '${md5}' CONNECTION LIMIT ${n}` },
  ]),
  ['LOGIN NOLOGIN', { sql: `CREATE ROLE r LOGIN NOLOGIN PASSWORD '${md5}'` }],
  ["PASSWORD 'a' PASSWORD NULL", { sql: "CREATE ROLE r PASSWORD 'a' PASSWORD NULL" }],
  ["UNENCRYPTED PASSWORD 'x'", { sql: "CREATE ROLE r UNENCRYPTED PASSWORD 'x'" }],
  ['FOOBAR', { sql: `CREATE ROLE r PASSWORD '${md5}' SYSID 5 NOINHERIT FOOBAR` }],
  ['CREATE USER (LOGIN by default), ENCRYPTED PASSWORD', { sql: "CREATE USER r ENCRYPTED PASSWORD 'x'", password: 'x' }],
  ['CREATE ROLE (NOLOGIN by default)', { sql: `CREATE ROLE r PASSWORD '${md5}'` }],
  ['CREATE ROLE twice', { sql: `CREATE ROLE r PASSWORD '${md5}'; CREATE ROLE r` }],
  ['all attributes in one statement', { sql: `CREATE ROLE r WITH SUPERUSER NOCREATEDB CREATEROLE NOREPLICATION BYPASSRLS INHERIT LOGIN CONNECTION LIMIT 3 PASSWORD '${md5}' VALID UNTIL '2030-01-01'` }],
  // Secrets.
  ["plaintext 'hunter2'", pw("'hunter2'", 'hunter2')],
  ['md5 with upper-case hex (plaintext to PostgreSQL)', pw(`'MD5${'A'.repeat(32)}'`, `MD5${'A'.repeat(32)}`)],
  ["'SCRAM-SHA-256$bad' (plaintext to PostgreSQL)", pw("'SCRAM-SHA-256$bad'", 'SCRAM-SHA-256$bad')],
  ['a ready SCRAM verifier', pw(`'${scram}'`)],
  ["'' (no password)", pw("''")],
  // Later statements.
  ['RENAME TO clears an md5 password', { sql: `CREATE ROLE r LOGIN PASSWORD '${md5}';\nALTER ROLE r RENAME TO r2` }],
  ['RENAME TO keeps a SCRAM verifier and memberships', { sql: `CREATE ROLE g; CREATE ROLE r LOGIN PASSWORD '${scram}' IN ROLE g;\nALTER ROLE g RENAME TO g2;\nALTER ROLE r RENAME TO r2` }],
  ['RENAME TO an existing role', { sql: `CREATE ROLE r LOGIN PASSWORD '${md5}'; CREATE ROLE s;\nALTER ROLE r RENAME TO s` }],
  ['ALTER ROLE ... PASSWORD, VALID UNTIL, CONNECTION LIMIT after CREATE', { sql: `CREATE ROLE r;\nALTER ROLE r WITH LOGIN PASSWORD 'later' VALID UNTIL '2031-02-03 04:05:06+02' CONNECTION LIMIT 9;\nALTER USER r NOLOGIN`, password: 'later' }],
  ['ALTER ROLE ... SET is not an attribute', { sql: `CREATE ROLE r LOGIN PASSWORD '${md5}';\nALTER ROLE r SET search_path TO 'x'` }],
  ['GRANT, REVOKE, ALTER GROUP ADD/DROP USER', { sql: `CREATE ROLE g1; CREATE ROLE g2; CREATE ROLE g3; CREATE ROLE r LOGIN PASSWORD '${md5}';\nGRANT g1, g2 TO r WITH ADMIN OPTION GRANTED BY postgres;\nREVOKE g2 FROM r;\nREVOKE ADMIN OPTION FOR g1 FROM r;\nALTER GROUP g3 ADD USER r;\nGRANT SELECT ON pg_class TO r` }],
  ['DROP ROLE', { sql: `CREATE ROLE r LOGIN PASSWORD '${md5}'; CREATE ROLE s LOGIN PASSWORD '${md5}';\nDROP ROLE IF EXISTS r` }],
  ['CREATE ROLE ... ROLE and ADMIN add members', { sql: `CREATE ROLE m1 LOGIN PASSWORD '${md5}'; CREATE ROLE m2 LOGIN PASSWORD '${md5}';\nCREATE ROLE g ROLE m1 ADMIN m2` }],
  ['reserved role name', { sql: `CREATE ROLE pg_mine LOGIN PASSWORD '${md5}'` }],
];

interface PgRole {
  name: string;
  password: string | null;
  validUntil: string | null;
  connLimit: number;
  login: boolean;
  memberOf: string[];
}

const READ_BACK = `SELECT a.rolname, coalesce(a.rolpassword, '<null>'),
  coalesce(CASE WHEN a.rolvaliduntil = 'infinity' THEN 'infinity' WHEN a.rolvaliduntil = '-infinity' THEN '-infinity'
    ELSE to_char(a.rolvaliduntil AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"BC') END, '<null>'),
  a.rolconnlimit, a.rolcanlogin,
  coalesce((SELECT string_agg(g.rolname, ',' ORDER BY g.rolname) FROM pg_auth_members m JOIN pg_authid g ON g.oid = m.roleid WHERE m.member = a.oid), '')
FROM pg_authid a WHERE left(a.rolname, 3) <> 'pg_' AND a.rolname <> 'postgres' ORDER BY a.rolname;`;
const SEP = '\x1f';

describeWith(pgMissing(), 'import of SQL compared with a real PostgreSQL given the same statements', () => {
  let pg: Cluster;
  const tmp = tempDir('pgauth-sql-import-pg-');
  beforeAll(async () => {
    pg = await startCluster({ version: Number(process.env.PGAUTH_CMP_VERSION ?? 15) });
  });
  afterAll(async () => {
    await pg?.stop();
    tmp.remove();
  });

  /** What PostgreSQL stores for the statements, or its error. */
  async function inPostgres(sql: string): Promise<{ roles: PgRole[] } | { error: string }> {
    const input = `SET TimeZone = 'UTC';\nBEGIN;\n${sql}\n;\n${READ_BACK}\nROLLBACK;\n`;
    const r = await pg.client('psql', ['-X', '-q', '-At', '-F', SEP, '-v', 'ON_ERROR_STOP=1', '-h', pg.socketDir, '-p', String(pg.port), '-U', 'postgres', '-d', 'postgres'], { input });
    if (r.code !== 0) return { error: r.stderr.trim() };
    const roles = r.stdout
      .split('\n')
      .filter((l) => l.includes(SEP))
      .map((l) => {
        const [name, password, validUntil, connLimit, login, memberOf] = l.split(SEP);
        return {
          name: name!,
          password: password === '<null>' ? null : password!,
          validUntil: validUntil === '<null>' ? null : validUntil!.replace(/AD$/, ''),
          connLimit: Number(connLimit),
          login: login === 't',
          memberOf: memberOf ? memberOf.split(',') : [],
        };
      });
    return { roles };
  }

  let n = 0;
  async function inPgauth(sql: string, flags: string[] = []): Promise<{ code: number | null; stderr: string; file: string; roles: Map<string, RoleRecord> }> {
    const src = join(tmp.path, `case${++n}.sql`);
    const file = join(tmp.path, `case${n}.txt`);
    writeFileSync(src, `-- case ${n}\n${sql};\n`);
    const r = await pgauth(['import', src, '--roles', file, ...flags]);
    const roles = r.code === 0 && existsSync(file) ? (await loadRoleFile(file)).roles : new Map<string, RoleRecord>();
    return { code: r.code, stderr: r.stderr, file: src, roles };
  }

  /** The role file's valid-until for what PostgreSQL stored. */
  const expectedValidUntil = (v: string | null): string | undefined => {
    if (v === null) return undefined;
    if (v === 'infinity') return 'infinity';
    if (v === '-infinity' || v.endsWith('BC')) return '0001-01-01T00:00:00Z';
    return v.replace('.000Z', 'Z');
  };

  it.each(CASES)('%s', async (_name, c) => {
    const real = await inPostgres(c.sql);
    const ours = await inPgauth(c.sql);
    if ('error' in real || c.refused) {
      // PostgreSQL refused the statement, so the role is not created: pgauth refuses the file
      // (exit 3, naming file:line), or at the least leaves the role out.
      if (ours.code === 0) expect([...ours.roles.keys()], `PostgreSQL refused (${'error' in real ? real.error : 'version-dependent'}); pgauth imported`).toEqual([]);
      else {
        expect(ours.code).toBe(3);
        expect(ours.stderr).toMatch(new RegExp(`${ours.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: `));
      }
      if (c.refused) expect(ours.code).toBe(3);
      return;
    }
    expect(ours.code, ours.stderr).toBe(0);
    const withPassword = real.roles.filter((r) => r.password !== null);
    if (c.unreadable) {
      expect(ours.roles.size).toBe(0);
      expect(ours.stderr + '').not.toContain('Error');
      const locked = await inPgauth(c.sql, ['--import-unreadable-as-nologin']);
      expect([...locked.roles.values()].map((r) => [r.name, r.attrs.nologin])).toEqual(withPassword.map((r) => [r.name, true]));
      return;
    }
    expect([...ours.roles.keys()].sort()).toEqual(withPassword.map((r) => r.name).sort());
    for (const p of withPassword) {
      const o = ours.roles.get(p.name)!;
      const theirs = parseSecret(p.password!);
      if (theirs.kind === 'md5' || c.password === undefined) expect(o.secret, `${p.name}: identical secret`).toBe(p.password);
      else {
        expect(theirs.kind).toBe('scram-sha-256');
        expect(verifyPassword(c.password, theirs, p.name), 'PostgreSQL decoded the password as the case says').toBe(true);
        expect(verifyPassword(c.password, parseSecret(o.secret), p.name), 'pgauth decoded the same password').toBe(true);
        expect(parseSecret(o.secret).kind).toBe('scram-sha-256');
      }
      expect(o.attrs.validUntil, `${p.name}: valid until`).toBe(expectedValidUntil(p.validUntil));
      expect(o.attrs.connLimit ?? -1, `${p.name}: connection limit`).toBe(p.connLimit);
      expect(!o.attrs.nologin, `${p.name}: login`).toBe(p.login);
      expect([...(o.attrs.memberOf ?? [])].sort(), `${p.name}: member of`).toEqual(p.memberOf);
    }
  });

  it("import postgresql://: '-infinity' and BC dates are read as expired (to_char gives NULL and drops the era)", async () => {
    await pg.sql(
      [
        `CREATE ROLE neg LOGIN PASSWORD '${md5}' VALID UNTIL '-infinity'`,
        `CREATE ROLE bc LOGIN PASSWORD '${md5}' VALID UNTIL '3000-01-01 BC'`,
        `CREATE ROLE inf LOGIN PASSWORD '${md5}' VALID UNTIL 'infinity'`,
        `CREATE ROLE past LOGIN PASSWORD '${md5}' VALID UNTIL 'epoch'`,
      ].join('; '),
    );
    const file = join(tmp.path, 'live.txt');
    const r = await pgauth(['import', `postgresql://postgres@/postgres?host=${encodeURIComponent(pg.socketDir)}&port=${pg.port}`, '--roles', file]);
    expect(r.code, r.stderr).toBe(0);
    await pg.sql('DROP ROLE neg, bc, inf, past');
    const { roles } = await loadRoleFile(file);
    expect(Object.fromEntries(['neg', 'bc', 'inf', 'past'].map((n) => [n, roles.get(n)?.attrs.validUntil]))).toEqual({
      neg: '0001-01-01T00:00:00Z',
      bc: '0001-01-01T00:00:00Z',
      inf: 'infinity',
      past: '1970-01-01T00:00:00Z',
    });
  });
});

/**
 * Roles <-> SQL, pure. Export: statements a real PostgreSQL runs to create
 * the roles with the *identical* stored secret (PostgreSQL stores a
 * pre-hashed `SCRAM-SHA-256$...` or `md5...` string as is: `encrypt_password`
 * in `src/backend/libpq/crypt.c`). Import: the role statements of
 * `pg_dumpall --roles-only`, read by src/roles/sql-import.ts (statements) and
 * src/roles/sql-lexer.ts (literals), turned into role-file records here.
 */
import type { RoleAttributes } from './attributes.js';
import type { RoleRecord } from './index.js';
import { RoleStatements, tokenizeSql, type SqlRole } from './sql-import.js';
import { quoteIdent, quoteLiteral } from '../secrets/sql.js';
import { count } from '../files/wording.js';

export { quoteIdent, quoteLiteral };

/** Why PostgreSQL would refuse to create this role, or undefined. */
export function reservedRoleProblem(name: string): string | undefined {
  if (name === '') return 'PostgreSQL has no role with an empty name';
  if (/^pg_/.test(name)) return 'role names starting with "pg_" are reserved by PostgreSQL';
  if (['public', 'none'].includes(name)) return `"${name}" is a reserved role name in PostgreSQL`;
  return undefined;
}

/** Groups no GRANT can name (PUBLIC is every role; NONE and '' are no role). */
const ungrantable = (g: string): boolean => reservedRoleProblem(g) !== undefined && !/^pg_/.test(g);

/** A dollar-quote tag that does not occur in `body`. */
function dollarTag(body: string): string {
  let tag = '$pgauth$';
  for (let i = 0; body.includes(tag); i++) tag = `$pgauth${i}$`;
  return tag;
}

function createIfMissing(name: string, options: string): string {
  const body = `BEGIN CREATE ROLE ${quoteIdent(name)}${options}; EXCEPTION WHEN duplicate_object THEN NULL; END`;
  const tag = dollarTag(body);
  return `DO ${tag} ${body} ${tag};`;
}

export interface SqlExport {
  sql: string;
  /** Roles left out, with why. */
  skipped: Array<{ name: string; reason: string }>;
}

/** The parts of the SQL export, as data: `export --format sql --sync` builds on the same parts. */
export interface SqlExportParts {
  /** The comment lines at the top. */
  header: string[];
  /** CREATE ROLE (when missing) for groups and roles, then one ALTER ROLE per role. */
  roleStatements: string[];
  /** Memberships the file lists, as (member, group). */
  grants: Array<[member: string, group: string]>;
  /** The roles exported (reserved names left out). */
  kept: RoleRecord[];
  skipped: SqlExport['skipped'];
}

export function sqlExportParts(roles: readonly RoleRecord[], source: string): SqlExportParts {
  const skipped: SqlExport['skipped'] = [];
  const kept = roles.filter((r) => {
    const problem = reservedRoleProblem(r.name);
    if (problem) skipped.push({ name: r.name, reason: problem });
    return problem === undefined;
  });
  const names = new Set(kept.map((r) => r.name));
  const groups = new Set<string>();
  for (const r of kept) for (const g of r.attrs.memberOf ?? []) if (!names.has(g) && !reservedRoleProblem(g)) groups.add(g);

  const header = [
    `-- Roles exported by pgauth from ${source.replace(/[\r\n]/g, ' ')}: ${count(kept.length, 'role')}.`,
    '-- Each secret is stored by PostgreSQL exactly as written (a pre-hashed SCRAM-SHA-256 or md5 secret).',
  ];
  const roleStatements: string[] = [];
  for (const g of [...groups].sort()) roleStatements.push(createIfMissing(g, ' NOLOGIN'));
  for (const r of kept) roleStatements.push(createIfMissing(r.name, ''));
  for (const r of kept) {
    const parts = [`ALTER ROLE ${quoteIdent(r.name)} WITH`, r.attrs.nologin ? 'NOLOGIN' : 'LOGIN', `CONNECTION LIMIT ${r.attrs.connLimit ?? -1}`];
    parts.push(r.secret === '' ? 'PASSWORD NULL' : `PASSWORD ${quoteLiteral(r.secret)}`);
    if (r.attrs.validUntil !== undefined) parts.push(`VALID UNTIL ${quoteLiteral(r.attrs.validUntil)}`);
    roleStatements.push(parts.join(' ') + ';');
  }
  const grants: SqlExportParts['grants'] = [];
  for (const r of kept) {
    // A pg_* group is one of PostgreSQL's predefined roles (pg_read_all_data,
    // pg_monitor ...): never created, but granted like any other.
    for (const g of r.attrs.memberOf ?? []) if (!ungrantable(g) && g !== r.name) grants.push([r.name, g]);
  }
  return { header, roleStatements, grants, kept, skipped };
}

/**
 * `CREATE ROLE` (when missing) then `ALTER ROLE ... LOGIN|NOLOGIN CONNECTION
 * LIMIT n PASSWORD '<secret>' [VALID UNTIL '...']` per role, groups named in
 * member-of created as NOLOGIN roles first, then GRANTs; in one transaction,
 * and safe to run again on a cluster that already has the roles.
 */
export function exportSql(roles: readonly RoleRecord[], source: string): SqlExport {
  const p = sqlExportParts(roles, source);
  const grants = p.grants.map(([member, group]) => `GRANT ${quoteIdent(group)} TO ${quoteIdent(member)};`);
  return { sql: [...p.header, 'BEGIN;', ...p.roleStatements, ...grants, 'COMMIT;'].join('\n') + '\n', skipped: p.skipped };
}

// ---------------------------------------------------------------- import

export { tokenizeSql };

export interface SqlImport {
  roles: RoleRecord[];
  skipped: Array<{ name: string; reason: string }>;
  warnings: string[];
}

export interface SqlImportOptions {
  /** A VALID UNTIL pgauth cannot read imports the role as nologin instead of skipping it. */
  unreadableAsNologin?: boolean;
  /** The time `now`, `today`, `tomorrow` and `yesterday` are read at. */
  now?: Date;
}

/** The earliest instant the role file holds: what -infinity and BC dates become (expired, as in PostgreSQL). */
export const EARLIEST_VALID_UNTIL = '0001-01-01T00:00:00Z';
const LATEST_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** The role file's valid-until for a VALID UNTIL, or why there is none it can hold. */
function validUntilOf(r: SqlRole, warn: (msg: string) => void): { value: string } | { unreadable: string } | undefined {
  const vu = r.validUntil;
  if (vu === undefined) return undefined;
  const where = `VALID UNTIL '${vu.text}' (line ${vu.line})`;
  const v = vu.value;
  if (v === undefined || v.kind === 'invalid') return { unreadable: `${where} is not a timestamp pgauth can read exactly` };
  if (v.kind === 'infinity') return { value: 'infinity' };
  if (v.kind === '-infinity' || v.kind === 'bc' || v.ms < Date.parse(EARLIEST_VALID_UNTIL)) {
    warn(`${where} is before 0001-01-01: stored as valid-until=${EARLIEST_VALID_UNTIL}, expired as in PostgreSQL`);
    return { value: EARLIEST_VALID_UNTIL };
  }
  if (v.ms > LATEST_MS) return { unreadable: `${where} is after 9999-12-31, beyond what the role file holds` };
  if (v.zoneAssumed) warn(`${where} has no time zone: read in UTC (PostgreSQL reads it in the session's TimeZone)`);
  if (v.relative) warn(`${where} is relative: read at the time of import`);
  return { value: new Date(v.ms).toISOString().replace('.000Z', 'Z') };
}

/**
 * Reads the role statements of `pg_dumpall --roles-only` (or pgauth's own SQL
 * export). Throws SqlSyntaxError (with the line) on anything PostgreSQL
 * would refuse or pgauth cannot decode exactly. A role whose VALID UNTIL
 * cannot be read is skipped (or, with unreadableAsNologin, imported nologin).
 */
export function parseRolesSql(sql: string, opts: SqlImportOptions = {}): SqlImport {
  const statements = new RoleStatements(opts.now ?? new Date());
  for (const st of tokenizeSql(sql)) statements.run(st);
  const warnings = [...statements.warnings];
  const out: RoleRecord[] = [];
  const skipped: SqlImport['skipped'] = [];
  for (const r of statements.roles.values()) {
    if (r.password === undefined || r.password === null) {
      skipped.push({ name: r.name, reason: 'no password in the SQL' });
      continue;
    }
    const attrs: RoleAttributes = {};
    const vu = validUntilOf(r, (msg) => warnings.push(`role ${JSON.stringify(r.name)}: ${msg}`));
    if (vu && 'unreadable' in vu) {
      if (!opts.unreadableAsNologin) {
        skipped.push({ name: r.name, reason: `${vu.unreadable} (--import-unreadable-as-nologin imports it locked)` });
        continue;
      }
      warnings.push(`role ${JSON.stringify(r.name)}: ${vu.unreadable}: imported as nologin`);
      attrs.nologin = true;
    } else if (vu) attrs.validUntil = vu.value;
    if (r.login === false) attrs.nologin = true;
    if (r.login === undefined) warnings.push(`role ${JSON.stringify(r.name)}: the SQL never says LOGIN or NOLOGIN (line ${r.line}); imported able to log in`);
    if (r.connLimit !== undefined && r.connLimit >= 0) attrs.connLimit = r.connLimit;
    if (r.memberOf.size > 0) attrs.memberOf = [...r.memberOf];
    out.push({ name: r.name, secret: r.password, attrs, line: r.line });
  }
  return { roles: out, skipped, warnings };
}

/** Does this text look like SQL rather than a userlist? */
export function looksLikeSql(text: string): boolean {
  return /^\s*(--|\/\*|set\s|create\s|alter\s|grant\s|begin\s*;|\\)/im.test(text) && !/^\s*"/.test(text);
}

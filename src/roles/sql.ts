/**
 * Roles <-> SQL, pure. Export: statements a real PostgreSQL runs to create
 * the roles with the *identical* stored secret (PostgreSQL stores a
 * pre-hashed `SCRAM-SHA-256$...` or `md5...` string as is: `encrypt_password`
 * in `src/backend/libpq/crypt.c`). Import: the role statements of
 * `pg_dumpall --roles-only` (CREATE ROLE, ALTER ROLE ... WITH ..., GRANT ... TO).
 */
import { normalizeValidUntil, type RoleAttributes } from './format.js';
import type { RoleRecord } from './index.js';
import { quoteIdent, quoteLiteral } from '../secrets/sql.js';

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

/**
 * `CREATE ROLE` (when missing) then `ALTER ROLE ... LOGIN|NOLOGIN CONNECTION
 * LIMIT n PASSWORD '<secret>' [VALID UNTIL '...']` per role, groups named in
 * member-of created as NOLOGIN roles first, then GRANTs; in one transaction,
 * and safe to run again on a cluster that already has the roles.
 */
export function exportSql(roles: readonly RoleRecord[], source: string): SqlExport {
  const skipped: SqlExport['skipped'] = [];
  const kept = roles.filter((r) => {
    const problem = reservedRoleProblem(r.name);
    if (problem) skipped.push({ name: r.name, reason: problem });
    return problem === undefined;
  });
  const names = new Set(kept.map((r) => r.name));
  const groups = new Set<string>();
  for (const r of kept) for (const g of r.attrs.memberOf ?? []) if (!names.has(g) && !reservedRoleProblem(g)) groups.add(g);

  const lines: string[] = [
    `-- Roles exported by pgauth from ${source.replace(/[\r\n]/g, ' ')}: ${kept.length} role(s).`,
    '-- Each secret is stored by PostgreSQL exactly as written (a pre-hashed SCRAM-SHA-256 or md5 secret).',
    'BEGIN;',
  ];
  for (const g of [...groups].sort()) lines.push(createIfMissing(g, ' NOLOGIN'));
  for (const r of kept) lines.push(createIfMissing(r.name, ''));
  for (const r of kept) {
    const parts = [`ALTER ROLE ${quoteIdent(r.name)} WITH`, r.attrs.nologin ? 'NOLOGIN' : 'LOGIN', `CONNECTION LIMIT ${r.attrs.connLimit ?? -1}`];
    parts.push(r.secret === '' ? 'PASSWORD NULL' : `PASSWORD ${quoteLiteral(r.secret)}`);
    if (r.attrs.validUntil !== undefined) parts.push(`VALID UNTIL ${quoteLiteral(r.attrs.validUntil)}`);
    lines.push(parts.join(' ') + ';');
  }
  for (const r of kept) {
    // A pg_* group is one of PostgreSQL's predefined roles (pg_read_all_data,
    // pg_monitor ...): never created, but granted like any other.
    for (const g of r.attrs.memberOf ?? []) if (!ungrantable(g) && g !== r.name) lines.push(`GRANT ${quoteIdent(g)} TO ${quoteIdent(r.name)};`);
  }
  lines.push('COMMIT;');
  return { sql: lines.join('\n') + '\n', skipped };
}

// ---------------------------------------------------------------- import

type Token =
  | { t: 'word'; v: string } // unquoted identifier or keyword, folded to lower case
  | { t: 'ident'; v: string } // "quoted identifier"
  | { t: 'string'; v: string }
  | { t: 'number'; v: string }
  | { t: 'punct'; v: string };

/** Statements whose first word is one of these are kept; the tokens of others are dropped as they are read. */
const ROLE_VERBS = new Set(['create', 'alter', 'grant']);
/** Tokens kept per statement: a role statement is short, and a 64 MiB input must not become millions of objects. */
const MAX_STATEMENT_TOKENS = 10_000;

/**
 * Splits SQL into statements of tokens: comments, psql meta-commands and
 * dollar-quoted bodies are skipped, and so are statements that cannot be
 * about roles (first word not CREATE, ALTER or GRANT), whose tokens are
 * never kept; a kept statement keeps at most MAX_STATEMENT_TOKENS tokens.
 */
export function tokenizeSql(sql: string): Token[][] {
  const statements: Token[][] = [];
  let cur: Token[] = [];
  let dropping = false;
  const push = (tok: Token): void => {
    if (dropping) return;
    if (cur.length === 0 && !(tok.t === 'word' && ROLE_VERBS.has(tok.v))) {
      dropping = true;
      return;
    }
    if (cur.length < MAX_STATEMENT_TOKENS) cur.push(tok);
  };
  let i = 0;
  let lineStart = true;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (c === '\n') {
      lineStart = true;
      i++;
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const atLineStart = lineStart;
    lineStart = false;
    if (c === '\\' && atLineStart) {
      // psql meta-command (\connect, \restrict ...): to the end of the line.
      while (i < n && sql[i] !== '\n') i++;
      continue;
    }
    if (c === '-' && sql[i + 1] === '-') {
      while (i < n && sql[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (sql[i] === '/' && sql[i + 1] === '*') (depth++, (i += 2));
        else if (sql[i] === '*' && sql[i + 1] === '/') (depth--, (i += 2));
        else i++;
      }
      continue;
    }
    if (c === ';') {
      if (cur.length) statements.push(cur);
      cur = [];
      dropping = false;
      i++;
      continue;
    }
    if (c === "'" || ((c === 'E' || c === 'e') && sql[i + 1] === "'")) {
      const escapes = c !== "'";
      i += escapes ? 2 : 1;
      let v = '';
      while (i < n) {
        const d = sql[i]!;
        if (d === "'" && sql[i + 1] === "'") {
          v += "'";
          i += 2;
        } else if (d === "'") {
          i++;
          break;
        } else if (escapes && d === '\\' && i + 1 < n) {
          const e = sql[i + 1]!;
          v += ({ n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' } as Record<string, string>)[e] ?? e;
          i += 2;
        } else {
          v += d;
          i++;
        }
      }
      push({ t: 'string', v });
      continue;
    }
    if (c === '"') {
      i++;
      let v = '';
      while (i < n) {
        if (sql[i] === '"' && sql[i + 1] === '"') {
          v += '"';
          i += 2;
        } else if (sql[i] === '"') {
          i++;
          break;
        } else v += sql[i++];
      }
      push({ t: 'ident', v });
      continue;
    }
    if (c === '$') {
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 64));
      if (m) {
        const end = sql.indexOf(m[0], i + m[0].length);
        i = end < 0 ? n : end + m[0].length;
        push({ t: 'punct', v: '$body$' });
        continue;
      }
    }
    if (/[-0-9]/.test(c)) {
      const m = /^-?\d+/.exec(sql.slice(i, i + 32));
      if (m) {
        push({ t: 'number', v: m[0] });
        i += m[0].length;
        continue;
      }
    }
    if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      const m = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/.exec(sql.slice(i, i + 256))!;
      push({ t: 'word', v: m[0].toLowerCase() });
      i += m[0].length;
      continue;
    }
    push({ t: 'punct', v: c });
    i++;
  }
  if (cur.length) statements.push(cur);
  return statements;
}

interface DumpedRole {
  name: string;
  login?: boolean;
  password?: string | null;
  validUntil?: string;
  connLimit?: number;
  memberOf: Set<string>;
}

export interface SqlImport {
  roles: RoleRecord[];
  skipped: Array<{ name: string; reason: string }>;
  warnings: string[];
}

const isWord = (tok: Token | undefined, ...words: string[]): boolean => tok?.t === 'word' && words.includes(tok.v);
const nameOf = (tok: Token | undefined): string | undefined => (tok && (tok.t === 'word' || tok.t === 'ident') ? tok.v : undefined);

/** Reads the role statements of `pg_dumpall --roles-only` (or pgauth's own SQL export). */
export function parseRolesSql(sql: string): SqlImport {
  const roles = new Map<string, DumpedRole>();
  const warnings: string[] = [];
  const role = (name: string): DumpedRole => {
    let r = roles.get(name);
    if (!r) roles.set(name, (r = { name, memberOf: new Set() }));
    return r;
  };
  const nameList = (toks: Token[], at: number): { names: string[]; next: number } => {
    const names: string[] = [];
    let i = at;
    for (;;) {
      const nm = nameOf(toks[i]);
      if (nm === undefined) break;
      names.push(nm);
      i++;
      if (toks[i]?.t === 'punct' && toks[i]!.v === ',') i++;
      else break;
    }
    return { names, next: i };
  };

  for (const st of tokenizeSql(sql)) {
    const verb = st[0];
    if (isWord(verb, 'create', 'alter') && isWord(st[1], 'role', 'user', 'group')) {
      const name = nameOf(st[2]);
      if (name === undefined) continue;
      if (isWord(verb, 'alter') && isWord(st[3], 'set', 'reset', 'rename', 'in')) continue; // per-role settings, not attributes
      const r = role(name);
      if (isWord(verb, 'create') && r.login === undefined) r.login = isWord(st[1], 'user');
      let i = isWord(st[3], 'with') ? 4 : 3;
      while (i < st.length) {
        const tok = st[i]!;
        if (isWord(tok, 'login')) (r.login = true), i++;
        else if (isWord(tok, 'nologin')) (r.login = false), i++;
        else if (isWord(tok, 'password')) {
          const v = st[i + 1];
          if (v?.t === 'string') r.password = v.v;
          else if (isWord(v, 'null')) r.password = null;
          i += 2;
        } else if (isWord(tok, 'valid') && isWord(st[i + 1], 'until')) {
          const v = st[i + 2];
          if (v?.t === 'string') {
            const norm = normalizeValidUntil(v.v);
            if (norm === undefined) warnings.push(`role ${JSON.stringify(name)}: VALID UNTIL '${v.v}' is not a timestamp pgauth reads; left out`);
            else r.validUntil = norm;
          }
          i += 3;
        } else if (isWord(tok, 'connection') && isWord(st[i + 1], 'limit')) {
          const v = st[i + 2];
          if (v?.t === 'number') r.connLimit = Number(v.v);
          i += 3;
        } else if (isWord(tok, 'in') && isWord(st[i + 1], 'role', 'group')) {
          const { names, next } = nameList(st, i + 2);
          for (const g of names) r.memberOf.add(g);
          i = next;
        } else if (isWord(tok, 'role', 'user', 'admin')) {
          const { names, next } = nameList(st, i + 1);
          for (const m of names) role(m).memberOf.add(name);
          i = next;
        } else i++;
      }
    } else if (isWord(verb, 'grant')) {
      const to = st.findIndex((t) => isWord(t, 'to'));
      if (to < 0 || st.slice(1, to).some((t) => isWord(t, 'on'))) continue; // a privilege grant, not membership
      const groups = nameList(st, 1).names;
      const members = nameList(st, to + 1).names;
      for (const m of members) for (const g of groups) role(m).memberOf.add(g);
    }
  }

  const out: RoleRecord[] = [];
  const skipped: SqlImport['skipped'] = [];
  for (const r of roles.values()) {
    if (r.password === undefined || r.password === null || r.password === '') {
      skipped.push({ name: r.name, reason: 'no password in the SQL' });
      continue;
    }
    const attrs: RoleAttributes = {};
    if (r.validUntil !== undefined) attrs.validUntil = r.validUntil;
    if (r.login === false) attrs.nologin = true;
    if (r.connLimit !== undefined && r.connLimit >= 0) attrs.connLimit = r.connLimit;
    if (r.memberOf.size > 0) attrs.memberOf = [...r.memberOf];
    out.push({ name: r.name, secret: r.password, attrs, line: 0 });
  }
  return { roles: out, skipped, warnings };
}

/** Does this text look like SQL rather than a userlist? */
export function looksLikeSql(text: string): boolean {
  return /^\s*(--|\/\*|set\s|create\s|alter\s|grant\s|begin\s*;|\\)/im.test(text) && !/^\s*"/.test(text);
}

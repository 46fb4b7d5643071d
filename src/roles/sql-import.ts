/**
 * Reads the role statements of `pg_dumpall --roles-only` (or pgauth's own
 * SQL export, or hand-written SQL) into roles, the way PostgreSQL would run
 * them: CREATE ROLE|USER|GROUP, ALTER ROLE ... [WITH] options, ALTER ROLE ...
 * RENAME TO (which clears an md5 password, as PostgreSQL does), ALTER GROUP
 * ... ADD|DROP USER, DROP ROLE, GRANT/REVOKE role memberships. Options are
 * checked as PostgreSQL checks them (unknown or repeated options, CONNECTION
 * LIMIT an int4 >= -1, UNENCRYPTED PASSWORD); whatever PostgreSQL would
 * refuse, or pgauth cannot decode exactly, is an SqlSyntaxError with its line.
 * Statements about anything else are skipped.
 */
import { parsePgTimestamp, type PgTimestamp } from './pg-timestamp.js';
import { SqlLexer, SqlSyntaxError, type SqlToken } from './sql-lexer.js';

export { SqlSyntaxError };

/** What the SQL said about one role. */
export interface SqlRole {
  name: string;
  /** Line of the statement that last set something on it. */
  line: number;
  /** CREATE ROLE was seen (otherwise only ALTERed: an existing role). */
  created: boolean;
  login?: boolean;
  /** PostgreSQL's rolpassword as given: null = none (NULL or ''). */
  password?: string | null;
  validUntil?: { text: string; value: PgTimestamp | undefined; line: number };
  /** -1 = no limit. */
  connLimit?: number;
  memberOf: Set<string>;
}

/** Statements whose first word is one of these are kept; the tokens of others are dropped as they are read. */
const KEPT_VERBS = new Set(['create', 'alter', 'grant', 'revoke', 'drop', 'set', 'copy']);
/** Tokens kept per statement: a role statement is short, and a 64 MiB input must not become millions of objects. */
export const MAX_STATEMENT_TOKENS = 10_000;

/** PostgreSQL's reserved keywords: not a role name unless quoted. */
const RESERVED = new Set(
  ('all analyse analyze and any array as asc asymmetric both case cast check collate column constraint create current_catalog current_date ' +
    'current_role current_time current_timestamp current_user default deferrable desc distinct do else end except false fetch for foreign ' +
    'from grant group having in initially intersect into lateral leading limit localtime localtimestamp not null offset on only or order ' +
    'placing primary references returning select session_user some symmetric system_user table then to trailing true union unique user ' +
    'using variadic when where window with').split(' '),
);
/** Role attributes that carry nothing pgauth keeps, as their option key. */
const FLAG_OPTIONS: Record<string, string> = {};
for (const k of ['superuser', 'createdb', 'createrole', 'replication', 'bypassrls', 'inherit']) FLAG_OPTIONS[k] = FLAG_OPTIONS[`no${k}`] = k;

const isWord = (tok: SqlToken | undefined, ...words: string[]): boolean => tok?.t === 'word' && words.includes(tok.v);
const isOp = (tok: SqlToken | undefined, op: string): boolean => tok?.t === 'op' && tok.v === op;

/**
 * Splits SQL into the statements that can be about roles, as tokens:
 * `SET standard_conforming_strings` is followed, COPY data is skipped, psql
 * meta-commands end a statement, and the tokens of other statements are
 * never kept. Throws SqlSyntaxError on input PostgreSQL would not lex.
 */
export function tokenizeSql(sql: string): SqlToken[][] {
  const lexer = new SqlLexer(sql);
  const statements: SqlToken[][] = [];
  let cur: SqlToken[] = [];
  let dropping = false;
  let copyFromStdin = false;
  let last: SqlToken[] = [];
  const end = (): void => {
    if (cur.length && !dropping && isWord(cur[0], 'set')) followSet(cur, lexer);
    else if (cur.length && !dropping && !isWord(cur[0], 'copy')) statements.push(cur);
    if (copyFromStdin && isWord(last[0], 'from') && isWord(last[1], 'stdin')) lexer.skipCopyData();
    cur = [];
    last = [];
    dropping = false;
    copyFromStdin = false;
  };
  for (let tok = lexer.next(); tok; tok = lexer.next()) {
    if (isOp(tok, ';') || tok.t === 'meta') {
      end();
      continue;
    }
    last = last.length ? [last[last.length - 1]!, tok] : [tok];
    if (cur.length === 0 && !dropping) {
      if (isWord(tok, 'copy')) copyFromStdin = true;
      if (!(tok.t === 'word' && KEPT_VERBS.has(tok.v))) {
        dropping = true;
        continue;
      }
    }
    if (dropping) continue;
    if (cur.length >= MAX_STATEMENT_TOKENS) throw new SqlSyntaxError(cur[0]!.line, `a statement of more than ${MAX_STATEMENT_TOKENS} tokens`);
    cur.push(tok);
  }
  end();
  return statements;
}

/** `SET [SESSION|LOCAL] standard_conforming_strings = on|off` changes how later strings are read. */
function followSet(st: SqlToken[], lexer: SqlLexer): void {
  let i = isWord(st[1], 'session', 'local') ? 2 : 1;
  if (!isWord(st[i], 'standard_conforming_strings')) return;
  i++;
  if (isOp(st[i], '=') || isWord(st[i], 'to')) i++;
  const v = st[i];
  const text = v?.t === 'word' || v?.t === 'string' ? v.v.toLowerCase() : '';
  if (['on', 'true', 'yes', '1'].includes(text)) lexer.standardStrings = true;
  else if (['off', 'false', 'no', '0'].includes(text)) lexer.standardStrings = false;
  else throw new SqlSyntaxError(st[0]!.line, 'SET standard_conforming_strings: a value pgauth cannot read');
}

/** A cursor over one statement's tokens. */
class Cursor {
  private i = 0;
  constructor(private readonly toks: SqlToken[]) {}
  peek(k = 0): SqlToken | undefined {
    return this.toks[this.i + k];
  }
  take(): SqlToken | undefined {
    return this.toks[this.i++];
  }
  get line(): number {
    return (this.toks[Math.min(this.i, this.toks.length - 1)] ?? this.toks[0])!.line;
  }
  done(): boolean {
    return this.i >= this.toks.length;
  }
  fail(message: string): never {
    throw new SqlSyntaxError(this.line, message);
  }
  syntax(): never {
    const t = this.peek();
    return this.fail(t ? `syntax error at or near "${t.v}"` : 'syntax error at end of input');
  }
  expectWord(...words: string[]): string {
    const t = this.peek();
    if (!isWord(t, ...words)) this.syntax();
    this.i++;
    return t!.v;
  }
  acceptWord(...words: string[]): boolean {
    if (!isWord(this.peek(), ...words)) return false;
    this.i++;
    return true;
  }
  expectEnd(): void {
    if (!this.done()) this.syntax();
  }
  /** A role name: an unquoted non-reserved word or a quoted identifier. */
  roleName(): string {
    const t = this.peek();
    if (t?.t === 'ident' || (t?.t === 'word' && !RESERVED.has(t.v))) return (this.i++, t.v);
    if (isWord(t, 'current_user', 'session_user', 'current_role')) this.fail(`${t!.v.toUpperCase()}: pgauth cannot tell which role that is`);
    return this.syntax();
  }
  roleList(): string[] {
    const names = [this.roleName()];
    while (isOp(this.peek(), ',')) (this.i++, names.push(this.roleName()));
    return names;
  }
  /** A string constant of any syntax. */
  string(): string {
    const t = this.peek();
    if (t?.t !== 'string') this.syntax();
    this.i++;
    return t.v;
  }
  /** SignedIconst: an int4 with an optional sign. */
  signedInt(): number {
    let sign = 1;
    if (isOp(this.peek(), '-') || isOp(this.peek(), '+')) sign = this.take()!.v === '-' ? -1 : 1;
    const t = this.peek();
    if (t?.t !== 'number' || !/^\d+$/.test(t.v) || Number(t.v) > 2147483647 + (sign < 0 ? 1 : 0)) this.syntax();
    this.i++;
    return sign * Number(t.v);
  }
}

/** The roles the statements describe, in order of first appearance. */
export class RoleStatements {
  readonly roles = new Map<string, SqlRole>();
  readonly warnings: string[] = [];
  constructor(private readonly now: Date) {}

  private role(name: string, line: number): SqlRole {
    let r = this.roles.get(name);
    if (!r) this.roles.set(name, (r = { name, line, created: false, memberOf: new Set() }));
    return r;
  }

  run(st: SqlToken[]): void {
    const c = new Cursor(st);
    const verb = c.take()!.v;
    const what = c.peek();
    if (isWord(what, 'user') && isWord(c.peek(1), 'mapping')) return; // CREATE/ALTER/DROP USER MAPPING
    if (verb === 'grant' || verb === 'revoke') return this.membership(c, verb);
    if (!isWord(what, 'role', 'user', 'group')) return; // CREATE TABLE, ALTER DATABASE ...
    c.take();
    if (verb === 'create') return this.create(c, what!.v);
    if (verb === 'alter') return this.alter(c, what!.v);
    if (verb === 'drop') return this.drop(c);
  }

  private create(c: Cursor, kind: string): void {
    const line = c.line;
    const name = c.roleName();
    if (name === 'public' || name === 'none' || name.startsWith('pg_')) c.fail(`role name "${name}" is reserved`);
    if (this.roles.get(name)?.created) c.fail(`role "${name}" already exists`);
    const r = this.role(name, line);
    Object.assign(r, { created: true, line, login: kind === 'user', password: null, connLimit: -1 });
    delete r.validUntil;
    c.acceptWord('with');
    this.options(c, r, true);
  }

  private alter(c: Cursor, kind: string): void {
    const line = c.line;
    if (c.acceptWord('all')) return c.acceptWord('set', 'reset', 'in') ? undefined : c.syntax();
    if (isWord(c.peek(), 'current_user', 'session_user', 'current_role') && isWord(c.peek(1), 'set', 'reset', 'in')) return;
    const name = c.roleName();
    if (isWord(c.peek(), 'set', 'reset', 'in')) return; // per-role settings, not attributes
    if (c.acceptWord('rename')) {
      c.expectWord('to');
      const to = c.roleName();
      c.expectEnd();
      return this.rename(c, name, to, line);
    }
    const r = this.role(name, line);
    r.line = line;
    if (kind === 'group' && isWord(c.peek(), 'add', 'drop')) {
      const add = c.take()!.v === 'add';
      c.expectWord('user');
      for (const m of c.roleList()) this.setMember(m, name, add, line);
      return c.expectEnd();
    }
    c.acceptWord('with');
    this.options(c, r, false);
  }

  private rename(c: Cursor, from: string, to: string, line: number): void {
    if (to === 'public' || to === 'none' || to.startsWith('pg_')) c.fail(`role name "${to}" is reserved`);
    if (this.roles.has(to)) c.fail(`role "${to}" already exists`);
    const r = this.roles.get(from) ?? { name: from, line, created: false, memberOf: new Set<string>() };
    this.roles.delete(from);
    r.name = to;
    r.line = line;
    if (typeof r.password === 'string' && /^md5[0-9a-f]{32}$/.test(r.password)) {
      r.password = null;
      this.warnings.push(`line ${line}: role ${JSON.stringify(to)}: MD5 password cleared because of role rename (as PostgreSQL does: the hash includes the name)`);
    }
    this.roles.set(to, r);
    for (const other of this.roles.values()) if (other.memberOf.delete(from)) other.memberOf.add(to);
  }

  private drop(c: Cursor): void {
    if (c.acceptWord('if')) c.expectWord('exists');
    const names = c.roleList();
    c.expectEnd();
    for (const n of names) this.roles.delete(n);
    for (const r of this.roles.values()) for (const n of names) r.memberOf.delete(n);
  }

  private setMember(member: string, group: string, add: boolean, line: number): void {
    const m = this.role(member, line);
    if (add) m.memberOf.add(group);
    else m.memberOf.delete(group);
  }

  /** GRANT role[, ...] TO role[, ...] ... and REVOKE [... OPTION FOR] role[, ...] FROM role[, ...]. */
  private membership(c: Cursor, verb: string): void {
    const sep = verb === 'grant' ? 'to' : 'from';
    const rest: SqlToken[] = [];
    for (let t = c.peek(); t && !isWord(t, sep); t = c.peek()) rest.push(c.take()!);
    if (rest.some((t) => isWord(t, 'on'))) return; // a privilege on an object, not a membership
    const optionOnly = verb === 'revoke' && isWord(rest[1], 'option') && isWord(rest[2], 'for');
    const line = c.line;
    const groups = new Cursor(optionOnly ? rest.slice(3) : rest).roleList();
    c.expectWord(sep);
    const members = c.roleList();
    if (optionOnly) return;
    for (const m of members) for (const g of groups) this.setMember(m, g, verb === 'grant', line);
  }

  /** CreateOptRoleElem / AlterOptRoleElem, each at most once. */
  private options(c: Cursor, r: SqlRole, create: boolean): void {
    const seen = new Set<string>();
    const once = (key: string): void => {
      if (seen.has(key)) c.fail('conflicting or redundant options');
      seen.add(key);
    };
    while (!c.done()) {
      const tok = c.peek()!;
      if (tok.t !== 'word') c.syntax();
      const w = tok.v;
      if (w === 'unencrypted') c.fail('UNENCRYPTED PASSWORD is no longer supported');
      c.take();
      if (w === 'password' || w === 'encrypted') {
        if (w === 'encrypted') c.expectWord('password');
        once('password');
        const v = c.acceptWord('null') ? null : c.string();
        // PostgreSQL: "empty string is not a valid password, clearing password".
        r.password = v === '' ? null : v;
      } else if (w === 'connection') {
        c.expectWord('limit');
        once('connlimit');
        const n = c.signedInt();
        if (n < -1) c.fail(`invalid connection limit: ${n}`);
        r.connLimit = n;
      } else if (w === 'valid') {
        c.expectWord('until');
        once('validuntil');
        const text = c.string();
        const value = parsePgTimestamp(text, this.now);
        if (value?.kind === 'invalid') c.fail(`VALID UNTIL: ${value.why}`);
        r.validUntil = { text, value, line: tok.line };
      } else if (w === 'login' || w === 'nologin') {
        once('login');
        r.login = w === 'login';
      } else if (FLAG_OPTIONS[w]) once(FLAG_OPTIONS[w]);
      else if (create && w === 'sysid') (once('sysid'), c.signedInt());
      else if (create && w === 'in') {
        c.expectWord('role', 'group');
        once('addroleto');
        for (const g of c.roleList()) r.memberOf.add(g);
      } else if (create && (w === 'role' || w === 'user' || w === 'admin')) {
        once(w === 'admin' ? 'adminmembers' : 'rolemembers');
        for (const m of c.roleList()) this.setMember(m, r.name, true, tok.line);
      } else c.fail(`unrecognized role option "${w}"`);
    }
  }
}

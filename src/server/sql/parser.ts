/**
 * The planner of the few statements the test server answers (SPEC §3), for
 * the simple and the extended protocol: tokens in, a Plan out, planned once
 * and run with parameters (rows.ts) or applied by the session (commands).
 */
import { TYPE_OID } from '../../protocol/index.js';
import { sqlError, WireError } from '../errors.js';
import { lookupSetting } from '../settings.js';
import { lex, unsupported, type Tok } from './lexer.js';
import { castText, INT_RANGE, TYPE_NAMES } from './values.js';

/** What a statement may read from its session. */
export interface SessionView {
  user: string;
  sessionUser: string;
  database: string;
  /** PostgreSQL 16's system_user: `method:identity`, or null (trust). */
  systemUser: string | null;
  processId: number;
  /** Run-time settings (reported parameters and anything SET), by exact name. */
  settings: Map<string, string>;
  versionString: string;
}

/** One output column: its name, type and how to compute it. */
export interface Column {
  name: string;
  typeOid: number;
  value: (params: Array<string | null>, s: SessionView) => string | null;
  /** pg_sleep(N): how long to wait before the row goes out, in milliseconds. */
  sleepMs?: (params: Array<string | null>, s: SessionView) => number;
}

export type Plan =
  /** `sleepMs`: a `SELECT pg_sleep(N)`, whose one row waits N seconds (cancellable). */
  | { kind: 'select'; columns: Column[]; paramTypes: number[]; sleepMs?: Column['sleepMs'] }
  | { kind: 'show'; name: string }
  | { kind: 'set'; name: string; value: string }
  | { kind: 'reset'; name: string | null }
  | { kind: 'begin' }
  | { kind: 'commit' }
  | { kind: 'rollback' }
  | { kind: 'discard-all' }
  | { kind: 'empty' };

/** Bind's parameter count is an Int16: no statement has a $n above it (PQ_QUERY_PARAM_MAX_LIMIT). */
const MAX_PARAMETER_NUMBER = 65535;
/** MaxTupleAttributeNumber: PostgreSQL's limit on a SELECT's columns (54011 beyond it). */
const MAX_TARGET_LIST = 1664;
/** Nested parentheses the parser follows before giving up. */
const MAX_NESTING = 100;

class Parser {
  i = 0;
  /** Highest $n and any cast seen for it. */
  paramTypes: number[] = [];
  /** Parentheses open around the current expression (bounded: the parser recurses). */
  depth = 0;
  constructor(readonly toks: Tok[]) {}
  peek(): Tok | undefined {
    return this.toks[this.i];
  }
  isWord(w: string): boolean {
    const t = this.peek();
    return t?.t === 'ident' && !t.quoted && t.v === w;
  }
  isOp(v: string): boolean {
    const t = this.peek();
    return t?.t === 'op' && t.v === v;
  }
  atEnd(): boolean {
    return this.i >= this.toks.length;
  }
}
const SESSION_FUNCTIONS: Record<string, Omit<Column, 'name'>> = {
  current_user: { typeOid: TYPE_OID.name, value: (_, s) => s.user },
  current_role: { typeOid: TYPE_OID.name, value: (_, s) => s.user },
  user: { typeOid: TYPE_OID.name, value: (_, s) => s.user },
  session_user: { typeOid: TYPE_OID.name, value: (_, s) => s.sessionUser },
  system_user: { typeOid: TYPE_OID.text, value: (_, s) => s.systemUser },
  current_catalog: { typeOid: TYPE_OID.name, value: (_, s) => s.database },
};

const CALLS: Record<string, Omit<Column, 'name'>> = {
  version: { typeOid: TYPE_OID.text, value: (_, s) => s.versionString },
  current_database: { typeOid: TYPE_OID.name, value: (_, s) => s.database },
  pg_backend_pid: { typeOid: TYPE_OID.int4, value: (_, s) => String(s.processId) },
};

/** The session words and function calls SELECT answers (for the list in ANSWERED). */
export const ANSWERED_NAMES: readonly string[] = [...Object.keys(SESSION_FUNCTIONS), ...Object.keys(CALLS).map((c) => `${c}()`)];

/** primary [:: type]*, with PostgreSQL's default column names. */
function parseExpr(p: Parser): Column {
  let col = parsePrimary(p);
  while (p.isOp('::')) {
    p.i++;
    const t = p.peek();
    if (t?.t !== 'ident') throw unsupported();
    p.i++;
    let typeName = t.v;
    if (typeName === 'character' && p.isWord('varying')) {
      p.i++;
      typeName = 'varchar';
    }
    const type = TYPE_NAMES[typeName];
    if (!type) throw unsupported();
    const inner = col;
    const paramIndex = (inner as Column & { paramIndex?: number }).paramIndex;
    if (paramIndex !== undefined) p.paramTypes[paramIndex - 1] = type.oid;
    col = { name: type.name, typeOid: type.oid, value: (params, s) => castText(inner.value(params, s), type.oid) };
  }
  return col;
}

function parsePrimary(p: Parser): Column {
  const t = p.peek();
  if (!t) throw unsupported();
  p.i++;
  if (t.t === 'op' && t.v === '(') {
    // A query of nothing but '(' must not exhaust the stack (PostgreSQL fails it with 42601).
    if (++p.depth > MAX_NESTING) throw unsupported();
    const inner = parseExpr(p);
    if (!p.isOp(')')) throw unsupported();
    p.i++;
    p.depth--;
    return inner;
  }
  if (t.t === 'op' && t.v === '-') {
    const n = p.peek();
    if (n?.t !== 'num') throw unsupported();
    p.i++;
    return intLiteral('-' + n.v);
  }
  if (t.t === 'num') return intLiteral(t.v);
  if (t.t === 'str') return { name: '?column?', typeOid: TYPE_OID.text, value: () => t.v };
  if (t.t === 'param') {
    if (t.n < 1 || t.n > MAX_PARAMETER_NUMBER) throw sqlError('42P02', `there is no parameter $${t.n}`);
    const index = t.n;
    if (p.paramTypes.length < index) for (let k = p.paramTypes.length; k < index; k++) p.paramTypes[k] = p.paramTypes[k] ?? 0;
    const col: Column & { paramIndex: number } = {
      name: '?column?',
      typeOid: TYPE_OID.text,
      value: (params) => {
        if (index > params.length) throw sqlError('42P02', `there is no parameter $${index}`);
        return params[index - 1] ?? null;
      },
      paramIndex: index,
    };
    return col;
  }
  if (t.t === 'ident' && !t.quoted) return parseWord(p, t.v);
  throw unsupported();
}

/** A keyword, a session function, or a call: true, null, current_user, version(), pg_sleep(...), current_setting('...'). */
function parseWord(p: Parser, word: string): Column {
  if (word === 'true' || word === 'false') return { name: 'bool', typeOid: TYPE_OID.bool, value: () => (word === 'true' ? 't' : 'f') };
  if (word === 'null') return { name: '?column?', typeOid: TYPE_OID.text, value: () => null };
  const fn = SESSION_FUNCTIONS[word];
  if (fn && !p.isOp('(')) return { name: word, ...fn };
  if (!p.isOp('(')) throw unsupported();
  if (word === 'pg_sleep') return parseSleep(p);
  const call = CALLS[word];
  if (call) {
    p.i++;
    if (!p.isOp(')')) throw unsupported();
    p.i++;
    return { name: word, ...call };
  }
  if (word === 'current_setting') return parseCurrentSetting(p);
  throw unsupported();
}

/** current_setting('name'): the setting as SHOW reads it, ERROR 42704 for an unknown one. */
function parseCurrentSetting(p: Parser): Column {
  p.i++; // '('
  const arg = p.peek();
  if (arg?.t !== 'str') throw unsupported();
  p.i++;
  if (!p.isOp(')')) throw unsupported();
  p.i++;
  return {
    name: 'current_setting',
    typeOid: TYPE_OID.text,
    value: (_, s) => {
      const v = lookupSetting(s.settings, arg.v);
      if (v === undefined) throw sqlError('42704', `unrecognized configuration parameter "${arg.v}"`);
      return v;
    },
  };
}

/**
 * pg_sleep(seconds): PostgreSQL's RowDescription is one column `pg_sleep` of
 * type void (2278, length 4) and its DataRow one empty value; strict, so a
 * NULL argument returns NULL at once. The argument is float8: a literal
 * (1, 0.5, '2'), or a parameter, inferred as float8 like PostgreSQL does.
 */
function parseSleep(p: Parser): Column {
  p.i++; // '('
  const next = p.peek();
  const negative = next?.t === 'op' && next.v === '-' && p.toks[p.i + 1]?.t === 'dec';
  const dec = p.toks[p.i + (negative ? 1 : 0)];
  let arg: Column;
  if (dec?.t === 'dec') {
    p.i += negative ? 2 : 1;
    const text = (negative ? '-' : '') + dec.v;
    arg = { name: '?column?', typeOid: TYPE_OID.float8, value: () => text };
  } else {
    arg = parseExpr(p);
    const paramIndex = (arg as Column & { paramIndex?: number }).paramIndex;
    if (paramIndex !== undefined && !p.paramTypes[paramIndex - 1]) p.paramTypes[paramIndex - 1] = TYPE_OID.float8;
  }
  if (!p.isOp(')')) throw unsupported();
  p.i++;
  return {
    name: 'pg_sleep',
    typeOid: TYPE_OID.void,
    value: (params, s) => (arg.value(params, s) === null ? null : ''),
    sleepMs: (params, s) => sleepMilliseconds(arg.value(params, s)),
  };
}

/** float8 input (float8in) of pg_sleep's argument, in milliseconds; NULL, NaN and negatives sleep not at all. */
function sleepMilliseconds(text: string | null): number {
  if (text === null) return 0;
  if (!/^\s*[+-]?((\d+\.?\d*|\.\d+)(e[+-]?\d+)?|inf|infinity|nan)\s*$/i.test(text)) {
    throw sqlError('22P02', `invalid input syntax for type double precision: "${text}"`);
  }
  const t = text.trim().toLowerCase().replace(/^\+/, '');
  const seconds = t === 'inf' || t === 'infinity' ? Infinity : t === '-inf' || t === '-infinity' ? -Infinity : Number(t);
  return Number.isNaN(seconds) || seconds <= 0 ? 0 : seconds * 1000;
}

/** An integer literal is int4 when it fits, else int8, as PostgreSQL types it. */
function intLiteral(text: string): Column {
  const n = BigInt(text);
  for (const typeOid of [TYPE_OID.int4, TYPE_OID.int8]) {
    const [min, max] = INT_RANGE[typeOid]!;
    if (n >= min && n <= max) return { name: '?column?', typeOid, value: () => n.toString() };
  }
  throw unsupported(); // numeric
}

function parseSelect(p: Parser): Plan {
  const columns: Column[] = [];
  for (;;) {
    let col = parseExpr(p);
    if (p.isWord('as')) {
      p.i++;
      const a = p.peek();
      if (a?.t !== 'ident') throw sqlError('42601', 'syntax error after AS');
      p.i++;
      col = { ...col, name: a.v };
    } else {
      const a = p.peek();
      if (a?.t === 'ident' && (a.quoted || !['from', 'where', 'union', 'order', 'limit', 'group', 'into'].includes(a.v))) {
        p.i++;
        col = { ...col, name: a.v };
      }
    }
    columns.push(col);
    // pg_sleep is answered alone: `SELECT pg_sleep(1), 2` is not.
    if (columns.length > 1 && columns.some((c) => c.sleepMs)) throw unsupported();
    if (columns.length > MAX_TARGET_LIST) throw sqlError('54011', `target lists can have at most ${MAX_TARGET_LIST} entries`);
    if (!p.isOp(',')) break;
    p.i++;
  }
  if (!p.atEnd()) throw unsupported();
  const sleepMs = columns[0]?.sleepMs;
  return { kind: 'select', columns, paramTypes: p.paramTypes.map((t) => t ?? 0), ...(sleepMs ? { sleepMs } : {}) };
}

/** Words of a statement's remaining tokens (for SET values). */
function settingValue(p: Parser): string {
  const parts: string[] = [];
  while (!p.atEnd()) {
    const t = p.peek()!;
    p.i++;
    if (t.t === 'op' && t.v === ',') parts.push(', ');
    else if (t.t === 'op' && t.v === '-') parts.push('-');
    else if (t.t === 'op' && t.v === '.') parts.push('.');
    else if (t.t === 'ident' || t.t === 'num' || t.t === 'dec' || t.t === 'str') parts.push(t.v);
    else throw sqlError('42601', 'syntax error in SET');
  }
  return parts.join('').replace(/ ?, ?/g, ', ');
}

function parseName(p: Parser): string {
  const t = p.peek();
  if (t?.t !== 'ident') throw sqlError('42601', 'syntax error: a parameter name is expected');
  p.i++;
  let name = t.v;
  while (p.isOp('.')) {
    p.i++;
    const n = p.peek();
    if (n?.t !== 'ident') throw sqlError('42601', 'syntax error in parameter name');
    p.i++;
    name += '.' + n.v;
  }
  return name;
}

function parseStatement(toks: Tok[]): Plan {
  const p = new Parser(toks);
  if (p.atEnd()) return { kind: 'empty' };
  const first = p.peek()!;
  if (first.t !== 'ident' || first.quoted) throw unsupported();
  p.i++;
  const end = (plan: Plan): Plan => {
    if (!p.atEnd()) throw unsupported();
    return plan;
  };
  const skipWords = (...words: string[]) => {
    while (words.some((w) => p.isWord(w))) p.i++;
  };
  switch (first.v) {
    case 'select':
      return parseSelect(p);
    case 'show': {
      const name = parseName(p);
      return end({ kind: 'show', name });
    }
    case 'set': {
      skipWords('session', 'local');
      if (p.isWord('time') && p.toks[p.i + 1]?.t === 'ident' && (p.toks[p.i + 1] as { v: string }).v === 'zone') {
        p.i += 2;
        return { kind: 'set', name: 'TimeZone', value: settingValue(p) };
      }
      if (p.isWord('session') || p.isWord('role') || p.isWord('transaction')) throw unsupported();
      const name = parseName(p);
      if (!p.isOp('=') && !p.isWord('to')) throw sqlError('42601', `syntax error at or near "${name}"`);
      p.i++;
      if (p.isWord('default') && p.toks.length === p.i + 1) return { kind: 'reset', name };
      return { kind: 'set', name, value: settingValue(p) };
    }
    case 'reset':
      if (p.isWord('all')) {
        p.i++;
        return end({ kind: 'reset', name: null });
      }
      return end({ kind: 'reset', name: parseName(p) });
    case 'begin':
    case 'start':
      if (first.v === 'start' && !p.isWord('transaction')) throw unsupported();
      while (!p.atEnd()) p.i++; // isolation levels and modes are accepted as given
      return { kind: 'begin' };
    case 'commit':
    case 'end':
      skipWords('work', 'transaction');
      return end({ kind: 'commit' });
    case 'rollback':
    case 'abort':
      skipWords('work', 'transaction');
      return end({ kind: 'rollback' });
    case 'discard':
      if (!p.isWord('all')) throw unsupported();
      p.i++;
      return end({ kind: 'discard-all' });
    default:
      throw unsupported();
  }
}

/** Splits a simple Query's text into statements at top-level semicolons. */
function splitStatements(toks: Tok[]): Tok[][] {
  const out: Tok[][] = [[]];
  for (const t of toks) {
    if (t.t === 'op' && t.v === ';') out.push([]);
    else out[out.length - 1]!.push(t);
  }
  // Empty statements between semicolons are dropped, except a wholly empty query.
  const nonEmpty = out.filter((s) => s.length > 0);
  return nonEmpty.length ? nonEmpty : [[]];
}

/**
 * Query strings planned before, with their plans: a driver or pgbench sends
 * the same few strings on every connection, and a plan does not depend on
 * the session (rows.ts runs it with the session and parameters). Only
 * strings that planned without error, of at most PLAN_CACHE_TEXT characters,
 * PLAN_CACHE_SIZE of them (the oldest goes first), so a client cannot grow
 * it past 256 strings of 1,024 characters.
 */
const planCache = new Map<string, Plan[]>();
const PLAN_CACHE_SIZE = 256;
const PLAN_CACHE_TEXT = 1024;

/** Plans every statement of a query string (simple protocol may carry several). */
export function planQueries(sql: string): Array<Plan | WireError> {
  const known = planCache.get(sql);
  if (known) return known;
  const plans = planAll(sql);
  if (sql.length <= PLAN_CACHE_TEXT && !plans.some((p) => p instanceof WireError)) {
    if (planCache.size >= PLAN_CACHE_SIZE) planCache.delete(planCache.keys().next().value!);
    planCache.set(sql, plans as Plan[]);
  }
  return plans;
}

function planAll(sql: string): Array<Plan | WireError> {
  const toks = lex(sql);
  if (!Array.isArray(toks)) return [toks];
  return splitStatements(toks).map((s) => {
    try {
      return parseStatement(s);
    } catch (e) {
      if (e instanceof WireError) return e;
      throw e;
    }
  });
}

/** Plans one statement (extended protocol: Parse carries at most one). */
export function planQuery(sql: string): Plan | WireError {
  const plans = planQueries(sql);
  if (plans.length > 1) return sqlError('42601', 'cannot insert multiple commands into a prepared statement');
  return plans[0]!;
}

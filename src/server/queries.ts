/**
 * The few statements the test server answers (SPEC §3), for the simple and
 * the extended protocol: plan (parse) once, describe, execute with
 * parameters. Pure: a session's facts in, rows or a command tag out.
 */
import { isUtf8 } from 'node:buffer';
import { TYPE_OID } from '../protocol/index.js';
import { sqlError, type WireError } from './errors.js';

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

export const ANSWERED =
  'pgauth serve answers only SELECT <integer>, SELECT current_user, session_user, user, system_user, version(), pg_sleep(<seconds>), SHOW <parameter>, SET, RESET, BEGIN, COMMIT, ROLLBACK and DISCARD ALL';

const unsupported = (): WireError => sqlError('0A000', ANSWERED);

// ---------------------------------------------------------------- lexer

type Tok =
  | { t: 'ident'; v: string; quoted: boolean }
  | { t: 'num'; v: string }
  /** A decimal literal (1.5, 2.): numeric, answered only as pg_sleep's argument. */
  | { t: 'dec'; v: string }
  | { t: 'str'; v: string }
  | { t: 'param'; n: number }
  | { t: 'op'; v: string };

function lex(sql: string): Tok[] | WireError {
  const out: Tok[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) return sqlError('42601', 'unterminated /* comment');
      i = end + 2;
    } else if (/[0-9]/.test(c)) {
      let j = i;
      while (j < sql.length && /[0-9]/.test(sql[j]!)) j++;
      let kind: 'num' | 'dec' = 'num';
      if (sql[j] === '.') {
        kind = 'dec';
        j++;
        while (j < sql.length && /[0-9]/.test(sql[j]!)) j++;
      }
      if (/[a-zA-Z_.]/.test(sql[j] ?? '')) return unsupported();
      out.push({ t: kind, v: sql.slice(i, j) });
      i = j;
    } else if (c === "'") {
      let v = '';
      let j = i + 1;
      for (;;) {
        if (j >= sql.length) return sqlError('42601', 'unterminated quoted string');
        if (sql[j] === "'") {
          if (sql[j + 1] === "'") {
            v += "'";
            j += 2;
            continue;
          }
          break;
        }
        v += sql[j++];
      }
      out.push({ t: 'str', v });
      i = j + 1;
    } else if (c === '"') {
      const end = sql.indexOf('"', i + 1);
      if (end < 0) return sqlError('42601', 'unterminated quoted identifier');
      out.push({ t: 'ident', v: sql.slice(i + 1, end), quoted: true });
      i = end + 1;
    } else if (c === '$' && /[0-9]/.test(sql[i + 1] ?? '')) {
      let j = i + 1;
      while (j < sql.length && /[0-9]/.test(sql[j]!)) j++;
      out.push({ t: 'param', n: Number(sql.slice(i + 1, j)) });
      i = j;
    } else if (/[a-zA-Z_\u0080-\uffff]/.test(c)) {
      let j = i;
      while (j < sql.length && /[a-zA-Z0-9_$\u0080-\uffff]/.test(sql[j]!)) j++;
      out.push({ t: 'ident', v: sql.slice(i, j).toLowerCase(), quoted: false });
      i = j;
    } else if (c === ':' && sql[i + 1] === ':') {
      out.push({ t: 'op', v: '::' });
      i += 2;
    } else if ('(),;=.-*'.includes(c)) {
      out.push({ t: 'op', v: c });
      i++;
    } else {
      return unsupported();
    }
  }
  return out;
}

// ---------------------------------------------------------------- types

const TYPE_NAMES: Record<string, { oid: number; name: string }> = {
  int: { oid: TYPE_OID.int4, name: 'int4' },
  int4: { oid: TYPE_OID.int4, name: 'int4' },
  integer: { oid: TYPE_OID.int4, name: 'int4' },
  int8: { oid: TYPE_OID.int8, name: 'int8' },
  bigint: { oid: TYPE_OID.int8, name: 'int8' },
  int2: { oid: TYPE_OID.int2, name: 'int2' },
  smallint: { oid: TYPE_OID.int2, name: 'int2' },
  text: { oid: TYPE_OID.text, name: 'text' },
  varchar: { oid: TYPE_OID.varchar, name: 'varchar' },
  name: { oid: TYPE_OID.name, name: 'name' },
  bool: { oid: TYPE_OID.bool, name: 'bool' },
  boolean: { oid: TYPE_OID.bool, name: 'bool' },
};

const INT_RANGE: Record<number, [bigint, bigint, string]> = {
  [TYPE_OID.int2]: [-32768n, 32767n, 'smallint'],
  [TYPE_OID.int4]: [-2147483648n, 2147483647n, 'integer'],
  [TYPE_OID.int8]: [-9223372036854775808n, 9223372036854775807n, 'bigint'],
};

/** Converts a text value to a type's text output, as PostgreSQL's input functions would accept it. */
function castText(v: string | null, oid: number): string | null {
  if (v === null) return null;
  const range = INT_RANGE[oid];
  if (range) {
    const s = v.trim();
    if (!/^[+-]?[0-9]+$/.test(s)) throw sqlError('22P02', `invalid input syntax for type ${range[2]}: "${v}"`);
    const n = BigInt(s);
    if (n < range[0] || n > range[1]) throw sqlError('22003', `value "${v}" is out of range for type ${range[2]}`);
    return n.toString();
  }
  if (oid === TYPE_OID.bool) {
    const s = v.trim().toLowerCase();
    if (['t', 'true', 'yes', 'on', '1', 'y'].includes(s)) return 't';
    if (['f', 'false', 'no', 'off', '0', 'n'].includes(s)) return 'f';
    throw sqlError('22P02', `invalid input syntax for type boolean: "${v}"`);
  }
  if (oid === TYPE_OID.name) return Buffer.from(v).subarray(0, 63).toString();
  return v;
}

/** Binary output (format 1) of a text value of a type. */
export function binaryValue(v: string, oid: number): Buffer {
  switch (oid) {
    case TYPE_OID.int2: {
      const b = Buffer.alloc(2);
      b.writeInt16BE(Number(v));
      return b;
    }
    case TYPE_OID.int4: {
      const b = Buffer.alloc(4);
      b.writeInt32BE(Number(v));
      return b;
    }
    case TYPE_OID.int8: {
      const b = Buffer.alloc(8);
      b.writeBigInt64BE(BigInt(v));
      return b;
    }
    case TYPE_OID.bool:
      return Buffer.from([v === 't' ? 1 : 0]);
    default:
      return Buffer.from(v, 'utf8');
  }
}

/**
 * A parameter's bytes as text, checked as PostgreSQL's pg_verify_mbstr
 * checks every text parameter (client_encoding = server_encoding = UTF8):
 * a NUL byte or an invalid UTF-8 sequence is ERROR 22021 naming the bytes.
 */
export function textParam(b: Buffer): string {
  if (isUtf8(b) && !b.includes(0)) return b.toString('utf8');
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    if (c === 0) throw invalidByteSequence(b.subarray(i, i + 1));
    if (c < 0x80) {
      i++;
      continue;
    }
    // pg_utf_mblen: the length the lead byte announces (1 for a byte that cannot lead).
    const len = (c & 0xe0) === 0xc0 ? 2 : (c & 0xf0) === 0xe0 ? 3 : (c & 0xf8) === 0xf0 ? 4 : 1;
    const seq = b.subarray(i, i + len);
    if (len === 1 || seq.length < len || !isUtf8(seq)) throw invalidByteSequence(seq);
    i += len;
  }
  return b.toString('utf8');
}

function invalidByteSequence(bytes: Buffer): WireError {
  const shown = [...bytes.subarray(0, 8)].map((x) => `0x${x.toString(16).padStart(2, '0')}`).join(' ');
  return sqlError('22021', `invalid byte sequence for encoding "UTF8": ${shown}`);
}

/** Text form of a parameter sent in binary (format 1) for a known type; `n` counts from 1. */
export function paramFromBinary(b: Buffer, oid: number, n = 1): string {
  const size: Record<number, number> = { [TYPE_OID.int2]: 2, [TYPE_OID.int4]: 4, [TYPE_OID.int8]: 8, [TYPE_OID.bool]: 1, [TYPE_OID.float8]: 8 };
  const want = size[oid];
  if (want !== undefined && b.length !== want) throw sqlError('22P03', `incorrect binary data format in bind parameter ${n}`);
  switch (oid) {
    case TYPE_OID.int2:
      return String(b.readInt16BE());
    case TYPE_OID.int4:
      return String(b.readInt32BE());
    case TYPE_OID.int8:
      return b.readBigInt64BE().toString();
    case TYPE_OID.bool:
      return b[0] ? 't' : 'f';
    case TYPE_OID.float8: {
      const v = b.readDoubleBE();
      return Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : String(v);
    }
    default:
      return textParam(b);
  }
}

// ---------------------------------------------------------------- parser

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
    if (t.n < 1 || t.n > 65535) throw sqlError('42P02', `there is no parameter $${t.n}`);
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
  if (t.t === 'ident' && !t.quoted) {
    if (t.v === 'true' || t.v === 'false') return { name: 'bool', typeOid: TYPE_OID.bool, value: () => (t.v === 'true' ? 't' : 'f') };
    if (t.v === 'null') return { name: '?column?', typeOid: TYPE_OID.text, value: () => null };
    const fn = SESSION_FUNCTIONS[t.v];
    if (fn && !p.isOp('(')) return { name: t.v, ...fn };
    if (t.v === 'pg_sleep' && p.isOp('(')) return parseSleep(p);
    const call = CALLS[t.v];
    if (call && p.isOp('(')) {
      p.i++;
      if (!p.isOp(')')) throw unsupported();
      p.i++;
      return { name: t.v, ...call };
    }
    if (t.v === 'current_setting' && p.isOp('(')) {
      p.i++;
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
  }
  throw unsupported();
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

function intLiteral(text: string): Column {
  const n = BigInt(text);
  if (n >= -2147483648n && n <= 2147483647n) return { name: '?column?', typeOid: TYPE_OID.int4, value: () => n.toString() };
  if (n >= -9223372036854775808n && n <= 9223372036854775807n) return { name: '?column?', typeOid: TYPE_OID.int8, value: () => n.toString() };
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

/** Plans every statement of a query string (simple protocol may carry several). */
export function planQueries(sql: string): Array<Plan | WireError> {
  const toks = lex(sql);
  if (!Array.isArray(toks)) return [toks];
  return splitStatements(toks).map((s) => {
    try {
      return parseStatement(s);
    } catch (e) {
      if (e instanceof Error && e.name === 'WireError') return e as WireError;
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

// ---------------------------------------------------------------- settings

/** Case-insensitive look-up, as PostgreSQL's GUC names are. */
export function lookupSetting(settings: Map<string, string>, name: string): string | undefined {
  const direct = settings.get(name);
  if (direct !== undefined) return direct;
  const lower = name.toLowerCase();
  for (const [k, v] of settings) if (k.toLowerCase() === lower) return v;
  if (lower === 'server_version_num') {
    const [major, minor] = (settings.get('server_version') ?? '16.0').split('.');
    return String(Number(major) * 10000 + Number(minor ?? 0));
  }
  return STATIC_SETTINGS[lower];
}

/** Settings SHOW answers that are the same for every session (not reported). */
const STATIC_SETTINGS: Record<string, string> = {
  transaction_isolation: 'read committed',
  default_transaction_isolation: 'read committed',
  transaction_read_only: 'off',
  max_identifier_length: '63',
  search_path: '"$user", public',
  lc_collate: 'C',
  lc_ctype: 'C',
  password_encryption: 'scram-sha-256',
  ssl: 'off',
};

/** The stored spelling of a setting name (DateStyle, TimeZone...), or the name as given. */
export function settingKey(settings: Map<string, string>, name: string): string {
  const lower = name.toLowerCase();
  for (const k of settings.keys()) if (k.toLowerCase() === lower) return k;
  return lower;
}

const SHOW_ALL_COLUMNS = [
  { name: 'name', typeOid: TYPE_OID.text },
  { name: 'setting', typeOid: TYPE_OID.text },
  { name: 'description', typeOid: TYPE_OID.text },
];

/** SHOW's column is named like the parameter (PostgreSQL uses the GUC's own spelling, e.g. DateStyle). */
function showColumn(settings: Map<string, string>, name: string): string {
  const lower = name.toLowerCase();
  for (const k of settings.keys()) if (k.toLowerCase() === lower) return k;
  return lower;
}

// ---------------------------------------------------------------- execution

export interface Rows {
  columns: Array<{ name: string; typeOid: number }>;
  rows: Array<Array<string | null>>;
  tag: string;
}

/** Columns a plan returns (RowDescription), or null for NoData. */
export function describePlan(plan: Plan, settings: Map<string, string>): Array<{ name: string; typeOid: number }> | null {
  if (plan.kind === 'select') return plan.columns.map((c) => ({ name: c.name, typeOid: c.typeOid }));
  if (plan.kind === 'show' && plan.name === 'all') return SHOW_ALL_COLUMNS;
  if (plan.kind === 'show') return [{ name: showColumn(settings, plan.name), typeOid: TYPE_OID.text }];
  return null;
}

/** Runs a SELECT or SHOW (the commands that change session state are applied by the session). */
export function runPlan(plan: Plan, params: Array<string | null>, s: SessionView): Rows {
  if (plan.kind === 'select') {
    const row = plan.columns.map((c) => c.value(params, s));
    return { columns: plan.columns.map((c) => ({ name: c.name, typeOid: c.typeOid })), rows: [row], tag: 'SELECT 1' };
  }
  if (plan.kind === 'show' && plan.name === 'all') {
    const all = new Map<string, string>(Object.entries(STATIC_SETTINGS));
    for (const [k, v] of s.settings) all.set(k, v);
    const sorted = [...all].sort(([a], [b]) => a.toLowerCase().localeCompare(b.toLowerCase()));
    return { columns: SHOW_ALL_COLUMNS, rows: sorted.map(([k, v]) => [k, v, '']), tag: 'SHOW' };
  }
  if (plan.kind === 'show') {
    const v = lookupSetting(s.settings, plan.name);
    if (v === undefined) throw sqlError('42704', `unrecognized configuration parameter "${plan.name}"`);
    return { columns: [{ name: showColumn(s.settings, plan.name), typeOid: TYPE_OID.text }], rows: [[v]], tag: 'SHOW' };
  }
  throw new Error(`runPlan: ${plan.kind} is a command`);
}

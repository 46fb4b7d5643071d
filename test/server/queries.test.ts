/** The statements the server answers, planned and run without a socket. */
import { describe, expect, it } from 'vitest';
import { TYPE_OID } from '../../src/protocol/index.js';
import { WireError } from '../../src/server/errors.js';
import { ANSWERED_NAMES, planQueries, planQuery, type Plan, type SessionView } from '../../src/server/sql/parser.js';
import { ANSWERED } from '../../src/server/sql/lexer.js';
import { describePlan, runPlan } from '../../src/server/sql/rows.js';

const view: SessionView = {
  user: 'alice',
  sessionUser: 'alice',
  database: 'appdb',
  systemUser: 'scram-sha-256:alice',
  processId: 4242,
  settings: new Map([
    ['server_version', '16.0'],
    ['DateStyle', 'ISO, MDY'],
    ['application_name', 'psql'],
  ]),
  versionString: 'PostgreSQL 16.0 (pgauth serve test server, not a database)',
};

const plan = (sql: string): Plan => {
  const p = planQuery(sql);
  if (p instanceof WireError) throw p;
  return p;
};
const rows = (sql: string, params: Array<string | null> = []) => runPlan(plan(sql), params, view);

describe('queries', () => {
  it('SELECT <integer> with PostgreSQL column names and types', () => {
    expect(rows('SELECT 1')).toEqual({ columns: [{ name: '?column?', typeOid: TYPE_OID.int4 }], rows: [['1']], tag: 'SELECT 1' });
    expect(rows('select -7 as n;')).toMatchObject({ columns: [{ name: 'n', typeOid: TYPE_OID.int4 }], rows: [['-7']] });
    expect(rows('SELECT 9999999999')).toMatchObject({ columns: [{ typeOid: TYPE_OID.int8 }], rows: [['9999999999']] });
  });
  it('session functions and version()', () => {
    expect(rows('SELECT current_user, session_user, user, system_user, version()')).toEqual({
      columns: [
        { name: 'current_user', typeOid: TYPE_OID.name },
        { name: 'session_user', typeOid: TYPE_OID.name },
        { name: 'user', typeOid: TYPE_OID.name },
        { name: 'system_user', typeOid: TYPE_OID.text },
        { name: 'version', typeOid: TYPE_OID.text },
      ],
      rows: [['alice', 'alice', 'alice', 'scram-sha-256:alice', view.versionString]],
      tag: 'SELECT 1',
    });
  });
  it('parameters with casts, as node-postgres sends them', () => {
    const p = plan('SELECT $1::int AS n, $2::text, $3');
    expect(p.kind === 'select' && p.paramTypes).toEqual([TYPE_OID.int4, TYPE_OID.text, 0]);
    expect(runPlan(p, ['42', 'x', null], view).rows).toEqual([['42', 'x', null]]);
    expect(() => runPlan(p, ['abc', 'x', null], view)).toThrow('invalid input syntax for type integer: "abc"');
    expect(() => runPlan(plan('SELECT $1::int2'), ['70000'], view)).toThrow('value "70000" is out of range for type smallint');
  });
  it('pg_sleep(seconds): one void column, the wait in milliseconds, float8 input rules', () => {
    const sleepOf = (sql: string, params: Array<string | null> = []) => {
      const p = plan(sql);
      if (p.kind !== 'select' || !p.sleepMs) throw new Error(`${sql}: not a pg_sleep plan`);
      return { ms: p.sleepMs(params, view), rows: runPlan(p, params, view), paramTypes: p.paramTypes };
    };
    expect(sleepOf('SELECT pg_sleep(30)')).toEqual({
      ms: 30_000,
      rows: { columns: [{ name: 'pg_sleep', typeOid: TYPE_OID.void }], rows: [['']], tag: 'SELECT 1' },
      paramTypes: [],
    });
    expect(sleepOf('select pg_sleep(0.25) as nap').ms).toBe(250);
    expect(sleepOf("SELECT pg_sleep('1.5')").ms).toBe(1500);
    expect(sleepOf('SELECT pg_sleep(-0.5)').ms).toBe(0);
    expect(sleepOf("SELECT pg_sleep('NaN')").ms).toBe(0);
    expect(sleepOf("SELECT pg_sleep('infinity')").ms).toBe(Infinity);
    // A parameter is float8 (701), as PostgreSQL infers it; NULL returns NULL at once (pg_sleep is strict).
    expect(sleepOf('SELECT pg_sleep($1)', ['2'])).toMatchObject({ ms: 2000, paramTypes: [TYPE_OID.float8] });
    expect(sleepOf('SELECT pg_sleep($1)', [null])).toMatchObject({ ms: 0, rows: { rows: [[null]] } });
    expect(() => sleepOf("SELECT pg_sleep('soon')")).toThrow('invalid input syntax for type double precision: "soon"');
    // Answered alone only; decimals elsewhere stay unanswered (numeric).
    for (const sql of ['SELECT pg_sleep(1), 2', 'SELECT 1.5', 'SELECT pg_sleep(1.2.3)']) {
      expect((planQuery(sql) as WireError).sqlstate, sql).toBe('0A000');
    }
  });
  it('SHOW reported and fixed parameters, case-insensitively', () => {
    expect(rows('SHOW datestyle')).toEqual({ columns: [{ name: 'DateStyle', typeOid: TYPE_OID.text }], rows: [['ISO, MDY']], tag: 'SHOW' });
    expect(rows('SHOW server_version_num').rows).toEqual([['160000']]);
    expect(() => rows('SHOW no_such_thing')).toThrow('unrecognized configuration parameter "no_such_thing"');
    expect(describePlan(plan('SHOW application_name'), view.settings)).toEqual([{ name: 'application_name', typeOid: TYPE_OID.text }]);
  });
  it('commands', () => {
    expect(plan("SET application_name = 'x'")).toEqual({ kind: 'set', name: 'application_name', value: 'x' });
    // unquoted words are folded to lower case by the parser, as PostgreSQL does
    expect(plan('SET SESSION search_path TO MySchema, public')).toEqual({ kind: 'set', name: 'search_path', value: 'myschema, public' });
    expect(plan("SET DateStyle = 'ISO, DMY'")).toEqual({ kind: 'set', name: 'datestyle', value: 'ISO, DMY' });
    expect(plan("SET TIME ZONE 'Europe/Paris'")).toEqual({ kind: 'set', name: 'TimeZone', value: 'Europe/Paris' });
    expect(plan('RESET ALL')).toEqual({ kind: 'reset', name: null });
    expect(plan('begin isolation level serializable')).toEqual({ kind: 'begin' });
    expect(plan('START TRANSACTION')).toEqual({ kind: 'begin' });
    expect(plan('COMMIT WORK')).toEqual({ kind: 'commit' });
    expect(plan('end')).toEqual({ kind: 'commit' });
    expect(plan('ABORT')).toEqual({ kind: 'rollback' });
    expect(plan('DISCARD ALL')).toEqual({ kind: 'discard-all' });
    expect(plan('  -- nothing\n ')).toEqual({ kind: 'empty' });
    expect(describePlan(plan('BEGIN'), view.settings)).toBeNull();
  });
  it('several statements in one simple Query', () => {
    expect(planQueries('SELECT 1; SELECT 2;').map((p) => (p as Plan).kind)).toEqual(['select', 'select']);
    expect(planQuery('SELECT 1; SELECT 2')).toMatchObject({ sqlstate: '42601' });
  });
  it('a query string planned before is not planned again; one that failed to plan is, every time', () => {
    const sql = "SELECT 1 AS cached, 'x'";
    const first = planQueries(sql);
    expect(planQueries(sql)).toBe(first);
    expect(runPlan(first[0] as Plan, [], view).rows).toEqual([['1', 'x']]);
    const bad = 'SELECT * FROM pg_class';
    const e1 = planQueries(bad);
    expect(e1[0]).toBeInstanceOf(WireError);
    expect(planQueries(bad)).not.toBe(e1);
    // Long strings are planned afresh too (the cache holds only short ones).
    const long = `SELECT ${'1'.padStart(2000, ' ')}`;
    expect(planQueries(long)).not.toBe(planQueries(long));
  });
  it('the 0A000 list names every function SELECT answers (current_database() was missing)', () => {
    expect(ANSWERED_NAMES).toContain('current_database()');
    for (const name of ANSWERED_NAMES) {
      expect(ANSWERED, name).toMatch(new RegExp(`[ (,]${name.replace(/[()]/g, '\\$&')}[,;) ]`));
      expect(planQuery(`SELECT ${name}`), name).toMatchObject({ kind: 'select' });
    }
  });
  it('anything else is 0A000 naming what is answered', () => {
    for (const sql of ['SELECT * FROM pg_class', 'INSERT INTO t VALUES (1)', 'SELECT 1.5', 'SELECT now()', 'CREATE TABLE t()', 'SELECT 1 + 1', "SELECT 'a' || 'b'"]) {
      const p = planQuery(sql);
      expect(p, sql).toBeInstanceOf(WireError);
      expect((p as WireError).sqlstate).toBe('0A000');
      expect((p as WireError).message).toContain('pgauth serve answers only SELECT of literals');
    }
  });
});

describe('queries, edge cases', () => {
  it('SHOW ALL lists every setting; $n without a Bind is 42P02', () => {
    const all = runPlan(plan('SHOW ALL'), [], view);
    expect(all.columns.map((c) => c.name)).toEqual(['name', 'setting', 'description']);
    expect(all.rows.map((r) => r[0])).toContain('DateStyle');
    expect(() => runPlan(plan('SELECT $1::int'), [], view)).toThrow('there is no parameter $1');
  });
  // Regression: deep nesting overflowed the parser's stack and 40000 columns overflowed the
  // RowDescription count; both ended the session with FATAL XX000 instead of an ERROR.
  it('deep nesting and huge target lists are ERRORs, as in PostgreSQL', () => {
    const deep = planQuery('SELECT ' + '('.repeat(200_000) + '1' + ')'.repeat(200_000));
    expect(deep).toBeInstanceOf(WireError);
    expect(deep).toMatchObject({ severity: 'ERROR', sqlstate: '0A000' });
    expect(rows('SELECT ' + '('.repeat(50) + '1' + ')'.repeat(50))).toMatchObject({ rows: [['1']] });
    const wide = planQuery('SELECT ' + Array(40_000).fill('1').join(','));
    expect(wide).toMatchObject({ severity: 'ERROR', sqlstate: '54011', message: 'target lists can have at most 1664 entries' });
    expect(rows('SELECT ' + Array(1664).fill('1').join(',')).columns).toHaveLength(1664);
  });
});

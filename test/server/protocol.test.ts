/**
 * Protocol versions and CancelRequest, byte for byte as real PostgreSQL 18.4
 * and 17.10 (from the matrix, test/helpers/versions.ts) sent them to a raw
 * client (trust, so the login runs to ReadyForQuery). The observed bytes
 * are written out in protocol-observed.ts with an independent builder (and
 * checked against the real servers by protocol-pg18/pg17.test.ts); `pgauth
 * serve --server-version 18.0` and `17.0` must send the same, up to the
 * ParameterStatus set and the random key (compared by length).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serializeFrontend } from '../../src/protocol/index.js';
import { i16, i32, msg, str } from '../protocol/bytes.js';
import { tempDir } from '../helpers/tmp.js';
import { CANCELED, PG_SLEEP_ROW_DESCRIPTION, READY, login, observed, preV3Error, startup } from './protocol-observed.js';
import { writeRoles } from './roles.js';
import { startServe, type Served } from '../helpers/serve.js';
import { RawClient, exchangeBytes, splitMessages } from './wire.js';

const tmp = tempDir('pgauth-serve-protocol-');
const rolesPath = writeRoles(tmp.path);
afterAll(() => tmp.remove());

describe('pgauth serve: protocol versions and CancelRequest, as PostgreSQL 18 and 17', () => {
  const served: Record<number, Served> = {};
  beforeAll(async () => {
    const [s18, s17] = await Promise.all([
      startServe(['--auth', 'trust', '--roles', rolesPath]), // the default --server-version is 18.0
      startServe(['--auth', 'trust', '--roles', rolesPath, '--server-version', '17.0']),
    ]);
    served[18] = s18;
    served[17] = s17;
  });
  afterAll(async () => {
    await Promise.all(Object.values(served).map((s) => s.stop()));
  });

  for (const version of [18, 17] as const) {
    for (const o of observed('alice', 'd')[version]) {
      it(`${version}: a StartupMessage for ${o.what} is answered as PostgreSQL ${version} does`, async () => {
        const got = await login(served[version]!.port, o.bytes);
        expect(got.before.toString('hex')).toBe(o.before.toString('hex'));
        expect(got.keyBytes).toBe(o.keyBytes);
        expect(got.types).toBe(`${o.before.length ? 'v' : ''}RKZ`);
      });
    }

    it(`${version}: protocol 2.0 and 4.0 are refused with the version range of ${version}`, async () => {
      const range = version === 18 ? '3.0 to 3.2' : '3.0 to 3.0';
      // Observed: 45 "FATAL:  unsupported frontend protocol 2.0: server supports 3.0 to 3.2\n" 00, then the close.
      expect((await exchangeBytes(served[version]!.port, startup(2, 0))).toString('hex')).toBe(
        preV3Error(`unsupported frontend protocol 2.0: server supports ${range}`).toString('hex'),
      );
      // Observed: a v3 ErrorResponse (S V C M, and F L R) for a major above 3.
      const four = splitMessages(await exchangeBytes(served[version]!.port, startup(4, 0)));
      expect(four.map((m) => m.bytes.toString('hex'))).toEqual([
        msg('E', str('SFATAL'), str('VFATAL'), str('C0A000'), str(`Munsupported frontend protocol 4.0: server supports ${range}`), [0]).toString('hex'),
      ]);
    });
  }

  it('reports search_path from 18 on, as PostgreSQL 18 does (GUC_REPORT), and scram_iterations on both', async () => {
    const names = async (version: 18 | 17) =>
      splitMessages(await exchangeBytes(served[version]!.port, startup(3, 0)))
        .filter((m) => m.type === 'S')
        .map((m) => m.bytes.subarray(5, m.bytes.indexOf(0, 5)).toString())
        .sort();
    const common = ['DateStyle', 'IntervalStyle', 'TimeZone', 'application_name', 'client_encoding', 'default_transaction_read_only', 'in_hot_standby',
      'integer_datetimes', 'is_superuser', 'scram_iterations', 'server_encoding', 'server_version', 'session_authorization', 'standard_conforming_strings'];
    // Observed: 18.4 sent these 15 (search_path = "$user", public), 17.10 the same without search_path.
    expect(await names(18)).toEqual([...common, 'search_path'].sort());
    expect(await names(17)).toEqual([...common].sort());
  });

  it('18: pg_sleep answers as PostgreSQL: RowDescription of type void, one empty value, SELECT 1', async () => {
    const bytes = await exchangeBytes(served[18]!.port, Buffer.concat([startup(3, 2), serializeFrontend({ type: 'Query', sql: 'SELECT pg_sleep(0.05)' })]), 2);
    const afterLogin = bytes.subarray(bytes.indexOf(READY) + READY.length);
    expect(afterLogin.toString('hex')).toBe(
      Buffer.concat([PG_SLEEP_ROW_DESCRIPTION, msg('D', i16(1), i32(0)), msg('C', str('SELECT 1')), READY]).toString('hex'),
    );
  });

  /** Logs in with protocol 3.minor, starts `SELECT pg_sleep(30)` and waits until serve's log says it runs. */
  async function sleeping(s: Served, minor: number): Promise<{ c: RawClient; pid: number; key: Buffer }> {
    const c = await RawClient.connect(s.port);
    c.startup('alice', [['database', 'd']], minor);
    const k = await c.until('BackendKeyData');
    await c.until('ReadyForQuery');
    const from = s.lines.length;
    c.write({ type: 'Query', sql: 'SELECT pg_sleep(30)' });
    await s.waitForLine((l) => l.event === 'sleep' && l.state === 'started' && l.pid === k.processId, 'the sleep to start', from);
    return { c, pid: k.processId, key: k.secretKey };
  }

  async function cancel(s: Served, pid: number, key: Buffer): Promise<Record<string, unknown>> {
    const from = s.lines.length;
    const c = await RawClient.connect(s.port);
    c.write({ type: 'CancelRequest', processId: pid, secretKey: key });
    // Nothing is ever answered to a CancelRequest: the server only closes.
    expect((await c.drain()).map((e) => e.type)).toEqual(['close']);
    return s.waitForLine((l) => l.event === 'attempt' && (l.result === 'cancel' || l.result === 'protocol-error'), 'the cancel line', from);
  }

  it('18: a 3.2 session is cancelled with its 32-byte key only; wrong keys and lengths are logged as PostgreSQL 18 logs them', async () => {
    const s = served[18]!;
    const { c, pid, key } = await sleeping(s, 2);
    expect(key.length).toBe(32);
    expect((await cancel(s, pid, key.subarray(0, 4))).detail).toBe(`wrong key in cancel request for process ${pid}`);
    expect((await cancel(s, pid, Buffer.concat([key, Buffer.from([0])]))).detail).toBe(`wrong key in cancel request for process ${pid}`);
    expect((await cancel(s, pid, Buffer.alloc(0))).detail).toBe('invalid length of cancel key in cancel request packet');
    expect((await cancel(s, pid, Buffer.alloc(257))).detail).toBe('invalid length of cancel key in cancel request packet');
    expect((await cancel(s, 1, key)).detail).toBe('PID 1 in cancel request did not match any process');
    const bytesFrom = c.received.length;
    expect((await cancel(s, pid, key)).detail).toBe(`cancel request for process ${pid}: statement canceled`);
    expect(await c.until('ReadyForQuery')).toEqual({ type: 'ReadyForQuery', status: 'I' });
    // Observed on 18 and 17: RowDescription, then the 57014 error, then ReadyForQuery.
    expect(Buffer.concat(c.received.slice(bytesFrom)).toString('hex')).toBe(Buffer.concat([PG_SLEEP_ROW_DESCRIPTION, CANCELED, READY]).toString('hex'));
    await s.waitForLine((l) => l.event === 'sleep' && l.pid === pid && l.state === 'canceled', 'the sleep to be canceled');
    c.write({ type: 'Query', sql: 'SELECT 1' });
    expect((await c.until('DataRow')).values).toEqual([Buffer.from('1')]);
    c.end();
  });

  it('a cancelled pg_sleep in a multi-statement Query ends the Query there; in a transaction block it aborts the block', async () => {
    const s = served[18]!;
    const c = await RawClient.connect(s.port);
    c.startup('alice', [], 2);
    const k = await c.until('BackendKeyData');
    await c.until('ReadyForQuery');
    const run = async (sql: string) => {
      const from = s.lines.length;
      c.write({ type: 'Query', sql });
      await s.waitForLine((l) => l.event === 'sleep' && l.state === 'started', 'the sleep to start', from);
      await cancel(s, k.processId, k.secretKey);
      const seen: string[] = [];
      for (let e = await c.next(); ; e = await c.next()) {
        seen.push(e.type === 'ErrorResponse' ? `E ${e.fields.code}` : e.type === 'ReadyForQuery' ? `Z ${e.status}` : e.type === 'CommandComplete' ? e.tag : e.type);
        if (e.type === 'ReadyForQuery') return seen;
      }
    };
    // Both sequences are what a real PostgreSQL 18.4 sent for the same queries: SELECT 2 never runs.
    expect(await run('SELECT 1; SELECT pg_sleep(30); SELECT 2')).toEqual(['RowDescription', 'DataRow', 'SELECT 1', 'RowDescription', 'E 57014', 'Z I']);
    expect(await run('BEGIN; SELECT pg_sleep(30)')).toEqual(['BEGIN', 'RowDescription', 'E 57014', 'Z E']);
    c.write({ type: 'Query', sql: 'ROLLBACK' });
    expect(await c.until('ReadyForQuery')).toEqual({ type: 'ReadyForQuery', status: 'I' });
    c.end();
  });

  it('18: a 3.0 session has a 4-byte key and is cancelled with it', async () => {
    const s = served[18]!;
    const { c, pid, key } = await sleeping(s, 0);
    expect(key.length).toBe(4);
    expect((await cancel(s, pid, key)).detail).toBe(`cancel request for process ${pid}: statement canceled`);
    expect((await c.until('ErrorResponse')).fields).toMatchObject({ code: '57014', message: 'canceling statement due to user request' });
    c.end();
  });

  it('17: only the 16-byte CancelRequest is read; any other length is "invalid length of startup packet"', async () => {
    const s = served[17]!;
    const { c, pid, key } = await sleeping(s, 2);
    expect(key.length).toBe(4);
    expect((await cancel(s, pid, Buffer.concat([key, Buffer.alloc(28)]))).detail).toBe('invalid length of startup packet');
    expect((await cancel(s, pid, key)).detail).toBe(`cancel request for process ${pid}: statement canceled`);
    expect((await c.until('ErrorResponse')).fields).toMatchObject({ code: '57014' });
    c.end();
  });

  it('18: the extended protocol: pg_sleep($1) is cancelled at Execute, the rest is skipped until Sync, and the session goes on', async () => {
    const s = served[18]!;
    const c = await RawClient.connect(s.port);
    c.startup('alice', [], 2);
    const k = await c.until('BackendKeyData');
    await c.until('ReadyForQuery');
    const from = s.lines.length;
    c.write(
      serializeFrontend(
        { type: 'Parse', name: '', sql: 'SELECT pg_sleep($1)', paramTypes: [] },
        { type: 'Describe', kind: 'S', name: '' },
        { type: 'Bind', portal: '', statement: '', paramFormats: [], params: [Buffer.from('30')], resultFormats: [] },
        { type: 'Execute', portal: '', maxRows: 0 },
        { type: 'Execute', portal: 'nonexistent', maxRows: 0 },
        { type: 'Sync' },
      ),
    );
    // Parameter $1 is float8 (701), as PostgreSQL infers it for pg_sleep.
    expect((await c.until('ParameterDescription')).typeOids).toEqual([701]);
    expect((await c.until('RowDescription')).fields[0]).toMatchObject({ name: 'pg_sleep', typeOid: 2278, typeSize: 4 });
    await s.waitForLine((l) => l.event === 'sleep' && l.state === 'started' && l.pid === k.processId, 'the sleep to start', from);
    expect((await cancel(s, k.processId, k.secretKey)).detail).toBe(`cancel request for process ${k.processId}: statement canceled`);
    const after: string[] = [];
    for (let e = await c.next(); e.type !== 'ReadyForQuery'; e = await c.next()) after.push(e.type === 'ErrorResponse' ? `E ${e.fields.code}` : e.type);
    // BindComplete, then the 57014 error; the second Execute is skipped (no 34000), ReadyForQuery after Sync.
    expect(after).toEqual(['BindComplete', 'E 57014']);
    c.write(
      serializeFrontend(
        { type: 'Parse', name: '', sql: 'SELECT pg_sleep($1)', paramTypes: [] },
        { type: 'Bind', portal: '', statement: '', paramFormats: [1], params: [Buffer.from([0x3f, 0xa9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a])], resultFormats: [] },
        { type: 'Execute', portal: '', maxRows: 0 },
        { type: 'Sync' },
      ),
    );
    // 0.05 s as a binary float8 runs to the end: one empty value, SELECT 1.
    expect((await c.until('DataRow')).values).toEqual([Buffer.alloc(0)]);
    expect((await c.until('CommandComplete')).tag).toBe('SELECT 1');
    c.end();
  });

  it('a sleep ends when its client leaves, and other sessions are served meanwhile', async () => {
    const s = served[18]!;
    const { c, pid } = await sleeping(s, 2);
    const other = await RawClient.connect(s.port);
    other.startup('alice');
    await other.until('ReadyForQuery');
    other.write({ type: 'Query', sql: 'SELECT pg_sleep(0)' });
    expect((await other.until('CommandComplete')).tag).toBe('SELECT 1');
    other.end();
    c.end();
    await s.waitForLine((l) => l.event === 'sleep' && l.pid === pid && l.state === 'abandoned', 'the sleep to be abandoned');
  });
});

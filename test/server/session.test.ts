/** The session state machine without sockets: bytes in, messages and signals out. */
import { describe, expect, it } from 'vitest';
import { Framer, parseBackend, serializeFrontend, type BackendMessage } from '../../src/protocol/index.js';
import { buildScramSecret } from '../../src/secrets/index.js';
import { createScramClient } from '../../src/scram/index.js';
import { CancelRegistry } from '../../src/server/cancel.js';
import type { AttemptLog, ServerContext, SleepLog } from '../../src/server/context.js';
import { constantSelector } from '../../src/server/index.js';
import { Session, type SessionIO } from '../../src/server/session.js';
import type { ServerAuthMethod } from '../../src/hba/decision.js';

function harness(method: ServerAuthMethod, opts: { tls?: boolean } = {}) {
  const logs: Array<AttemptLog | SleepLog> = [];
  const ctx: ServerContext = {
    settings: { authTimeoutMs: 60_000, authDelayMs: 0, maxConnections: 10, serverVersion: '16.0', iterations: 4096, pamService: 'postgresql', pamConfdir: undefined },
    roles: new Map([['alice', { name: 'alice', secret: buildScramSecret('pencil', { salt: Buffer.alloc(16, 7) }), attrs: {}, line: 1 }]]),
    selector: constantSelector(method, false),
    tlsEnabled: opts.tls ?? false,
    channelBinding: opts.tls ? Buffer.alloc(32, 1) : null,
    haveClientCa: false,
    mockNonce: Buffer.alloc(32, 9),
    admitted: 0,
    perRole: new Map(),
    nextProcessId: 1000,
    cancelTargets: new CancelRegistry(),
    log: (e) => logs.push(e),
  };
  const out: Buffer[] = [];
  const signals: string[] = [];
  const io: SessionIO = { write: (d) => out.push(d), startTls: () => signals.push('startTls'), close: () => signals.push('close') };
  const session = new Session(ctx, io, { transport: 'tcp', remoteAddress: '127.0.0.1', remotePort: 5555 });
  const framer = new Framer();
  const read = (): BackendMessage[] => {
    const msgs: BackendMessage[] = [];
    for (const b of out.splice(0)) framer.push(b);
    for (let f = framer.next(); f; f = framer.next()) msgs.push(parseBackend(f.code!, f.body));
    return msgs;
  };
  return { ctx, session, out, signals, logs, read };
}

describe('Session (no sockets)', () => {
  it('trust: AuthenticationOk, the ParameterStatus set, BackendKeyData, ReadyForQuery; then a query', () => {
    const h = harness('trust');
    h.session.receive(serializeFrontend({ type: 'StartupMessage', major: 3, minor: 0, parameters: [['user', 'alice'], ['application_name', 'unit']] }));
    const msgs = h.read();
    expect(msgs[0]).toEqual({ type: 'AuthenticationOk' });
    const params = msgs.filter((m) => m.type === 'ParameterStatus').map((m) => (m as { name: string }).name);
    expect(params).toEqual([
      'application_name', 'client_encoding', 'DateStyle', 'default_transaction_read_only', 'in_hot_standby', 'integer_datetimes', 'IntervalStyle',
      'is_superuser', 'scram_iterations', 'server_encoding', 'server_version', 'session_authorization', 'standard_conforming_strings', 'TimeZone',
    ]);
    expect(msgs.find((m) => m.type === 'ParameterStatus' && m.name === 'application_name')).toMatchObject({ value: 'unit' });
    expect(msgs.at(-2)).toMatchObject({ type: 'BackendKeyData', processId: 1000 });
    expect(msgs.at(-1)).toEqual({ type: 'ReadyForQuery', status: 'I' });
    expect(h.logs).toMatchObject([{ result: 'ok', user: 'alice', database: 'alice', method: 'trust', peer: '127.0.0.1:5555' }]);

    // Byte by byte: the framer inside the session survives any chunking.
    const q = serializeFrontend({ type: 'Query', sql: 'SELECT 1' });
    for (const b of q) h.session.receive(Buffer.from([b]));
    expect(h.read().map((m) => m.type)).toEqual(['RowDescription', 'DataRow', 'CommandComplete', 'ReadyForQuery']);
    h.session.receive(serializeFrontend({ type: 'Terminate' }));
    expect(h.signals).toEqual(['close']);
  });

  it('scram-sha-256: a full exchange from pipelined bytes, with SASLFinal and AuthenticationOk together', () => {
    const h = harness('scram-sha-256', { tls: false });
    const client = createScramClient({ password: 'pencil', channelBinding: { mode: 'none' }, nonce: 'clientnonce' });
    h.session.receive(serializeFrontend({ type: 'StartupMessage', major: 3, minor: 0, parameters: [['user', 'alice']] }));
    expect(h.read()).toEqual([{ type: 'AuthenticationSASL', mechanisms: ['SCRAM-SHA-256'] }]);
    h.session.receive(serializeFrontend({ type: 'SASLInitialResponse', mechanism: 'SCRAM-SHA-256', data: Buffer.from(client.clientFirstMessage()) }));
    const [cont] = h.read();
    expect(cont).toMatchObject({ type: 'AuthenticationSASLContinue' });
    const serverFirst = (cont as { data: Buffer }).data.toString();
    expect(serverFirst).toMatch(new RegExp(`^r=clientnonce[^,]+,s=${Buffer.alloc(16, 7).toString('base64').replace(/[+/]/g, '\\$&')},i=4096$`));
    h.session.receive(serializeFrontend({ type: 'SASLResponse', data: Buffer.from(client.handleServerFirst(serverFirst)) }));
    const msgs = h.read();
    expect(msgs.slice(0, 2).map((m) => m.type)).toEqual(['AuthenticationSASLFinal', 'AuthenticationOk']);
    client.verifyServerFinal((msgs[0] as { data: Buffer }).data.toString());
    expect(h.logs.at(-1)).toMatchObject({ result: 'ok', mechanism: 'SCRAM-SHA-256' });
  });

  it('SSLRequest with TLS configured: S, then the startTls signal; pipelined bytes are refused', () => {
    const h = harness('trust', { tls: true });
    h.session.receive(serializeFrontend({ type: 'SSLRequest' }));
    expect(Buffer.concat(h.out.splice(0)).toString()).toBe('S');
    expect(h.signals).toEqual(['startTls']);
    const p = harness('trust', { tls: true });
    p.session.receive(Buffer.concat([serializeFrontend({ type: 'SSLRequest' }), serializeFrontend({ type: 'StartupMessage', major: 3, minor: 0, parameters: [['user', 'alice']] })]));
    const bytes = Buffer.concat(p.out.splice(0));
    expect(bytes.subarray(0, 1).toString()).toBe('S');
    expect(parseBackend(bytes[1]!, bytes.subarray(6))).toMatchObject({ type: 'ErrorResponse', fields: { code: '08P01' } });
    expect(p.signals).toEqual(['close']);
  });

  // PostgreSQL refuses bytes sent before its answer to SSLRequest/GSSENCRequest whichever the answer (checked against PG 15).
  it("without TLS: N to SSLRequest and GSSENCRequest, and pipelined bytes after either are refused", () => {
    const startup = serializeFrontend({ type: 'StartupMessage', major: 3, minor: 0, parameters: [['user', 'alice']] });
    for (const [request, what] of [['SSLRequest', 'SSL request'], ['GSSENCRequest', 'GSSAPI encryption request']] as const) {
      const h = harness('trust');
      h.session.receive(Buffer.concat([serializeFrontend({ type: request }), startup]));
      const bytes = Buffer.concat(h.out.splice(0));
      expect(bytes.subarray(0, 1).toString()).toBe('N');
      expect(parseBackend(bytes[1]!, bytes.subarray(6))).toMatchObject({
        type: 'ErrorResponse',
        fields: { severity: 'FATAL', code: '08P01', message: `received unencrypted data after ${what}` },
      });
      expect(h.signals).toEqual(['close']);
      // waiting for the answer is fine
      const ok = harness('trust');
      ok.session.receive(serializeFrontend({ type: request }));
      expect(Buffer.concat(ok.out.splice(0)).toString()).toBe('N');
      ok.session.receive(startup);
      expect(ok.read().at(-1)).toEqual({ type: 'ReadyForQuery', status: 'I' });
    }
  });

  const loggedIn = () => {
    const h = harness('trust');
    h.session.receive(serializeFrontend({ type: 'StartupMessage', major: 3, minor: 0, parameters: [['user', 'alice']] }));
    h.read();
    return h;
  };

  // Regression: a NUL in a Bind parameter went into the error message, the shared output writer
  // threw half-way through it and the next write crashed the whole server.
  it('a Bind parameter with a NUL or invalid UTF-8 is ERROR 22021 as in PostgreSQL; this and other sessions go on', () => {
    const h = loggedIn();
    const cases: Array<[Buffer, number, string]> = [
      [Buffer.from('a\0b'), 0, '0x00'],
      [Buffer.from([0x61, 0xc3, 0x28]), 0, '0xc3 0x28'],
      [Buffer.from([0xe2, 0x82]), 1, '0xe2 0x82'],
      [Buffer.from([0xff]), 0, '0xff'],
    ];
    for (const [param, format, shown] of cases) {
      h.session.receive(
        serializeFrontend(
          { type: 'Parse', name: '', sql: format ? 'SELECT $1::text' : 'SELECT $1::int', paramTypes: [] },
          { type: 'Bind', portal: '', statement: '', paramFormats: [format], params: [param], resultFormats: [] },
          { type: 'Execute', portal: '', maxRows: 0 },
          { type: 'Sync' },
        ),
      );
      expect(h.read()).toEqual([
        { type: 'ParseComplete' },
        { type: 'ErrorResponse', fields: { severity: 'ERROR', severityNonLocalized: 'ERROR', code: '22021', message: `invalid byte sequence for encoding "UTF8": ${shown}` } },
        { type: 'ReadyForQuery', status: 'I' },
      ]);
    }
    h.session.receive(serializeFrontend({ type: 'Query', sql: 'SELECT 1' }));
    expect(h.read().map((m) => m.type)).toEqual(['RowDescription', 'DataRow', 'CommandComplete', 'ReadyForQuery']);
    const other = loggedIn();
    other.session.receive(serializeFrontend({ type: 'Query', sql: 'SELECT 2' }));
    expect(other.read().map((m) => m.type)).toEqual(['RowDescription', 'DataRow', 'CommandComplete', 'ReadyForQuery']);
  });

  it('a Bind with the wrong number of parameters is an ERROR (not FATAL) and the session goes on, as in PostgreSQL', () => {
    const h = loggedIn();
    h.session.receive(
      serializeFrontend(
        { type: 'Parse', name: '', sql: 'SELECT $1::int', paramTypes: [] },
        { type: 'Bind', portal: '', statement: '', paramFormats: [], params: [], resultFormats: [] },
        { type: 'Execute', portal: '', maxRows: 0 },
        { type: 'Sync' },
        { type: 'Query', sql: 'SELECT 1' },
      ),
    );
    const msgs = h.read();
    expect(msgs.slice(0, 3)).toEqual([
      { type: 'ParseComplete' },
      { type: 'ErrorResponse', fields: { severity: 'ERROR', severityNonLocalized: 'ERROR', code: '08P01', message: 'bind message supplies 0 parameters, but prepared statement "" requires 1' } },
      { type: 'ReadyForQuery', status: 'I' },
    ]);
    expect(msgs.slice(3).map((m) => m.type)).toEqual(['RowDescription', 'DataRow', 'CommandComplete', 'ReadyForQuery']);
    expect(h.signals).toEqual([]);
  });

  it('answers to messages pipelined before Terminate are sent before the close', () => {
    const h = loggedIn();
    h.session.receive(serializeFrontend({ type: 'Query', sql: 'SELECT 1' }, { type: 'Terminate' }));
    expect(h.read().map((m) => m.type)).toEqual(['RowDescription', 'DataRow', 'CommandComplete', 'ReadyForQuery']);
    expect(h.signals).toEqual(['close']);
  });

  it('format codes other than 0 and 1 are ERROR 22023: parameters at Bind, results at Execute (checked against PG 15)', () => {
    const h = loggedIn();
    h.session.receive(
      serializeFrontend(
        { type: 'Parse', name: '', sql: 'SELECT $1::int', paramTypes: [] },
        { type: 'Bind', portal: '', statement: '', paramFormats: [2], params: [Buffer.from('1')], resultFormats: [] },
        { type: 'Sync' },
        { type: 'Bind', portal: '', statement: '', paramFormats: [0], params: [Buffer.from('1')], resultFormats: [3] },
        { type: 'Execute', portal: '', maxRows: 0 },
        { type: 'Sync' },
      ),
    );
    const err = (code: number) => ({ type: 'ErrorResponse', fields: { severity: 'ERROR', severityNonLocalized: 'ERROR', code: '22023', message: `unsupported format code: ${code}` } });
    expect(h.read()).toEqual([
      { type: 'ParseComplete' },
      err(2),
      { type: 'ReadyForQuery', status: 'I' },
      { type: 'BindComplete' },
      err(3),
      { type: 'ReadyForQuery', status: 'I' },
    ]);
  });

  it('a client that leaves during --auth-delay is still logged as the failure it was', () => {
    const h = harness('password');
    h.ctx.settings.authDelayMs = 60_000;
    h.session.receive(serializeFrontend({ type: 'StartupMessage', major: 3, minor: 0, parameters: [['user', 'alice']] }));
    expect(h.read()).toEqual([{ type: 'AuthenticationCleartextPassword' }]);
    h.session.receive(serializeFrontend({ type: 'PasswordMessage', password: 'wrong' }));
    expect(h.read()).toEqual([]); // the answer waits
    h.session.closed();
    expect(h.logs).toMatchObject([
      { result: 'rejected', sqlstate: '28P01', message: 'password authentication failed for user "alice"', detail: 'Password does not match for user "alice".' },
    ]);
  });

  it("Execute's row limit: PortalSuspended at the limit, the next Execute goes on, a finished portal gives SELECT 0 (checked against PG 15)", () => {
    const h = loggedIn();
    h.session.receive(
      serializeFrontend(
        { type: 'Parse', name: '', sql: 'SELECT 1', paramTypes: [] },
        { type: 'Bind', portal: '', statement: '', paramFormats: [], params: [], resultFormats: [] },
        { type: 'Execute', portal: '', maxRows: 1 },
        { type: 'Execute', portal: '', maxRows: 1 },
        { type: 'Sync' },
      ),
    );
    expect(h.read()).toEqual([
      { type: 'ParseComplete' },
      { type: 'BindComplete' },
      { type: 'DataRow', values: [Buffer.from('1')] },
      { type: 'PortalSuspended' },
      { type: 'CommandComplete', tag: 'SELECT 0' },
      { type: 'ReadyForQuery', status: 'I' },
    ]);
    h.session.receive(
      serializeFrontend(
        { type: 'Parse', name: '', sql: 'SHOW ALL', paramTypes: [] },
        { type: 'Bind', portal: 'p', statement: '', paramFormats: [], params: [], resultFormats: [] },
        { type: 'Execute', portal: 'p', maxRows: 2 },
        { type: 'Execute', portal: 'p', maxRows: 0 },
        { type: 'Sync' },
      ),
    );
    const types = h.read().map((m) => (m.type === 'CommandComplete' ? `C:${m.tag}` : m.type));
    expect(types.slice(0, 5)).toEqual(['ParseComplete', 'BindComplete', 'DataRow', 'DataRow', 'PortalSuspended']);
    expect(types.slice(5, -2).every((t) => t === 'DataRow')).toBe(true);
    expect(types.slice(5, -2).length).toBeGreaterThan(5);
    expect(types.slice(-2)).toEqual(['C:SHOW', 'ReadyForQuery']);
  });
});

import { describe, expect, it, onTestFinished, vi } from 'vitest';
import {
  Framer,
  ProtocolError,
  Writer,
  parseBackend,
  parseFrontend,
  parseStartupPacket,
  serializeBackend,
  serializeFrontend,
  serializePreV3ErrorResponse,
  writeBackend,
  writeFrontend,
  type BackendMessage,
  type RegularFrontendMessage,
} from '../../src/protocol/index.js';
import { i16, i32, msg, packet, raw, str } from './bytes.js';

/** [message, expected bytes from the independent builder] */
const backendCases: Array<[BackendMessage, Buffer]> = [
  [{ type: 'AuthenticationOk' }, msg('R', i32(0))],
  [{ type: 'AuthenticationKerberosV5' }, msg('R', i32(2))],
  [{ type: 'AuthenticationCleartextPassword' }, msg('R', i32(3))],
  [{ type: 'AuthenticationMD5Password', salt: Buffer.from([1, 2, 3, 4]) }, msg('R', i32(5), [1, 2, 3, 4])],
  [{ type: 'AuthenticationGSS' }, msg('R', i32(7))],
  [{ type: 'AuthenticationGSSContinue', data: Buffer.from('tok') }, msg('R', i32(8), raw('tok'))],
  [{ type: 'AuthenticationSSPI' }, msg('R', i32(9))],
  [{ type: 'AuthenticationSASL', mechanisms: ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256'] }, msg('R', i32(10), str('SCRAM-SHA-256-PLUS'), str('SCRAM-SHA-256'), [0])],
  [{ type: 'AuthenticationSASLContinue', data: Buffer.from('r=abc,s=xyz,i=4096') }, msg('R', i32(11), raw('r=abc,s=xyz,i=4096'))],
  [{ type: 'AuthenticationSASLFinal', data: Buffer.from('v=sig') }, msg('R', i32(12), raw('v=sig'))],
  [{ type: 'ParameterStatus', name: 'server_version', value: '16.0' }, msg('S', str('server_version'), str('16.0'))],
  [{ type: 'BackendKeyData', processId: 1234, secretKey: Buffer.from([9, 8, 7, 6]) }, msg('K', i32(1234), [9, 8, 7, 6])],
  [{ type: 'ReadyForQuery', status: 'I' }, msg('Z', raw('I'))],
  [
    { type: 'ErrorResponse', fields: { severity: 'FATAL', severityNonLocalized: 'FATAL', code: '28P01', message: 'password authentication failed for user "u"' } },
    msg('E', raw('S'), str('FATAL'), raw('V'), str('FATAL'), raw('C'), str('28P01'), raw('M'), str('password authentication failed for user "u"'), [0]),
  ],
  [{ type: 'NoticeResponse', fields: { severity: 'NOTICE', code: '00000', message: 'hi' } }, msg('N', raw('S'), str('NOTICE'), raw('C'), str('00000'), raw('M'), str('hi'), [0])],
  [{ type: 'NegotiateProtocolVersion', version: 196608, unrecognizedOptions: ['_pq_.x'] }, msg('v', i32(196608), i32(1), str('_pq_.x'))],
  [
    { type: 'RowDescription', fields: [{ name: '?column?', tableOid: 0, columnAttrNumber: 0, typeOid: 23, typeSize: 4, typeModifier: -1, format: 0 }] },
    msg('T', i16(1), str('?column?'), i32(0), i16(0), i32(23), i16(4), i32(-1), i16(0)),
  ],
  [{ type: 'DataRow', values: [Buffer.from('1'), null] }, msg('D', i16(2), i32(1), raw('1'), i32(-1))],
  [{ type: 'CommandComplete', tag: 'SELECT 1' }, msg('C', str('SELECT 1'))],
  [{ type: 'EmptyQueryResponse' }, msg('I')],
  [{ type: 'ParseComplete' }, msg('1')],
  [{ type: 'BindComplete' }, msg('2')],
  [{ type: 'CloseComplete' }, msg('3')],
  [{ type: 'NoData' }, msg('n')],
  [{ type: 'PortalSuspended' }, msg('s')],
  [{ type: 'ParameterDescription', typeOids: [23, 25] }, msg('t', i16(2), i32(23), i32(25))],
];

const frontendCases: Array<[RegularFrontendMessage, Buffer, 'password' | 'sasl-initial' | 'sasl' | 'raw']> = [
  [{ type: 'PasswordMessage', password: 'secret' }, msg('p', str('secret')), 'password'],
  [{ type: 'SASLInitialResponse', mechanism: 'SCRAM-SHA-256', data: Buffer.from('n,,n=,r=abc') }, msg('p', str('SCRAM-SHA-256'), i32(11), raw('n,,n=,r=abc')), 'sasl-initial'],
  [{ type: 'SASLInitialResponse', mechanism: 'SCRAM-SHA-256', data: null }, msg('p', str('SCRAM-SHA-256'), i32(-1)), 'sasl-initial'],
  [{ type: 'SASLResponse', data: Buffer.from('c=biws,r=abc,p=xyz') }, msg('p', raw('c=biws,r=abc,p=xyz')), 'sasl'],
  [{ type: 'AuthResponse', data: Buffer.from([1, 2]) }, msg('p', [1, 2]), 'raw'],
  [{ type: 'Query', sql: 'SELECT 1' }, msg('Q', str('SELECT 1')), 'raw'],
  [{ type: 'Parse', name: 's1', sql: 'SELECT $1', paramTypes: [23] }, msg('P', str('s1'), str('SELECT $1'), i16(1), i32(23)), 'raw'],
  [
    { type: 'Bind', portal: '', statement: 's1', paramFormats: [0], params: [Buffer.from('42'), null], resultFormats: [1] },
    msg('B', str(''), str('s1'), i16(1), i16(0), i16(2), i32(2), raw('42'), i32(-1), i16(1), i16(1)),
    'raw',
  ],
  [{ type: 'Describe', kind: 'P', name: '' }, msg('D', raw('P'), str('')), 'raw'],
  [{ type: 'Execute', portal: '', maxRows: 0 }, msg('E', str(''), i32(0)), 'raw'],
  [{ type: 'Close', kind: 'S', name: 's1' }, msg('C', raw('S'), str('s1')), 'raw'],
  [{ type: 'Sync' }, msg('S'), 'raw'],
  [{ type: 'Flush' }, msg('H'), 'raw'],
  [{ type: 'Terminate' }, msg('X'), 'raw'],
];

describe('backend messages', () => {
  for (const [m, bytes] of backendCases) {
    it(`${m.type} encodes to the documented bytes and decodes back`, () => {
      expect(serializeBackend(m).toString('hex')).toBe(bytes.toString('hex'));
      expect(parseBackend(bytes[0]!, bytes.subarray(5))).toEqual(m);
    });
  }
  it('refuses an unknown Authentication subtype and an unknown type byte', () => {
    expect(() => parseBackend(0x52, Buffer.from(i32(6)))).toThrow(ProtocolError);
    expect(() => parseBackend(0x7e, Buffer.alloc(0))).toThrow(/unknown backend message type/);
  });
  it('refuses truncated and over-long bodies', () => {
    expect(() => parseBackend(0x52, Buffer.from([0, 0]))).toThrow(/too short/);
    expect(() => parseBackend(0x5a, Buffer.from('II'))).toThrow(/unexpected bytes/);
    expect(() => parseBackend(0x44, Buffer.from([...i16(1), ...i32(-2)]))).toThrow(/invalid value length/);
  });
  it('refuses negative counts and a body on a message without fields, naming the message', () => {
    expect(() => parseBackend(0x54, Buffer.from(i16(-1)))).toThrow('RowDescription: negative field count');
    expect(() => parseBackend(0x44, Buffer.from(i16(-1)))).toThrow('DataRow: negative column count');
    expect(() => parseBackend(0x74, Buffer.from(i16(-1)))).toThrow('ParameterDescription: negative parameter count');
    expect(() => parseBackend(0x76, Buffer.from([...i32(2), ...i32(-1)]))).toThrow('NegotiateProtocolVersion: negative option count');
    expect(() => parseBackend(0x31, Buffer.from([0]))).toThrow('ParseComplete: expected an empty body, got 1 bytes');
    expect(() => parseBackend(0x5a, Buffer.from('X'))).toThrow('ReadyForQuery: unknown transaction status "X"');
  });
});

describe('frontend messages', () => {
  for (const [m, bytes, kind] of frontendCases) {
    it(`${m.type} encodes to the documented bytes and decodes back`, () => {
      expect(serializeFrontend(m).toString('hex')).toBe(bytes.toString('hex'));
      expect(parseFrontend(bytes[0]!, bytes.subarray(5), kind)).toEqual(m);
    });
  }
  it('startup-type packets', () => {
    const startup = packet(i32(196608), str('user'), str('alice'), str('database'), str('db'), [0]);
    expect(serializeFrontend({ type: 'StartupMessage', major: 3, minor: 0, parameters: [['user', 'alice'], ['database', 'db']] }).toString('hex')).toBe(startup.toString('hex'));
    expect(parseStartupPacket(startup.subarray(4))).toEqual({ type: 'StartupMessage', major: 3, minor: 0, parameters: [['user', 'alice'], ['database', 'db']] });
    const ssl = packet(i32(80877103));
    expect(serializeFrontend({ type: 'SSLRequest' })).toEqual(ssl);
    expect(parseStartupPacket(ssl.subarray(4))).toEqual({ type: 'SSLRequest' });
    const gss = packet(i32(80877104));
    expect(serializeFrontend({ type: 'GSSENCRequest' })).toEqual(gss);
    expect(parseStartupPacket(gss.subarray(4))).toEqual({ type: 'GSSENCRequest' });
    const cancel = packet(i32(80877102), i32(77), [1, 2, 3, 4]);
    expect(serializeFrontend({ type: 'CancelRequest', processId: 77, secretKey: Buffer.from([1, 2, 3, 4]) })).toEqual(cancel);
    expect(parseStartupPacket(cancel.subarray(4))).toEqual({ type: 'CancelRequest', processId: 77, secretKey: Buffer.from([1, 2, 3, 4]) });
    const v32 = packet(i32(196610), str('user'), str('u'), [0]);
    expect(parseStartupPacket(v32.subarray(4))).toMatchObject({ major: 3, minor: 2 });
  });
  it('startup layout errors use PostgreSQL wording', () => {
    const noTerm = packet(i32(196608), str('user'), str('alice')).subarray(4);
    expect(() => parseStartupPacket(noTerm)).toThrow('invalid startup packet layout: expected terminator as last byte');
    const garbage = packet(i32(196608), str('user'), str('alice'), [0], raw('xx')).subarray(4);
    expect(() => parseStartupPacket(garbage)).toThrow('invalid startup packet layout: expected terminator as last byte');
    const half = packet(i32(196608), raw('user')).subarray(4);
    expect(() => parseStartupPacket(half)).toThrow('invalid startup packet layout');
  });
  it('CancelRequest: a 3.2 key of 1 to 256 bytes; other lengths use PostgreSQL 18 wording', () => {
    const key32 = Buffer.alloc(32, 0xab);
    expect(parseStartupPacket(packet(i32(80877102), i32(77), [...key32]).subarray(4))).toEqual({ type: 'CancelRequest', processId: 77, secretKey: key32 });
    expect(parseStartupPacket(packet(i32(80877102), i32(77), Array(256).fill(1)).subarray(4))).toMatchObject({ type: 'CancelRequest' });
    expect(() => parseStartupPacket(packet(i32(80877102), i32(77)).subarray(4))).toThrow('invalid length of cancel key in cancel request packet');
    expect(() => parseStartupPacket(packet(i32(80877102), i32(77), Array(257).fill(1)).subarray(4))).toThrow('invalid length of cancel key in cancel request packet');
    expect(() => parseStartupPacket(packet(i32(80877102), [0, 0]).subarray(4))).toThrow('invalid length of cancel request packet');
  });
  it('an error for a protocol 2 client: E, "SEVERITY:  text", newline, NUL, no length word', () => {
    expect(serializePreV3ErrorResponse('FATAL', 'unsupported frontend protocol 2.0: server supports 3.0 to 3.2')).toEqual(
      Buffer.from([...raw('E'), ...raw('FATAL:  unsupported frontend protocol 2.0: server supports 3.0 to 3.2\n'), 0]),
    );
  });
  it('PasswordMessage must be exactly one NUL-terminated string', () => {
    expect(() => parseFrontend(0x70, Buffer.from('abc\0def\0'), 'password')).toThrow('invalid password packet size');
    expect(() => parseFrontend(0x70, Buffer.from('abc'), 'password')).toThrow('invalid password packet size');
  });
  it('refuses an unknown type byte and a bad Describe target', () => {
    expect(() => parseFrontend(0x01, Buffer.alloc(0))).toThrow(/invalid frontend message type/);
    expect(() => parseFrontend(0x44, Buffer.from('Xname\0'))).toThrow(/invalid target/);
  });
  it('refuses negative counts and lengths and a body on a message without fields, naming the message', () => {
    expect(() => parseFrontend(0x50, Buffer.from([...str('s'), ...str('q'), ...i16(-1)]))).toThrow('Parse: negative parameter type count');
    expect(() => parseFrontend(0x42, Buffer.from([...str(''), ...str(''), ...i16(-1)]))).toThrow('Bind: negative format count');
    expect(() => parseFrontend(0x42, Buffer.from([...str(''), ...str(''), ...i16(0), ...i16(1), ...i32(-2)]))).toThrow('Bind: invalid parameter length -2');
    expect(() => parseFrontend(0x70, Buffer.from([...str('SCRAM-SHA-256'), ...i32(-2)]), 'sasl-initial')).toThrow(
      'SASLInitialResponse: invalid length of the initial response',
    );
    expect(() => parseFrontend(0x70, Buffer.from(str('SCRAM-SHA-256')), 'sasl-initial')).toThrow(/^SASLInitialResponse: message too short/);
    expect(() => parseFrontend(0x53, Buffer.from([0]))).toThrow('Sync: expected an empty body, got 1 bytes');
  });
});

describe('framer', () => {
  const stream = Buffer.concat(backendCases.map(([, b]) => b));
  it('yields the same frames for every split point, and byte by byte', () => {
    const collect = (parts: Buffer[]) => {
      const f = new Framer();
      const out: string[] = [];
      for (const p of parts) {
        f.push(p);
        for (let fr = f.next(); fr; fr = f.next()) out.push(`${fr.code}:${fr.body.toString('hex')}`);
      }
      expect(f.buffered).toBe(0);
      return out;
    };
    const whole = collect([stream]);
    expect(whole).toHaveLength(backendCases.length);
    for (let i = 0; i <= stream.length; i++) {
      expect(collect([stream.subarray(0, i), stream.subarray(i)])).toEqual(whole);
    }
    for (let i = 1; i < stream.length - 1; i += 7) {
      for (let j = i + 1; j < stream.length; j += 13) {
        expect(collect([stream.subarray(0, i), stream.subarray(i, j), stream.subarray(j)])).toEqual(whole);
      }
    }
    expect(collect([...stream].map((b) => Buffer.from([b])))).toEqual(whole);
  });
  it('reads startup packets then regular messages at every split point', () => {
    const s = Buffer.concat([packet(i32(196608), str('user'), str('u'), [0]), msg('Q', str('SELECT 1')), msg('X')]);
    for (let i = 0; i <= s.length; i++) {
      const f = new Framer({ startup: true });
      f.push(s.subarray(0, i));
      const frames = [];
      let fr = f.next();
      if (!fr) {
        f.push(s.subarray(i));
        fr = f.next();
      } else f.push(s.subarray(i));
      frames.push(fr);
      f.startup = false;
      for (let n = f.next(); n; n = f.next()) frames.push(n);
      expect(frames.map((x) => x?.code)).toEqual([null, 0x51, 0x58]);
    }
  });
  // Regression: every call looked at all buffered chunks, so a client sending one byte per packet
  // made the framer quadratic: a 20 KB message took 7 s, 80 KB 150 s, blocking every other client.
  it('stays linear when a client sends one byte per packet', () => {
    const n = 30_000;
    const big = msg('Q', raw('x'.repeat(n - 1)), [0]);
    const startup = packet(i32(196608), str('user'), str('u'.repeat(9_980)), [0]);
    // The work, not the time: how many chunks the framer joins in all. Linear is a few per byte;
    // the quadratic framer joined every buffered chunk on every call (about n²/2). Timing: bench/timing.bench.ts.
    let joined = 0;
    const concat = Buffer.concat;
    const spy = vi.spyOn(Buffer, 'concat').mockImplementation((list, total) => ((joined += list.length), concat(list, total)));
    onTestFinished(() => spy.mockRestore());
    for (const [bytes, startupMode] of [[startup, true], [big, false]] as const) {
      const f = new Framer({ startup: startupMode });
      const frames = [];
      for (const b of bytes) {
        f.push(Buffer.from([b]));
        for (let fr = f.next(); fr; fr = f.next()) frames.push(fr);
      }
      expect(frames).toHaveLength(1);
      expect(frames[0]!.body.length).toBe(bytes.length - (startupMode ? 4 : 5));
      expect(f.buffered).toBe(0);
    }
    expect(joined).toBeLessThan(10 * (startup.length + big.length));
  });
  it('refuses lengths under 4, negative, over the cap, and startup bodies over 10000 bytes', () => {
    const bad = (bytes: number[], opts = {}) => {
      const f = new Framer(opts);
      f.push(Buffer.from(bytes));
      return () => f.next();
    };
    expect(bad([0x51, ...i32(3)])).toThrow(ProtocolError);
    expect(bad([0x51, ...i32(-1)])).toThrow(/invalid message length -1/);
    expect(bad([0x51, ...i32(1 << 21)])).toThrow(/invalid message length/);
    expect(bad([0x51, ...i32(100)], { maxMessageLength: 50 })).toThrow(/invalid message length/);
    expect(bad(i32(10005), { startup: true })).toThrow('invalid length of startup packet');
    expect(bad(i32(100004), { startup: true })).toThrow('invalid length of startup packet');
    expect(bad(i32(-8), { startup: true })).toThrow('invalid length of startup packet');
    expect(bad(i32(7), { startup: true })).toThrow('invalid length of startup packet');
    // exactly 10000 bytes of body is accepted (waits for the bytes)
    expect(bad(i32(10004), { startup: true })()).toBeNull();
  });
});

describe('writer', () => {
  // Regression: the NUL check once searched uninitialised memory past the string and
  // threw at random when no zero byte happened to follow it.
  it('writes strings into reused, dirty buffers and refuses an embedded NUL', () => {
    for (let i = 0; i < 200; i++) {
      const long = 'x'.repeat(i * 7 + 1);
      expect(serializeFrontend({ type: 'Query', sql: long }).subarray(5).toString()).toBe(long + '\0');
    }
    expect(() => serializeFrontend({ type: 'Query', sql: 'a\0b' })).toThrow(/NUL/);
  });
  // Regression: an encoder that threw half-way left its message open, so the server's shared
  // writer refused every later message and the next write crashed the whole process.
  it('a message that fails half-way leaves nothing behind, and the writer goes on', () => {
    const w = new Writer(16);
    writeBackend(w, { type: 'CommandComplete', tag: 'SELECT 1' });
    expect(() => writeBackend(w, { type: 'ErrorResponse', fields: { severity: 'ERROR', code: '22021', message: 'a\0b' } })).toThrow(/NUL/);
    writeBackend(w, { type: 'ReadyForQuery', status: 'I' });
    expect(w.end().toString('hex')).toBe(Buffer.concat([msg('C', str('SELECT 1')), msg('Z', raw('I'))]).toString('hex'));
    expect(() => writeFrontend(w, { type: 'StartupMessage', major: 3, minor: 0, parameters: [['user', 'a\0b']] })).toThrow(/NUL/);
    writeFrontend(w, { type: 'Sync' });
    expect(w.end().toString('hex')).toBe(msg('S').toString('hex'));
  });
});

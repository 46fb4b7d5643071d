/**
 * Messages a frontend (client) sends: a discriminated union, an encoder for
 * the probe and a decoder for the server. Field order follows
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */
import { Reader, Writer } from './buffer.js';
import { FRONTEND_CODES, STARTUP_CODES } from './codes.js';
import { ProtocolError } from './errors.js';

/** Startup-type packets: a length word, an Int32 code, no type byte. */
export type StartupPacket =
  | {
      type: 'StartupMessage';
      /** Requested protocol version (3.0 = major 3, minor 0). */
      major: number;
      minor: number;
      /** name/value pairs in the order sent (user, database, options, application_name, _pq_.*, GUCs). */
      parameters: Array<[string, string]>;
    }
  | { type: 'SSLRequest' }
  | { type: 'GSSENCRequest' }
  | { type: 'CancelRequest'; processId: number; secretKey: Buffer };

/** Messages with a type byte. 'p' has several readings, chosen by the auth state. */
export type RegularFrontendMessage =
  | { type: 'PasswordMessage'; password: string }
  | { type: 'SASLInitialResponse'; mechanism: string; data: Buffer | null }
  | { type: 'SASLResponse'; data: Buffer }
  /** A 'p' message decoded without knowing which reading applies (GSSResponse, or any 'p'). */
  | { type: 'AuthResponse'; data: Buffer }
  | { type: 'Query'; sql: string }
  | { type: 'Parse'; name: string; sql: string; paramTypes: number[] }
  | { type: 'Bind'; portal: string; statement: string; paramFormats: number[]; params: Array<Buffer | null>; resultFormats: number[] }
  | { type: 'Describe'; kind: 'S' | 'P'; name: string }
  | { type: 'Execute'; portal: string; maxRows: number }
  | { type: 'Close'; kind: 'S' | 'P'; name: string }
  | { type: 'Sync' }
  | { type: 'Flush' }
  | { type: 'Terminate' };

export type FrontendMessage = StartupPacket | RegularFrontendMessage;

/** Appends one frontend message to a writer. */
export function writeFrontend(w: Writer, msg: FrontendMessage): Writer {
  try {
    return writeFrontendFields(w, msg);
  } catch (e) {
    // Never leave half a message in a writer that is used again (the server shares one).
    w.abandonMessage();
    throw e;
  }
}

function writeFrontendFields(w: Writer, msg: FrontendMessage): Writer {
  const C = FRONTEND_CODES;
  switch (msg.type) {
    case 'StartupMessage': {
      w.packet().int32(((msg.major << 16) | msg.minor) >>> 0);
      for (const [k, v] of msg.parameters) w.cstring(k).cstring(v);
      return w.byte(0).endMessage();
    }
    case 'SSLRequest':
      return w.packet().int32(STARTUP_CODES.SSL_REQUEST).endMessage();
    case 'GSSENCRequest':
      return w.packet().int32(STARTUP_CODES.GSSENC_REQUEST).endMessage();
    case 'CancelRequest':
      return w.packet().int32(STARTUP_CODES.CANCEL_REQUEST).int32(msg.processId).bytes(msg.secretKey).endMessage();
    case 'PasswordMessage':
      return w.message(C.AuthResponse).cstring(msg.password).endMessage();
    case 'SASLInitialResponse':
      w.message(C.AuthResponse).cstring(msg.mechanism);
      if (msg.data === null) w.int32(-1);
      else w.int32(msg.data.length).bytes(msg.data);
      return w.endMessage();
    case 'SASLResponse':
    case 'AuthResponse':
      return w.message(C.AuthResponse).bytes(msg.data).endMessage();
    case 'Query':
      return w.message(C.Query).cstring(msg.sql).endMessage();
    case 'Parse': {
      w.message(C.Parse).cstring(msg.name).cstring(msg.sql).int16(msg.paramTypes.length);
      for (const t of msg.paramTypes) w.int32(t);
      return w.endMessage();
    }
    case 'Bind': {
      w.message(C.Bind).cstring(msg.portal).cstring(msg.statement).int16(msg.paramFormats.length);
      for (const f of msg.paramFormats) w.int16(f);
      w.int16(msg.params.length);
      for (const p of msg.params) {
        if (p === null) w.int32(-1);
        else w.int32(p.length).bytes(p);
      }
      w.int16(msg.resultFormats.length);
      for (const f of msg.resultFormats) w.int16(f);
      return w.endMessage();
    }
    case 'Describe':
      return w.message(C.Describe).byte(msg.kind.charCodeAt(0)).cstring(msg.name).endMessage();
    case 'Execute':
      return w.message(C.Execute).cstring(msg.portal).int32(msg.maxRows).endMessage();
    case 'Close':
      return w.message(C.Close).byte(msg.kind.charCodeAt(0)).cstring(msg.name).endMessage();
    case 'Sync':
      return w.message(C.Sync).endMessage();
    case 'Flush':
      return w.message(C.Flush).endMessage();
    case 'Terminate':
      return w.message(C.Terminate).endMessage();
  }
}

/** Encodes frontend messages into one buffer. */
export function serializeFrontend(...msgs: FrontendMessage[]): Buffer {
  const w = new Writer();
  for (const m of msgs) writeFrontend(w, m);
  return w.end();
}

/**
 * Decodes a startup-type packet body (the bytes after the length word).
 * Layout errors carry PostgreSQL's wording (ProcessStartupPacket).
 */
export function parseStartupPacket(body: Buffer): StartupPacket {
  const r = new Reader(body, 'startup packet');
  const code = r.uint32();
  if (code === STARTUP_CODES.SSL_REQUEST) {
    r.end();
    return { type: 'SSLRequest' };
  }
  if (code === STARTUP_CODES.GSSENC_REQUEST) {
    r.end();
    return { type: 'GSSENCRequest' };
  }
  if (code === STARTUP_CODES.CANCEL_REQUEST) {
    // PostgreSQL 18 (processCancelRequest): the code and the process ID at least, else this log-only error.
    if (r.remaining < 4) throw new ProtocolError('invalid length of cancel request packet', 'invalid-cancel-request');
    const processId = r.int32();
    const secretKey = Buffer.from(r.rest());
    // 3.0 has a 4-byte key; 3.2 allows 1..256 bytes.
    if (secretKey.length < 1 || secretKey.length > 256) throw new ProtocolError('invalid length of cancel key in cancel request packet', 'invalid-cancel-request');
    return { type: 'CancelRequest', processId, secretKey };
  }
  const major = code >>> 16;
  const minor = code & 0xffff;
  const parameters: Array<[string, string]> = [];
  // name/value pairs, then a terminating NUL that must be the last byte.
  while (r.remaining > 0) {
    if (body[body.length - r.remaining] === 0) break;
    const name = readStartupString(r);
    if (r.remaining === 0) throw new ProtocolError('invalid startup packet layout: expected terminator as last byte');
    const value = readStartupString(r);
    parameters.push([name, value]);
  }
  if (r.remaining !== 1 || body[body.length - 1] !== 0) {
    throw new ProtocolError('invalid startup packet layout: expected terminator as last byte');
  }
  return { type: 'StartupMessage', major, minor, parameters };
}

function readStartupString(r: Reader): string {
  try {
    return r.cstring();
  } catch {
    throw new ProtocolError('invalid startup packet layout: expected terminator as last byte');
  }
}

/** How to read a 'p' message: the server knows which response it asked for. */
export type AuthResponseKind = 'password' | 'sasl-initial' | 'sasl' | 'raw';

/**
 * Decodes one regular frontend message from its type byte and body.
 * `authResponse` picks the reading of 'p' (PasswordMessage, SASLInitialResponse, SASLResponse).
 */
export function parseFrontend(code: number, body: Buffer, authResponse: AuthResponseKind = 'raw'): RegularFrontendMessage {
  const C = FRONTEND_CODES;
  const ch = String.fromCharCode(code);
  const empty = <T extends RegularFrontendMessage>(m: T): T => {
    if (body.length !== 0) throw new ProtocolError(`${m.type}: expected an empty body, got ${body.length} bytes`);
    return m;
  };
  switch (code) {
    case C.AuthResponse: {
      if (authResponse === 'password') {
        // PostgreSQL: the length must be exactly strlen + 1 ("invalid password packet size").
        const nul = body.indexOf(0);
        if (nul !== body.length - 1) throw new ProtocolError('invalid password packet size');
        return { type: 'PasswordMessage', password: body.toString('utf8', 0, nul) };
      }
      if (authResponse === 'sasl-initial') {
        const r = new Reader(body, 'SASLInitialResponse');
        const mechanism = r.cstring();
        const len = r.int32();
        if (len < -1) throw new ProtocolError('SASLInitialResponse: invalid length of the initial response');
        const data = len === -1 ? null : Buffer.from(r.bytes(len));
        r.end();
        return { type: 'SASLInitialResponse', mechanism, data };
      }
      if (authResponse === 'sasl') return { type: 'SASLResponse', data: Buffer.from(body) };
      return { type: 'AuthResponse', data: Buffer.from(body) };
    }
    case C.Query: {
      const r = new Reader(body, 'Query');
      const sql = r.cstring();
      r.end();
      return { type: 'Query', sql };
    }
    case C.Parse: {
      const r = new Reader(body, 'Parse');
      const name = r.cstring();
      const sql = r.cstring();
      const n = r.int16();
      if (n < 0) throw new ProtocolError('Parse: negative parameter type count');
      const paramTypes: number[] = [];
      for (let i = 0; i < n; i++) paramTypes.push(r.uint32());
      r.end();
      return { type: 'Parse', name, sql, paramTypes };
    }
    case C.Bind: {
      const r = new Reader(body, 'Bind');
      const portal = r.cstring();
      const statement = r.cstring();
      const nf = r.int16();
      if (nf < 0) throw new ProtocolError('Bind: negative format count');
      const paramFormats: number[] = [];
      for (let i = 0; i < nf; i++) paramFormats.push(r.int16());
      const np = r.int16();
      if (np < 0) throw new ProtocolError('Bind: negative parameter count');
      const params: Array<Buffer | null> = [];
      for (let i = 0; i < np; i++) {
        const len = r.int32();
        if (len < -1) throw new ProtocolError(`Bind: invalid parameter length ${len}`);
        params.push(len === -1 ? null : Buffer.from(r.bytes(len)));
      }
      const nr = r.int16();
      if (nr < 0) throw new ProtocolError('Bind: negative result format count');
      const resultFormats: number[] = [];
      for (let i = 0; i < nr; i++) resultFormats.push(r.int16());
      r.end();
      return { type: 'Bind', portal, statement, paramFormats, params, resultFormats };
    }
    case C.Describe:
    case C.Close: {
      const what = code === C.Describe ? 'Describe' : 'Close';
      const r = new Reader(body, what);
      const kind = String.fromCharCode(r.byte());
      if (kind !== 'S' && kind !== 'P') throw new ProtocolError(`${what}: invalid target "${kind}" (expected S or P)`);
      const name = r.cstring();
      r.end();
      return { type: what, kind, name };
    }
    case C.Execute: {
      const r = new Reader(body, 'Execute');
      const portal = r.cstring();
      const maxRows = r.int32();
      r.end();
      return { type: 'Execute', portal, maxRows };
    }
    case C.Sync:
      return empty({ type: 'Sync' });
    case C.Flush:
      return empty({ type: 'Flush' });
    case C.Terminate:
      return empty({ type: 'Terminate' });
    default:
      throw new ProtocolError(`invalid frontend message type ${code} ("${ch}")`);
  }
}

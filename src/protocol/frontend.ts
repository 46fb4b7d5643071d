/**
 * Messages a frontend (client) sends: a discriminated union, an encoder for
 * the probe and a decoder for the server. Field order follows
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */
import { Reader, Writer } from './buffer.js';
import { FRONTEND_CODES, STARTUP_CODES, protocolCode } from './codes.js';
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
  const encode = FRONTEND_ENCODERS[msg.type] as (w: Writer, msg: FrontendMessage) => Writer;
  return w.whole(() => encode(w, msg));
}

/** Writes one message's fields, in the protocol docs' order. */
type Encoder<T extends FrontendMessage['type']> = (w: Writer, msg: Extract<FrontendMessage, { type: T }>) => Writer;

/** A startup-type packet that is only its request code (SSLRequest, GSSENCRequest). */
const request = (code: number) => (w: Writer): Writer => w.packet().int32(code).endMessage();
/** A 'p' message whose body is the data as is (SASLResponse, GSSResponse). */
const authResponseData = (w: Writer, msg: { data: Buffer }): Writer => w.message(FRONTEND_CODES.AuthResponse).bytes(msg.data).endMessage();
/** A message with no fields. */
const writeEmpty = (w: Writer, msg: { type: keyof typeof FRONTEND_CODES }): Writer => w.message(FRONTEND_CODES[msg.type]).endMessage();

/** One encoder per frontend message, named as the protocol docs name it. */
const FRONTEND_ENCODERS: { readonly [T in FrontendMessage['type']]: Encoder<T> } = {
  StartupMessage: (w, msg) => {
    w.packet().int32(protocolCode(msg.major, msg.minor));
    for (const [k, v] of msg.parameters) w.cstring(k).cstring(v);
    return w.byte(0).endMessage();
  },
  SSLRequest: request(STARTUP_CODES.SSL_REQUEST),
  GSSENCRequest: request(STARTUP_CODES.GSSENC_REQUEST),
  CancelRequest: (w, msg) => w.packet().int32(STARTUP_CODES.CANCEL_REQUEST).int32(msg.processId).bytes(msg.secretKey).endMessage(),
  PasswordMessage: (w, msg) => w.message(FRONTEND_CODES.AuthResponse).cstring(msg.password).endMessage(),
  SASLInitialResponse: (w, msg) => {
    w.message(FRONTEND_CODES.AuthResponse).cstring(msg.mechanism);
    if (msg.data === null) w.int32(-1);
    else w.int32(msg.data.length).bytes(msg.data);
    return w.endMessage();
  },
  SASLResponse: authResponseData,
  AuthResponse: authResponseData,
  Query: (w, msg) => w.message(FRONTEND_CODES.Query).cstring(msg.sql).endMessage(),
  Parse: (w, msg) => {
    w.message(FRONTEND_CODES.Parse).cstring(msg.name).cstring(msg.sql).int16(msg.paramTypes.length);
    for (const t of msg.paramTypes) w.int32(t);
    return w.endMessage();
  },
  Bind: (w, msg) => {
    w.message(FRONTEND_CODES.Bind).cstring(msg.portal).cstring(msg.statement).int16(msg.paramFormats.length);
    for (const f of msg.paramFormats) w.int16(f);
    w.int16(msg.params.length);
    for (const p of msg.params) {
      if (p === null) w.int32(-1);
      else w.int32(p.length).bytes(p);
    }
    w.int16(msg.resultFormats.length);
    for (const f of msg.resultFormats) w.int16(f);
    return w.endMessage();
  },
  Describe: (w, msg) => w.message(FRONTEND_CODES.Describe).byte(msg.kind.charCodeAt(0)).cstring(msg.name).endMessage(),
  Execute: (w, msg) => w.message(FRONTEND_CODES.Execute).cstring(msg.portal).int32(msg.maxRows).endMessage(),
  Close: (w, msg) => w.message(FRONTEND_CODES.Close).byte(msg.kind.charCodeAt(0)).cstring(msg.name).endMessage(),
  Sync: writeEmpty,
  Flush: writeEmpty,
  Terminate: writeEmpty,
};

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

/** Reads one message's fields from its body; the caller checks that nothing is left over. */
type Decoder = (r: Reader, authResponse: AuthResponseKind) => RegularFrontendMessage;

/**
 * 'p': PasswordMessage, SASLInitialResponse, SASLResponse or GSSResponse
 * share one type byte; the server says which one it expects.
 */
function AuthResponse(r: Reader, authResponse: AuthResponseKind): RegularFrontendMessage {
  if (authResponse === 'password') return PasswordMessage(r);
  if (authResponse === 'sasl-initial') return SASLInitialResponse(r);
  if (authResponse === 'sasl') return { type: 'SASLResponse', data: Buffer.from(r.rest()) };
  return { type: 'AuthResponse', data: Buffer.from(r.rest()) };
}

/** PasswordMessage: PostgreSQL wants the length to be exactly strlen + 1 ("invalid password packet size"). */
function PasswordMessage(r: Reader): RegularFrontendMessage {
  const body = r.rest();
  const nul = body.indexOf(0);
  if (nul !== body.length - 1) throw new ProtocolError('invalid password packet size');
  return { type: 'PasswordMessage', password: body.toString('utf8', 0, nul) };
}

/** SASLInitialResponse: the mechanism, then the client-first-message with its length (-1: none). */
function SASLInitialResponse(p: Reader): RegularFrontendMessage {
  // A reader of its own, so that layout errors name SASLInitialResponse rather than 'p'.
  const r = new Reader(p.rest(), 'SASLInitialResponse');
  const mechanism = r.cstring();
  const data = r.nullableBytes(() => 'invalid length of the initial response');
  r.end();
  return { type: 'SASLInitialResponse', mechanism, data };
}

/** Parse ('P'): statement name, query string, parameter type OIDs. */
function Parse(r: Reader): RegularFrontendMessage {
  const name = r.cstring();
  const sql = r.cstring();
  const paramTypes = r.list(r.int16(), 'parameter type', () => r.uint32());
  return { type: 'Parse', name, sql, paramTypes };
}

/** Bind ('B'): portal, statement, parameter formats, parameter values, result formats. */
function Bind(r: Reader): RegularFrontendMessage {
  const portal = r.cstring();
  const statement = r.cstring();
  const paramFormats = r.list(r.int16(), 'format', () => r.int16());
  const params = r.list(r.int16(), 'parameter', () => r.nullableBytes((length) => `invalid parameter length ${length}`));
  const resultFormats = r.list(r.int16(), 'result format', () => r.int16());
  return { type: 'Bind', portal, statement, paramFormats, params, resultFormats };
}

/** Describe ('D') and Close ('C'): a target, S (statement) or P (portal), and its name. */
const describeOrClose =
  (type: 'Describe' | 'Close') =>
  (r: Reader): RegularFrontendMessage => {
    const kind = String.fromCharCode(r.byte());
    if (kind !== 'S' && kind !== 'P') throw new ProtocolError(`${type}: invalid target "${kind}" (expected S or P)`);
    return { type, kind, name: r.cstring() };
  };

/** A message with no fields: any body at all is a layout error. */
const readEmpty =
  (type: 'Sync' | 'Flush' | 'Terminate') =>
  (r: Reader): RegularFrontendMessage => {
    r.empty();
    return { type };
  };

/** One decoder per frontend message type byte this codec reads, named as the protocol docs name it. */
const FRONTEND_DECODERS: { readonly [K in keyof typeof FRONTEND_CODES]?: Decoder } = {
  AuthResponse,
  Bind,
  Close: describeOrClose('Close'),
  Describe: describeOrClose('Describe'),
  Execute: (r) => ({ type: 'Execute', portal: r.cstring(), maxRows: r.int32() }),
  Flush: readEmpty('Flush'),
  Parse,
  Query: (r) => ({ type: 'Query', sql: r.cstring() }),
  Sync: readEmpty('Sync'),
  Terminate: readEmpty('Terminate'),
};

/** Type byte -> the message's name in FRONTEND_CODES. */
const FRONTEND_NAMES: ReadonlyMap<number, keyof typeof FRONTEND_CODES> = new Map(
  Object.entries(FRONTEND_CODES).map(([name, code]) => [code, name as keyof typeof FRONTEND_CODES]),
);

/**
 * Decodes one regular frontend message from its type byte and body.
 * `authResponse` picks the reading of 'p' (PasswordMessage, SASLInitialResponse, SASLResponse).
 */
export function parseFrontend(code: number, body: Buffer, authResponse: AuthResponseKind = 'raw'): RegularFrontendMessage {
  const name = FRONTEND_NAMES.get(code);
  const decode = name === undefined ? undefined : FRONTEND_DECODERS[name];
  if (name === undefined || decode === undefined) {
    throw new ProtocolError(`invalid frontend message type ${code} ("${String.fromCharCode(code)}")`);
  }
  const r = new Reader(body, name);
  const msg = decode(r, authResponse);
  r.end();
  return msg;
}

/**
 * Messages a backend (server) sends: a discriminated union, an encoder for
 * the server and a decoder for the probe. Field order follows
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */
import { Reader, Writer } from './buffer.js';
import { AUTH_CODES, BACKEND_CODES, ERROR_FIELD_BY_NAME, ERROR_FIELD_CODES, type ErrorFieldName, type ErrorFields, type TransactionStatus } from './codes.js';
import { ProtocolError } from './errors.js';

export interface FieldDescription {
  name: string;
  tableOid: number;
  columnAttrNumber: number;
  typeOid: number;
  typeSize: number;
  typeModifier: number;
  /** 0 text, 1 binary */
  format: number;
}

export type BackendMessage =
  | { type: 'AuthenticationOk' }
  | { type: 'AuthenticationKerberosV5' }
  | { type: 'AuthenticationCleartextPassword' }
  | { type: 'AuthenticationMD5Password'; salt: Buffer }
  | { type: 'AuthenticationGSS' }
  | { type: 'AuthenticationGSSContinue'; data: Buffer }
  | { type: 'AuthenticationSSPI' }
  | { type: 'AuthenticationSASL'; mechanisms: string[] }
  | { type: 'AuthenticationSASLContinue'; data: Buffer }
  | { type: 'AuthenticationSASLFinal'; data: Buffer }
  | { type: 'ParameterStatus'; name: string; value: string }
  | { type: 'BackendKeyData'; processId: number; secretKey: Buffer }
  | { type: 'ReadyForQuery'; status: TransactionStatus }
  | { type: 'ErrorResponse'; fields: ErrorFields; unknownFields?: Array<[string, string]> }
  | { type: 'NoticeResponse'; fields: ErrorFields; unknownFields?: Array<[string, string]> }
  | { type: 'NegotiateProtocolVersion'; version: number; unrecognizedOptions: string[] }
  | { type: 'RowDescription'; fields: FieldDescription[] }
  | { type: 'DataRow'; values: Array<Buffer | null> }
  | { type: 'CommandComplete'; tag: string }
  | { type: 'EmptyQueryResponse' }
  | { type: 'ParseComplete' }
  | { type: 'BindComplete' }
  | { type: 'CloseComplete' }
  | { type: 'NoData' }
  | { type: 'PortalSuspended' }
  | { type: 'ParameterDescription'; typeOids: number[] };

export type BackendMessageType = BackendMessage['type'];

/** Authentication* subtypes: message type -> the Int32 code after 'R'. */
const AUTH_SUBTYPE = {
  AuthenticationOk: AUTH_CODES.Ok,
  AuthenticationKerberosV5: AUTH_CODES.KerberosV5,
  AuthenticationCleartextPassword: AUTH_CODES.CleartextPassword,
  AuthenticationMD5Password: AUTH_CODES.MD5Password,
  AuthenticationGSS: AUTH_CODES.GSS,
  AuthenticationGSSContinue: AUTH_CODES.GSSContinue,
  AuthenticationSSPI: AUTH_CODES.SSPI,
  AuthenticationSASL: AUTH_CODES.SASL,
  AuthenticationSASLContinue: AUTH_CODES.SASLContinue,
  AuthenticationSASLFinal: AUTH_CODES.SASLFinal,
} as const;

/** ErrorResponse and NoticeResponse fields: a type byte and a string each, then a NUL. */
function writeErrorFields(w: Writer, fields: ErrorFields, unknown?: Array<[string, string]>): Writer {
  for (const [name, value] of Object.entries(fields) as Array<[ErrorFieldName, string | undefined]>) {
    if (value === undefined) continue;
    w.byte(ERROR_FIELD_BY_NAME[name].charCodeAt(0)).cstring(value);
  }
  for (const [code, value] of unknown ?? []) w.byte(code.charCodeAt(0)).cstring(value);
  return w.byte(0);
}

/** Appends one backend message to a writer (several may share one writer, then one socket write). */
export function writeBackend(w: Writer, msg: BackendMessage): Writer {
  const encode = BACKEND_ENCODERS[msg.type] as (w: Writer, msg: BackendMessage) => Writer;
  return w.whole(() => encode(w, msg));
}

/** Writes one message's fields, in the protocol docs' order. */
type Encoder<T extends BackendMessageType> = (w: Writer, msg: Extract<BackendMessage, { type: T }>) => Writer;

/** Starts an Authentication* ('R') message: the type byte, the length, the Int32 request code. */
const authentication = (w: Writer, type: keyof typeof AUTH_SUBTYPE): Writer => w.message(BACKEND_CODES.Authentication).int32(AUTH_SUBTYPE[type]);
/** An Authentication* message with no payload after the request code. */
const authenticationOnly = (w: Writer, msg: { type: keyof typeof AUTH_SUBTYPE }): Writer => authentication(w, msg.type).endMessage();
/** An Authentication* message whose payload is the rest of the message (GSS or SASL data). */
const authenticationData = (w: Writer, msg: { type: keyof typeof AUTH_SUBTYPE; data: Buffer }): Writer =>
  authentication(w, msg.type).bytes(msg.data).endMessage();
/** A message with no fields. */
const writeEmpty = (w: Writer, msg: { type: keyof typeof BACKEND_CODES }): Writer => w.message(BACKEND_CODES[msg.type]).endMessage();

/** One encoder per backend message, named as the protocol docs name it. */
const BACKEND_ENCODERS: { readonly [T in BackendMessageType]: Encoder<T> } = {
  AuthenticationOk: authenticationOnly,
  AuthenticationKerberosV5: authenticationOnly,
  AuthenticationCleartextPassword: authenticationOnly,
  AuthenticationMD5Password: (w, msg) => {
    if (msg.salt.length !== 4) throw new Error('AuthenticationMD5Password: the salt is 4 bytes');
    return authentication(w, msg.type).bytes(msg.salt).endMessage();
  },
  AuthenticationGSS: authenticationOnly,
  AuthenticationGSSContinue: authenticationData,
  AuthenticationSSPI: authenticationOnly,
  // Each mechanism name NUL-terminated, then a final NUL.
  AuthenticationSASL: (w, msg) => {
    authentication(w, msg.type);
    for (const m of msg.mechanisms) w.cstring(m);
    return w.byte(0).endMessage();
  },
  AuthenticationSASLContinue: authenticationData,
  AuthenticationSASLFinal: authenticationData,
  ParameterStatus: (w, msg) => w.message(BACKEND_CODES.ParameterStatus).cstring(msg.name).cstring(msg.value).endMessage(),
  BackendKeyData: (w, msg) => w.message(BACKEND_CODES.BackendKeyData).int32(msg.processId).bytes(msg.secretKey).endMessage(),
  ReadyForQuery: (w, msg) => w.message(BACKEND_CODES.ReadyForQuery).byte(msg.status.charCodeAt(0)).endMessage(),
  ErrorResponse: (w, msg) => writeErrorFields(w.message(BACKEND_CODES.ErrorResponse), msg.fields, msg.unknownFields).endMessage(),
  NoticeResponse: (w, msg) => writeErrorFields(w.message(BACKEND_CODES.NoticeResponse), msg.fields, msg.unknownFields).endMessage(),
  NegotiateProtocolVersion: (w, msg) => {
    w.message(BACKEND_CODES.NegotiateProtocolVersion).int32(msg.version).int32(msg.unrecognizedOptions.length);
    for (const o of msg.unrecognizedOptions) w.cstring(o);
    return w.endMessage();
  },
  RowDescription: (w, msg) => {
    w.message(BACKEND_CODES.RowDescription).int16(msg.fields.length);
    for (const f of msg.fields) {
      w.cstring(f.name).int32(f.tableOid).int16(f.columnAttrNumber).int32(f.typeOid).int16(f.typeSize).int32(f.typeModifier).int16(f.format);
    }
    return w.endMessage();
  },
  DataRow: (w, msg) => {
    w.message(BACKEND_CODES.DataRow).int16(msg.values.length);
    for (const v of msg.values) {
      if (v === null) w.int32(-1);
      else w.int32(v.length).bytes(v);
    }
    return w.endMessage();
  },
  CommandComplete: (w, msg) => w.message(BACKEND_CODES.CommandComplete).cstring(msg.tag).endMessage(),
  EmptyQueryResponse: writeEmpty,
  ParseComplete: writeEmpty,
  BindComplete: writeEmpty,
  CloseComplete: writeEmpty,
  NoData: writeEmpty,
  PortalSuspended: writeEmpty,
  ParameterDescription: (w, msg) => {
    w.message(BACKEND_CODES.ParameterDescription).int16(msg.typeOids.length);
    for (const oid of msg.typeOids) w.int32(oid);
    return w.endMessage();
  },
};

/**
 * An error as a server sends it to a client that asked for protocol 2 or
 * older (FrontendProtocol < 3.0, send_message_to_frontend): 'E', then the
 * text "SEVERITY:  message" with a newline, NUL-terminated, and no length
 * word. PostgreSQL 14-18 still answer a 2.0 StartupMessage this way.
 */
export function serializePreV3ErrorResponse(severity: string, message: string): Buffer {
  return Buffer.concat([Buffer.from('E', 'latin1'), Buffer.from(`${severity}:  ${message}\n`, 'utf8'), Buffer.from([0])]);
}

/** Encodes backend messages into one buffer. */
export function serializeBackend(...msgs: BackendMessage[]): Buffer {
  const w = new Writer();
  for (const m of msgs) writeBackend(w, m);
  return w.end();
}

function readErrorFields(r: Reader): { fields: ErrorFields; unknownFields?: Array<[string, string]> } {
  const fields: ErrorFields = {};
  const unknown: Array<[string, string]> = [];
  for (;;) {
    const code = r.byte();
    if (code === 0) break;
    const ch = String.fromCharCode(code);
    const value = r.cstring();
    const name = (ERROR_FIELD_CODES as Record<string, ErrorFieldName | undefined>)[ch];
    if (name) fields[name] = value;
    else unknown.push([ch, value]);
  }
  return unknown.length ? { fields, unknownFields: unknown } : { fields };
}

/** Reads one message's fields from its body; the caller checks that nothing is left over. */
type Decoder = (r: Reader) => BackendMessage;

/** AuthenticationSASL: the mechanism names, each NUL-terminated, then a final NUL. */
function AuthenticationSASL(r: Reader): BackendMessage {
  const mechanisms: string[] = [];
  for (let m = r.cstring(); m !== ''; m = r.cstring()) mechanisms.push(m);
  return { type: 'AuthenticationSASL', mechanisms };
}

/** The Authentication* ('R') messages, by the Int32 request code after the type byte. */
const AUTHENTICATION_DECODERS: Readonly<Record<number, Decoder>> = {
  [AUTH_CODES.Ok]: () => ({ type: 'AuthenticationOk' }),
  [AUTH_CODES.KerberosV5]: () => ({ type: 'AuthenticationKerberosV5' }),
  [AUTH_CODES.CleartextPassword]: () => ({ type: 'AuthenticationCleartextPassword' }),
  [AUTH_CODES.MD5Password]: (r) => ({ type: 'AuthenticationMD5Password', salt: Buffer.from(r.bytes(4)) }),
  [AUTH_CODES.GSS]: () => ({ type: 'AuthenticationGSS' }),
  [AUTH_CODES.GSSContinue]: (r) => ({ type: 'AuthenticationGSSContinue', data: Buffer.from(r.rest()) }),
  [AUTH_CODES.SSPI]: () => ({ type: 'AuthenticationSSPI' }),
  [AUTH_CODES.SASL]: AuthenticationSASL,
  [AUTH_CODES.SASLContinue]: (r) => ({ type: 'AuthenticationSASLContinue', data: Buffer.from(r.rest()) }),
  [AUTH_CODES.SASLFinal]: (r) => ({ type: 'AuthenticationSASLFinal', data: Buffer.from(r.rest()) }),
};

/** Authentication ('R'): dispatches on the request code. */
function Authentication(r: Reader): BackendMessage {
  const code = r.int32();
  const decode = AUTHENTICATION_DECODERS[code];
  if (!decode) throw new ProtocolError(`Authentication: unknown request code ${code}`);
  return decode(r);
}

/** ReadyForQuery ('Z'): the transaction status byte, I, T or E. */
function ReadyForQuery(r: Reader): BackendMessage {
  const s = String.fromCharCode(r.byte());
  r.end();
  if (s !== 'I' && s !== 'T' && s !== 'E') throw new ProtocolError(`ReadyForQuery: unknown transaction status "${s}"`);
  return { type: 'ReadyForQuery', status: s };
}

/** NegotiateProtocolVersion ('v'): the newest minor version supported, then the options not recognized. */
function NegotiateProtocolVersion(r: Reader): BackendMessage {
  const version = r.int32();
  const unrecognizedOptions = r.list(r.int32(), 'option', () => r.cstring());
  return { type: 'NegotiateProtocolVersion', version, unrecognizedOptions };
}

/** RowDescription ('T'): one field description per column. */
function RowDescription(r: Reader): BackendMessage {
  const fields = r.list(r.int16(), 'field', (): FieldDescription => ({
    name: r.cstring(),
    tableOid: r.uint32(),
    columnAttrNumber: r.int16(),
    typeOid: r.uint32(),
    typeSize: r.int16(),
    typeModifier: r.int32(),
    format: r.int16(),
  }));
  return { type: 'RowDescription', fields };
}

/** DataRow ('D'): each column value with its length, -1 for NULL. */
function DataRow(r: Reader): BackendMessage {
  const values = r.list(r.int16(), 'column', () => r.nullableBytes((length) => `invalid value length ${length}`));
  return { type: 'DataRow', values };
}

/** A message with no fields: any body at all is a layout error. */
const readEmpty =
  <T extends BackendMessageType>(type: T) =>
  (r: Reader): BackendMessage => {
    r.empty();
    return { type } as Extract<BackendMessage, { type: T }>;
  };

/** One decoder per backend message type byte, named as the protocol docs name the message. */
const BACKEND_DECODERS: { readonly [K in keyof typeof BACKEND_CODES]: Decoder } = {
  Authentication,
  BackendKeyData: (r) => ({ type: 'BackendKeyData', processId: r.int32(), secretKey: Buffer.from(r.rest()) }),
  BindComplete: readEmpty('BindComplete'),
  CloseComplete: readEmpty('CloseComplete'),
  CommandComplete: (r) => ({ type: 'CommandComplete', tag: r.cstring() }),
  DataRow,
  EmptyQueryResponse: readEmpty('EmptyQueryResponse'),
  ErrorResponse: (r) => ({ type: 'ErrorResponse', ...readErrorFields(r) }),
  NegotiateProtocolVersion,
  NoData: readEmpty('NoData'),
  NoticeResponse: (r) => ({ type: 'NoticeResponse', ...readErrorFields(r) }),
  ParameterDescription: (r) => ({ type: 'ParameterDescription', typeOids: r.list(r.int16(), 'parameter', () => r.uint32()) }),
  ParameterStatus: (r) => ({ type: 'ParameterStatus', name: r.cstring(), value: r.cstring() }),
  ParseComplete: readEmpty('ParseComplete'),
  PortalSuspended: readEmpty('PortalSuspended'),
  ReadyForQuery,
  RowDescription,
};

/** Type byte -> the message's name in BACKEND_CODES. */
const BACKEND_NAMES: ReadonlyMap<number, keyof typeof BACKEND_CODES> = new Map(
  Object.entries(BACKEND_CODES).map(([name, code]) => [code, name as keyof typeof BACKEND_CODES]),
);

/** Decodes one backend message from its type byte and body (the bytes after the length word). */
export function parseBackend(code: number, body: Buffer): BackendMessage {
  const name = BACKEND_NAMES.get(code);
  if (name === undefined) {
    throw new ProtocolError(`unknown backend message type "${String.fromCharCode(code)}" (0x${code.toString(16).padStart(2, '0')})`);
  }
  const r = new Reader(body, name);
  const msg = BACKEND_DECODERS[name](r);
  r.end();
  return msg;
}

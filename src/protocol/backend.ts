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

function writeErrorFields(w: Writer, fields: ErrorFields, unknown?: Array<[string, string]>): void {
  for (const [name, value] of Object.entries(fields) as Array<[ErrorFieldName, string | undefined]>) {
    if (value === undefined) continue;
    w.byte(ERROR_FIELD_BY_NAME[name].charCodeAt(0)).cstring(value);
  }
  for (const [code, value] of unknown ?? []) w.byte(code.charCodeAt(0)).cstring(value);
  w.byte(0);
}

/** Appends one backend message to a writer (several may share one writer, then one socket write). */
export function writeBackend(w: Writer, msg: BackendMessage): Writer {
  try {
    return writeBackendFields(w, msg);
  } catch (e) {
    // Never leave half a message in a writer that is used again (the server shares one).
    w.abandonMessage();
    throw e;
  }
}

function writeBackendFields(w: Writer, msg: BackendMessage): Writer {
  const C = BACKEND_CODES;
  switch (msg.type) {
    // Authentication* ('R'): Int32 subtype, then the subtype's payload.
    case 'AuthenticationOk':
    case 'AuthenticationKerberosV5':
    case 'AuthenticationCleartextPassword':
    case 'AuthenticationGSS':
    case 'AuthenticationSSPI':
      return w.message(C.Authentication).int32(AUTH_SUBTYPE[msg.type]).endMessage();
    case 'AuthenticationMD5Password':
      if (msg.salt.length !== 4) throw new Error('AuthenticationMD5Password: the salt is 4 bytes');
      return w.message(C.Authentication).int32(AUTH_CODES.MD5Password).bytes(msg.salt).endMessage();
    case 'AuthenticationGSSContinue':
    case 'AuthenticationSASLContinue':
    case 'AuthenticationSASLFinal':
      return w.message(C.Authentication).int32(AUTH_SUBTYPE[msg.type]).bytes(msg.data).endMessage();
    case 'AuthenticationSASL': {
      // Each mechanism name NUL-terminated, then a final NUL.
      w.message(C.Authentication).int32(AUTH_CODES.SASL);
      for (const m of msg.mechanisms) w.cstring(m);
      return w.byte(0).endMessage();
    }
    case 'ParameterStatus':
      return w.message(C.ParameterStatus).cstring(msg.name).cstring(msg.value).endMessage();
    case 'BackendKeyData':
      return w.message(C.BackendKeyData).int32(msg.processId).bytes(msg.secretKey).endMessage();
    case 'ReadyForQuery':
      return w.message(C.ReadyForQuery).byte(msg.status.charCodeAt(0)).endMessage();
    case 'ErrorResponse':
      w.message(C.ErrorResponse);
      writeErrorFields(w, msg.fields, msg.unknownFields);
      return w.endMessage();
    case 'NoticeResponse':
      w.message(C.NoticeResponse);
      writeErrorFields(w, msg.fields, msg.unknownFields);
      return w.endMessage();
    case 'NegotiateProtocolVersion': {
      w.message(C.NegotiateProtocolVersion).int32(msg.version).int32(msg.unrecognizedOptions.length);
      for (const o of msg.unrecognizedOptions) w.cstring(o);
      return w.endMessage();
    }
    case 'RowDescription': {
      w.message(C.RowDescription).int16(msg.fields.length);
      for (const f of msg.fields) {
        w.cstring(f.name).int32(f.tableOid).int16(f.columnAttrNumber).int32(f.typeOid).int16(f.typeSize).int32(f.typeModifier).int16(f.format);
      }
      return w.endMessage();
    }
    case 'DataRow': {
      w.message(C.DataRow).int16(msg.values.length);
      for (const v of msg.values) {
        if (v === null) w.int32(-1);
        else w.int32(v.length).bytes(v);
      }
      return w.endMessage();
    }
    case 'CommandComplete':
      return w.message(C.CommandComplete).cstring(msg.tag).endMessage();
    case 'EmptyQueryResponse':
      return w.message(C.EmptyQueryResponse).endMessage();
    case 'ParseComplete':
      return w.message(C.ParseComplete).endMessage();
    case 'BindComplete':
      return w.message(C.BindComplete).endMessage();
    case 'CloseComplete':
      return w.message(C.CloseComplete).endMessage();
    case 'NoData':
      return w.message(C.NoData).endMessage();
    case 'PortalSuspended':
      return w.message(C.PortalSuspended).endMessage();
    case 'ParameterDescription': {
      w.message(C.ParameterDescription).int16(msg.typeOids.length);
      for (const oid of msg.typeOids) w.int32(oid);
      return w.endMessage();
    }
  }
}

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
  r.end();
  return unknown.length ? { fields, unknownFields: unknown } : { fields };
}

/** Decodes one backend message from its type byte and body (the bytes after the length word). */
export function parseBackend(code: number, body: Buffer): BackendMessage {
  const C = BACKEND_CODES;
  const ch = String.fromCharCode(code);
  const empty = <T extends BackendMessage>(m: T): T => {
    if (body.length !== 0) throw new ProtocolError(`${m.type}: expected an empty body, got ${body.length} bytes`);
    return m;
  };
  switch (code) {
    case C.Authentication: {
      const r = new Reader(body, 'Authentication');
      const sub = r.int32();
      switch (sub) {
        case AUTH_CODES.Ok:
          r.end();
          return { type: 'AuthenticationOk' };
        case AUTH_CODES.KerberosV5:
          r.end();
          return { type: 'AuthenticationKerberosV5' };
        case AUTH_CODES.CleartextPassword:
          r.end();
          return { type: 'AuthenticationCleartextPassword' };
        case AUTH_CODES.MD5Password: {
          const salt = Buffer.from(r.bytes(4));
          r.end();
          return { type: 'AuthenticationMD5Password', salt };
        }
        case AUTH_CODES.GSS:
          r.end();
          return { type: 'AuthenticationGSS' };
        case AUTH_CODES.GSSContinue:
          return { type: 'AuthenticationGSSContinue', data: Buffer.from(r.rest()) };
        case AUTH_CODES.SSPI:
          r.end();
          return { type: 'AuthenticationSSPI' };
        case AUTH_CODES.SASL: {
          const mechanisms: string[] = [];
          for (;;) {
            const m = r.cstring();
            if (m === '') break;
            mechanisms.push(m);
          }
          r.end();
          return { type: 'AuthenticationSASL', mechanisms };
        }
        case AUTH_CODES.SASLContinue:
          return { type: 'AuthenticationSASLContinue', data: Buffer.from(r.rest()) };
        case AUTH_CODES.SASLFinal:
          return { type: 'AuthenticationSASLFinal', data: Buffer.from(r.rest()) };
        default:
          throw new ProtocolError(`Authentication: unknown request code ${sub}`);
      }
    }
    case C.ParameterStatus: {
      const r = new Reader(body, 'ParameterStatus');
      const name = r.cstring();
      const value = r.cstring();
      r.end();
      return { type: 'ParameterStatus', name, value };
    }
    case C.BackendKeyData: {
      const r = new Reader(body, 'BackendKeyData');
      const processId = r.int32();
      const secretKey = Buffer.from(r.rest());
      return { type: 'BackendKeyData', processId, secretKey };
    }
    case C.ReadyForQuery: {
      const r = new Reader(body, 'ReadyForQuery');
      const s = String.fromCharCode(r.byte());
      r.end();
      if (s !== 'I' && s !== 'T' && s !== 'E') throw new ProtocolError(`ReadyForQuery: unknown transaction status "${s}"`);
      return { type: 'ReadyForQuery', status: s };
    }
    case C.ErrorResponse:
      return { type: 'ErrorResponse', ...readErrorFields(new Reader(body, 'ErrorResponse')) };
    case C.NoticeResponse:
      return { type: 'NoticeResponse', ...readErrorFields(new Reader(body, 'NoticeResponse')) };
    case C.NegotiateProtocolVersion: {
      const r = new Reader(body, 'NegotiateProtocolVersion');
      const version = r.int32();
      const n = r.int32();
      if (n < 0) throw new ProtocolError('NegotiateProtocolVersion: negative option count');
      const unrecognizedOptions: string[] = [];
      for (let i = 0; i < n; i++) unrecognizedOptions.push(r.cstring());
      r.end();
      return { type: 'NegotiateProtocolVersion', version, unrecognizedOptions };
    }
    case C.RowDescription: {
      const r = new Reader(body, 'RowDescription');
      const n = r.int16();
      if (n < 0) throw new ProtocolError('RowDescription: negative field count');
      const fields: FieldDescription[] = [];
      for (let i = 0; i < n; i++) {
        fields.push({
          name: r.cstring(),
          tableOid: r.uint32(),
          columnAttrNumber: r.int16(),
          typeOid: r.uint32(),
          typeSize: r.int16(),
          typeModifier: r.int32(),
          format: r.int16(),
        });
      }
      r.end();
      return { type: 'RowDescription', fields };
    }
    case C.DataRow: {
      const r = new Reader(body, 'DataRow');
      const n = r.int16();
      if (n < 0) throw new ProtocolError('DataRow: negative column count');
      const values: Array<Buffer | null> = [];
      for (let i = 0; i < n; i++) {
        const len = r.int32();
        if (len < -1) throw new ProtocolError(`DataRow: invalid value length ${len}`);
        values.push(len === -1 ? null : Buffer.from(r.bytes(len)));
      }
      r.end();
      return { type: 'DataRow', values };
    }
    case C.CommandComplete: {
      const r = new Reader(body, 'CommandComplete');
      const tag = r.cstring();
      r.end();
      return { type: 'CommandComplete', tag };
    }
    case C.EmptyQueryResponse:
      return empty({ type: 'EmptyQueryResponse' });
    case C.ParseComplete:
      return empty({ type: 'ParseComplete' });
    case C.BindComplete:
      return empty({ type: 'BindComplete' });
    case C.CloseComplete:
      return empty({ type: 'CloseComplete' });
    case C.NoData:
      return empty({ type: 'NoData' });
    case C.PortalSuspended:
      return empty({ type: 'PortalSuspended' });
    case C.ParameterDescription: {
      const r = new Reader(body, 'ParameterDescription');
      const n = r.int16();
      if (n < 0) throw new ProtocolError('ParameterDescription: negative parameter count');
      const typeOids: number[] = [];
      for (let i = 0; i < n; i++) typeOids.push(r.uint32());
      r.end();
      return { type: 'ParameterDescription', typeOids };
    }
    default:
      throw new ProtocolError(`unknown backend message type "${ch}" (0x${code.toString(16).padStart(2, '0')})`);
  }
}

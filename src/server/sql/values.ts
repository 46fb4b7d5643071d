/**
 * Values on the wire, per type OID (pg_type.dat): PostgreSQL's input
 * functions for casts, the binary (format 1) output of a column, the text
 * and binary input of a Bind parameter, and the format codes that choose.
 */
import { isUtf8 } from 'node:buffer';
import { TYPE_OID } from '../../protocol/index.js';
import { PG_MAX_NAME_BYTES } from '../../roles/name.js';
import { sqlError, type WireError } from '../errors.js';

/** The type names a cast (`::int`) may use, with the name PostgreSQL gives the column. */
export const TYPE_NAMES: Record<string, { oid: number; name: string }> = {
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

/** The integer types: their range and the name their input errors use. */
export const INT_RANGE: Record<number, [bigint, bigint, string]> = {
  [TYPE_OID.int2]: [-32768n, 32767n, 'smallint'],
  [TYPE_OID.int4]: [-2147483648n, 2147483647n, 'integer'],
  [TYPE_OID.int8]: [-9223372036854775808n, 9223372036854775807n, 'bigint'],
};

/** Converts a text value to a type's text output, as PostgreSQL's input functions would accept it. */
export function castText(v: string | null, oid: number): string | null {
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
  if (oid === TYPE_OID.name) return Buffer.from(v).subarray(0, PG_MAX_NAME_BYTES).toString();
  return v;
}

/** Binary output (format 1) of a text value of a type. */
function binaryValue(v: string, oid: number): Buffer {
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
function textParam(b: Buffer): string {
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
function paramFromBinary(b: Buffer, oid: number, n = 1): string {
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

/** pg_type.typlen of the types a RowDescription names; -1 (variable) for the rest. */
const TYPE_LENGTH: Record<number, number> = {
  [TYPE_OID.bool]: 1,
  [TYPE_OID.name]: 64,
  [TYPE_OID.int8]: 8,
  [TYPE_OID.int2]: 2,
  [TYPE_OID.int4]: 4,
  [TYPE_OID.void]: 4,
};

export const typeLength = (oid: number): number => TYPE_LENGTH[oid] ?? -1;

/** Format codes are 0 (text) or 1 (binary); anything else is PostgreSQL's 22023. */
export function checkFormats(formats: number[]): void {
  for (const f of formats) if (f !== 0 && f !== 1) throw sqlError('22023', `unsupported format code: ${f}`);
}

/** Format code of column i: none = text, one = for all, else per column. */
export function formatOf(formats: number[], i: number): number {
  if (formats.length === 0) return 0;
  if (formats.length === 1) return formats[0]!;
  return formats[i] ?? 0;
}

/** A column value in the format its result format code asks for. */
export function encodeValue(v: string, oid: number, format: number): Buffer {
  return format === 1 ? binaryValue(v, oid) : Buffer.from(v, 'utf8');
}

/** A Bind parameter's text form, from the format its parameter format code gives; `n` counts from 1. */
export function decodeParam(b: Buffer, oid: number, format: number, n: number): string {
  return format === 1 ? paramFromBinary(b, oid, n) : textParam(b);
}

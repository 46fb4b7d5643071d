/**
 * PostgreSQL's name length rule, in one place. A `name` holds NAMEDATALEN - 1
 * = 63 bytes, and PostgreSQL cuts longer names in two different ways:
 *
 * - the user and database of a StartupMessage (ProcessStartupPacket in
 *   postmaster.c / backend_startup.c) are cut at byte 63 exactly, even inside
 *   a UTF-8 character: `'a'*62 + 'é'` arrives as `'a'*62` plus the lone byte
 *   0xC3, which matches no role (checked on PostgreSQL 15 and 18);
 * - an identifier in SQL (`CREATE ROLE "..."`, truncate_identifier in
 *   scansup.c) is cut with pg_mbcliplen, at the last whole character.
 */

import { PG_MAX_NAME_BYTES } from '../protocol/limits.js';

/** NAMEDATALEN - 1, re-exported for the callers that imported it from here. */
export { PG_MAX_NAME_BYTES };

/**
 * The bytes of a name cut inside a character are kept as lone surrogates
 * U+DC80..U+DCFF (Python's "surrogateescape"), so the result can never equal a
 * name read from UTF-8 text (a role file, SQL), exactly as PostgreSQL's cut
 * name matches no stored role.
 */
function decodeCut(bytes: Buffer): string {
  let start = bytes.length;
  while (start > 0 && (bytes[start - 1]! & 0xc0) === 0x80) start--; // continuation bytes
  if (start > 0 && bytes[start - 1]! >= 0xc0) start--; // the lead byte of the last character
  const lead = bytes[start];
  const need = lead === undefined ? 0 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  if (bytes.length - start >= need) return bytes.toString('utf8');
  const tail = [...bytes.subarray(start)].map((b) => String.fromCharCode(0xdc00 + b)).join('');
  return bytes.subarray(0, start).toString('utf8') + tail;
}

/** A StartupMessage user or database name as PostgreSQL keeps it: cut at byte 63 exactly. */
export function truncateStartupName(name: string): string {
  if (name.length <= 21) return name;
  const bytes = Buffer.from(name, 'utf8');
  return bytes.length <= PG_MAX_NAME_BYTES ? name : decodeCut(bytes.subarray(0, PG_MAX_NAME_BYTES));
}

/** An SQL identifier as PostgreSQL keeps it: cut to at most 63 bytes at a character boundary. */
export function truncateIdentifier(name: string): string {
  if (name.length <= 21) return name; // at most 3 UTF-8 bytes per UTF-16 unit
  const bytes = Buffer.from(name, 'utf8');
  if (bytes.length <= PG_MAX_NAME_BYTES) return name;
  let end = PG_MAX_NAME_BYTES;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

/** The name is longer than PostgreSQL keeps. */
export const nameTooLong = (name: string): boolean => Buffer.byteLength(name, 'utf8') > PG_MAX_NAME_BYTES;

import { saslprep } from '@mongodb-js/saslprep';

/**
 * PostgreSQL's pg_saslprep as its callers use it (saslprep.c, scram_build_secret,
 * libpq scram_init): pure-ASCII input is used unchanged (even control
 * characters), otherwise SASLprep (RFC 4013) is applied, and when SASLprep
 * refuses the string (prohibited or unassigned code point, bidi violation,
 * empty result, invalid UTF-8) the raw UTF-8 bytes are used instead.
 *
 * Tables come from @mongodb-js/saslprep (RFC 3454 tables, maintained) rather
 * than hand-written ones. Where it differs from PostgreSQL we correct it:
 * - it returns '' when every character maps to nothing; PostgreSQL calls that
 *   PROHIBITED, so the raw bytes are used;
 * - a lone surrogate in a JS string has no UTF-8 form; PostgreSQL would have
 *   seen invalid UTF-8 and used the raw bytes, so we use the bytes of the
 *   string as given (`Buffer.from` replaces the surrogate with U+FFFD).
 */
export function preparePassword(password: string): Buffer {
  const raw = Buffer.from(password, 'utf8');
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(password)) return raw;
  if (/[\ud800-\udfff]/.test(password.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''))) return raw;
  let prepared: string;
  try {
    prepared = saslprep(password);
  } catch {
    return raw;
  }
  if (prepared.length === 0) return raw;
  return Buffer.from(prepared, 'utf8');
}

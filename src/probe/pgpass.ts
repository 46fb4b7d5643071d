/**
 * `~/.pgpass` / PGPASSFILE as libpq reads it (`fe-connect.c passwordFromFile`,
 * `pwdfMatchesString`; docs libpq-pgpass.html): `host:port:db:user:password`,
 * `*` matches a whole field, `\` escapes `:` and `\`, first match wins, a
 * file readable by group or others is ignored with libpq's warning.
 */
import { readFileSync, statSync } from 'node:fs';
import { DEFAULT_SOCKET_DIR } from './conninfo.js';

/** A .pgpass larger than this is not read (every input is bounded). */
export const MAX_PGPASS_BYTES = 1024 * 1024;

export interface PgpassKey {
  host: string;
  port: string;
  dbname: string;
  user: string;
}

/** Splits a line into fields at unescaped `:`; returns undefined for a line with fewer than five. */
function splitLine(line: string): string[] | undefined {
  const fields: string[] = [];
  let cur = '';
  let escaped = false;
  // Fields keep their backslashes until matched, as libpq compares escaped text
  // character by character; we unescape each field as we split.
  for (const ch of line) {
    if (escaped) {
      cur += ch;
      escaped = false;
    } else if (ch === '\\') {
      escaped = true;
    } else if (ch === ':' && fields.length < 4) {
      fields.push(cur);
      cur = '';
    } else if (ch === ':' && fields.length === 4) {
      break; // the password ends at the first unescaped ':'
    } else {
      cur += ch;
    }
  }
  fields.push(cur);
  return fields.length === 5 ? fields : undefined;
}

/** The lookup, pure: the password of the first matching line. */
export function lookupPgpass(text: string, key: PgpassKey): string | undefined {
  if (key.dbname === '' || key.user === '') return undefined;
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/\r$/, '');
    if (line === '' || line.startsWith('#')) continue;
    const f = splitLine(line);
    if (!f) continue;
    const want = [key.host, key.port, key.dbname, key.user];
    // libpq matches the raw field against the value, with `*` (unescaped, alone) as a wildcard.
    const rawFields = rawFieldTexts(line);
    let ok = true;
    for (let i = 0; i < 4; i++) {
      if (rawFields[i] === '*') continue;
      if (f[i] !== want[i]) {
        ok = false;
        break;
      }
    }
    if (ok) return f[4];
  }
  return undefined;
}

/** The first four fields before unescaping, to tell `*` from `\*`. */
function rawFieldTexts(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < line.length && out.length < 4; i++) {
    const ch = line[i]!;
    if (ch === '\\' && i + 1 < line.length) {
      cur += ch + line[i + 1];
      i++;
    } else if (ch === ':') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  return out;
}

/** The host libpq looks up: an empty host or the default socket directory is `localhost`. */
export function pgpassHost(host: string, hostaddr?: string): string {
  const h = host !== '' ? host : (hostaddr ?? '');
  if (h === '' || h === DEFAULT_SOCKET_DIR) return 'localhost';
  return h;
}

export interface PgpassResult {
  password?: string;
  /** libpq's warnings, printed to stderr by the caller. */
  warnings: string[];
  /** Why the file was not read at all (libpq ignores it with a warning): told apart from "no matching line". */
  ignored?: string;
}

/** Reads the file (checking type and permissions like libpq) and looks the key up. */
export function passwordFromFile(path: string, key: PgpassKey): PgpassResult {
  let st;
  try {
    st = statSync(path);
  } catch {
    return { warnings: [] }; // no file: silently nothing, as libpq
  }
  if (!st.isFile()) return { warnings: [`password file "${path}" is not a plain file`], ignored: `${path} is not a plain file` };
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
    const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
    return {
      warnings: [`password file "${path}" has group or world access; permissions should be u=rw (0600) or less`],
      ignored: `${path} has mode ${mode}: libpq ignores a password file that group or others can read (chmod 0600 ${path})`,
    };
  }
  if (st.size > MAX_PGPASS_BYTES) return { warnings: [`password file "${path}" is larger than ${MAX_PGPASS_BYTES} bytes; ignored`], ignored: `${path} is larger than ${MAX_PGPASS_BYTES} bytes` };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { warnings: [] };
  }
  const password = lookupPgpass(text, key);
  return password === undefined ? { warnings: [] } : { password, warnings: [] };
}

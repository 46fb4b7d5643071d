/**
 * The role file's text <-> data, pure (no files): PgBouncer's auth_file
 * ("userlist.txt") plus pgauth's attribute words after the two quoted fields.
 *
 * The reader follows PgBouncer's own loader (`src/loader.c load_auth_file`,
 * `find_quote`, `copy_quoted`) byte for byte, so that what pgauth believes is
 * in the file is what PgBouncer loads: `;` comments only, the first line that
 * does not start with `"` (a `#` comment, an unquoted line, a UTF-8 BOM) or a
 * name of 128 bytes or more stops PgBouncer for the rest of the file, the
 * separator between the two fields may be anything (even a newline), the rest
 * of the line after the secret is ignored, the last duplicate wins.
 *
 * Unlike PgBouncer, pgauth keeps reading after such a stop (to report every
 * trap at once), but the roles found there are marked `read: false` and are
 * not part of the effective role set.
 *
 * Text is handled as bytes (a latin1 string, one char per byte) so that a
 * rewrite keeps every line it does not change byte-exact, whatever encoding
 * it has; names and secrets are decoded as UTF-8.
 */
import type { SecretKind } from '../secrets/index.js';
import { isCSpace, lineIndex, quoteFinder } from './scan.js';
import { checkSecret } from './secret-check.js';
import { PG_MAX_NAME_BYTES } from './name.js';

export interface RoleAttributes {
  /** `rolvaliduntil`: ISO-8601 UTC (`2027-01-01T00:00:00Z`) or `infinity`. */
  validUntil?: string;
  /** `NOT rolcanlogin`. */
  nologin?: boolean;
  /** `rolconnlimit` (absent = no limit, PostgreSQL's -1). */
  connLimit?: number;
  /** Roles this role is a member of (for `+group` in pg_hba.conf). */
  memberOf?: string[];
}

export interface Finding {
  /** 1-based line number; 0 for the file as a whole (e.g. its permissions). */
  line: number;
  severity: 'error' | 'warning';
  code: string;
  message: string;
}

/** One role as read from the file. */
export interface RoleEntry {
  name: string;
  secret: string;
  attrs: RoleAttributes;
  /** Line of the opening quote of the name. */
  line: number;
  /** Line where the entry ends (differs from `line` only for a split entry). */
  endLine: number;
  /** PgBouncer loads this entry (it comes before the first stop). */
  read: boolean;
  /** A trailing `; comment` after the attribute words, kept on rewrite. */
  comment?: string;
  /** Words after the secret pgauth does not know, space-separated; kept when the role is rewritten. */
  extra?: string;
  /** The secret's kind as PostgreSQL reads it (set by the parser). */
  kind?: SecretKind | 'empty';
  /** The SCRAM iteration count (set by the parser). */
  iterations?: number;
}

/** Whole physical lines of the file; an entry owns the lines it spans. */
export interface Chunk {
  startLine: number;
  endLine: number;
  /** The lines' bytes (latin1 string), joined with LF, without the last LF. */
  raw: string;
  entry?: RoleEntry;
}

export interface ParsedRoleFile {
  chunks: Chunk[];
  entries: RoleEntry[];
  findings: Finding[];
  /** The file's last byte is LF (or the file is empty). */
  endsWithNewline: boolean;
  /** Where PgBouncer stops reading, if it does. */
  stop?: { line: number; code: string };
}

/** PgBouncer's MAX_USERNAME: a raw (still quoted) name of this many bytes stops the loader. */
export const PGBOUNCER_MAX_USERNAME = 128;
/** PgBouncer 1.18's MAX_PASSWORD (2048; 65531 since 1.21): a longer raw secret stops the loader. */
export const PGBOUNCER_MAX_PASSWORD = 2048;
export { PG_MAX_NAME_BYTES };
/** Attribute-word problems reported per line; more are summed up in one more problem. */
const MAX_PROBLEMS_PER_LINE = 3;
/**
 * Findings listed per severity; the rest are counted in one `more-findings`
 * finding (line 0). Without a cap a 64 MiB file of broken lines would make
 * millions of findings and exhaust memory (and `pgauth serve` reads this file).
 */
export const MAX_FINDINGS_PER_SEVERITY = 500;

const BOM = '\xEF\xBB\xBF';

/** PgBouncer's copy_quoted: a `"` is dropped and the byte after it copied. */
function unquote(raw: string): string {
  if (!raw.includes('"')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === '"') i++;
    if (i < raw.length) out += raw[i];
  }
  return out;
}

const ASCII_RE = /^[\x00-\x7f]*$/;

/** Bytes (latin1 string) to text; undefined when they are not valid UTF-8. */
function decodeUtf8(bytes: string): string | undefined {
  if (ASCII_RE.test(bytes)) return bytes;
  const buf = Buffer.from(bytes, 'latin1');
  const text = buf.toString('utf8');
  return Buffer.from(text, 'utf8').equals(buf) ? text : undefined;
}

const toBytes = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');

/** `"` doubled, in quotes: the one quoting PgBouncer reads back unchanged. */
export function quoteField(text: string): string {
  return `"${text.replace(/"/g, '""')}"`;
}

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Normalises a `VALID UNTIL` value to ISO-8601 UTC without milliseconds, or
 * `infinity`. Accepts `YYYY-MM-DD[ HH:MM[:SS[.frac]]][Z|±HH[:MM]]` (what
 * pg_dumpall prints with DateStyle ISO); a value without a zone is UTC.
 * Returns undefined for anything else.
 */
export function normalizeValidUntil(value: string): string | undefined {
  const v = value.trim();
  if (v.toLowerCase() === 'infinity') return 'infinity';
  const m = ISO_RE.exec(v);
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac, zone] = m;
  // The calendar date itself must exist, whatever the zone: Date.parse rolls
  // 2027-02-31 over to March. Year 0 does not exist for PostgreSQL either.
  const daysInMonth = new Date(Date.UTC(Number(y), Number(mo), 0)).getUTCDate();
  if (Number(y) < 1 || Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > daysInMonth) return undefined;
  let z = (zone ?? 'Z').toUpperCase();
  if (z !== 'Z') {
    const zm = /^([+-]\d{2}):?(\d{2})?$/.exec(z)!;
    z = `${zm[1]}:${zm[2] ?? '00'}`;
  }
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}${frac ? '.' + frac.padEnd(3, '0').slice(0, 3) : ''}${z}`;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return undefined;
  // Reject dates Date.parse silently rolls over (2027-02-31).
  if (z === 'Z' && new Date(t).toISOString().slice(0, 10) !== `${y}-${mo}-${d}`) return undefined;
  return new Date(t).toISOString().replace('.000Z', 'Z');
}

/** A role name usable in `member-of=` (no separators of the attribute syntax). */
export function memberNameProblem(name: string): string | undefined {
  if (name === '') return 'an empty role name';
  if (/[\s,;"=\0]/.test(name)) return `role name ${JSON.stringify(name)} has a space, comma, semicolon, quote or '=' (not representable in member-of=)`;
  return undefined;
}

/** Parses the words after the secret (text, not bytes). Problems are returned, not thrown. */
export function parseAttributeWords(rest: string): {
  attrs: RoleAttributes;
  comment?: string;
  /** The unknown words, space-separated (kept on rewrite). */
  extra?: string;
  problems: Array<{ severity: 'error' | 'warning'; code: string; message: string }>;
} {
  const attrs: RoleAttributes = {};
  const problems: Array<{ severity: 'error' | 'warning'; code: string; message: string }> = [];
  let text = rest.endsWith('\r') ? rest.slice(0, -1) : rest;
  let comment: string | undefined;
  const semi = text.indexOf(';');
  if (semi >= 0) {
    comment = text.slice(semi).trimEnd();
    text = text.slice(0, semi);
  }
  // A line may hold millions of words: report at most a few per line (every input is bounded).
  const unknown: string[] = [];
  const extra: string[] = [];
  let unknownCount = 0;
  let badCount = 0;
  for (const word of text.split(/[ \t\v\f\r]+/).filter((w) => w !== '')) {
    const eq = word.indexOf('=');
    const key = eq >= 0 ? word.slice(0, eq) : word;
    const value = eq >= 0 ? word.slice(eq + 1) : undefined;
    const bad = (message: string) => {
      if (++badCount <= MAX_PROBLEMS_PER_LINE) problems.push({ severity: 'error', code: 'bad-attribute', message });
    };
    if (word === '""') continue; // the empty third field old mkauth.py wrote (pgbouncer#1351)
    if (key === 'valid-until' && value !== undefined) {
      const v = normalizeValidUntil(value);
      if (v === undefined) bad(`valid-until=${value} is not an ISO-8601 timestamp or 'infinity'`);
      else attrs.validUntil = v;
    } else if (word === 'nologin') {
      attrs.nologin = true;
    } else if (word === 'login') {
      delete attrs.nologin;
    } else if (key === 'conn-limit' && value !== undefined) {
      if (!/^-?\d{1,10}$/.test(value) || Number(value) < -1 || Number(value) > 2147483647) bad(`conn-limit=${value} is not an integer >= -1`);
      else if (Number(value) === -1) delete attrs.connLimit;
      else attrs.connLimit = Number(value);
    } else if (key === 'member-of' && value !== undefined) {
      const names = value.split(',');
      const problem = names.map(memberNameProblem).find((p) => p !== undefined);
      if (problem) bad(`member-of=${value}: ${problem}`);
      else attrs.memberOf = [...new Set(names)];
    } else {
      extra.push(word);
      if (++unknownCount <= MAX_PROBLEMS_PER_LINE) unknown.push(JSON.stringify(word.length > 60 ? `${word.slice(0, 60)}...` : word));
    }
  }
  if (badCount > MAX_PROBLEMS_PER_LINE) {
    problems.push({ severity: 'error', code: 'bad-attribute', message: `${badCount - MAX_PROBLEMS_PER_LINE} more unreadable attribute words on this line` });
  }
  if (unknownCount > 0) {
    const more = unknownCount > unknown.length ? ` (and ${unknownCount - unknown.length} more)` : '';
    problems.push({
      severity: 'warning',
      code: 'unknown-attribute',
      message: `unknown word${unknownCount === 1 ? '' : 's'} ${unknown.join(', ')}${more} after the secret (PgBouncer ignores ${unknownCount === 1 ? 'it' : 'them'}; pgauth knows valid-until=, nologin, conn-limit=, member-of=)`,
    });
  }
  return {
    attrs,
    ...(comment !== undefined ? { comment } : {}),
    ...(extra.length > 0 ? { extra: extra.join(' ') } : {}),
    problems,
  };
}

/** The attribute words pgauth writes, in a fixed order. */
export function formatAttributes(attrs: RoleAttributes): string[] {
  const words: string[] = [];
  if (attrs.validUntil !== undefined) words.push(`valid-until=${attrs.validUntil}`);
  if (attrs.nologin) words.push('nologin');
  if (attrs.connLimit !== undefined && attrs.connLimit >= 0) words.push(`conn-limit=${attrs.connLimit}`);
  if (attrs.memberOf && attrs.memberOf.length > 0) words.push(`member-of=${attrs.memberOf.join(',')}`);
  return words;
}

export interface RoleLine {
  name: string;
  secret: string;
  attrs: RoleAttributes;
  /** Unknown words of the line it replaces, written after the attribute words. */
  extra?: string;
  comment?: string;
}

/** Why a name cannot be written so that PgBouncer reads it back, or undefined. */
export function roleNameProblem(name: string): string | undefined {
  if (name === '') return 'the role name is empty';
  if (/[\0\r\n]/.test(name)) return 'the role name contains a NUL, CR or LF character';
  const raw = Buffer.byteLength(name.replace(/"/g, '""'), 'utf8');
  if (raw >= PGBOUNCER_MAX_USERNAME) return `the role name is ${raw} bytes as written; PgBouncer stops reading the file at names of ${PGBOUNCER_MAX_USERNAME} bytes or more`;
  return undefined;
}

/** Why a secret cannot be written so that PgBouncer reads it back, or undefined. */
export function secretProblem(secret: string): string | undefined {
  if (/[\0\r\n]/.test(secret)) return 'the secret contains a NUL, CR or LF character';
  const raw = Buffer.byteLength(secret.replace(/"/g, '""'), 'utf8');
  if (raw >= PGBOUNCER_MAX_PASSWORD) return `the secret is ${raw} bytes as written; PgBouncer 1.18 stops reading the file at ${PGBOUNCER_MAX_PASSWORD} bytes or more`;
  return undefined;
}

/** The canonical line `"name" "secret" attrs... [extra words] [; comment]` (UTF-8 text, no LF). Throws on an unwritable name or secret. */
export function formatRoleLine(role: RoleLine): string {
  const problem = roleNameProblem(role.name) ?? secretProblem(role.secret);
  if (problem) throw new Error(problem);
  const parts = [quoteField(role.name), quoteField(role.secret), ...formatAttributes(role.attrs)];
  if (role.extra) parts.push(role.extra);
  if (role.comment) parts.push(role.comment);
  return parts.join(' ');
}

const printable = (bytes: string): string => JSON.stringify(decodeUtf8(bytes) ?? bytes);

type FindFn = (line: number, severity: Finding['severity'], code: string, message: string) => void;

/** Findings across lines: duplicate names (PgBouncer keeps the last) and one md5 hash under two names. */
function crossLineFindings(entries: readonly RoleEntry[], find: FindFn): void {
  // Duplicates: PgBouncer keeps the last one it reads.
  const lastByName = new Map<string, RoleEntry>();
  for (const e of entries) if (e.read) lastByName.set(e.name, e);
  for (const e of entries) {
    const last = lastByName.get(e.name);
    if (e.read && last && last !== e) {
      find(e.line, 'warning', 'duplicate', `role ${JSON.stringify(e.name)} appears again on line ${last.line}; PgBouncer keeps the last one, this line has no effect`);
    }
  }
  // An md5 hash is salted with the role name; the same hash under two names means a copied or renamed role.
  const md5Owner = new Map<string, RoleEntry>();
  for (const e of lastByName.values()) {
    if (!/^md5[0-9a-f]{32}$/.test(e.secret)) continue;
    const other = md5Owner.get(e.secret);
    if (other && other.name !== e.name) {
      find(e.line, 'warning', 'md5-wrong-name', `role ${JSON.stringify(e.name)} has the same md5 secret as ${JSON.stringify(other.name)} (line ${other.line}); md5 is salted with the role name, so at most one of them can log in (renamed role?)`);
    } else md5Owner.set(e.secret, e);
  }
}

/** One entry's own findings: its separator, its fields, its attribute words, its name and its secret. */
function entryFindings(
  entry: RoleEntry,
  raw: { rawName: string; rawSecret: string; between: string; nameIsUtf8: boolean; secretIsUtf8: boolean; problems: ReturnType<typeof parseAttributeWords>['problems'] },
  find: FindFn,
): void {
  const { line, endLine } = entry;
  if (raw.between.includes('\n')) {
    find(line, 'error', 'secret-on-next-line', `role ${printable(raw.rawName)} has no secret on its line: PgBouncer takes the next quoted string (line ${endLine}) as its secret and skips the rest of that line`);
  } else if (!/^[ \t\v\f\r]+$/.test(raw.between)) {
    find(line, 'error', 'junk-between-fields', `${JSON.stringify(raw.between)} between the name and the secret (PgBouncer skips it silently; write "name" "secret")`);
  }
  if (/[\r\n]/.test(raw.rawName) || /[\r\n]/.test(raw.rawSecret)) {
    find(line, 'error', 'newline-in-field', `a quoted field of role ${printable(raw.rawName)} spans lines ${line}-${endLine}`);
  }
  for (const pr of raw.problems) find(line, pr.severity, pr.code, pr.message);
  if (!raw.nameIsUtf8) find(line, 'warning', 'invalid-utf8', `the role name ${printable(raw.rawName)} is not valid UTF-8`);
  if (!raw.secretIsUtf8) find(line, 'warning', 'invalid-utf8', 'the secret is not valid UTF-8');
  if (entry.name === '') find(line, 'warning', 'empty-name', 'the role name is empty (PostgreSQL has no such role)');
  else if (Buffer.byteLength(entry.name, 'utf8') > PG_MAX_NAME_BYTES) {
    find(line, 'warning', 'name-truncated', `the role name is longer than ${PG_MAX_NAME_BYTES} bytes; PostgreSQL truncates it`);
  }
  const secretCheck = checkSecret(entry);
  if (secretCheck) find(line, secretCheck.severity, secretCheck.code, secretCheck.message);
}

/** Whole lines per chunk: each entry owns its lines; every other line is its own chunk. */
function buildChunks(lines: ReturnType<typeof lineIndex>, owned: ReadonlyArray<{ start: number; end: number; entry: RoleEntry }>): Chunk[] {
  const chunks: Chunk[] = [];
  let next = 0;
  for (let ln = 1; ln <= lines.count; ) {
    const o = owned[next];
    if (o && o.start === ln) {
      chunks.push({ startLine: o.start, endLine: o.end, raw: lines.text(o.start, o.end), entry: o.entry });
      ln = o.end + 1;
      next++;
      while (owned[next] && owned[next]!.start < ln) next++;
    } else {
      chunks.push({ startLine: ln, endLine: ln, raw: lines.text(ln, ln) });
      ln++;
    }
  }
  return chunks;
}

/** Parses a role file's bytes (a string is taken as UTF-8 text). */
export function parseRoleFile(input: Buffer | string): ParsedRoleFile {
  const s = (typeof input === 'string' ? Buffer.from(input, 'utf8') : input).toString('latin1');
  const lines = lineIndex(s);
  const lineOf = lines.lineOf;
  const findQuote = quoteFinder(s);
  const findings: Finding[] = [];
  const entries: RoleEntry[] = [];
  /** Line ranges owned by entries, and lines where reading broke. */
  const owned: Array<{ start: number; end: number; entry: RoleEntry }> = [];
  let stop: ParsedRoleFile['stop'];
  const omitted: Record<Finding['severity'], number> = { error: 0, warning: 0 };
  const listed: Record<Finding['severity'], number> = { error: 0, warning: 0 };
  const find = (line: number, severity: Finding['severity'], code: string, message: string, always = false) => {
    if (!always && listed[severity] >= MAX_FINDINGS_PER_SEVERITY) {
      omitted[severity]++;
      return;
    }
    listed[severity]++;
    findings.push({ line, severity, code, message });
  };

  /** PgBouncer stops here; pgauth notes it and resumes at the next line. */
  const broken = (pos: number, code: string, why: string): number => {
    const line = lineOf(pos);
    const first = stop === undefined;
    if (first) stop = { line, code };
    // The stop itself is always listed: it is the finding that matters most.
    find(line, 'error', code, first ? `${why}; PgBouncer logs "broken auth file" and ignores this line and every line after it` : `${why} (PgBouncer stopped reading earlier, at line ${stop!.line})`, first);
    const eol = s.indexOf('\n', pos);
    return eol < 0 ? s.length : eol + 1;
  };

  let p = 0;
  while (p < s.length) {
    while (p < s.length && isCSpace(s.charCodeAt(p))) p++;
    if (p >= s.length) break;
    const c = s[p]!;
    if (c === '\0') {
      // load_auth_file loops `while (*p)`: a NUL ends the file without a word in the log.
      p = broken(p, 'nul-byte', 'a NUL byte: PgBouncer silently ends the file here');
      continue;
    }
    if (c === ';') {
      const eol = s.indexOf('\n', p);
      p = eol < 0 ? s.length : eol;
      continue;
    }
    if (c !== '"') {
      if (p === 0 && s.startsWith(BOM)) p = broken(p, 'bom', 'the file starts with a UTF-8 byte-order mark (no user is loaded at all)');
      else if (c === '#') p = broken(p, 'hash-comment', "'#' does not start a comment in an auth_file (only ';' does)");
      else p = broken(p, 'unquoted', 'the line does not start with a double-quoted name');
      continue;
    }
    const nameStart = p + 1;
    const nameEnd = findQuote(nameStart, false);
    if (s[nameEnd] !== '"') {
      p = broken(p, 'unterminated-quote', 'the quoted name is never closed');
      continue;
    }
    if (nameEnd - nameStart >= PGBOUNCER_MAX_USERNAME) {
      broken(p, 'name-too-long', `the name is ${nameEnd - nameStart} bytes (PgBouncer's limit is ${PGBOUNCER_MAX_USERNAME - 1}): "username too long in auth file"`);
      const eol = s.indexOf('\n', nameEnd);
      p = eol < 0 ? s.length : eol + 1;
      continue;
    }
    const secretQuote = findQuote(nameEnd + 1, true);
    if (s[secretQuote] !== '"') {
      p = broken(p, 'missing-secret', 'the name is not followed by a double-quoted secret');
      continue;
    }
    const secretStart = secretQuote + 1;
    const secretEnd = findQuote(secretStart, false);
    if (s[secretEnd] !== '"') {
      p = broken(p, 'unterminated-quote', 'the quoted secret is never closed');
      continue;
    }
    if (secretEnd - secretStart >= PGBOUNCER_MAX_PASSWORD) {
      broken(p, 'secret-too-long', `the secret is ${secretEnd - secretStart} bytes (PgBouncer 1.18's limit is ${PGBOUNCER_MAX_PASSWORD - 1}): "password too long in auth file"`);
      const eol = s.indexOf('\n', secretEnd);
      p = eol < 0 ? s.length : eol + 1;
      continue;
    }
    let eol = s.indexOf('\n', secretEnd);
    if (eol < 0) eol = s.length;
    const line = lineOf(p);
    const endLine = lineOf(secretEnd);
    const rawName = s.slice(nameStart, nameEnd);
    const rawSecret = s.slice(secretStart, secretEnd);
    const name = decodeUtf8(unquote(rawName));
    const secret = decodeUtf8(unquote(rawSecret));
    // The rest of the line as text (like the name and the secret), so that a
    // comment or a member-of= name in UTF-8 survives a rewrite of this line.
    const restBytes = s.slice(secretEnd + 1, eol);
    const { attrs, comment, extra, problems } = parseAttributeWords(decodeUtf8(restBytes) ?? Buffer.from(restBytes, 'latin1').toString('utf8'));
    const entry: RoleEntry = {
      name: name ?? Buffer.from(unquote(rawName), 'latin1').toString('utf8'),
      secret: secret ?? Buffer.from(unquote(rawSecret), 'latin1').toString('utf8'),
      attrs,
      line,
      endLine,
      read: stop === undefined,
      ...(comment !== undefined ? { comment } : {}),
      ...(extra !== undefined ? { extra } : {}),
    };
    entries.push(entry);
    owned.push({ start: line, end: lineOf(eol === s.length ? Math.max(eol - 1, 0) : eol), entry });

    entryFindings(entry, { rawName, rawSecret, between: s.slice(nameEnd + 1, secretQuote), nameIsUtf8: name !== undefined, secretIsUtf8: secret !== undefined, problems }, find);
    p = eol;
  }

  crossLineFindings(entries, find);
  if (stop !== undefined) {
    const lost = entries.filter((e) => !e.read).length;
    if (lost > 0) {
      const f = findings.find((x) => x.line === stop!.line && x.severity === 'error');
      if (f) f.message += ` (${lost} role${lost === 1 ? '' : 's'} below it ${lost === 1 ? 'is' : 'are'} not loaded)`;
    }
  }
  findings.sort((a, b) => a.line - b.line);
  for (const severity of ['error', 'warning'] as const) {
    if (omitted[severity] > 0) {
      findings.push({
        line: 0,
        severity,
        code: 'more-findings',
        message: `${omitted[severity]} more ${severity}${omitted[severity] === 1 ? '' : 's'} not listed (at most ${MAX_FINDINGS_PER_SEVERITY} of each kind are)`,
      });
    }
  }

  const chunks = buildChunks(lines, owned);
  return stop !== undefined
    ? { chunks, entries, findings, endsWithNewline: s === '' || s.endsWith('\n'), stop }
    : { chunks, entries, findings, endsWithNewline: s === '' || s.endsWith('\n') };
}

/** The roles PgBouncer ends up with: entries before the first stop, the last duplicate winning. */
export function effectiveRoles(parsed: ParsedRoleFile): Map<string, RoleEntry> {
  const roles = new Map<string, RoleEntry>();
  for (const e of parsed.entries) if (e.read) roles.set(e.name, e);
  return roles;
}

/**
 * Rewrites a parsed file: `edits` maps a role name to its new line, or to
 * null to remove it. An edited role replaces its last (effective) line in
 * place and its earlier duplicates are dropped; new roles are appended.
 * Every other line is kept byte for byte. Output: LF endings for new lines.
 */
export function renderRoleFile(parsed: ParsedRoleFile, edits: ReadonlyMap<string, RoleLine | null>): Buffer {
  const effective = effectiveRoles(parsed);
  const out: string[] = [];
  for (const chunk of parsed.chunks) {
    const e = chunk.entry;
    if (e && e.read && edits.has(e.name)) {
      const edit = edits.get(e.name)!;
      if (edit !== null && effective.get(e.name) === e) out.push(toBytes(formatRoleLine(edit)));
      continue;
    }
    out.push(chunk.raw);
  }
  for (const [name, edit] of edits) {
    if (edit !== null && !effective.has(name)) out.push(toBytes(formatRoleLine(edit)));
  }
  // Every line ends with LF, including a last line that had none.
  return Buffer.from(out.length > 0 ? out.join('\n') + '\n' : '', 'latin1');
}

/** A whole file in canonical form (for `export --format userlist`). */
export function formatRoleFile(roles: Iterable<RoleLine>): string {
  let text = '';
  for (const r of roles) text += formatRoleLine(r) + '\n';
  return text;
}

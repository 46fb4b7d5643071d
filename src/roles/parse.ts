/**
 * Reading the role file, pure (no files): PgBouncer's auth_file
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
import { parseAttributeWords } from './attributes.js';
import { PG_MAX_NAME_BYTES, nameTooLong } from './name.js';
import {
  PGBOUNCER_MAX_PASSWORD,
  PGBOUNCER_MAX_USERNAME,
  type Chunk,
  type Finding,
  type ParsedRoleFile,
  type RoleEntry,
} from './role-file.js';
import { isCSpace, lineIndex, quoteFinder } from './scan.js';
import { checkSecret } from './secret-check.js';
import { roleFix, type RoleFindingCode } from './finding-rules.js';

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

const printable = (bytes: string): string => JSON.stringify(decodeUtf8(bytes) ?? bytes);

/** Findings across lines: duplicate names (PgBouncer keeps the last) and one md5 hash under two names. */
function crossLineFindings(entries: readonly RoleEntry[], find: Findings['add']): void {
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
      find(e.line, 'warning', 'md5-wrong-name', `role ${JSON.stringify(e.name)} has the same md5 secret as ${JSON.stringify(other.name)} (line ${other.line}); md5 is salted with the role name, so at most one of them can log in (renamed role?)`, false, e.name);
    } else md5Owner.set(e.secret, e);
  }
}

/** One entry's own findings: its separator, its fields, its attribute words, its name and its secret. */
function entryFindings(
  entry: RoleEntry,
  raw: { rawName: string; rawSecret: string; between: string; nameIsUtf8: boolean; secretIsUtf8: boolean; problems: ReturnType<typeof parseAttributeWords>['problems'] },
  find: Findings['add'],
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
  else if (nameTooLong(entry.name)) {
    find(line, 'warning', 'name-truncated', `the role name is longer than ${PG_MAX_NAME_BYTES} bytes; PostgreSQL truncates it`);
  }
  const secretCheck = checkSecret(entry);
  if (secretCheck) find(line, secretCheck.severity, secretCheck.code, secretCheck.message, false, entry.name);
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

/** The findings of one file, at most MAX_FINDINGS_PER_SEVERITY listed per severity. */
class Findings {
  readonly list: Finding[] = [];
  private readonly listed: Record<Finding['severity'], number> = { error: 0, warning: 0 };
  private readonly omitted: Record<Finding['severity'], number> = { error: 0, warning: 0 };

  /** Lists a finding, or counts it past the cap (`always`: listed anyway); `role` names the role in its fix. */
  readonly add = (line: number, severity: Finding['severity'], code: RoleFindingCode, message: string, always = false, role?: string): void => {
    if (!always && this.listed[severity] >= MAX_FINDINGS_PER_SEVERITY) {
      this.omitted[severity]++;
      return;
    }
    this.listed[severity]++;
    this.list.push({ line, severity, code, message, fix: roleFix(code, role) });
  };

  /** The findings by line, then one `more-findings` per severity that went past the cap. */
  sorted(): Finding[] {
    const findings = [...this.list].sort((a, b) => a.line - b.line);
    for (const severity of ['error', 'warning'] as const) {
      const n = this.omitted[severity];
      if (n > 0) {
        findings.push({
          line: 0,
          severity,
          code: 'more-findings',
          message: `${n} more ${severity}${n === 1 ? '' : 's'} not listed (at most ${MAX_FINDINGS_PER_SEVERITY} of each kind are)`,
          fix: roleFix('more-findings'),
        });
      }
    }
    return findings;
  }
}

/** Where one entry's quoted fields are: offsets of the quotes in the file. */
interface FieldBounds {
  /** The opening quote of the name. */
  start: number;
  nameEnd: number;
  /** The opening quote of the secret. */
  secretQuote: number;
  secretEnd: number;
}

/**
 * PgBouncer's load_auth_file over the whole text: each step reads a
 * comment, an entry, or a line where PgBouncer stops (and pgauth resumes).
 */
class RoleFileReader {
  readonly entries: RoleEntry[] = [];
  /** Line ranges owned by entries. */
  readonly owned: Array<{ start: number; end: number; entry: RoleEntry }> = [];
  /** Where PgBouncer stops reading, if it does. */
  stop: ParsedRoleFile['stop'];
  private readonly findQuote: ReturnType<typeof quoteFinder>;

  constructor(
    private readonly s: string,
    private readonly lines: ReturnType<typeof lineIndex>,
    private readonly findings: Findings,
  ) {
    this.findQuote = quoteFinder(s);
  }

  /** Reads the whole text. */
  read(): void {
    const s = this.s;
    let p = 0;
    while (p < s.length) {
      while (p < s.length && isCSpace(s.charCodeAt(p))) p++;
      if (p >= s.length) break;
      p = this.step(p);
    }
  }

  /** One step from a non-space byte; returns where to go on. */
  private step(p: number): number {
    const c = this.s[p]!;
    // load_auth_file loops `while (*p)`: a NUL ends the file without a word in the log.
    if (c === '\0') return this.broken(p, 'nul-byte', 'a NUL byte: PgBouncer silently ends the file here');
    if (c === ';') return this.endOfLine(p);
    if (c === '"') return this.quotedEntry(p);
    if (p === 0 && this.s.startsWith(BOM)) return this.broken(p, 'bom', 'the file starts with a UTF-8 byte-order mark (no user is loaded at all)');
    if (c === '#') return this.broken(p, 'hash-comment', "'#' does not start a comment in an auth_file (only ';' does)");
    return this.broken(p, 'unquoted', 'the line does not start with a double-quoted name');
  }

  /** The LF ending the line at `pos`, or the end of the text. */
  private endOfLine(pos: number): number {
    const eol = this.s.indexOf('\n', pos);
    return eol < 0 ? this.s.length : eol;
  }

  /**
   * PgBouncer stops here; pgauth notes it and resumes at the line after
   * `resumeFrom` (PgBouncer's limits are checked once a field is closed, so
   * that field may run over several lines).
   */
  private broken(pos: number, code: RoleFindingCode, why: string, resumeFrom = pos): number {
    const line = this.lines.lineOf(pos);
    const first = this.stop === undefined;
    if (first) this.stop = { line, code };
    // The stop itself is always listed: it is the finding that matters most.
    const message = first
      ? `${why}; PgBouncer logs "broken auth file" and ignores this line and every line after it`
      : `${why} (PgBouncer stopped reading earlier, at line ${this.stop!.line})`;
    this.findings.add(line, 'error', code, message, first);
    return Math.min(this.endOfLine(resumeFrom) + 1, this.s.length);
  }

  /** `"name" "secret"`, as find_quote finds them; PgBouncer stops at a field never closed or too long. */
  private quotedEntry(start: number): number {
    const s = this.s;
    const nameEnd = this.findQuote(start + 1, false);
    if (s[nameEnd] !== '"') return this.broken(start, 'unterminated-quote', 'the quoted name is never closed');
    const nameBytes = nameEnd - start - 1;
    if (nameBytes >= PGBOUNCER_MAX_USERNAME) {
      const why = `the name is ${nameBytes} bytes (PgBouncer's limit is ${PGBOUNCER_MAX_USERNAME - 1}): "username too long in auth file"`;
      return this.broken(start, 'name-too-long', why, nameEnd);
    }
    const secretQuote = this.findQuote(nameEnd + 1, true);
    if (s[secretQuote] !== '"') return this.broken(start, 'missing-secret', 'the name is not followed by a double-quoted secret');
    const secretEnd = this.findQuote(secretQuote + 1, false);
    if (s[secretEnd] !== '"') return this.broken(start, 'unterminated-quote', 'the quoted secret is never closed');
    const secretBytes = secretEnd - secretQuote - 1;
    if (secretBytes >= PGBOUNCER_MAX_PASSWORD) {
      const why = `the secret is ${secretBytes} bytes (PgBouncer 1.18's limit is ${PGBOUNCER_MAX_PASSWORD - 1}): "password too long in auth file"`;
      return this.broken(start, 'secret-too-long', why, secretEnd);
    }
    return this.entry({ start, nameEnd, secretQuote, secretEnd });
  }

  /** One role: its fields decoded, the rest of the line read as attribute words, its findings. */
  private entry(at: FieldBounds): number {
    const s = this.s;
    const eol = this.endOfLine(at.secretEnd);
    const line = this.lines.lineOf(at.start);
    const rawName = s.slice(at.start + 1, at.nameEnd);
    const rawSecret = s.slice(at.secretQuote + 1, at.secretEnd);
    const name = decodeUtf8(unquote(rawName));
    const secret = decodeUtf8(unquote(rawSecret));
    // The rest of the line as text (like the name and the secret), so that a
    // comment or a member-of= name in UTF-8 survives a rewrite of this line.
    const restBytes = s.slice(at.secretEnd + 1, eol);
    const { attrs, comment, extra, problems } = parseAttributeWords(decodeUtf8(restBytes) ?? Buffer.from(restBytes, 'latin1').toString('utf8'));
    const entry: RoleEntry = {
      name: name ?? Buffer.from(unquote(rawName), 'latin1').toString('utf8'),
      secret: secret ?? Buffer.from(unquote(rawSecret), 'latin1').toString('utf8'),
      attrs,
      line,
      endLine: this.lines.lineOf(at.secretEnd),
      read: this.stop === undefined,
      ...(comment !== undefined ? { comment } : {}),
      ...(extra !== undefined ? { extra } : {}),
    };
    this.entries.push(entry);
    this.owned.push({ start: line, end: this.lines.lineOf(eol === s.length ? Math.max(eol - 1, 0) : eol), entry });
    const between = s.slice(at.nameEnd + 1, at.secretQuote);
    entryFindings(entry, { rawName, rawSecret, between, nameIsUtf8: name !== undefined, secretIsUtf8: secret !== undefined, problems }, this.findings.add);
    return eol;
  }
}

/** Parses a role file's bytes (a string is taken as UTF-8 text). */
export function parseRoleFile(input: Buffer | string): ParsedRoleFile {
  const s = (typeof input === 'string' ? Buffer.from(input, 'utf8') : input).toString('latin1');
  const lines = lineIndex(s);
  const findings = new Findings();
  const reader = new RoleFileReader(s, lines, findings);
  reader.read();
  const { entries, stop } = reader;
  crossLineFindings(entries, findings.add);
  if (stop !== undefined) {
    const lost = entries.filter((e) => !e.read).length;
    if (lost > 0) {
      const f = findings.list.find((x) => x.line === stop.line && x.severity === 'error');
      if (f) f.message += ` (${lost} role${lost === 1 ? '' : 's'} below it ${lost === 1 ? 'is' : 'are'} not loaded)`;
    }
  }
  const parsed = { chunks: buildChunks(lines, reader.owned), entries, findings: findings.sorted(), endsWithNewline: s === '' || s.endsWith('\n') };
  return stop !== undefined ? { ...parsed, stop } : parsed;
}

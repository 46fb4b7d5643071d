/**
 * pg_hba.conf tokenizer, as PostgreSQL 16+ does it (`hba.c`: next_token,
 * next_field_expand, tokenize_auth_file, tokenize_include_file,
 * tokenize_expand_file): backslash continuation, double quotes with `""`,
 * `#` comments, comma lists, `@file` expansion and the `include`,
 * `include_if_exists` and `include_dir` records.
 *
 * Pure: every file access goes through an injected AuthFileSource, so the
 * tokenizer can be tested without a file system and the loader (load.ts)
 * keeps the only fs code.
 */
import { isAbsolute, join, dirname, normalize } from 'node:path';

/** One token of a field; a quoted token never acts as a keyword. */
export interface HbaToken {
  readonly string: string;
  readonly quoted: boolean;
}

/** One logical line (continuations joined) with its fields, or the error that stopped it. */
export interface TokenizedLine {
  readonly file: string;
  /** Line number of the first physical line, in `file`. */
  readonly lineNumber: number;
  /** The logical line with continuations joined, as PostgreSQL keeps it (`raw_line`). */
  readonly rawLine: string;
  /** Each field is a list of tokens (a comma list or an @file gives several). */
  readonly fields: HbaToken[][];
  readonly error?: string;
}

export type ReadResult = { ok: true; text: string } | { ok: false; missing: boolean; message: string };
export type ListResult = { ok: true; names: string[] } | { ok: false; message: string };

/** File access used by the tokenizer (the loader gives it the real file system). */
export interface AuthFileSource {
  /** Reads a whole file; `message` is the strerror-like text ("No such file or directory"). */
  read(path: string): ReadResult;
  /** Names of regular files in a directory. */
  list(dir: string): ListResult;
}

/** PostgreSQL's CONF_FILE_MAX_DEPTH. */
export const MAX_INCLUDE_DEPTH = 10;

/** All files read for one top-level file together (includes and @files can repeat a file). */
export const MAX_TOTAL_BYTES = 64 * 1024 * 1024;

/** PostgreSQL's pg_isblank: space, tab and carriage return. */
const isBlank = (c: string): boolean => c === ' ' || c === '\t' || c === '\r';

interface NextToken {
  found: boolean;
  token: string;
  initialQuote: boolean;
  terminatingComma: boolean;
  pos: number;
}

/** One token from `line` at `pos` (next_token). */
function nextToken(line: string, start: number): NextToken {
  let pos = start;
  let inQuote = false;
  let wasQuote = false;
  let sawQuote = false;
  let initialQuote = false;
  let terminatingComma = false;
  let buf = '';
  // Skip whitespace and commas before the token.
  while (pos < line.length && (isBlank(line[pos]!) || line[pos] === ',')) pos++;
  while (pos < line.length && (!isBlank(line[pos]!) || inQuote)) {
    const c = line[pos]!;
    if (c === '#' && !inQuote) {
      pos = line.length; // a comment runs to the end of the line
      break;
    }
    if (c === ',' && !inQuote) {
      terminatingComma = true;
      break;
    }
    if (c !== '"' || wasQuote) buf += c;
    // A literal double quote inside quotes is written twice.
    if (inQuote && c === '"') wasQuote = !wasQuote;
    else wasQuote = false;
    if (c === '"') {
      inQuote = !inQuote;
      sawQuote = true;
      if (buf.length === 0) initialQuote = true;
    }
    pos++;
  }
  return { found: sawQuote || buf.length > 0, token: buf, initialQuote, terminatingComma, pos };
}

/** PostgreSQL's AbsoluteConfigLocation: relative names are relative to the including file. */
export function absoluteConfigLocation(name: string, callingFile: string): string {
  return isAbsolute(name) ? normalize(name) : normalize(join(dirname(callingFile), name));
}

export class HbaTokenizer {
  private totalBytes = 0;

  constructor(private readonly source: AuthFileSource) {}

  /**
   * Tokenizes the top-level file. Throws nothing: a top-level file that cannot
   * be read is returned as `{ error }` for the caller to decide.
   */
  tokenizeTop(path: string): { lines: TokenizedLine[] } | { error: string } {
    const r = this.open(path, 0);
    if (!r.ok) return { error: r.message };
    const lines: TokenizedLine[] = [];
    this.tokenizeText(path, r.text, lines, 0);
    return { lines };
  }

  private open(path: string, depth: number): { ok: true; text: string } | { ok: false; missing: boolean; message: string } {
    if (depth > MAX_INCLUDE_DEPTH) {
      return { ok: false, missing: false, message: `could not open file "${path}": maximum nesting depth exceeded` };
    }
    const r = this.source.read(path);
    if (!r.ok) return { ok: false, missing: r.missing, message: `could not open file "${path}": ${r.message}` };
    this.totalBytes += r.text.length;
    if (this.totalBytes > MAX_TOTAL_BYTES) {
      return { ok: false, missing: false, message: `could not open file "${path}": the included files exceed ${MAX_TOTAL_BYTES} bytes in all` };
    }
    return r;
  }

  /** tokenize_auth_file: appends the lines of `text` (and of what it includes) to `out`. */
  tokenizeText(file: string, text: string, out: TokenizedLine[], depth: number): void {
    const physical = text.split('\n');
    // A final newline does not start another line.
    if (physical.length > 0 && physical[physical.length - 1] === '') physical.pop();
    let i = 0;
    let lineNumber = 1;
    while (i < physical.length) {
      let buf = '';
      let lastBackslashLen = 0;
      let continuations = 0;
      for (;;) {
        let piece = physical[i++] ?? '';
        // C strings stop at NUL.
        const nul = piece.indexOf('\0');
        if (nul >= 0) piece = piece.slice(0, nul);
        buf += piece;
        buf = buf.replace(/[\r\n]+$/, '');
        // A backslash continues the line only if it is past the last continuation point.
        if (buf.length > lastBackslashLen && buf.endsWith('\\') && i < physical.length) {
          buf = buf.slice(0, -1);
          lastBackslashLen = buf.length;
          continuations++;
          continue;
        }
        if (buf.length > lastBackslashLen && buf.endsWith('\\')) buf = buf.slice(0, -1); // backslash at EOF
        break;
      }
      this.processLine(file, buf, lineNumber, out, depth);
      lineNumber += continuations + 1;
    }
  }

  private processLine(file: string, raw: string, lineNumber: number, out: TokenizedLine[], depth: number): void {
    const fields: HbaToken[][] = [];
    let error: string | undefined;
    let pos = 0;
    while (pos < raw.length && error === undefined) {
      const f = this.nextFieldExpand(file, raw, pos, depth);
      pos = f.pos;
      error = f.error;
      if (f.tokens.length > 0) fields.push(f.tokens);
    }
    if (fields.length === 0 && error === undefined) return; // blank or comment line

    if (error === undefined && fields.length === 2) {
      const first = fields[0]![0]!.string;
      const second = fields[1]![0]!.string;
      if (first === 'include' || first === 'include_if_exists') {
        error = this.includeFile(file, second, out, depth + 1, first === 'include_if_exists');
        if (error === undefined) return;
      } else if (first === 'include_dir') {
        const dir = absoluteConfigLocation(second, file);
        // GetConfFilesInDir: a blank name would read the including file's own folder.
        const listed = /^[ \t\r\n]*$/.test(second) ? undefined : this.source.list(dir);
        if (!listed) {
          error = 'empty configuration directory name';
        } else if (!listed.ok) {
          // The view has no errno text here (the log has it).
          error = `could not open directory "${dir}"`;
        } else {
          const names = listed.names.filter((n) => !n.startsWith('.') && n.length >= 6 && n.endsWith('.conf')).sort(byteOrder);
          const errors: string[] = [];
          for (const name of names) {
            const e = this.includeFile(file, join(dir, name), out, depth + 1, false);
            if (e !== undefined) errors.push(e);
          }
          if (errors.length === 0) return;
          error = errors.join('\n');
        }
      }
    }
    out.push({ file, lineNumber, rawLine: raw, fields, ...(error !== undefined ? { error } : {}) });
  }

  /** tokenize_include_file: the included file's lines go straight into `out`. */
  private includeFile(outer: string, name: string, out: TokenizedLine[], depth: number, missingOk: boolean): string | undefined {
    const full = absoluteConfigLocation(name, outer);
    const r = this.open(full, depth);
    if (!r.ok) {
      if (r.missing && missingOk) return undefined; // PostgreSQL logs "skipping missing authentication file"
      return r.message;
    }
    this.tokenizeText(full, r.text, out, depth);
    return undefined;
  }

  /** next_field_expand: a comma list, with @file tokens replaced by the file's tokens. */
  private nextFieldExpand(file: string, line: string, start: number, depth: number): { tokens: HbaToken[]; pos: number; error?: string } {
    const tokens: HbaToken[] = [];
    let pos = start;
    let error: string | undefined;
    for (;;) {
      const t = nextToken(line, pos);
      pos = t.pos;
      if (!t.found) break;
      if (!t.initialQuote && t.token.length > 1 && t.token.startsWith('@')) {
        error = this.expandFile(tokens, file, t.token.slice(1), depth + 1);
      } else {
        tokens.push({ string: t.token, quoted: t.initialQuote });
      }
      if (!t.terminatingComma || error !== undefined) break;
    }
    return error !== undefined ? { tokens, pos, error } : { tokens, pos };
  }

  /** tokenize_expand_file: every token of every line of the @file, flattened. */
  private expandFile(tokens: HbaToken[], outer: string, name: string, depth: number): string | undefined {
    const full = absoluteConfigLocation(name, outer);
    const r = this.open(full, depth);
    if (!r.ok) return r.message;
    const lines: TokenizedLine[] = [];
    this.tokenizeText(full, r.text, lines, depth);
    for (const l of lines) {
      if (l.error !== undefined) return l.error;
      for (const f of l.fields) tokens.push(...f);
    }
    return undefined;
  }
}

/** strcmp order (byte order of UTF-8), as PostgreSQL sorts include_dir entries. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

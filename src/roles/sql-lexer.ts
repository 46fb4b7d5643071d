/**
 * An SQL lexer that decodes literals and identifiers exactly as PostgreSQL's
 * scanner (src/backend/parser/scan.l) does with a UTF8 server encoding, or
 * refuses them: standard strings with '' (backslash escapes too when
 * standard_conforming_strings is off), E'...' with \b \f \n \r \t (\v refused:
 * its meaning changed in PostgreSQL 17), octal,
 * \xHH, \uXXXX and \UXXXXXXXX (surrogate pairs joined, NUL and broken UTF-8
 * refused), U&'...' and U&"..." with UESCAPE, dollar quotes, "quoted"
 * identifiers, unquoted identifiers with ASCII-only lower-casing, both cut
 * to 63 bytes at a character boundary, and the string continuation of two
 * literals separated by a newline. Pure: text in, tokens out.
 */
import { truncateIdentifier } from './name.js';

export type SqlToken =
  /** Unquoted identifier or keyword: ASCII letters lower-cased, cut to 63 bytes. */
  | { t: 'word'; v: string; line: number }
  /** "Quoted" or U&"..." identifier, cut to 63 bytes. */
  | { t: 'ident'; v: string; line: number }
  /** A string constant of any syntax, decoded. */
  | { t: 'string'; v: string; line: number }
  /** A numeric literal as written (digits, maybe a point or exponent). */
  | { t: 'number'; v: string; line: number }
  /** Punctuation or an operator (`;` ends statements). */
  | { t: 'op'; v: string; line: number }
  /** A psql meta-command (a backslash outside quotes): ends the statement. */
  | { t: 'meta'; v: string; line: number };

/** Input PostgreSQL would refuse (or that pgauth cannot decode exactly), with its line. */
export class SqlSyntaxError extends Error {
  override name = 'SqlSyntaxError';
  /** What callers switch on (never the message). */
  readonly code = 'SQL_SYNTAX';
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

const IDENT_START = /[A-Za-z_\u0080-\uffff]/;
const OP_CHARS = '~!@#^&|`?+-*/%<>=';
const HEX = /^[0-9A-Fa-f]$/;
const isSpace = (c: string): boolean => c === ' ' || c === '\n' || c === '\t' || c === '\r' || c === '\f' || c === '\v';
const IDENT_REST = /[A-Za-z_0-9$\u0080-\uffff]*/y;

/** ASCII-only lower-casing (downcase_identifier with a multibyte encoding). */
const downcase = (s: string): string => (/[^\x00-\x7f]/.test(s) ? s.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : s.toLowerCase());

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Collects a literal's text, raw bytes (octal and hex escapes) and code
 * points. Raw bytes must form whole UTF-8 characters by themselves (text is
 * always whole characters, so this is pg_verifymbstr's rule on the result).
 */
class LiteralBuilder {
  private out = '';
  private bytes: number[] = [];
  private pendingHigh: number | undefined;
  constructor(private readonly line: () => number) {}

  text(s: string): void {
    this.flush();
    this.out += s;
  }
  byte(b: number): void {
    this.noPendingSurrogate();
    this.bytes.push(b & 0xff);
  }
  codePoint(c: number, what: string): void {
    if (c === 0 || c > 0x10ffff) throw new SqlSyntaxError(this.line(), `invalid Unicode escape value at or near "${what}"`);
    if (this.pendingHigh !== undefined) {
      if (c < 0xdc00 || c > 0xdfff) throw new SqlSyntaxError(this.line(), 'invalid Unicode surrogate pair');
      const joined = 0x10000 + ((this.pendingHigh - 0xd800) << 10) + (c - 0xdc00);
      this.pendingHigh = undefined;
      this.text(String.fromCodePoint(joined));
      return;
    }
    this.flush();
    if (c >= 0xd800 && c <= 0xdbff) this.pendingHigh = c;
    else if (c >= 0xdc00 && c <= 0xdfff) throw new SqlSyntaxError(this.line(), 'invalid Unicode surrogate pair');
    else this.out += String.fromCodePoint(c);
  }
  private noPendingSurrogate(): void {
    if (this.pendingHigh !== undefined) throw new SqlSyntaxError(this.line(), 'invalid Unicode surrogate pair');
  }
  private flush(): void {
    this.noPendingSurrogate();
    if (this.bytes.length === 0) return;
    const buf = Buffer.from(this.bytes);
    this.bytes = [];
    try {
      this.out += strictUtf8.decode(buf);
    } catch {
      throw new SqlSyntaxError(this.line(), 'invalid byte sequence for encoding "UTF8"');
    }
  }
  finish(): string {
    this.flush();
    if (this.out.includes('\0')) throw new SqlSyntaxError(this.line(), 'invalid byte sequence for encoding "UTF8": 0x00');
    return this.out;
  }
}

export class SqlLexer {
  private i = 0;
  private lineNo = 1;
  /** standard_conforming_strings: on unless a `SET standard_conforming_strings = off` said otherwise. */
  standardStrings = true;

  constructor(private readonly src: string) {}

  get line(): number {
    return this.lineNo;
  }

  private peek(k = 0): string | undefined {
    return this.src[this.i + k];
  }

  private advance(n = 1): void {
    const end = Math.min(this.i + n, this.src.length);
    for (let k = this.i; k < end; k++) if (this.src.charCodeAt(k) === 10) this.lineNo++;
    this.i = end;
  }

  private fail(message: string): never {
    throw new SqlSyntaxError(this.lineNo, message);
  }

  /** Skips whitespace and comments; true when a newline was crossed. */
  private skipSpace(): boolean {
    let newline = false;
    for (;;) {
      const c = this.peek();
      if (c !== undefined && isSpace(c)) {
        if (c === '\n') (newline = true), this.lineNo++;
        this.i++;
      } else if (c === '-' && this.peek(1) === '-') {
        while (this.i < this.src.length && this.peek() !== '\n') this.advance();
      } else if (c === '/' && this.peek(1) === '*') {
        const start = this.lineNo;
        let depth = 0;
        do {
          if (this.i >= this.src.length) throw new SqlSyntaxError(start, 'unterminated /* comment');
          if (this.peek() === '/' && this.peek(1) === '*') (depth++, this.advance(2));
          else if (this.peek() === '*' && this.peek(1) === '/') (depth--, this.advance(2));
          else this.advance();
        } while (depth > 0);
      } else return newline;
    }
  }

  /** The next token, or undefined at the end. */
  next(): SqlToken | undefined {
    this.skipSpace();
    const c = this.peek();
    if (c === undefined) return undefined;
    const line = this.lineNo;
    const c1 = this.peek(1);
    if (c === "'") return { t: 'string', v: this.quoted(this.standardStrings ? 'standard' : 'escape'), line };
    if ((c === 'E' || c === 'e') && c1 === "'") return this.advance(), { t: 'string', v: this.quoted('escape'), line };
    if ((c === 'U' || c === 'u') && c1 === '&' && (this.peek(2) === "'" || this.peek(2) === '"')) return this.unicode(line);
    if (c === '"') return { t: 'ident', v: this.identifier(this.delimited('"'), line), line };
    if (c === '$') {
      const tag = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z_0-9\u0080-\uffff]*)?\$/.exec(this.src.slice(this.i, this.i + 256));
      if (tag) return { t: 'string', v: this.dollar(tag[0], line), line };
    }
    if (c === '\\') return this.meta(line);
    if (/[0-9]/.test(c) || (c === '.' && c1 !== undefined && /[0-9]/.test(c1))) return this.number(line);
    if (IDENT_START.test(c)) {
      IDENT_REST.lastIndex = this.i + 1;
      IDENT_REST.exec(this.src);
      const raw = this.src.slice(this.i, IDENT_REST.lastIndex);
      this.i = IDENT_REST.lastIndex;
      return { t: 'word', v: truncateIdentifier(downcase(raw)), line };
    }
    if (OP_CHARS.includes(c)) {
      let end = this.i;
      while (end < this.src.length && OP_CHARS.includes(this.src[end]!) && !/^(--|\/\*)/.test(this.src.slice(end, end + 2))) end++;
      const v = this.src.slice(this.i, end);
      this.advance(v.length);
      return { t: 'op', v, line };
    }
    // One character: , ( ) [ ] . ; : and anything else PostgreSQL does not combine.
    this.advance();
    return { t: 'op', v: c, line };
  }

  /** After `COPY ... FROM stdin;`: skips the data lines up to and including the `\.` line. */
  skipCopyData(): void {
    const start = this.lineNo;
    const eol = this.src.indexOf('\n', this.i);
    this.advance(eol < 0 ? this.src.length : eol - this.i + 1);
    for (;;) {
      if (this.i >= this.src.length) throw new SqlSyntaxError(start, 'COPY data without its closing \\. line');
      let end = this.src.indexOf('\n', this.i);
      if (end < 0) end = this.src.length;
      const isEnd = this.src.slice(this.i, end).replace(/\r$/, '') === '\\.';
      this.i = Math.min(end + 1, this.src.length);
      this.lineNo++;
      if (isEnd) return;
    }
  }

  private meta(line: number): SqlToken {
    let end = this.i;
    while (end < this.src.length && this.src[end] !== '\n') end++;
    const v = this.src.slice(this.i, end);
    this.advance(end - this.i);
    return { t: 'meta', v, line };
  }

  private number(line: number): SqlToken {
    const m = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(this.src.slice(this.i, this.i + 400))!;
    const after = this.src[this.i + m[0].length];
    if (after !== undefined && IDENT_START.test(after)) this.fail(`trailing junk after numeric literal at or near "${m[0]}${after}"`);
    this.advance(m[0].length);
    return { t: 'number', v: m[0], line };
  }

  /** The raw body of a `q...q` literal with doubled quotes undoubled, the quote consumed. */
  private delimited(q: string): string {
    const start = this.lineNo;
    this.advance(); // opening quote
    let v = '';
    for (;;) {
      const d = this.peek();
      if (d === undefined) throw new SqlSyntaxError(start, q === '"' ? 'unterminated quoted identifier' : 'unterminated quoted string');
      if (d === q && this.peek(1) === q) (v += q, this.advance(2));
      else if (d === q) return this.advance(), v;
      else {
        let end = this.src.indexOf(q, this.i);
        if (end < 0) end = this.src.length;
        v += this.src.slice(this.i, end);
        this.advance(end - this.i);
      }
    }
  }

  /** A literal continues with another '...' after whitespace holding a newline (scan.l quotecontinue). */
  private continues(): boolean {
    const save = { i: this.i, line: this.lineNo };
    let newline = false;
    while (this.peek() !== undefined && isSpace(this.peek()!)) {
      if (this.peek() === '\n') newline = true;
      this.advance();
    }
    if (newline && this.peek() === "'") return true;
    this.i = save.i;
    this.lineNo = save.line;
    return false;
  }

  /** '...' (standard) or E'...' / non-standard '...' (escape), the opening quote at this.i. */
  private quoted(kind: 'standard' | 'escape'): string {
    const start = this.lineNo;
    const out = new LiteralBuilder(() => this.lineNo);
    this.advance();
    for (;;) {
      const d = this.peek();
      if (d === undefined) throw new SqlSyntaxError(start, 'unterminated quoted string');
      if (d === "'" && this.peek(1) === "'") (out.text("'"), this.advance(2));
      else if (d === "'") {
        this.advance();
        if (this.continues()) this.advance();
        else return out.finish();
      } else if (d === '\\' && kind === 'escape') this.escape(out);
      else {
        // A run of ordinary characters at once.
        let end = this.i;
        while (end < this.src.length && this.src[end] !== "'" && (kind !== 'escape' || this.src[end] !== '\\')) end++;
        out.text(this.src.slice(this.i, end));
        this.advance(end - this.i);
      }
    }
  }

  private escape(out: LiteralBuilder): void {
    const rest = this.src.slice(this.i + 1, this.i + 10);
    let m: RegExpExecArray | null;
    if ((m = /^[0-7]{1,3}/.exec(rest))) return out.byte(parseInt(m[0], 8)), this.advance(1 + m[0].length);
    if ((m = /^x[0-9A-Fa-f]{1,2}/.exec(rest))) return out.byte(parseInt(m[0].slice(1), 16)), this.advance(1 + m[0].length);
    if ((m = /^(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8})/.exec(rest))) {
      out.codePoint(parseInt(m[0].slice(1), 16), `\\${m[0]}`);
      return this.advance(1 + m[0].length);
    }
    const e = rest[0];
    if (e === undefined) this.fail('unterminated quoted string');
    if (e === 'u' || e === 'U') this.fail('invalid Unicode escape: Unicode escapes must be \\uXXXX or \\UXXXXXXXX');
    // PostgreSQL 17 reads \v as a vertical tab; 16 and older as the letter v.
    if (e === 'v') this.fail("\\v in a string means a vertical tab to PostgreSQL 17 and later but the letter v to 16 and older: write \\x0b or v");
    out.text(({ b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' } as Record<string, string>)[e] ?? e);
    this.advance(1 + e.length);
  }

  private dollar(tag: string, line: number): string {
    const end = this.src.indexOf(tag, this.i + tag.length);
    if (end < 0) throw new SqlSyntaxError(line, 'unterminated dollar-quoted string');
    const v = this.src.slice(this.i + tag.length, end);
    this.advance(end + tag.length - this.i);
    if (v.includes('\0')) this.fail('invalid byte sequence for encoding "UTF8": 0x00');
    return v;
  }

  private identifier(v: string, line: number): string {
    if (v === '') throw new SqlSyntaxError(line, 'zero-length delimited identifier');
    if (v.includes('\0')) throw new SqlSyntaxError(line, 'invalid byte sequence for encoding "UTF8": 0x00');
    return truncateIdentifier(v);
  }

  /** U&'...' or U&"...", then an optional UESCAPE 'c'. */
  private unicode(line: number): SqlToken {
    if (!this.standardStrings) this.fail('unsafe use of string constant with Unicode escapes');
    this.advance(2);
    const isIdent = this.peek() === '"';
    let body = this.delimited(isIdent ? '"' : "'");
    if (!isIdent) while (this.continues()) body += this.delimited("'");
    let esc = '\\';
    const save = { i: this.i, line: this.lineNo };
    this.skipSpace();
    const m = /^uescape\b/i.exec(this.src.slice(this.i, this.i + 8));
    if (m) {
      this.advance(m[0].length);
      this.skipSpace();
      if (this.peek() !== "'") this.fail('UESCAPE must be followed by a simple string literal');
      const e = this.delimited("'");
      if (e.length !== 1 || HEX.test(e) || /[+'"\s]/.test(e)) this.fail('invalid Unicode escape character');
      esc = e;
    } else {
      this.i = save.i;
      this.lineNo = save.line;
    }
    const v = this.unescapeUnicode(body, esc, line);
    return isIdent ? { t: 'ident', v: this.identifier(v, line), line } : { t: 'string', v, line };
  }

  private unescapeUnicode(body: string, esc: string, line: number): string {
    const out = new LiteralBuilder(() => line);
    for (let k = 0; k < body.length; ) {
      if (body[k] !== esc) {
        out.text(body[k]!);
        k++;
        continue;
      }
      if (body[k + 1] === esc) {
        out.text(esc);
        k += 2;
        continue;
      }
      const four = /^[0-9A-Fa-f]{4}/.exec(body.slice(k + 1, k + 5));
      const six = /^\+[0-9A-Fa-f]{6}/.exec(body.slice(k + 1, k + 8));
      const hex = four?.[0] ?? six?.[0].slice(1);
      if (hex === undefined) throw new SqlSyntaxError(line, 'invalid Unicode escape: Unicode escapes must be \\XXXX or \\+XXXXXX');
      out.codePoint(parseInt(hex, 16), `${esc}${four ? hex : '+' + hex}`);
      k += 1 + (four ? 4 : 7);
    }
    return out.finish();
  }
}

/**
 * A cursor over one SCRAM message (RFC 5802 §7 grammar) that reads
 * `attr=value` pairs separated by ','. Errors are produced by the caller's
 * `fail`, so the server can word them as PostgreSQL's auth-scram.c and the
 * client as libpq's fe-auth-scram.c.
 */
export interface AttrFailures {
  expected(attr: string, found: string): never;
  equalsExpected(attr: string): never;
  anyAttrAtEnd(): never;
  anyAttrInvalid(found: string): never;
}

/** PostgreSQL's sanitize_char: a printable ASCII character in single quotes ('x'), otherwise 0x%02x. */
export function sanitizeChar(ch: string | undefined): string {
  if (ch === undefined || ch === '') return '0x00';
  const code = ch.charCodeAt(0);
  if (code >= 0x21 && code <= 0x7e) return `'${ch}'`;
  return `0x${(code & 0xff).toString(16).padStart(2, '0')}`;
}

export class AttrReader {
  pos = 0;
  /** The last value read was followed by a ',' that ended the message (PostgreSQL tolerates that). */
  trailingComma = false;
  constructor(
    readonly text: string,
    private readonly fail: AttrFailures,
  ) {}

  get atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  peek(): string | undefined {
    return this.text[this.pos];
  }

  rest(): string {
    return this.text.slice(this.pos);
  }

  /** Reads `attr=value` for the given attribute, consuming the following ',' if any. */
  value(attr: string): string {
    const c = this.text[this.pos];
    if (c !== attr) this.fail.expected(attr, sanitizeChar(c));
    if (this.text[this.pos + 1] !== '=') this.fail.equalsExpected(attr);
    return this.takeValue(this.pos + 2);
  }

  /** Reads any `ALPHA=value` attribute. */
  any(): { attr: string; value: string } {
    const c = this.text[this.pos];
    if (c === undefined) this.fail.anyAttrAtEnd();
    if (!/^[A-Za-z]$/.test(c!)) this.fail.anyAttrInvalid(sanitizeChar(c));
    if (this.text[this.pos + 1] !== '=') this.fail.equalsExpected(c!);
    return { attr: c!, value: this.takeValue(this.pos + 2) };
  }

  private takeValue(from: number): string {
    let end = this.text.indexOf(',', from);
    if (end < 0) end = this.text.length;
    const value = this.text.slice(from, end);
    this.pos = end < this.text.length ? end + 1 : end;
    this.trailingComma = end < this.text.length && this.pos === this.text.length;
    return value;
  }
}

/** RFC 5802 `printable`: %x21-2B / %x2D-7E (printable ASCII except ','). */
export function isScramPrintable(s: string): boolean {
  return /^[\x21-\x2b\x2d-\x7e]*$/.test(s);
}

/** RFC 5802 saslname: ',' and '=' escaped as =2C and =3D. */
export function encodeSaslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

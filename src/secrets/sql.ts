/** SQL quoting as PostgreSQL's quote_ident (always quoted) and quote_literal do it. */

/** A double-quoted identifier: embedded '"' doubled. NUL cannot appear in an identifier. */
export function quoteIdent(name: string): string {
  if (name.includes('\0')) throw new RangeError('an SQL identifier cannot contain a NUL character');
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * A string literal: embedded "'" doubled; with a backslash, the E'' form with
 * backslashes doubled, so the statement means the same whatever
 * standard_conforming_strings is (as quote_literal does).
 */
export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new RangeError('an SQL literal cannot contain a NUL character');
  const body = value.replace(/'/g, "''");
  return value.includes('\\') ? `E'${body.replace(/\\/g, '\\\\')}'` : `'${body}'`;
}

/** `ALTER ROLE "role" PASSWORD '<secret>';` */
export function alterRolePasswordSql(role: string, secret: string): string {
  return `ALTER ROLE ${quoteIdent(role)} PASSWORD ${quoteLiteral(secret)};`;
}

/**
 * pg_ident.conf user maps (hba.c: parse_ident_line, check_ident_usermap, as
 * PostgreSQL 16-18 read them): MAPNAME SYSTEM-USERNAME DATABASE-USERNAME,
 * with `/regex` system names whose first capture `\1` may stand in the
 * database name, and `all`, `+group` and `/regex` database names. Used by
 * serve for `map=` on oauth (and cert) lines. Pure apart from the injected
 * file source.
 */
import { compileToken } from './regex.js';
import { HbaTokenizer, type AuthFileSource, type HbaToken } from './tokenize.js';
import type { NameToken } from './parse.js';

export interface IdentLine {
  file: string;
  lineNumber: number;
  map: string;
  systemUser: NameToken;
  pgUser: NameToken;
}

export interface IdentFile {
  lines: IdentLine[];
  /** Lines PostgreSQL would refuse, as "file:line: message". */
  errors: string[];
}

const where = (file: string, line: number) => `${file}:${line}`;

/** Reads a pg_ident.conf (and what it includes) as PostgreSQL 16+ does. */
export function parseIdentFile(path: string, source: AuthFileSource): IdentFile | { error: string } {
  const tokenized = new HbaTokenizer(source).tokenizeTop(path);
  if ('error' in tokenized) return { error: tokenized.error };
  const lines: IdentLine[] = [];
  const errors: string[] = [];
  for (const t of tokenized.lines) {
    if (t.error) {
      errors.push(`${where(t.file, t.lineNumber)}: ${t.error}`);
      continue;
    }
    if (t.fields.length === 0) continue;
    const one = (i: number): HbaToken | string => {
      const f = t.fields[i];
      if (!f || f.length === 0) return `missing entry at end of line`;
      if (f.length > 1) return `multiple values in ident field`;
      return f[0]!;
    };
    const map = one(0);
    const sys = one(1);
    const pg = one(2);
    const bad = [map, sys, pg].find((x): x is string => typeof x === 'string');
    if (bad !== undefined) {
      errors.push(`${where(t.file, t.lineNumber)}: ${bad}`);
      continue;
    }
    if (t.fields.length > 3) {
      errors.push(`${where(t.file, t.lineNumber)}: extra entry at end of line`);
      continue;
    }
    const systemUser = compileToken(sys as HbaToken);
    const pgUser = compileToken(pg as HbaToken);
    const regexError = [systemUser, pgUser].find((x): x is string => typeof x === 'string');
    if (regexError !== undefined) {
      errors.push(`${where(t.file, t.lineNumber)}: ${regexError}`);
      continue;
    }
    lines.push({ file: t.file, lineNumber: t.lineNumber, map: (map as HbaToken).string, systemUser: systemUser as NameToken, pgUser: pgUser as NameToken });
  }
  return { lines, errors };
}

export type UsermapVerdict = { ok: true; line: string } | { ok: false; reason: string };

/** Whether the database name token admits `pgUser` (after any \1 substitution). */
function pgUserMatches(token: NameToken, expanded: string | undefined, pgUser: string, groupsOf: (role: string) => string[]): boolean {
  if (expanded !== undefined) return expanded === pgUser;
  if (!token.quoted && token.string === 'all') return true;
  if (token.regex) return token.regex.test(pgUser);
  if (!token.quoted && token.string.startsWith('+')) {
    const group = token.string.slice(1);
    return group === pgUser || membership(pgUser, groupsOf).has(group);
  }
  return token.string === pgUser;
}

function membership(role: string, groupsOf: (role: string) => string[]): Set<string> {
  const seen = new Set<string>();
  const todo = [...groupsOf(role)];
  while (todo.length > 0) {
    const g = todo.pop()!;
    if (seen.has(g)) continue;
    seen.add(g);
    todo.push(...groupsOf(g));
  }
  return seen;
}

/**
 * check_usermap for a map name (case-sensitive, as for oauth and cert): the
 * first line of the map whose system name and database name both match.
 */
export function checkUsermap(file: IdentFile, mapName: string, pgUser: string, systemUser: string, groupsOf: (role: string) => string[] = () => []): UsermapVerdict {
  for (const l of file.lines) {
    if (l.map !== mapName) continue;
    let expanded: string | undefined;
    if (l.systemUser.regex) {
      const m = l.systemUser.regex.exec(systemUser);
      if (!m) continue;
      const at = l.pgUser.string.indexOf('\\1');
      if (at >= 0) {
        if (m[1] === undefined) {
          return { ok: false, reason: `regular expression "${l.systemUser.string.slice(1)}" has no subexpressions as requested by backreference in "${l.pgUser.string}"` };
        }
        expanded = l.pgUser.string.slice(0, at) + m[1] + l.pgUser.string.slice(at + 2);
      }
    } else if (l.systemUser.string !== systemUser) {
      continue;
    }
    if (pgUserMatches(l.pgUser, expanded, pgUser, groupsOf)) return { ok: true, line: `${l.file}:${l.lineNumber}` };
  }
  return { ok: false, reason: `no match in usermap "${mapName}" for user "${pgUser}" authenticated as "${systemUser}"` };
}

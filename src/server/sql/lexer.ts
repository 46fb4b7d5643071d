/**
 * The lexer of the few statements the test server answers (SPEC §3):
 * identifiers, integer and decimal literals, strings, $n parameters and a
 * handful of operators; comments and whitespace are skipped.
 */
import { sqlError, type WireError } from '../errors.js';

/** Every statement and function the server answers (test/server/answered.test.ts keeps it in step with parser.ts). */
export const ANSWERED =
  "pgauth serve answers only SELECT of literals ('text', 1, true, null, $1, with ::type casts) and of current_user, current_role, user, session_user, system_user, current_catalog, current_database(), version(), pg_backend_pid(), current_setting('name'), pg_sleep(<seconds>); SHOW <parameter>, SET, RESET, BEGIN, COMMIT, ROLLBACK and DISCARD ALL";

/** ERROR 0A000 for anything beyond what the server answers. */
export const unsupported = (): WireError => sqlError('0A000', ANSWERED);

export type Tok =
  | { t: 'ident'; v: string; quoted: boolean }
  | { t: 'num'; v: string }
  /** A decimal literal (1.5, 2.): numeric, answered only as pg_sleep's argument. */
  | { t: 'dec'; v: string }
  | { t: 'str'; v: string }
  | { t: 'param'; n: number }
  | { t: 'op'; v: string };

/** The tokens of a query string, or the ERROR PostgreSQL gives for an unterminated comment, string or identifier. */
export function lex(sql: string): Tok[] | WireError {
  const out: Tok[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) return sqlError('42601', 'unterminated /* comment');
      i = end + 2;
    } else if (/[0-9]/.test(c)) {
      let j = i;
      while (j < sql.length && /[0-9]/.test(sql[j]!)) j++;
      let kind: 'num' | 'dec' = 'num';
      if (sql[j] === '.') {
        kind = 'dec';
        j++;
        while (j < sql.length && /[0-9]/.test(sql[j]!)) j++;
      }
      if (/[a-zA-Z_.]/.test(sql[j] ?? '')) return unsupported();
      out.push({ t: kind, v: sql.slice(i, j) });
      i = j;
    } else if (c === "'") {
      let v = '';
      let j = i + 1;
      for (;;) {
        if (j >= sql.length) return sqlError('42601', 'unterminated quoted string');
        if (sql[j] === "'") {
          if (sql[j + 1] === "'") {
            v += "'";
            j += 2;
            continue;
          }
          break;
        }
        v += sql[j++];
      }
      out.push({ t: 'str', v });
      i = j + 1;
    } else if (c === '"') {
      const end = sql.indexOf('"', i + 1);
      if (end < 0) return sqlError('42601', 'unterminated quoted identifier');
      out.push({ t: 'ident', v: sql.slice(i + 1, end), quoted: true });
      i = end + 1;
    } else if (c === '$' && /[0-9]/.test(sql[i + 1] ?? '')) {
      let j = i + 1;
      while (j < sql.length && /[0-9]/.test(sql[j]!)) j++;
      out.push({ t: 'param', n: Number(sql.slice(i + 1, j)) });
      i = j;
    } else if (/[a-zA-Z_\u0080-\uffff]/.test(c)) {
      let j = i;
      while (j < sql.length && /[a-zA-Z0-9_$\u0080-\uffff]/.test(sql[j]!)) j++;
      out.push({ t: 'ident', v: sql.slice(i, j).toLowerCase(), quoted: false });
      i = j;
    } else if (c === ':' && sql[i + 1] === ':') {
      out.push({ t: 'op', v: '::' });
      i += 2;
    } else if ('(),;=.-*'.includes(c)) {
      out.push({ t: 'op', v: c });
      i++;
    } else {
      return unsupported();
    }
  }
  return out;
}

/**
 * `/regex` tokens of pg_hba.conf (regcomp_auth_token): compiled as JavaScript
 * regular expressions, refused with PostgreSQL's regerror texts.
 */
import type { HbaToken } from './tokenize.js';
import type { NameToken } from './parse.js';

/** regcomp_auth_token: a token starting with `/` is a regular expression (quoted or not). */
export function compileToken(t: HbaToken): NameToken | string {
  if (!t.string.startsWith('/')) return t;
  const src = t.string.slice(1);
  try {
    // PostgreSQL refuses a brace that opens no valid bound ("a{3"); JavaScript reads it as a literal unless in unicode mode.
    if (/Incomplete quantifier/.test(regexError(src, 'u'))) return `invalid regular expression "${src}": braces {} not balanced`;
    return { ...t, regex: new RegExp(src) };
  } catch (e) {
    const why = e instanceof Error ? e.message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '') : String(e);
    return `invalid regular expression "${src}": ${regerrorText(why)}`;
  }
}

/** PostgreSQL's regerror texts for JavaScript's errors of the same kind (checked against PostgreSQL 18 for parentheses). */
const REGEX_ERRORS: Array<[RegExp, string]> = [
  [/Unterminated group|Unmatched '\)'/, 'parentheses () not balanced'],
  [/Unterminated character class/, 'brackets [] not balanced'],
  [/Nothing to repeat/, 'quantifier operand invalid'],
  [/\\ at end of pattern/, 'invalid escape \\ sequence'],
  [/Range out of order in character class/, 'invalid character range'],
  [/numbers out of order in \{\} quantifier/, 'invalid repetition count(s)'],
];

function regexError(src: string, flags: string): string {
  try {
    new RegExp(src, flags);
    return '';
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

function regerrorText(jsMessage: string): string {
  return REGEX_ERRORS.find(([re]) => re.test(jsMessage))?.[1] ?? jsMessage;
}


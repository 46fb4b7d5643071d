/**
 * Every finding code the role-file checks emit, with a one-line title, the
 * help text SARIF and the README carry, and the fix a finding of that code
 * gets (SPEC §8: `findings: [{line, severity, code, message, fix}]`). The
 * `Finding.code` type is this table's keys, so a new code cannot be emitted
 * without its title, help and fix.
 */

export interface RoleFindingRule {
  title: string;
  help: string;
  fix: string;
}

const STOPS = 'PgBouncer logs "broken auth file" and ignores this line and every line after it.';

export const ROLE_FINDING_RULES = {
  'hash-comment': {
    title: "'#' line in the role file",
    help: `Only ';' starts a comment in a PgBouncer auth_file. ${STOPS}`,
    fix: "start the comment with ';' instead of '#'",
  },
  unquoted: {
    title: 'line not starting with a quoted name',
    help: `Every role line is "name" "secret". ${STOPS}`,
    fix: 'quote the name and the secret ("name" "secret"), or make the line a ; comment',
  },
  bom: {
    title: 'UTF-8 byte-order mark',
    help: 'A UTF-8 BOM at the start of the file stops PgBouncer at line 1: no user is loaded at all.',
    fix: 'save the file without a byte-order mark (UTF-8 without BOM)',
  },
  'name-too-long': {
    title: 'role name too long for PgBouncer',
    help: `A name of 128 bytes or more (as written) is "username too long in auth file". ${STOPS}`,
    fix: 'shorten the role name (PostgreSQL keeps 63 bytes of it anyway)',
  },
  'secret-too-long': {
    title: 'secret too long for PgBouncer',
    help: `A secret of 2048 bytes or more is "password too long in auth file" for PgBouncer 1.18. ${STOPS}`,
    fix: 'store a SCRAM-SHA-256 verifier (pgauth passwd NAME) instead of the long value',
  },
  'nul-byte': {
    title: 'NUL byte in the role file',
    help: 'PgBouncer silently ends the file at a NUL byte: the roles after it are not loaded.',
    fix: 'remove the NUL byte (the file was likely written by a broken tool)',
  },
  'unterminated-quote': {
    title: 'quoted field never closed',
    help: `A name or secret whose closing quote is missing. ${STOPS}`,
    fix: 'close the quote; a " inside a field is written as ""',
  },
  'missing-secret': {
    title: 'name without a quoted secret',
    help: `A role line needs a double-quoted secret after the name. ${STOPS}`,
    fix: 'add the secret: pgauth passwd NAME, or write "name" "secret"',
  },
  'secret-on-next-line': {
    title: 'secret on the next line',
    help: "PgBouncer takes the next quoted string as the secret, even on a later line, and skips the rest of that line.",
    fix: 'put the name and its secret on one line: "name" "secret"',
  },
  'junk-between-fields': {
    title: 'text between the name and the secret',
    help: 'PgBouncer skips anything between the two quoted fields silently.',
    fix: 'write only spaces between the fields: "name" "secret"',
  },
  'newline-in-field': {
    title: 'quoted field spans lines',
    help: 'A name or secret with a line break in it: PgBouncer joins the lines silently.',
    fix: 'keep each quoted field on one line',
  },
  'malformed-secret': {
    title: 'malformed SCRAM or md5 secret',
    help: 'The value looks like a SCRAM verifier or an md5 hash but is malformed: PgBouncer and PostgreSQL read it as a plaintext password (a warning when they still read it as a verifier that is not in canonical form).',
    fix: 'set the secret again: pgauth passwd NAME (or store a verifier made by pgauth verifier)',
  },
  'bad-attribute': {
    title: 'unreadable attribute value',
    help: 'pgauth cannot read a valid-until=, conn-limit= or member-of= value after the secret.',
    fix: 'correct the value (valid-until=ISO-8601 or infinity, conn-limit=-1 or more, member-of=name[,name]), or use pgauth alter-role',
  },
  'unknown-attribute': {
    title: 'unknown word after the secret',
    help: 'PgBouncer ignores words after the secret; pgauth knows valid-until=, nologin, conn-limit= and member-of=.',
    fix: "remove the word, or make it a '; comment'",
  },
  'empty-secret': {
    title: 'empty secret',
    help: 'PgBouncer refuses an empty stored password: the role can never log in through the file.',
    fix: 'set a password: pgauth passwd NAME (or remove the role)',
  },
  duplicate: {
    title: 'role listed twice',
    help: 'PgBouncer keeps the last line for a name: the earlier line has no effect.',
    fix: 'remove this line (the later one is the one PgBouncer uses), or remove the later one',
  },
  'md5-wrong-name': {
    title: 'one md5 hash under two names',
    help: 'md5 is salted with the role name, so at most one of two roles with the same md5 hash can log in (a renamed or copied role).',
    fix: 'set the password again for the renamed role: pgauth passwd NAME (SCRAM-SHA-256 is not tied to the name)',
  },
  'plaintext-secret': {
    title: 'plaintext password',
    help: 'The file holds the password itself; anyone who reads the file can log in.',
    fix: 'store a SCRAM-SHA-256 verifier instead: pgauth passwd NAME',
  },
  'empty-name': {
    title: 'empty role name',
    help: 'PostgreSQL has no role with an empty name.',
    fix: 'remove the line or give the role its name',
  },
  'name-truncated': {
    title: 'role name longer than 63 bytes',
    help: 'PostgreSQL truncates a name to 63 bytes (NAMEDATALEN - 1): the name in the file is not the role it logs in as.',
    fix: 'use the name as PostgreSQL keeps it (at most 63 bytes)',
  },
  'invalid-utf8': {
    title: 'not valid UTF-8',
    help: 'A name or secret that is not valid UTF-8 is read as bytes; clients send UTF-8.',
    fix: 'write the file as UTF-8',
  },
  permissions: {
    title: 'role file readable by others',
    help: 'The group or others can read or write the file that holds the secrets.',
    fix: 'chmod 600 the file (and chown it to the user PgBouncer runs as)',
  },
  'unsafe-path': {
    title: 'unsafe path to the role file',
    help: 'Only with --allow-unsafe-path: a folder, symlink or file on the path that another user could change.',
    fix: 'fix the owner or mode of the folder, symlink or file named, or move the role file',
  },
  'more-findings': {
    title: 'more findings than listed',
    help: 'pgauth lists at most 500 findings of each severity; this one counts the rest.',
    fix: 'fix the findings listed and run check-roles again',
  },
} as const satisfies Record<string, RoleFindingRule>;

export type RoleFindingCode = keyof typeof ROLE_FINDING_RULES;

/** A role name as a shell word: as is when it is plain, else in single quotes. */
const shellWord = (name: string): string => (/^[A-Za-z0-9_.@+-]+$/.test(name) ? name : `'${name.replace(/'/g, "'\\''")}'`);

/** The fix a finding of this code gets; with the role's name, the commands in it name the role (`pgauth passwd alice`). */
export function roleFix(code: RoleFindingCode, role?: string): string {
  const fix: string = ROLE_FINDING_RULES[code].fix;
  // A name that would read as a flag, or holds control characters, stays NAME: no command to paste is better than a wrong one.
  const usable = role !== undefined && role !== '' && !role.startsWith('-') && !/[\x00-\x1f\x7f]/.test(role);
  return usable ? fix.replace(/\bNAME\b/g, shellWord(role)) : fix;
}

/** Every code as a rule (id, title, help), in the table's order: SARIF's rules, JUnit's checks. */
export const ROLE_RULES: ReadonlyArray<{ id: RoleFindingCode; title: string; help: string }> = (Object.keys(ROLE_FINDING_RULES) as RoleFindingCode[]).map((id) => ({
  id,
  title: ROLE_FINDING_RULES[id].title,
  help: ROLE_FINDING_RULES[id].help,
}));

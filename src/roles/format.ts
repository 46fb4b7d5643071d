/**
 * Writing the role file, pure (no files): canonical lines PgBouncer reads
 * back unchanged, and a rewrite that keeps every line it does not change
 * byte for byte. Reading is parse.ts.
 */
import { formatAttributes, type RoleAttributes } from './attributes.js';
import { PGBOUNCER_MAX_PASSWORD, PGBOUNCER_MAX_USERNAME, effectiveRoles, type ParsedRoleFile } from './role-file.js';

// Where src/cli/commands/roles.ts still looks for them; new code imports attributes.js and role-file.js.
export { memberNameProblem, normalizeValidUntil, type RoleAttributes } from './attributes.js';
export { effectiveRoles, type Finding } from './role-file.js';

const toBytes = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');

/** `"` doubled, in quotes: the one quoting PgBouncer reads back unchanged. */
export function quoteField(text: string): string {
  return `"${text.replace(/"/g, '""')}"`;
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

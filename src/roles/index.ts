/**
 * The role file (SPEC §1): what other areas use (the server, hba `+group`,
 * the probe's live import). Reading lives in parse.ts, writing in format.ts, file I/O in store.ts.
 */
import type { RoleExistsError, RoleNotFoundError } from './commands.js';
import type { SqlSyntaxError } from './sql-lexer.js';
import { readRoleFile, type RoleFileError, type RolePathOptions } from './store.js';
import type { RoleAttributes } from './attributes.js';
import { effectiveRoles, type Finding } from './role-file.js';

export { RoleFileError, defaultRolesPath, MAX_ROLE_FILE_BYTES, type RolePathOptions } from './store.js';
export type { RoleAttributes } from './attributes.js';
export type { Finding } from './role-file.js';

/** The codes the roles layer's errors carry, for a caller's switch (never the message). */
export type RoleErrorCode = RoleFileError['code'] | RoleNotFoundError['code'] | RoleExistsError['code'] | SqlSyntaxError['code'];

export interface RoleRecord {
  name: string;
  secret: string;
  attrs: RoleAttributes;
  /** 1-based line of the role in the file (0 when it did not come from a file). */
  line: number;
}

/**
 * Reads a role file the way PgBouncer does (roles before the first line that
 * stops PgBouncer's loader; the last duplicate wins), plus pgauth's findings
 * (with a line-0 `permissions` warning for a group/other-readable file).
 * Throws RoleFileError when the file is missing, unreadable, too large, or
 * its path is unsafe (owned or writable by another user) and not allowed.
 */
export async function loadRoleFile(path: string, opts: RolePathOptions = {}): Promise<{ roles: Map<string, RoleRecord>; findings: Finding[] }> {
  const snap = await readRoleFile(path, { ...opts, mustExist: true });
  const roles = new Map<string, RoleRecord>();
  for (const [name, e] of effectiveRoles(snap.parsed)) roles.set(name, { name, secret: e.secret, attrs: e.attrs, line: e.line });
  return { roles, findings: snap.findings };
}

/**
 * True when a role cannot log in now because its `valid-until` has passed.
 * As PostgreSQL (`rolvaliduntil < now()`): the instant itself is still valid;
 * `infinity` and no value never expire.
 */
export function isExpired(attrs: RoleAttributes, now: Date = new Date()): boolean {
  if (attrs.validUntil === undefined || attrs.validUntil === 'infinity') return false;
  const t = Date.parse(attrs.validUntil);
  return !Number.isNaN(t) && t < now.getTime();
}

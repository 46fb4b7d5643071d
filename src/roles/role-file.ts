/**
 * What a role file holds once read (PgBouncer's auth_file, "userlist.txt",
 * plus pgauth's attribute words): its entries, its lines, its findings, and
 * PgBouncer's own limits on it. Read by parse.ts, written by format.ts.
 */
import type { SecretKind } from '../secrets/index.js';
import type { RoleAttributes } from './attributes.js';
import type { RoleFindingCode } from './finding-rules.js';

export interface Finding {
  /** 1-based line number; 0 for the file as a whole (e.g. its permissions). */
  line: number;
  severity: 'error' | 'warning';
  /** The rule id (finding-rules.ts lists every one with its title and help). */
  code: RoleFindingCode;
  message: string;
  /** What to do about it (SPEC §8), as `hba lint`'s findings carry one. */
  fix: string;
}

/** One role as read from the file. */
export interface RoleEntry {
  name: string;
  secret: string;
  attrs: RoleAttributes;
  /** Line of the opening quote of the name. */
  line: number;
  /** Line where the entry ends (differs from `line` only for a split entry). */
  endLine: number;
  /** PgBouncer loads this entry (it comes before the first stop). */
  read: boolean;
  /** A trailing `; comment` after the attribute words, kept on rewrite. */
  comment?: string;
  /** Words after the secret pgauth does not know, space-separated; kept when the role is rewritten. */
  extra?: string;
  /** The secret's kind as PostgreSQL reads it (set by the parser). */
  kind?: SecretKind | 'empty';
  /** The SCRAM iteration count (set by the parser). */
  iterations?: number;
}

/** Whole physical lines of the file; an entry owns the lines it spans. */
export interface Chunk {
  startLine: number;
  endLine: number;
  /** The lines' bytes (latin1 string), joined with LF, without the last LF. */
  raw: string;
  entry?: RoleEntry;
}

export interface ParsedRoleFile {
  chunks: Chunk[];
  entries: RoleEntry[];
  findings: Finding[];
  /** The file's last byte is LF (or the file is empty). */
  endsWithNewline: boolean;
  /** Where PgBouncer stops reading, if it does. */
  stop?: { line: number; code: RoleFindingCode };
}

/** PgBouncer's MAX_USERNAME: a raw (still quoted) name of this many bytes stops the loader. */
export const PGBOUNCER_MAX_USERNAME = 128;
/** PgBouncer 1.18's MAX_PASSWORD (2048; 65531 since 1.21): a longer raw secret stops the loader. */
export const PGBOUNCER_MAX_PASSWORD = 2048;

/** The roles PgBouncer ends up with: entries before the first stop, the last duplicate winning. */
export function effectiveRoles(parsed: ParsedRoleFile): Map<string, RoleEntry> {
  const roles = new Map<string, RoleEntry>();
  for (const e of parsed.entries) if (e.read) roles.set(e.name, e);
  return roles;
}

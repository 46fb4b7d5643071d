/**
 * The role file as the role commands' actions use it: which path, the path
 * policy, the warnings worth saying, and the roles layer's errors as CLI kinds.
 */
import { CliError, usageError } from '../../errors.js';
import { warn } from '../../context.js';
import { defaultRolesPath } from '../../../roles/store.js';
import { RoleExistsError, RoleNotFoundError } from '../../../roles/commands.js';
import type { Finding } from '../../../roles/format.js';
import type { RoleFileFlags } from './options.js';

export function rolesPath(flags: RoleFileFlags): string {
  if (flags.roles !== undefined) {
    if (flags.roles === '') throw usageError('--roles: empty file name');
    return flags.roles;
  }
  return defaultRolesPath();
}

/** The path policy of the role-file layer, from the flags. */
export const pathOpts = (flags: RoleFileFlags): { allowUnsafePath: boolean } => ({ allowUnsafePath: flags.allowUnsafePath === true });

/** The --allow-unsafe-path warnings (stderr, also with --json). */
export function warnUnsafePath(findings: readonly Finding[], path: string): void {
  for (const f of findings) if (f.code === 'unsafe-path') warn(`${path}: ${f.message}`);
}

/** Warnings worth saying on every write: file permissions; others are summarized. */
export function reportFindings(findings: readonly Finding[], path: string): void {
  warnUnsafePath(findings, path);
  for (const f of findings) if (f.code === 'permissions') warn(`${path}: ${f.message}`);
  const errors = findings.filter((f) => f.severity === 'error').length;
  const others = findings.filter((f) => f.line !== 0 && f.severity === 'warning').length;
  if (errors > 0) warn(`${path}: ${errors} error${errors === 1 ? '' : 's'} (PgBouncer mis-reads this file); run pgauth check-roles --roles ${path}`);
  else if (others > 0) warn(`${path}: ${others} other warning${others === 1 ? '' : 's'}; run pgauth check-roles --roles ${path}`);
}

/** Layer errors -> CLI kinds: a missing role is "rejected" (1), an existing one a usage error (3). */
export async function withRoleErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof RoleNotFoundError) throw new CliError('rejected', err.message);
    if (err instanceof RoleExistsError) throw new CliError('usage', err.message);
    throw err;
  }
}

/** Shared look-up rules of password methods (crypt.c get_role_password). */
import type { AuthContext } from './types.js';

/** Why the role has no usable secret (server-log detail), or undefined when it has one. */
export function secretProblem(ctx: AuthContext): string | undefined {
  const user = ctx.facts.user;
  if (!ctx.role) return `Role "${user}" does not exist.`;
  if (ctx.role.secret === '') return `User "${user}" has no password assigned.`;
  if (ctx.expired) return `User "${user}" has an expired password.`;
  return undefined;
}

/** Shared look-up rules of password methods (crypt.c get_role_password). */
import type { RoleRecord } from '../../roles/index.js';
import { parseSecret, type Secret } from '../../secrets/index.js';
import type { AuthContext } from './types.js';

/** Why the role has no usable secret (server-log detail), or undefined when it has one. */
export function secretProblem(ctx: AuthContext): string | undefined {
  const user = ctx.facts.user;
  if (!ctx.role) return `Role "${user}" does not exist.`;
  if (ctx.role.secret === '') return `User "${user}" has no password assigned.`;
  if (ctx.expired) return `User "${user}" has an expired password.`;
  return undefined;
}

/** Secrets parsed once per role record: a login does not decode the same base64 again, a reload brings new records. */
const parsed = new WeakMap<RoleRecord, Secret>();

/** The role's secret, classified and decoded (parseSecret), from the cache when this record was seen before. */
export function roleSecret(role: RoleRecord): Secret {
  let secret = parsed.get(role);
  if (!secret) {
    secret = parseSecret(role.secret);
    parsed.set(role, secret);
  }
  return secret;
}

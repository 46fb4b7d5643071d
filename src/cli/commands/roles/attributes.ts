/**
 * Role attributes from flags (rolvaliduntil, rolcanlogin, rolconnlimit,
 * memberships) and the role name, checked as PostgreSQL would.
 */
import { usageError } from '../../errors.js';
import { canPrompt, warn, type GlobalOptions } from '../../context.js';
import { parseIntFlag } from '../../flags.js';
import { memberNameProblem, normalizeValidUntil, roleNameProblem, type RoleAttributes } from '../../../roles/format.js';

/** rolconnlimit's range: -1 (none) to PostgreSQL's int maximum. */
export const parseConnLimit = (value: string): number => parseIntFlag('--conn-limit', value, -1, 2147483647);

export function parseValidUntil(value: string): string {
  const v = normalizeValidUntil(value);
  if (v === undefined) throw usageError(`--valid-until: ${JSON.stringify(value)} is not a timestamp (YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM], UTC when no zone) or 'infinity'`);
  const when = Date.parse(v);
  // PostgreSQL accepts a past VALID UNTIL too; the role then cannot log in with a password.
  if (Number.isFinite(when) && when <= Date.now()) warn(`--valid-until ${v} is in the past: the role cannot log in with a password until it is changed`);
  return v;
}

export function parseMemberOf(value: string): string[] {
  const names = value.split(',').map((s) => s.trim());
  for (const n of names) {
    const p = memberNameProblem(n);
    if (p) throw usageError(`--member-of: ${p}`);
  }
  return [...new Set(names)];
}

export interface AddAttributeFlags {
  validUntil?: string;
  nologin?: boolean;
  connLimit?: string;
  memberOf?: string;
}

export function attrsFromAddFlags(flags: AddAttributeFlags): RoleAttributes {
  const attrs: RoleAttributes = {};
  if (flags.validUntil !== undefined) attrs.validUntil = parseValidUntil(flags.validUntil);
  if (flags.nologin) attrs.nologin = true;
  if (flags.connLimit !== undefined) {
    const n = parseConnLimit(flags.connLimit);
    if (n >= 0) attrs.connLimit = n;
  }
  if (flags.memberOf !== undefined) attrs.memberOf = parseMemberOf(flags.memberOf);
  return attrs;
}

export function describeAttrs(a: RoleAttributes): string {
  const parts = [a.nologin ? 'nologin' : 'login'];
  if (a.validUntil) parts.push(`valid until ${a.validUntil}`);
  if (a.connLimit !== undefined) parts.push(`conn limit ${a.connLimit}`);
  if (a.memberOf?.length) parts.push(`member of ${a.memberOf.join(',')}`);
  return parts.join(', ');
}

/** NAME as given, or asked for on a terminal; a name PostgreSQL would refuse is a usage error. */
export async function roleName(given: string | undefined, g: GlobalOptions): Promise<string> {
  let name = given;
  if (name === undefined) {
    if (!canPrompt(g)) throw usageError('missing role name: give NAME (no terminal to prompt on)');
    const { promptText } = await import('../../prompts.js');
    name = await promptText('Role name:');
  }
  const problem = roleNameProblem(name);
  if (problem) throw usageError(`NAME: ${problem}`);
  return name;
}

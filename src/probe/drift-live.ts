/**
 * `check-roles --against`: reads a live server's roles with the live import
 * (`pgauth import postgresql://`, the same pg_authid/pg_auth_members
 * queries; a role without a password is read too when the file has it, so
 * "no password on the server" is a difference, not "file only") and
 * compares them with the role file's (src/roles/drift.ts).
 */
import { compareRoles, hasDrift, type RoleDrift } from '../roles/drift.js';
import type { RoleRecord } from '../roles/index.js';
import { fetchRolesFromServer, redactUri } from './import-live.js';
import type { ProbeOptions } from './probe.js';

export interface ServerDrift {
  /** The server's URI without its password. */
  server: string;
  roles: RoleDrift[];
  drift: boolean;
}

/** Reads one server's roles like `pgauth import postgresql://` (pg_authid, so a superuser) and compares them with the file's. */
export async function driftAgainstServer(
  fileRoles: Iterable<RoleRecord>,
  uri: string,
  opts: { password?: string; probe?: Partial<ProbeOptions> } = {},
): Promise<ServerDrift> {
  const file = [...fileRoles];
  const names = new Set(file.map((r) => r.name));
  const serverRoles = await fetchRolesFromServer(uri, { ...opts, keepWithoutPassword: (name) => names.has(name) });
  const roles = compareRoles(file, serverRoles);
  return { server: redactUri(uri), roles, drift: roles.some(hasDrift) };
}

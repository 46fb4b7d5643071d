/**
 * `check-roles --against`: reads a live server's roles with the live import
 * (`pgauth import postgresql://`, the same pg_authid/pg_auth_members
 * queries, so roles without a password are not read from the server either)
 * and compares them with the role file's (src/roles/drift.ts).
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

/**
 * Reads one server's roles like `pgauth import postgresql://` (pg_authid, so
 * a superuser; roles without a password are not read, as in the import) and
 * compares them with the file's.
 */
export async function driftAgainstServer(
  fileRoles: Iterable<RoleRecord>,
  uri: string,
  opts: { password?: string; probe?: Partial<ProbeOptions> } = {},
): Promise<ServerDrift> {
  const serverRoles = await fetchRolesFromServer(uri, opts);
  const roles = compareRoles(fileRoles, serverRoles);
  return { server: redactUri(uri), roles, drift: roles.some(hasDrift) };
}

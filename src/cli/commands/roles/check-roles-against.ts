/**
 * `pgauth check-roles --against URI...` (SPEC §11): the role file against
 * one or more live servers, read like `pgauth import postgresql://` (a
 * superuser; the password from --password-stdin/--password-env/--password,
 * else PGPASSWORD, ~/.pgpass, or a prompt on a terminal). Per role:
 * identical, or how it drifted; exit 1 on drift.
 */
import type { Command } from 'commander';
import { canPrompt, globalOptions, printJson, warn } from '../../context.js';
import { CliError, usageError } from '../../errors.js';
import { readPassword, type PasswordFlags } from '../../password.js';
import { print, style, table } from '../../render.js';
import { loadRoleFile } from '../../../roles/index.js';
import { hasDrift, type RoleDifference, type RoleDrift } from '../../../roles/drift.js';
import type { ServerDrift } from '../../../probe/drift-live.js';
import { pathOpts, rolesPath, warnUnsafePath } from './role-file.js';
import { hasPasswordSource } from './secret.js';
import type { RoleFileFlags } from './options.js';
import type { CiFlags } from '../../ci-flags.js';
import { announce, writeCiFiles } from '../../ci-output.js';
import { againstReport } from './check-roles-against-ci.js';

export interface AgainstFlags extends PasswordFlags, CiFlags {
  against?: string[];
}

/** One role's line in --json: its status besides the differences. */
const roleJson = (d: RoleDrift) => ({ ...d, status: hasDrift(d) ? 'drift' : 'identical' });

const expiry = (v: string | null): string => v ?? 'none';

/** A difference in words (the table's cell). */
export function describeDifference(d: RoleDifference): string {
  switch (d.kind) {
    case 'verifier':
      if (d.why === 'missing') return `password: ${d.file === 'none' ? 'none in the file' : 'none on the server'}`;
      if (d.why === 'kind') return `secret kind: file ${d.file}, server ${d.server}`;
      return `different ${d.file} verifier (${d.why} differ${d.why === 'salt' ? 's' : ''}: SCRAM pass-through fails even with the same password)`;
    case 'valid-until':
      return `expiry: file ${expiry(d.file)}, server ${expiry(d.server)}`;
    case 'login':
      return `LOGIN: file ${d.file ? 'LOGIN' : 'NOLOGIN'}, server ${d.server ? 'LOGIN' : 'NOLOGIN'}`;
    case 'connection-limit':
      return `connection limit: file ${d.file}, server ${d.server}`;
    case 'membership': {
      const parts = [d.onlyInFile.length ? `member of ${d.onlyInFile.join(', ')} in the file only` : '', d.onlyOnServer.length ? `member of ${d.onlyOnServer.join(', ')} on the server only` : ''];
      return parts.filter(Boolean).join('; ');
    }
  }
}

function roleRow(d: RoleDrift): string[] {
  const what =
    d.presence === 'file-only' ? ['only in the file'] : d.presence === 'server-only' ? ['only on the server'] : d.differences.map(describeDifference);
  const md5 = d.md5StoredOn.length ? [`md5 still stored (${d.md5StoredOn.join(', ')}): PostgreSQL 18 deprecates it`] : [];
  const status = hasDrift(d) ? style.fail('drift') : style.ok('identical');
  return [d.role, status, [...what, ...md5].join('\n') || style.dim('-')];
}

function renderDrift(path: string, servers: ServerDrift[]): string {
  const out: string[] = [];
  for (const s of servers) {
    out.push(`${style.strong(path)} against ${style.strong(s.server)}:`);
    out.push(table(['role', 'status', 'difference'], s.roles.map(roleRow)));
    const n = s.roles.filter(hasDrift).length;
    out.push(n ? style.fail(`${n} role(s) drifted`) : style.ok('no drift'));
  }
  return out.join('\n');
}

export async function runAgainst(flags: RoleFileFlags & AgainstFlags, cmd: Command): Promise<void> {
  const g = globalOptions(cmd);
  const path = rolesPath(flags);
  const uris = flags.against ?? [];
  // Not quoted back: a conninfo string here may hold a password.
  if (uris.some((u) => !/^postgres(ql)?:\/\//i.test(u))) throw usageError('--against: expected postgresql:// or postgres:// URIs');
  const file = await loadRoleFile(path, pathOpts(flags));
  warnUnsafePath(file.findings, path);
  const { driftAgainstServer } = await import('../../../probe/drift-live.js');
  const { LiveImportError, uriHasPassword } = await import('../../../probe/import-live.js');
  if (uris.some(uriHasPassword)) warn('a password in a URI is on the command line, where other users can see it; prefer --password-stdin, PGPASSWORD or ~/.pgpass');
  const password = hasPasswordSource(flags) ? await readPassword(flags, { confirm: false, input: g.input }) : undefined;
  const probe = !password && canPrompt(g) ? { prompt: async () => (await import('../../prompts.js')).promptPassword('Password for the --against server:') } : {};
  const servers: ServerDrift[] = [];
  for (const uri of uris) {
    try {
      servers.push(await driftAgainstServer(file.roles.values(), uri, { ...(password !== undefined ? { password } : {}), probe }));
    } catch (err) {
      if (err instanceof LiveImportError) throw new CliError(err.kind, err.message);
      throw err;
    }
  }
  const drift = servers.some((s) => s.drift);
  const ci = againstReport(path, servers, (role) => file.roles.get(role)?.line ?? 0);
  await writeCiFiles(flags, ci);
  if (g.json) printJson({ ok: !drift, drift, path, servers: servers.map((s) => ({ ...s, roles: s.roles.map(roleJson) })) });
  else print(renderDrift(path, servers));
  announce(flags, ci, g.json);
  if (drift) throw new CliError('rejected', `${path} and the server(s) disagree`, true);
}

import type { Command } from 'commander';
import { globalOptions, printJson } from '../../context.js';
import { print, printTable, style } from '../../render.js';
import { listRoles } from '../../../roles/commands.js';
import { pathOpts, reportFindings, rolesPath, warnUnsafePath, withRoleErrors } from './role-file.js';
import type { RoleFileFlags } from './options.js';

type Listed = Awaited<ReturnType<typeof listRoles>>['roles'][number];

/** One table row: problems in colour (plaintext, empty, expired, nologin). */
function row(r: Listed, showSecrets: boolean): string[] {
  const cells = [
    r.name,
    r.method === 'plain' ? style.warn('plain') : r.method === 'empty' ? style.fail('empty') : r.method,
    r.iterations === null ? '' : String(r.iterations),
    r.validUntil === null ? '' : r.expired ? style.fail(`${r.validUntil} (expired)`) : r.validUntil,
    r.login ? 'yes' : style.warn('no'),
    r.connLimit === null ? '' : String(r.connLimit),
    r.memberOf.join(','),
  ];
  if (showSecrets) cells.push(r.secret ?? '');
  return cells;
}

export const run = (flags: RoleFileFlags & { showSecrets?: boolean }, cmd: Command): Promise<void> =>
  withRoleErrors(async () => {
    const g = globalOptions(cmd);
    const path = rolesPath(flags);
    const showSecrets = flags.showSecrets === true;
    const result = await listRoles({ path, showSecrets, ...pathOpts(flags) });
    if (g.json) {
      warnUnsafePath(result.findings, path);
      return printJson(result);
    }
    reportFindings(result.findings, path);
    if (result.roles.length === 0) return print(style.dim(`no roles in ${path}`));
    const head = ['name', 'method', 'iterations', 'valid until', 'login', 'conn limit', 'member of'];
    if (showSecrets) head.push('secret');
    await printTable(head, result.roles.map((r) => row(r, showSecrets)));
  });

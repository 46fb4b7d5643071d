import type { Command } from 'commander';
import { globalOptions, printJson } from '../../context.js';
import { print, style } from '../../render.js';
import { removeRole } from '../../../roles/commands.js';
import { pathOpts, reportFindings, rolesPath, withRoleErrors } from './role-file.js';
import type { RoleFileFlags } from './options.js';

export const run = (name: string, flags: RoleFileFlags, cmd: Command): Promise<void> =>
  withRoleErrors(async () => {
    const g = globalOptions(cmd);
    const path = rolesPath(flags);
    const result = await removeRole({ path, name, ...pathOpts(flags) });
    reportFindings(result.findings, path);
    if (g.json) return printJson({ action: 'removed', name, path });
    print(`${style.ok('removed')} role ${style.strong(name)} from ${path}`);
  });

import type { Command } from 'commander';
import { globalOptions, printJson } from '../../context.js';
import { print, style } from '../../render.js';
import { RoleNotFoundError, precheckRoleFile, setRoleSecret } from '../../../roles/commands.js';
import { effectiveRoles } from '../../../roles/format.js';
import { pathOpts, reportFindings, rolesPath, withRoleErrors } from './role-file.js';
import { secretFromFlags } from './secret.js';
import type { RoleFileFlags, SecretFlags } from './options.js';

export const run = (name: string, flags: RoleFileFlags & SecretFlags, cmd: Command): Promise<void> =>
  withRoleErrors(async () => {
    const g = globalOptions(cmd);
    const path = rolesPath(flags);
    const snap = await precheckRoleFile(path, 'change a password in', pathOpts(flags));
    if (!effectiveRoles(snap.parsed).has(name)) throw new RoleNotFoundError(name, path);
    const secret = await secretFromFlags(name, flags, g);
    const result = await setRoleSecret({ path, name, secret, previous: snap, ...pathOpts(flags) });
    reportFindings(result.findings, path);
    if (g.json) return printJson({ action: 'changed', name, method: result.method, path });
    print(`${style.ok('changed')} the password of ${style.strong(name)} (${result.method}) in ${path}`);
  });

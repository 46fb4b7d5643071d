import type { Command } from 'commander';
import { globalOptions, printJson } from '../../context.js';
import { print, style } from '../../render.js';
import { RoleExistsError, addRole, precheckRoleFile } from '../../../roles/commands.js';
import { effectiveRoles } from '../../../roles/format.js';
import { attrsFromAddFlags, describeAttrs, roleName, type AddAttributeFlags } from './attributes.js';
import { pathOpts, reportFindings, rolesPath, withRoleErrors } from './role-file.js';
import { secretFromFlags } from './secret.js';
import type { RoleFileFlags, SecretFlags } from './options.js';

type AddRoleFlags = RoleFileFlags & SecretFlags & AddAttributeFlags & { replace?: boolean };

export const run = (nameArg: string | undefined, flags: AddRoleFlags, cmd: Command): Promise<void> =>
  withRoleErrors(async () => {
    const g = globalOptions(cmd);
    const path = rolesPath(flags);
    const attrs = attrsFromAddFlags(flags);
    const name = await roleName(nameArg, g);
    const snap = await precheckRoleFile(path, 'add a role to', pathOpts(flags));
    const existing = effectiveRoles(snap.parsed).get(name);
    if (existing && !flags.replace) throw new RoleExistsError(name, path, existing.line);
    const secret = await secretFromFlags(name, flags, g);
    const result = await addRole({ path, name, secret, attrs, replace: flags.replace === true, previous: snap, ...pathOpts(flags) });
    reportFindings(result.findings, path);
    if (g.json) return printJson({ action: result.action, name, method: result.method, path, attrs });
    print(`${style.ok(result.action)} role ${style.strong(name)} (${result.method}; ${describeAttrs(attrs)}) ${result.action === 'added' ? 'to' : 'in'} ${path}`);
  });

import type { Command } from 'commander';
import { count } from '../../../files/wording.js';
import { globalOptions, printJson } from '../../context.js';
import { CliError } from '../../errors.js';
import { print, style } from '../../render.js';
import { checkRoles } from '../../../roles/commands.js';
import { pathOpts, rolesPath, withRoleErrors } from './role-file.js';
import type { RoleFileFlags } from './options.js';
import type { CiFlags } from '../../ci-flags.js';
import { announce, writeCiFiles } from '../../ci-output.js';
import { checkRolesReport } from './check-roles-ci.js';
import { runAgainst, type AgainstFlags } from './check-roles-against.js';

/** One line per finding, then the summary. */
function renderCheck(path: string, result: Awaited<ReturnType<typeof checkRoles>>): string {
  const lines = result.findings.map((f) => {
    const where = f.line === 0 ? path : `${path}:${f.line}`;
    const sev = f.severity === 'error' ? style.fail('error') : style.warn('warning');
    return `${where}: ${sev}: ${f.message} ${style.dim(`[${f.code}]`)}\n  fix: ${f.fix}`;
  });
  const errors = result.findings.filter((f) => f.severity === 'error').length;
  const warnings = result.findings.length - errors;
  lines.push(
    errors > 0
      ? style.fail(`${count(errors, 'error')}, ${count(warnings, 'warning')} in ${path}`)
      : style.ok(`${path}: ${count(result.roles, 'role')}, no errors${warnings ? `, ${count(warnings, 'warning')}` : ''}`),
  );
  return lines.join('\n');
}

export const run = (flags: RoleFileFlags & CiFlags & AgainstFlags, cmd: Command): Promise<void> =>
  withRoleErrors(async () => {
    if (flags.against !== undefined) return runAgainst(flags, cmd);
    const g = globalOptions(cmd);
    const path = rolesPath(flags);
    const result = await checkRoles(path, pathOpts(flags));
    const ci = checkRolesReport(path, result.findings);
    await writeCiFiles(flags, ci);
    if (g.json) printJson(result);
    else print(renderCheck(path, result));
    announce(flags, ci, g.json);
    if (!result.ok) throw new CliError('rejected', `${path} has errors`, true);
  });

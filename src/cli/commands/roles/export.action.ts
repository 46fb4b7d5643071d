import { warn } from '../../context.js';
import { usageError } from '../../errors.js';
import { exportRoles } from '../../../roles/commands.js';
import { pathOpts, reportFindings, rolesPath, withRoleErrors } from './role-file.js';
import type { RoleFileFlags } from './options.js';
import type { EXPORT_FORMATS } from './export.js';

export const run = (flags: RoleFileFlags & { format: (typeof EXPORT_FORMATS)[number]; sync?: boolean }): Promise<void> =>
  withRoleErrors(async () => {
    if (flags.sync && flags.format !== 'sql') throw usageError(`--sync needs --format sql (not ${flags.format})`);
    const path = rolesPath(flags);
    const result = await exportRoles({ path, format: flags.format, sync: flags.sync === true, ...pathOpts(flags) });
    reportFindings(result.findings, path);
    for (const s of result.skipped) warn(`role ${JSON.stringify(s.name)} left out: ${s.reason}`);
    process.stdout.write(result.text);
  });

/** `pgauth check-roles`: what PgBouncer would mis-read in the role file (SPEC §1). */
import { lazyAction, type CommandDefinition } from '../../command.js';
import { ciOptions } from '../../ci-flags.js';
import { jsonOption } from '../../flags.js';
import { addPasswordOptions } from '../../password.js';
import { rolesOption } from './options.js';

export const checkRoles: CommandDefinition = {
  name: 'check-roles',
  define(program) {
    const cmd = program.command('check-roles').description('report what PgBouncer would mis-read in the role file (exit 1 on errors)');
    rolesOption(cmd);
    cmd.option('--against <URI...>', 'compare the file with these live servers (postgresql:// URIs, read like `import`): per-role drift, exit 1 on drift');
    addPasswordOptions(cmd);
    jsonOption(cmd);
    ciOptions(cmd, { sarif: true });
    return cmd.action(lazyAction(() => import('./check-roles.action.js')));
  },
  menu: { name: 'Check the role file for PgBouncer traps', order: 7, args: async () => ['check-roles'] },
};

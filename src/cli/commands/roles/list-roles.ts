/** `pgauth list-roles`: the roles PgBouncer would load from the role file (SPEC §1). */
import { lazyAction, type CommandDefinition } from '../../command.js';
import { jsonOption } from '../../flags.js';
import { rolesOption } from './options.js';

export const listRoles: CommandDefinition = {
  name: 'list-roles',
  define(program) {
    const cmd = program.command('list-roles').description('list the roles PgBouncer would load from the role file');
    rolesOption(cmd);
    jsonOption(cmd);
    cmd.option('--show-secrets', 'also print each stored secret');
    return cmd.action(lazyAction(() => import('./list-roles.action.js')));
  },
  menu: { name: 'List roles', order: 1, args: async () => ['list-roles'] },
};

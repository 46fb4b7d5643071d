/** `pgauth remove-role NAME`: remove a role, exit 1 if it is not there (SPEC §1). */
import { lazyAction, type CommandDefinition } from '../../command.js';
import { jsonOption } from '../../flags.js';
import { withRole } from '../../menu-ask.js';
import { rolesOption } from './options.js';

export const removeRole: CommandDefinition = {
  name: 'remove-role',
  define(program) {
    const cmd = program.command('remove-role').argument('<NAME>', 'role name').description('remove a role (exit 1 if it is not there)');
    rolesOption(cmd);
    jsonOption(cmd);
    return cmd.action(lazyAction(() => import('./remove-role.action.js')));
  },
  menu: { name: 'Remove a role', order: 6, args: withRole('remove-role') },
};

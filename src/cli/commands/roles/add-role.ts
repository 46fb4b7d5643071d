/** `pgauth add-role [NAME]`: add a role to the role file (SPEC §1). */
import { lazyAction, type CommandDefinition } from '../../command.js';
import { jsonOption } from '../../flags.js';
import { ask, pick } from '../../menu-ask.js';
import { addPasswordOptions } from '../../password.js';
import { SECRET_METHODS, addSecretOptions, rolesOption } from './options.js';

export const addRole: CommandDefinition = {
  name: 'add-role',
  define(program) {
    const cmd = program.command('add-role').argument('[NAME]', 'role name (prompted for on a terminal)').description('add a role to the role file');
    rolesOption(cmd);
    addSecretOptions(cmd);
    addPasswordOptions(cmd);
    cmd
      .option('--valid-until <TIMESTAMP>', "password expiry (rolvaliduntil): ISO-8601 or 'infinity'")
      .option('--nologin', 'the role may not log in (rolcanlogin = false)')
      .option('--conn-limit <N>', 'connection limit (rolconnlimit; -1 = none)')
      .option('--member-of <ROLES>', 'comma-separated roles this role is a member of (for +group in pg_hba.conf)')
      .option('--replace', 'overwrite an existing role')
      .action(lazyAction(() => import('./add-role.action.js')));
    return jsonOption(cmd);
  },
  menu: {
    name: 'Add a role',
    order: 2,
    args: async () => ['add-role', await ask('Role name:'), '--method', await pick('Secret kind:', SECRET_METHODS)],
  },
};

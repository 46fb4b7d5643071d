/** `pgauth passwd NAME`: set a role's password, keeping its attributes (SPEC §1). */
import { lazyAction, type CommandDefinition } from '../../command.js';
import { jsonOption } from '../../flags.js';
import { pick, withRole } from '../../menu-ask.js';
import { addPasswordOptions } from '../../password.js';
import { SECRET_METHODS, addSecretOptions, rolesOption } from './options.js';

export const passwd: CommandDefinition = {
  name: 'passwd',
  define(program) {
    const cmd = program.command('passwd').argument('<NAME>', 'role name').description("set a role's password (keeps its attributes)");
    rolesOption(cmd);
    addSecretOptions(cmd);
    addPasswordOptions(cmd);
    jsonOption(cmd);
    return cmd.action(lazyAction(() => import('./passwd.action.js')));
  },
  menu: { name: 'Change a password', order: 4, args: withRole('passwd', async () => ['--method', await pick('Secret kind:', SECRET_METHODS)]) },
};

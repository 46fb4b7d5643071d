/** `pgauth verify [NAME]`: check a password against a role's stored secret (SPEC §1). */
import { lazyAction, type CommandDefinition } from '../../command.js';
import { ciOptions } from '../../ci-flags.js';
import { jsonOption } from '../../flags.js';
import { withRole } from '../../menu-ask.js';
import { addPasswordOptions } from '../../password.js';
import { rolesOption } from './options.js';

export const verify: CommandDefinition = {
  name: 'verify',
  define(program) {
    const cmd = program.command('verify').argument('[NAME]', 'role name (needed for md5)').description("check a password against a role's stored secret (exit 0 match, 1 mismatch)");
    rolesOption(cmd);
    cmd.option('--verifier <SECRET>', 'check against this SCRAM verifier or md5 hash instead of the role file');
    addPasswordOptions(cmd);
    jsonOption(cmd);
    ciOptions(cmd, { sarif: false, junit: 'one testcase for the role, failing on a mismatch' });
    return cmd.action(lazyAction(() => import('./verify.action.js')));
  },
  menu: { name: 'Check a password', order: 5, args: withRole('verify') },
};

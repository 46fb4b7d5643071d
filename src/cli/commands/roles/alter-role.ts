/** `pgauth alter-role NAME`: change a role's attributes, never its secret (SPEC §1). */
import { lazyAction, type CommandDefinition } from '../../command.js';
import { jsonOption } from '../../flags.js';
import { ask, select, withRole } from '../../menu-ask.js';
import { rolesOption } from './options.js';

/** The menu's "change what?": one attribute, as the flags that change it. */
async function alterArgs(): Promise<string[]> {
  const what = await select('Change what?', [
    { value: 'login', name: 'May log in (login)' },
    { value: 'nologin', name: 'May not log in (nologin)' },
    { value: 'valid-until', name: 'Password expiry (valid until)' },
    { value: 'no-valid-until', name: 'Remove the password expiry' },
    { value: 'conn-limit', name: 'Connection limit' },
  ]);
  if (what === 'valid-until') return ['--valid-until', await ask("Valid until (YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM] or 'infinity'):")];
  if (what === 'conn-limit') return ['--conn-limit', await ask('Connection limit (-1 = none):', '-1')];
  return [`--${what}`];
}

export const alterRole: CommandDefinition = {
  name: 'alter-role',
  define(program) {
    const cmd = program.command('alter-role').argument('<NAME>', 'role name').description("change a role's attributes (never its secret)");
    rolesOption(cmd);
    cmd
      .option('--valid-until <TIMESTAMP>', "password expiry: ISO-8601 or 'infinity'")
      .option('--no-valid-until', 'remove the expiry')
      .option('--nologin', 'the role may not log in')
      .option('--login', 'the role may log in')
      .option('--conn-limit <N>', 'connection limit (-1 = none)')
      .option('--no-conn-limit', 'remove the connection limit')
      .option('--member-of <ROLES>', 'replace the role memberships (comma-separated)')
      .option('--no-member-of', 'remove all role memberships');
    jsonOption(cmd);
    return cmd.action(lazyAction(() => import('./alter-role.action.js')));
  },
  menu: { name: "Change a role's attributes", order: 3, args: withRole('alter-role', alterArgs) },
};

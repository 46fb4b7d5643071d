/**
 * `pgauth pam-check`: runs pam_authenticate then pam_acct_mgmt for a user,
 * the way `serve --auth pam` does, and prints each step's PAM result.
 * Exit 0 success, 1 refused, 3 configuration error (unknown service, missing
 * module).
 */
import { lazyAction, type CommandDefinition } from '../command.js';
import { ask } from '../menu-ask.js';
import { addPasswordOptions } from '../password.js';

export const pamCheck: CommandDefinition = {
  name: 'pam-check',
  define(program) {
    const cmd = program
      .command('pam-check')
      .description('run a PAM login (pam_authenticate, then pam_acct_mgmt) and show each step')
      .option('--service <NAME>', 'PAM service (a file in /etc/pam.d or --confdir)', 'postgresql')
      .option('--user <NAME>', 'user name to authenticate')
      .option('--confdir <DIR>', 'PAM configuration folder instead of /etc/pam.d (libpam >= 1.4)')
      .option('--rhost <ADDR>', 'client address to give PAM as PAM_RHOST');
    addPasswordOptions(cmd);
    return cmd.option('--json', 'print the result as one JSON document').action(lazyAction(() => import('./pam-check.action.js')));
  },
  menu: {
    name: 'Check PAM',
    order: 15,
    args: async () => ['pam-check', '--service', await ask('PAM service:', 'postgresql'), '--user', await ask('User:')],
  },
};

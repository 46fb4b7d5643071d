/**
 * `pgauth verifier`: print the SCRAM-SHA-256 verifier (or md5 hash) that
 * PostgreSQL would store for a password (SPEC §2).
 */
import { lazyAction, type CommandDefinition } from '../command.js';
import { pick } from '../menu-ask.js';
import { addPasswordOptions } from '../password.js';

export const verifier: CommandDefinition = {
  name: 'verifier',
  define(program) {
    const cmd = program
      .command('verifier')
      .description("print the secret PostgreSQL stores for a password (SCRAM-SHA-256 verifier or md5 hash)")
      .option('--method <METHOD>', 'scram-sha-256 or md5', 'scram-sha-256')
      .option('--iterations <N>', 'SCRAM iteration count (default 4096)')
      .option('--salt <BASE64>', 'SCRAM salt, base64 (default 16 random bytes); for reproducible output')
      .option('--user <NAME>', 'role name (md5 only: the hash includes it)')
      .option('--sql <ROLE>', `print ALTER ROLE "ROLE" PASSWORD '...'; instead of the bare secret`);
    addPasswordOptions(cmd);
    cmd.option('--json', 'print {secret, method, iterations, salt, user, sql} as one JSON document');
    return cmd.action(lazyAction(() => import('./verifier.action.js')));
  },
  menu: { name: 'Make a SCRAM verifier or md5 hash', order: 10, args: async () => ['verifier', '--method', await pick('Kind:', ['scram-sha-256', 'md5'] as const)] },
};

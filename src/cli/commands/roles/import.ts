/** `pgauth import SOURCE`: roles from a userlist, a pg_dumpall SQL dump or a live server (SPEC §1). */
import { lazyAction, type CommandDefinition } from '../../command.js';
import { jsonOption } from '../../flags.js';
import { ask } from '../../menu-ask.js';
import { addPasswordOptions } from '../../password.js';
import { rolesOption } from './options.js';

export const importRoles: CommandDefinition = {
  name: 'import',
  define(program) {
    const cmd = program
      .command('import')
      .argument('<SOURCE>', "a PgBouncer userlist, pg_dumpall --roles-only SQL ('-' = stdin), or a postgresql:// URI")
      .description('import roles into the role file (reports added, replaced, skipped)');
    rolesOption(cmd);
    cmd.option('--replace', 'overwrite roles that already exist');
    cmd.option('--import-unreadable-as-nologin', 'SQL: import a role whose VALID UNTIL pgauth cannot read as nologin (default: skip it)');
    cmd.option('--keep-plaintext', 'SQL: keep a plaintext PASSWORD as is (default: store a SCRAM-SHA-256 verifier, as PostgreSQL does)');
    addPasswordOptions(cmd);
    jsonOption(cmd);
    return cmd.action(lazyAction(() => import('./import.action.js')));
  },
  menu: { name: 'Import roles (userlist, SQL dump or postgresql:// server)', order: 9, args: async () => ['import', await ask('File to import:')] },
};

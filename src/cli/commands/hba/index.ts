/** `pgauth hba`: pg_hba.conf's commands (SPEC §5); alone, its help and a usage error. */
import type { Command } from 'commander';
import type { CommandDefinition } from '../../command.js';
import { usageError } from '../../errors.js';
import { hbaCheck } from './check.js';
import { hbaLint } from './lint.js';

export const hba: CommandDefinition = {
  name: 'hba',
  define: (program) =>
    program
      .command('hba')
      .description('pg_hba.conf: which line admits a connection, and a linter')
      .action(function (this: Command) {
        process.stderr.write(this.helpInformation());
        throw usageError('hba needs a subcommand: check or lint');
      }),
  subcommands: [hbaCheck, hbaLint],
};

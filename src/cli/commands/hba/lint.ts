/** `pgauth hba lint FILE`: parse every line like pg_hba_file_rules and lint it (SPEC §5). */
import { lazyAction, type CommandDefinition } from '../../command.js';
import { ciOptions } from '../../ci-flags.js';
import { ask } from '../../menu-ask.js';

export const hbaLint: CommandDefinition = {
  name: 'lint',
  define: (hba) =>
    ciOptions(
      hba
        .command('lint')
        .description('parse every line like the pg_hba_file_rules view and lint it; exit 1 on any error (or warning with --strict)')
        .argument('<file>', 'pg_hba.conf to read (include and @file are followed)')
        .option('--server-version <major>', 'read the file as this PostgreSQL major does (14 to 18: oauth lines and some messages are 18\'s)', '18')
        .option('--strict', 'warnings fail too (exit 1)', false)
        .option('--json', 'print one JSON document'),
      { sarif: true },
    ).action(lazyAction(() => import('./lint.action.js'))),
  menu: { name: 'Lint a pg_hba.conf', order: 13, args: async () => ['hba', 'lint', await ask('pg_hba.conf path:')] },
};

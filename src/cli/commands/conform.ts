/**
 * `pgauth conform [--scenario NAME]... [--json] [--junit FILE] -- COMMAND ARGS...`:
 * runs a client command against one hostile server per scenario and says
 * what it did (SPEC §10). Exit 0 when it refused every scenario, 1 when it
 * failed one, 3 on a usage error.
 */
import { lazyAction, type CommandDefinition } from '../command.js';
import { SCENARIO_NAMES } from '../../server/scenarios/types.js';

export const conform: CommandDefinition = {
  name: 'conform',
  define: (program) =>
    program
      .command('conform')
      .description('run a client command against hostile servers (one per scenario) and report what it refused')
      .usage('[options] -- COMMAND [ARGS...]')
      .argument('<command...>', 'the client to test; it gets PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLROOTCERT and DATABASE_URL')
      .option('--scenario <NAME>', `run only this scenario (repeatable): ${SCENARIO_NAMES.join(', ')}`, (v: string, prev: string[] = []) => [...prev, v])
      .option('--scenario-timeout <DURATION>', 'how long the client may take per scenario before it is ended and the scenario fails', '10s')
      .option('--client-url-var <NAME>', 'also put the connection URL in this variable (besides DATABASE_URL)')
      .option('--junit <FILE>', 'write the results as JUnit XML')
      .option('--json', 'print the results as one JSON document')
      .action(lazyAction(() => import('./conform.action.js'))),
};

/** `pgauth export`: the roles as a PgBouncer userlist, SQL for PostgreSQL, or JSON (SPEC §1). */
import { Option } from 'commander';
import { lazyAction, type CommandDefinition } from '../../command.js';
import { pick } from '../../menu-ask.js';
import { rolesOption } from './options.js';

export const EXPORT_FORMATS = ['userlist', 'sql', 'json'] as const;

export const exportRoles: CommandDefinition = {
  name: 'export',
  define(program) {
    const cmd = program.command('export').description('print the roles as a PgBouncer userlist, SQL for PostgreSQL, or JSON');
    rolesOption(cmd);
    cmd.addOption(new Option('--format <FORMAT>', 'output format').choices([...EXPORT_FORMATS]).default('userlist'));
    cmd.option('--sync', "with --format sql: also make expiry, LOGIN and memberships exactly the file's (VALID UNTIL 'infinity', REVOKE of memberships the file no longer lists)");
    return cmd.action(lazyAction(() => import('./export.action.js')));
  },
  menu: { name: 'Export the roles', order: 8, args: async () => ['export', '--format', await pick('Format:', EXPORT_FORMATS)] },
};

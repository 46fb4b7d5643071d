/** `pgauth hba check FILE`: which pg_hba.conf line matches a connection, or the line to add (SPEC §5). */
import { lazyAction, type CommandDefinition } from '../../command.js';
import { ask } from '../../menu-ask.js';

export const hbaCheck: CommandDefinition = {
  name: 'check',
  define: (hba) =>
    hba
      .command('check')
      .description('which pg_hba.conf line matches a connection, its method and options, or the line to add')
      .argument('<file>', 'pg_hba.conf to read (include and @file are followed)')
      .option('-U, --user <name>', 'user name of the connection (asked on a terminal when missing; -U as psql spells it)')
      .option('-d, --db <name>', 'database name (default: the user name, as PostgreSQL does; -d as psql spells it)')
      .option('--addr <ip>', 'client IP address of a TCP connection (--addr or --local; asked on a terminal when both are missing)')
      .option('--local', 'a Unix-socket connection', false)
      .option('--ssl', 'the TCP connection uses TLS', false)
      .option('--replication', 'a physical replication connection (matches only the replication keyword)', false)
      .option('--roles <file>', 'role file for +group and samerole (member-of=), or a postgresql:// URI to read memberships from a live server; default PGAUTH_ROLES or ./userlist.txt when present')
      .option('--allow-unsafe-path', 'read the role file even when it, a symlink to it or a folder above it is owned or writable by another user (with a warning)')
      .option('--method <method>', 'method for the proposed line', 'scram-sha-256')
      .option('--password-stdin', 'with --roles postgresql://...: read the password from the first line of stdin')
      .option('--password-env <VAR>', 'with --roles postgresql://...: read the password from environment variable VAR')
      .option('--json', 'print one JSON document')
      .action(lazyAction(() => import('./check.action.js'))),
  menu: { name: 'Which pg_hba.conf line admits a connection', order: 14, args: async () => ['hba', 'check', await ask('pg_hba.conf path:')] },
};

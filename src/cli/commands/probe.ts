/**
 * `pgauth probe [TARGET...]`: log in like libpq, show every step, explain a
 * failure.
 */
import { Option } from 'commander';
import { ciOptions } from '../ci-flags.js';
import { lazyAction, type CommandDefinition } from '../command.js';
import { ask } from '../menu-ask.js';
import { addPasswordOptions } from '../password.js';

export const probe: CommandDefinition = {
  name: 'probe',
  define(program) {
    const cmd = program
      .command('probe')
      .argument('[TARGET...]', 'host[:port], a postgresql:// URI, or a key=value conninfo string (several: each probed, then a summary)')
      .description('log in to a PostgreSQL-protocol server like libpq, show each step and diagnose a failure')
      .helpOption('--help', 'display help for command')
      .option('-h, --host <HOST>', 'server host, socket directory, or a comma list (PGHOST)')
      .option('-p, --port <PORT>', 'server port (PGPORT)')
      .option('-U, --username <USER>', 'user name (PGUSER)')
      .option('-d, --dbname <DB>', 'database name, or a conninfo string (PGDATABASE)')
      .option('-W', 'ask for the password before connecting (psql -W)');
    addPasswordOptions(cmd, { psqlPassword: true });
    cmd
      .option('-w, --no-password', 'never ask for a password (psql -w): PGPASSWORD, ~/.pgpass, --password-env and --password-stdin still apply')
      .option('--discover', 'send no secret: discover which method the server asks for, then disconnect')
      .option('-v, --steps', 'show the step table, every attempt and the whole certificate (the default is a short summary)')
      .option('--trace', 'show every protocol message both ways (secrets redacted; implies --steps)')
      .option('--expect-auth <METHODS>', 'exit 4 unless the server asks for one of these methods (none,password,md5,scram-sha-256,gss,sspi,oauth)')
      .option('--expect-tls', 'exit 4 unless the session uses TLS')
      .option('--expect-channel-binding', 'exit 4 unless SCRAM-SHA-256-PLUS channel binding is used')
      .option('--expect-failure', 'exit 0 only when the login is refused (exit 4 otherwise)')
      .option('--expect-protocol <VERSION>', 'exit 4 unless the session uses this protocol version (3.0 or 3.2)')
      .option('--grease', "ask for protocol 3.9999 with _pq_.test_protocol_negotiation, as PostgreSQL 19's libpq does, and check the target negotiates it")
      .option('--oauth-token-env <VAR>', 'OAuth (PostgreSQL 18): send the bearer token in environment variable VAR')
      .option('--oauth-token-stdin', 'OAuth: send the bearer token read from the first line of stdin')
      .option('--max-iterations <N>', 'refuse SCRAM iteration counts above N (default 10000000)')
      .option('--wait <DURATION>', 'retry while the server is not up yet (refused, timeout, DNS, starting, too many connections) for up to DURATION, e.g. 30s or 2m; anything else fails at once')
      .option('--targets <FILE>', 'probe the targets listed in FILE too (one per line, # comments)')
      .option('--jobs <N>', 'probe at most N targets at once (default 8)')
      .option('--server-log <FILE>', "after a refused login, read the server's log for this connection's cause (password-mismatch, role-missing, ...)")
      .addOption(new Option('--server-log-format <FORMAT>', 'the log\'s format (default: by extension .json/.csv, else by its first line)').choices(['stderr', 'csvlog', 'jsonlog']))
      .option('--log-line-prefix <PREFIX>', "the server's log_line_prefix, for a stderr log (default Debian's '%m [%p] %q%u@%d ')");
    ciOptions(cmd, { sarif: false, junit: 'one testcase per target' });
    cmd
      .option('--json', 'print the result as one JSON document ({ok, results} for several targets)')
      .action(lazyAction(() => import('./probe.action.js')));
    return cmd;
  },
  menu: {
    name: 'Probe: log in to a server and explain',
    order: 12,
    args: async () => ['probe', await ask('Target (host:port, URI or conninfo):', 'localhost'), '-U', await ask('User:')],
  },
};

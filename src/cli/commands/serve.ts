/**
 * `pgauth serve`: a PostgreSQL-protocol test server (SPEC §3).
 *
 * Output: stdout carries the "listening" line first, then one line per
 * connection attempt and per reload (text, or JSON lines with
 * --log-format json). Warnings go to stderr in text mode.
 */
import { Option } from 'commander';
import { lazyAction, type CommandDefinition } from '../command.js';
import { ask, pick } from '../menu-ask.js';
import { SERVER_AUTH_METHODS } from '../../hba/decision.js';
import { SCENARIO_NAMES } from '../../server/scenarios/types.js';

/** The methods the menu offers (the rest need flags the menu does not ask for). */
const MENU_METHODS = ['scram-sha-256', 'md5', 'password', 'trust', 'reject', 'cert', 'pam'] as const;

export const serve: CommandDefinition = {
  name: 'serve',
  define: (program) =>
    program
      .command('serve')
      .description('run a PostgreSQL-protocol test server that authenticates clients in a chosen mode')
      .addOption(new Option('--auth <METHOD>', 'authentication method for every connection').choices([...SERVER_AUTH_METHODS, 'scram']).default('scram-sha-256'))
      .option('--hba <FILE>', 'take the method per connection from a pg_hba.conf instead of --auth')
      .option('--roles <FILE>', 'role file (default: $PGAUTH_ROLES, else ./userlist.txt)')
      .option('--allow-unsafe-path', 'serve a role file even when it, a symlink to it or a folder above it is owned or writable by another user (with a warning)')
      .option('--host <ADDR>', 'address to listen on', '127.0.0.1')
      .option('--port <N>', 'TCP port (0 picks a free one)', '54320')
      .option('--socket-dir <DIR>', 'also listen on the Unix socket DIR/.s.PGSQL.<port>')
      .option('--tls-cert <FILE>', 'server certificate (PEM)')
      .option('--tls-key <FILE>', 'server private key (PEM)')
      .option('--tls-self-signed', 'make a throwaway self-signed certificate at start')
      .option('--tls-self-signed-out <FILE>', 'with --tls-self-signed: write its certificate (PEM, public part only) to FILE for sslmode=verify-full sslrootcert=FILE')
      .option('--tls-cert-out <FILE>', 'the same as --tls-self-signed-out')
      .option('--tls-ca <FILE>', 'CA for client certificates (needed by cert auth)')
      .option('--require-tls', 'refuse connections without TLS, like hostssl-only rules')
      .option('--auth-timeout <DURATION>', 'close a client that has not authenticated in time (seconds, or 500ms, 2s...)', '60')
      .option('--auth-delay <MS>', 'delay every authentication failure answer by MS milliseconds', '0')
      .option('--max-connections <N>', 'refuse clients beyond N with 53300', '100')
      .option('--server-version <VERSION>', 'server_version to report; 18 and later speak protocol 3.2 too, 17 and older 3.0 only', '18.0')
      .option('--iterations <N>', 'SCRAM iterations of mock exchanges (unknown roles) and of plaintext secrets', '4096')
      .option('--pam-service <NAME>', 'PAM service for --auth pam', 'postgresql')
      .option('--pam-confdir <DIR>', 'PAM configuration folder instead of /etc/pam.d')
      .addOption(new Option('--log-format <FORMAT>', 'log line format').choices(['text', 'json']).default('text'))
      .option('--json', 'JSON lines on stdout, as --log-format json (a server prints one line per event, not one document)')
      .option('--ident <FILE>', "pg_ident.conf for hba lines' map= options (PostgreSQL's ident_file)")
      .option('--oauth-issuer <URL>', 'oauth: the issuer to advertise and to require in tokens ("iss")')
      .option('--oauth-scope <SCOPES>', 'oauth: the scope to advertise; tokens must grant every scope listed')
      .option('--oauth-jwks <FILE>', 'oauth: JWKS file whose keys sign valid tokens (pgauth oauth-token mints them)')
      .option('--oauth-audience <AUD>', 'oauth: require this "aud" in tokens')
      .option('--oauth-claim <CLAIM>', 'oauth: the token claim that names the identity', 'sub')
      .option('--scenario <NAME>', `misbehave on purpose to test a client (repeatable where they combine): ${SCENARIO_NAMES.join(', ')}`, (v: string, prev: string[] = []) => [...prev, v])
      .option('--no-watch', 'do not reload the role, hba and ident files when they change (SIGHUP still does)')
      .action(lazyAction(() => import('./serve.action.js'))),
  menu: {
    name: 'Serve: run a test server (Ctrl-C stops it)',
    order: 11,
    args: async () => ['serve', '--auth', await pick('Auth method:', MENU_METHODS), '--port', await ask('Port (0 = any free one):', '54320')],
  },
};

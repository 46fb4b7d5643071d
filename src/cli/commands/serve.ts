/**
 * `pgauth serve`: a PostgreSQL-protocol test server (SPEC §3). Commander
 * wiring, signals and log output; the server itself is src/server, loaded
 * lazily so `pgauth --version` stays fast.
 *
 * Output: stdout carries the "listening" line first, then one line per
 * connection attempt and per reload (text, or JSON lines with
 * --log-format json). Warnings go to stderr in text mode.
 */
import { Option, type Command } from 'commander';
import { usageError } from '../errors.js';
import type { ServerEvent } from '../../server/index.js';
import { SERVER_AUTH_METHODS, type ServerAuthMethod } from '../../hba/decision.js';
import { SCENARIO_NAMES, type ScenarioName } from '../../server/scenarios/types.js';

interface ServeFlags {
  auth: string;
  hba?: string;
  roles?: string;
  allowUnsafePath?: boolean;
  host: string;
  port: string;
  socketDir?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsSelfSigned?: boolean;
  tlsSelfSignedOut?: string;
  tlsCa?: string;
  requireTls?: boolean;
  authTimeout: string;
  authDelay: string;
  maxConnections: string;
  serverVersion: string;
  iterations: string;
  pamService: string;
  pamConfdir?: string;
  logFormat: 'text' | 'json';
  json?: boolean;
  watch: boolean;
  scenario?: string[];
  oauthIssuer?: string;
  oauthScope?: string;
  oauthJwks?: string;
  oauthAudience?: string;
  oauthClaim: string;
  ident?: string;
}

function intFlag(name: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value.trim())) throw usageError(`${name}: expected an integer, got "${value}"`);
  const n = Number(value);
  if (n < min || n > max) throw usageError(`${name}: must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** A duration: plain seconds (fractions allowed, like "0.5"), or with a unit: 500ms, 2s, 1min. */
export function parseDuration(name: string, value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min)?\s*$/.exec(value);
  if (!m) throw usageError(`${name}: expected seconds or a duration like 500ms, 30s, 1min; got "${value}"`);
  const n = Number(m[1]);
  const ms = m[2] === 'ms' ? n : m[2] === 'min' ? n * 60_000 : n * 1000;
  if (ms < 1 || ms > 600_000) throw usageError(`${name}: must be between 1ms and 600s (PostgreSQL's range for authentication_timeout is 1s-600s)`);
  return Math.round(ms);
}

/** One log line in text form: key=value words, values quoted when they need it. */
export function formatEventText(e: ServerEvent): string {
  const q = (v: unknown): string => {
    if (v === null || v === undefined) return '-';
    const s = String(v);
    return /^[^\s"=]+$/.test(s) ? s : JSON.stringify(s);
  };
  switch (e.event) {
    case 'attempt':
      return [
        e.time,
        'attempt',
        `peer=${q(e.peer)}`,
        `user=${q(e.user)}`,
        `database=${q(e.database)}`,
        `method=${q(e.method)}`,
        ...(e.mechanism ? [`mechanism=${q(e.mechanism)}`] : []),
        ...(e.protocol ? [`protocol=${e.protocol}`] : []),
        `tls=${e.tls ? 'yes' : 'no'}`,
        `result=${e.result}`,
        `sqlstate=${q(e.sqlstate)}`,
        `ms=${e.ms}`,
        ...(e.rule ? [`rule=${q(e.rule)}`] : []),
        ...(e.message ? [`message=${q(e.message)}`] : []),
        ...(e.detail ? [`detail=${q(e.detail)}`] : []),
      ].join(' ');
    case 'reload':
      return `${e.time} reload file=${q(e.file)} ok=${e.ok ? 'yes' : 'no'}${e.roles !== undefined ? ` roles=${e.roles}` : ''}${e.error ? ` error=${q(e.error)}` : ''}`;
    case 'warning':
      return `${e.time} warning ${e.message}`;
    case 'scenario':
      return [
        e.time,
        'scenario',
        `scenario=${e.scenarios.join('+')}`,
        `peer=${q(e.peer)}`,
        `user=${q(e.user)}`,
        `tls=${e.tls ? 'yes' : 'no'}`,
        `sent=${e.sent.length ? e.sent.join(',') : '-'}`,
        `logged_in=${e.loggedIn ? 'yes' : 'no'}`,
      ].join(' ');
    case 'sleep':
      return `${e.time} sleep pid=${e.pid} user=${q(e.user)} seconds=${e.seconds} state=${e.state}`;
  }
}

export function register(program: Command): void {
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
    .option('--no-watch', 'do not reload the role and hba files when they change (SIGHUP still does)')
    .action(async function (this: Command, flags: ServeFlags) {
      await serveCommand(flags);
    });
}

/** The --oauth-* flags: all three of issuer, scope and JWKS for --auth oauth; the JWKS alone serves hba oauth lines. */
function checkOAuth(flags: ServeFlags, auth: ServerAuthMethod) {
  if (auth === 'oauth' && !flags.hba) {
    const missing = (['--oauth-issuer', '--oauth-scope', '--oauth-jwks'] as const).filter((f) => (f === '--oauth-issuer' ? flags.oauthIssuer : f === '--oauth-scope' ? flags.oauthScope : flags.oauthJwks) === undefined);
    if (missing.length) throw usageError(`--auth oauth needs ${missing.join(', ')}`);
  }
  if (flags.oauthJwks === undefined) {
    const stray = [flags.oauthIssuer && '--oauth-issuer', flags.oauthScope && '--oauth-scope', flags.oauthAudience && '--oauth-audience'].filter(Boolean);
    if (stray.length) throw usageError(`${stray.join(', ')} need --oauth-jwks (the keys that sign valid tokens)`);
    return undefined;
  }
  if (flags.oauthIssuer !== undefined && !/^https?:\/\/[^\s]+$/.test(flags.oauthIssuer)) throw usageError(`--oauth-issuer: expected an http(s) URL, got "${flags.oauthIssuer}"`);
  return {
    jwksPath: flags.oauthJwks,
    claim: flags.oauthClaim,
    ...(flags.oauthIssuer !== undefined ? { issuer: flags.oauthIssuer } : {}),
    ...(flags.oauthScope !== undefined ? { scope: flags.oauthScope } : {}),
    ...(flags.oauthAudience !== undefined ? { audience: flags.oauthAudience } : {}),
  };
}

/** --scenario NAME...: known names that combine, with the TLS set-up they need. */
async function checkScenarios(flags: ServeFlags): Promise<ScenarioName[]> {
  const names = flags.scenario ?? [];
  if (names.length === 0) return [];
  const { isScenarioName, scenarioConflict, scenarioTls } = await import('../../server/scenarios/index.js');
  const bad = names.find((n) => !isScenarioName(n));
  if (bad !== undefined) throw usageError(`--scenario: unknown scenario "${bad}" (one of: ${SCENARIO_NAMES.join(', ')})`);
  const valid = names as ScenarioName[];
  const conflict = scenarioConflict(valid);
  if (conflict) throw usageError(conflict);
  if (flags.hba) throw usageError('--scenario replaces the authentication method: it does not go with --hba');
  const tls = scenarioTls(valid);
  const haveTls = flags.tlsSelfSigned === true || flags.tlsCert !== undefined;
  if (tls === true && !haveTls) throw usageError(`--scenario ${valid.join(' ')} needs TLS: add --tls-self-signed or --tls-cert/--tls-key`);
  if (tls === false && haveTls) throw usageError(`--scenario ${valid.join(' ')} runs without TLS: leave out --tls-self-signed/--tls-cert`);
  return valid;
}

/** Names in the role file the server just loaded, for the start lines. */
async function roleNamesOf(path: string, allowUnsafePath: boolean): Promise<string[]> {
  const { loadRoleFile } = await import('../../roles/index.js');
  return [...(await loadRoleFile(path, { allowUnsafePath })).roles.keys()];
}

export async function serveCommand(flags: ServeFlags): Promise<void> {
  const auth = (flags.auth === 'scram' ? 'scram-sha-256' : flags.auth) as ServerAuthMethod;
  const port = intFlag('--port', flags.port, 0, 65535);
  const settings = {
    authTimeoutMs: parseDuration('--auth-timeout', flags.authTimeout),
    authDelayMs: intFlag('--auth-delay', flags.authDelay, 0, 600_000),
    maxConnections: intFlag('--max-connections', flags.maxConnections, 1, 1_000_000),
    serverVersion: flags.serverVersion,
    iterations: intFlag('--iterations', flags.iterations, 1, 2_147_483_647),
    pamService: flags.pamService,
    pamConfdir: flags.pamConfdir,
  };
  if (!/^\d+(\.\d+)*$/.test(settings.serverVersion)) throw usageError(`--server-version: expected a version like 16.0, got "${settings.serverVersion}"`);
  if (flags.tlsSelfSigned && (flags.tlsCert || flags.tlsKey)) throw usageError('--tls-self-signed and --tls-cert/--tls-key exclude each other');

  const scenarios = await checkScenarios(flags);
  const oauth = checkOAuth(flags, auth);

  const { existsSync, statSync } = await import('node:fs');
  if (flags.pamConfdir !== undefined && !statSync(flags.pamConfdir, { throwIfNoEntry: false })?.isDirectory()) {
    throw usageError(`--pam-confdir ${flags.pamConfdir}: not a directory`);
  }
  const { defaultRolesPath } = await import('../../roles/index.js');
  let rolesPath: string | null = flags.roles ?? defaultRolesPath();
  const json = flags.logFormat === 'json' || flags.json === true;
  const out = (line: string) => process.stdout.write(line + '\n');
  // The listening line is the first line on stdout (scripts read it to find the port):
  // anything that happens before it is printed after it.
  let early: ServerEvent[] | null = [];
  const emit = (e: ServerEvent) => {
    if (!json && e.event === 'warning') process.stderr.write(`pgauth: warning: ${e.message}\n`);
    else if (early) early.push(e);
    else out(json ? JSON.stringify(e) : formatEventText(e));
  };
  if (flags.roles === undefined && !process.env.PGAUTH_ROLES && !existsSync(rolesPath)) {
    emit({ event: 'warning', time: new Date().toISOString(), message: `no role file at ${rolesPath}: password methods refuse everyone; trust, cert and pam accept any user name` });
    rolesPath = null;
  }

  if (flags.tlsSelfSignedOut !== undefined && !flags.tlsSelfSigned) throw usageError('--tls-self-signed-out needs --tls-self-signed');
  const { selfSignedToFiles, startLines } = await import('../serve-start.js');
  const selfSigned = flags.tlsSelfSignedOut !== undefined ? await selfSignedToFiles(flags.tlsSelfSignedOut, flags.host) : undefined;

  const { startServer } = await import('../../server/index.js');
  const server = await startServer({
    host: flags.host,
    port,
    ...(flags.socketDir ? { socketDir: flags.socketDir } : {}),
    auth,
    ...(flags.hba ? { hbaPath: flags.hba } : {}),
    rolesPath,
    allowUnsafeRolesPath: flags.allowUnsafePath === true,
    requireTls: flags.requireTls === true,
    tls: {
      ...(flags.tlsCert ? { certPath: flags.tlsCert } : {}),
      ...(flags.tlsKey ? { keyPath: flags.tlsKey } : {}),
      ...(selfSigned ? { certPath: selfSigned.certPath, keyPath: selfSigned.keyPath } : {}),
      ...(flags.tlsCa ? { caPath: flags.tlsCa } : {}),
      selfSigned: flags.tlsSelfSigned === true && !selfSigned,
    },
    settings,
    watchFiles: flags.watch !== false,
    onEvent: emit,
    ...(scenarios.length ? { scenarios } : {}),
    ...(oauth ? { oauth } : {}),
    ...(flags.ident !== undefined ? { identPath: flags.ident } : {}),
  }).finally(() => selfSigned?.cleanup());

  const method = scenarios.length ? `scenario:${scenarios.join('+')}` : flags.hba ? `hba:${flags.hba}` : auth;
  if (json) {
    out(JSON.stringify({ event: 'listening', host: server.host, port: server.port, tls: server.tls, socket: server.socketPath, auth: method }));
  } else {
    out(
      `pgauth serve: listening on ${server.host.includes(':') ? `[${server.host}]` : server.host}:${server.port}` +
        `${server.socketPath ? ` and ${server.socketPath}` : ''} (auth ${method}, TLS ${server.tls ? 'on' : 'off'})`,
    );
  }
  if (!json) {
    const roleNames = rolesPath === null ? null : await roleNamesOf(rolesPath, flags.allowUnsafePath === true);
    const facts = { host: server.host, port: server.port, socketPath: server.socketPath, rolesPath, roleNames, method, tls: server.tls };
    for (const line of startLines({ ...facts, ...(flags.tlsSelfSignedOut !== undefined ? { rootCert: flags.tlsSelfSignedOut } : {}) })) process.stderr.write(line + '\n');
  }
  const before = early;
  early = null;
  for (const e of before) emit(e);

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
      process.removeListener('SIGHUP', hup);
      void server.shutdown().then(() => {
        if (json) out(JSON.stringify({ event: 'stopped', time: new Date().toISOString() }));
        else out(`${new Date().toISOString()} stopped`);
        resolve();
      });
    };
    const hup = () => void server.reload();
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    process.on('SIGHUP', hup);
  });
}

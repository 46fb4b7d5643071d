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
import { SERVER_AUTH_METHODS, type ServerAuthMethod } from '../../server/types.js';

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
    .option('--tls-ca <FILE>', 'CA for client certificates (needed by cert auth)')
    .option('--require-tls', 'refuse connections without TLS, like hostssl-only rules')
    .option('--auth-timeout <DURATION>', 'close a client that has not authenticated in time (seconds, or 500ms, 2s...)', '60')
    .option('--auth-delay <MS>', 'delay every authentication failure answer by MS milliseconds', '0')
    .option('--max-connections <N>', 'refuse clients beyond N with 53300', '100')
    .option('--server-version <VERSION>', 'server_version to report', '16.0')
    .option('--iterations <N>', 'SCRAM iterations of mock exchanges (unknown roles) and of plaintext secrets', '4096')
    .option('--pam-service <NAME>', 'PAM service for --auth pam', 'postgresql')
    .option('--pam-confdir <DIR>', 'PAM configuration folder instead of /etc/pam.d')
    .addOption(new Option('--log-format <FORMAT>', 'log line format').choices(['text', 'json']).default('text'))
    .option('--json', 'JSON lines on stdout, as --log-format json (a server prints one line per event, not one document)')
    .option('--no-watch', 'do not reload the role and hba files when they change (SIGHUP still does)')
    .action(async function (this: Command, flags: ServeFlags) {
      await serveCommand(flags);
    });
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
      ...(flags.tlsCa ? { caPath: flags.tlsCa } : {}),
      selfSigned: flags.tlsSelfSigned === true,
    },
    settings,
    watchFiles: flags.watch !== false,
    onEvent: emit,
  });

  const method = flags.hba ? `hba:${flags.hba}` : auth;
  if (json) {
    out(JSON.stringify({ event: 'listening', host: server.host, port: server.port, tls: server.tls, socket: server.socketPath, auth: method }));
  } else {
    out(
      `pgauth serve: listening on ${server.host.includes(':') ? `[${server.host}]` : server.host}:${server.port}` +
        `${server.socketPath ? ` and ${server.socketPath}` : ''} (auth ${method}, TLS ${server.tls ? 'on' : 'off'})`,
    );
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

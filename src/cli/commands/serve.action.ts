/**
 * `pgauth serve`'s action: flags to server options, the server started
 * (src/server), the start lines, then the log until SIGINT/SIGTERM; SIGHUP
 * reloads the role and hba files.
 */
import { existsSync, statSync } from 'node:fs';
import { usageError } from '../errors.js';
import { intFlag, parseDuration } from '../flags.js';
import { serveLog } from '../serve-log.js';
import { selfSignedToFiles, startLines } from '../serve-start.js';
import { defaultRolesPath, loadRoleFile } from '../../roles/index.js';
import { ServeConfigError, startServer, type RunningServer, type ServeConfig, type ServerEvent } from '../../server/index.js';
import type { ServerAuthMethod } from '../../hba/decision.js';
import { SCENARIO_NAMES, type ScenarioName } from '../../server/scenarios/types.js';
import { isScenarioName, scenarioConflict, scenarioTls } from '../../server/scenarios/index.js';

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
  /** An alias of --tls-self-signed-out (issue 15's name). */
  tlsCertOut?: string;
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
function checkScenarios(flags: ServeFlags): ScenarioName[] {
  const names = flags.scenario ?? [];
  if (names.length === 0) return [];
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
  return [...(await loadRoleFile(path, { allowUnsafePath })).roles.keys()];
}

/** The server's settings from the flags, each checked and named in its usage error. */
function serveSettings(flags: ServeFlags) {
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
  return settings;
}

/** The role file to serve, or null (with a warning) when none was named and the default is missing. */
function rolesPathOf(flags: ServeFlags, emit: (e: ServerEvent) => void): string | null {
  const rolesPath = flags.roles ?? defaultRolesPath();
  if (flags.roles === undefined && !process.env.PGAUTH_ROLES && !existsSync(rolesPath)) {
    emit({ event: 'warning', time: new Date().toISOString(), message: `no role file at ${rolesPath}: password methods refuse everyone; trust, cert and pam accept any user name` });
    return null;
  }
  return rolesPath;
}

/** The listening line (stdout, first), then in text mode the start lines (stderr). */
async function announce(server: RunningServer, flags: ServeFlags, method: string, rolesPath: string | null, json: boolean, out: (line: string) => void): Promise<void> {
  if (json) {
    out(JSON.stringify({ event: 'listening', host: server.host, port: server.port, tls: server.tls, socket: server.socketPath, auth: method }));
    return;
  }
  out(
    `pgauth serve: listening on ${server.host.includes(':') ? `[${server.host}]` : server.host}:${server.port}` +
      `${server.socketPath ? ` and ${server.socketPath}` : ''} (auth ${method}, TLS ${server.tls ? 'on' : 'off'})`,
  );
  const roleNames = rolesPath === null ? null : await roleNamesOf(rolesPath, flags.allowUnsafePath === true);
  const facts = { host: server.host, port: server.port, socketPath: server.socketPath, rolesPath, roleNames, method, tls: server.tls };
  for (const line of startLines({ ...facts, ...(flags.tlsSelfSignedOut !== undefined ? { rootCert: flags.tlsSelfSignedOut } : {}) })) process.stderr.write(line + '\n');
}

/** Starts the server; configuration it cannot start with is a usage error (exit 3). */
async function start(config: ServeConfig): Promise<RunningServer> {
  try {
    return await startServer(config);
  } catch (err) {
    if (err instanceof ServeConfigError) throw usageError(err.message);
    throw err;
  }
}

/** Serves until SIGINT or SIGTERM (then shuts down and says "stopped"); SIGHUP reloads. */
function untilStopped(server: RunningServer, json: boolean, out: (line: string) => void): Promise<void> {
  return new Promise<void>((resolve) => {
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

export async function run(flags: ServeFlags): Promise<void> {
  const auth = (flags.auth === 'scram' ? 'scram-sha-256' : flags.auth) as ServerAuthMethod;
  const port = intFlag('--port', flags.port, 0, 65535);
  const settings = serveSettings(flags);
  const scenarios = checkScenarios(flags);
  const oauth = checkOAuth(flags, auth);
  if (flags.pamConfdir !== undefined && !statSync(flags.pamConfdir, { throwIfNoEntry: false })?.isDirectory()) {
    throw usageError(`--pam-confdir ${flags.pamConfdir}: not a directory`);
  }
  const json = flags.logFormat === 'json' || flags.json === true;
  const log = serveLog(json);
  const rolesPath = rolesPathOf(flags, log.emit);
  const outFlag = certOutFlag(flags);
  if (outFlag !== undefined && !flags.tlsSelfSigned) throw usageError(`${outFlag} needs --tls-self-signed`);
  const selfSigned = flags.tlsSelfSignedOut !== undefined ? await selfSignedToFiles(flags.tlsSelfSignedOut, flags.host, outFlag) : undefined;

  const server = await start({
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
    onEvent: log.emit,
    ...(scenarios.length ? { scenarios } : {}),
    ...(oauth ? { oauth } : {}),
    ...(flags.ident !== undefined ? { identPath: flags.ident } : {}),
  }).finally(() => selfSigned?.cleanup());

  const method = scenarios.length ? `scenario:${scenarios.join('+')}` : flags.hba ? `hba:${flags.hba}` : auth;
  await announce(server, flags, method, rolesPath, json, log.out);
  log.release();
  await untilStopped(server, json, log.out);
}

/** --tls-cert-out is --tls-self-signed-out by another name: folded into it, both at once refused. Returns the flag given. */
function certOutFlag(flags: ServeFlags): string | undefined {
  if (flags.tlsCertOut === undefined) return flags.tlsSelfSignedOut !== undefined ? '--tls-self-signed-out' : undefined;
  if (flags.tlsSelfSignedOut !== undefined) throw usageError('--tls-cert-out and --tls-self-signed-out are the same option: give one');
  flags.tlsSelfSignedOut = flags.tlsCertOut;
  return '--tls-cert-out';
}

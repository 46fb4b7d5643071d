/**
 * `pgauth serve` as a library: startServer() loads the role file (and the
 * hba file), sets up TLS, listens, and returns a handle to reload and stop.
 * The CLI command wires signals and output to it; tests may use it in-process.
 */
import { randomBytes } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { readFileBounded } from '../files/read-bounded.js';
import type { OAuthSettings } from './auth/index.js';
import { CancelRegistry, FIRST_PROCESS_ID } from './cancel.js';
import { ServeConfigError, type RunningServer, type ServeConfig } from './config.js';
import type { ServerContext } from './context.js';
import { listen, type Listener } from './listen.js';
import { ServedFiles } from './served-files.js';
import { loadTls, type TlsMaterial } from './tls-config.js';

export type { AttemptLog, ServerSettings, SleepLog } from './context.js';
export { ServeConfigError, type RunningServer, type ServeConfig, type ServerEvent } from './config.js';
export { constantSelector } from './served-files.js';
export { makeSelfSignedCertificate } from './certificate.js';
export { SCENARIOS, SCENARIO_NAMES, isScenarioName, scenarioConflict, scenarioTls, type Scenario, type ScenarioName, type ScenarioOutcome } from './scenarios/index.js';

/** The built-in OAuth validator from --oauth-jwks (read bounded, checked at start). */
async function loadOAuth(o: NonNullable<ServeConfig['oauth']>): Promise<OAuthSettings> {
  const { MAX_JWKS_BYTES, JwksError, parseJwks, tokenVerifier } = await import('../oauth/jwt.js');
  let text: string;
  try {
    text = readFileBounded(o.jwksPath, MAX_JWKS_BYTES).toString('utf8');
  } catch (e) {
    throw new ServeConfigError(`--oauth-jwks ${o.jwksPath}: ${(e as Error).message}`);
  }
  let jwks;
  try {
    jwks = parseJwks(text, `--oauth-jwks ${o.jwksPath}`);
  } catch (e) {
    if (e instanceof JwksError) throw new ServeConfigError(e.message);
    throw e;
  }
  const verifiers = new Map<string, (token: string) => Promise<{ ok: true; identity: string } | { ok: false; reason: string }>>();
  const verifierFor = (issuer: string, scope: string) => {
    const key = `${issuer}\0${scope}`;
    let v = verifiers.get(key);
    if (!v) {
      v = tokenVerifier(jwks, { issuer, scope, claim: o.claim, ...(o.audience !== undefined ? { audience: o.audience } : {}) });
      verifiers.set(key, v);
    }
    return v;
  };
  return { issuer: o.issuer, scope: o.scope, verify: (token, issuer = o.issuer ?? '', scope = o.scope ?? '') => verifierFor(issuer, scope)(token) };
}

/** What every session shares (context.ts). */
function serverContext(config: ServeConfig, files: ServedFiles, tls: TlsMaterial, oauth: OAuthSettings | null): ServerContext {
  return {
    settings: config.settings,
    roles: files.roles,
    selector: files.selector,
    tlsEnabled: tls.certPem !== undefined,
    channelBinding: tls.channelBinding,
    haveClientCa: tls.caPem !== undefined,
    // PostgreSQL's mock_auth_nonce: random per cluster; here per process.
    mockNonce: randomBytes(32),
    admitted: 0,
    perRole: new Map(),
    nextProcessId: FIRST_PROCESS_ID + (process.pid % 1000) * 1000,
    cancelTargets: new CancelRegistry(),
    log: (entry) => config.onEvent(entry),
    scenarios: config.scenarios?.length ? config.scenarios : null,
    oauth,
    usermap: files.usermap(),
    report: (outcome) => config.onEvent(outcome),
  };
}

/** Listens; an address or socket that cannot be used is a ServeConfigError naming the flags. */
async function listenAs(config: ServeConfig, ctx: ServerContext, tls: TlsMaterial): Promise<Listener> {
  const { certPem, keyPem, caPem } = tls;
  try {
    return await listen(ctx, {
      host: config.host,
      port: config.port,
      ...(config.socketDir ? { socketDir: config.socketDir } : {}),
      ...(certPem && keyPem ? { tls: { cert: certPem, key: keyPem, ...(caPem ? { ca: caPem } : {}) } } : {}),
      handshakeTimeoutMs: config.settings.authTimeoutMs,
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL', 'ENOENT', 'ENOTFOUND', 'EINVAL'].includes(err.code ?? '')) {
      const where = err.syscall === 'listen' && typeof (err as { address?: string }).address === 'string' && (err as { address?: string }).address!.startsWith('/')
        ? `--socket-dir ${config.socketDir}`
        : `--host ${config.host} --port ${config.port}`;
      throw new ServeConfigError(`cannot listen (${where}): ${err.message}`);
    }
    throw e;
  }
}

/** Reloads never overlap; one asked for during a reload runs after it. */
function serialized<T>(run: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | null = null;
  return async () => {
    while (running) await running.catch(() => undefined);
    running = run();
    try {
      return await running;
    } finally {
      running = null;
    }
  };
}

/** Watches the folders of `files` (editors replace files by rename), debounced. */
function watchFiles(files: string[], reload: () => Promise<unknown>, onEvent: ServeConfig['onEvent']): FSWatcher[] {
  const watchers: FSWatcher[] = [];
  let pending: NodeJS.Timeout | undefined;
  for (const dir of new Set(files.map((f) => dirname(f)))) {
    const names = new Set(files.filter((f) => dirname(f) === dir).map((f) => basename(f)));
    try {
      const w = watch(dir, (_event, name) => {
        if (name !== null && !names.has(String(name))) return;
        if (pending) clearTimeout(pending);
        pending = setTimeout(() => {
          pending = undefined;
          void reload();
        }, 50);
      });
      w.on('error', () => undefined);
      w.unref();
      watchers.push(w);
    } catch (e) {
      onEvent({ event: 'warning', time: new Date().toISOString(), message: `cannot watch ${dir}: ${(e as Error).message}` });
    }
  }
  return watchers;
}

export async function startServer(config: ServeConfig): Promise<RunningServer> {
  const oauth = config.oauth ? await loadOAuth(config.oauth) : null;
  const hbaPath = config.hbaPath ? resolve(config.hbaPath) : undefined;
  const files = await ServedFiles.load(config, hbaPath);
  const tls = await loadTls(config, hbaPath);
  const ctx = serverContext(config, files, tls, oauth);
  const listener = await listenAs(config, ctx, tls);
  const reload = serialized(() => files.reload(ctx));
  const watched = [config.rolesPath, hbaPath, config.identPath].filter((f): f is string => !!f).map((f) => resolve(f));
  const watchers = config.watchFiles ? watchFiles(watched, reload, (e) => config.onEvent(e)) : [];
  return {
    host: listener.host,
    port: listener.port,
    tls: ctx.tlsEnabled,
    socketPath: listener.socketPath,
    reload,
    async shutdown() {
      for (const w of watchers) w.close();
      await listener.shutdown();
    },
  };
}

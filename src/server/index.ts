/**
 * `pgauth serve` as a library: startServer() loads the role file (and the
 * hba file), sets up TLS, listens, and returns a handle to reload and stop.
 * The CLI command wires signals and output to it; tests may use it in-process.
 */
import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFileBounded } from '../files/read-bounded.js';
import { basename, dirname, resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { loadRoleFile, type RoleRecord } from '../roles/index.js';
import { CancelRegistry } from './cancel.js';
import { channelBindingOfCertificate, makeSelfSignedCertificate } from './certificate.js';
import type { AttemptLog, ServerContext, ServerSettings, SleepLog } from './context.js';
import { listen, type Listener } from './listen.js';
import type { ScenarioName, ScenarioOutcome } from './scenarios/index.js';
import type { MethodSelector, ServerAuthMethod } from '../hba/decision.js';
import type { OAuthSettings } from './auth/index.js';
import { checkUsermap, type IdentFile } from '../hba/ident.js';
import { andMore } from '../files/wording.js';

export type { AttemptLog, ServerSettings, SleepLog } from './context.js';
export { makeSelfSignedCertificate } from './certificate.js';
export { SCENARIOS, SCENARIO_NAMES, isScenarioName, scenarioConflict, scenarioTls, type Scenario, type ScenarioName, type ScenarioOutcome } from './scenarios/index.js';

/** Events besides attempts: reloads and warnings. */
export type ServerEvent =
  | AttemptLog
  | SleepLog
  | { event: 'reload'; time: string; file: string; ok: boolean; error: string | null; roles?: number }
  | { event: 'warning'; time: string; message: string }
  | ScenarioOutcome;

export interface ServeConfig {
  host: string;
  port: number;
  socketDir?: string;
  /** A constant method for every connection (--auth), unless hbaPath is given. */
  auth: ServerAuthMethod;
  /** --hba FILE: per-connection rules (src/hba). */
  hbaPath?: string;
  /** Role file; null serves without one (trust, cert and pam then accept any name). */
  rolesPath: string | null;
  /** --allow-unsafe-path: serve a role file whose path another user could change (with a warning). */
  allowUnsafeRolesPath?: boolean;
  requireTls: boolean;
  tls?: { certPath?: string; keyPath?: string; caPath?: string; selfSigned?: boolean };
  settings: ServerSettings;
  /** --ident FILE: the pg_ident.conf that hba map= options read (reloaded with the hba file). */
  identPath?: string;
  /** --auth oauth / hba oauth lines: issuer and scope (hba options win), and the JWKS that signs valid tokens. */
  oauth?: { issuer?: string; scope?: string; jwksPath: string; audience?: string; claim: string };
  /** --scenario: hostile scenarios every connection runs instead of --auth/--hba (SPEC §10). */
  scenarios?: ScenarioName[];
  /** Watch the role and hba files and reload on change (SIGHUP is wired by the caller). */
  watchFiles?: boolean;
  onEvent(event: ServerEvent): void;
}

export interface RunningServer {
  host: string;
  port: number;
  tls: boolean;
  socketPath: string | null;
  /** Re-reads the role file and the hba file; a broken file keeps the old contents. */
  reload(): Promise<{ ok: boolean; errors: string[] }>;
  /** FATAL 57P01 to every session, stop listening. */
  shutdown(): Promise<void>;
}

/** Raised for configuration the server cannot start with (exit 3 in the CLI). */
export class ServeConfigError extends Error {
  override readonly name = 'UsageError';
}

/** A role's groups, direct and indirect (pg_hba.conf `+group` matches either). */
function groupsFrom(roles: () => Map<string, RoleRecord> | null): (role: string) => string[] {
  return (role) => {
    const map = roles();
    const seen = new Set<string>();
    const todo = [...(map?.get(role)?.attrs.memberOf ?? [])];
    while (todo.length) {
      const g = todo.pop()!;
      if (seen.has(g)) continue;
      seen.add(g);
      todo.push(...(map?.get(g)?.attrs.memberOf ?? []));
    }
    return [...seen];
  };
}

/**
 * Which roles exist, for pg_hba.conf's `+group` and `samerole` (PostgreSQL
 * never matches them for a role it does not know): the role file's names and
 * the groups its roles are members of (`export --format sql` creates those).
 * Without a role file every role is taken to exist.
 */
function existsFrom(roles: () => Map<string, RoleRecord> | null): (role: string) => boolean {
  let cachedFor: Map<string, RoleRecord> | null = null;
  let known = new Set<string>();
  return (role) => {
    const map = roles();
    if (map === null) return true;
    if (map !== cachedFor) {
      known = new Set(map.keys());
      for (const r of map.values()) for (const g of r.attrs.memberOf ?? []) known.add(g);
      cachedFor = map;
    }
    return known.has(role);
  };
}

/** The --auth selector: one method, with `--require-tls` acting like hostssl-only rules. */
export function constantSelector(method: ServerAuthMethod, requireTls: boolean): MethodSelector {
  return (facts) => {
    if ((requireTls || method === 'cert') && !facts.ssl) return { kind: 'no-entry' };
    if (method === 'reject') return { kind: 'reject' };
    return { kind: 'method', method, options: {} };
  };
}

function requireTlsSelector(inner: MethodSelector): MethodSelector {
  return (facts) => (facts.ssl ? inner(facts) : { kind: 'no-entry' });
}

/**
 * Role file problems that make it unusable: an unsafe path (unless allowed,
 * then a warning), an error-level finding (PgBouncer would mis-read it).
 */
async function readRoles(path: string, config: Pick<ServeConfig, 'allowUnsafeRolesPath' | 'onEvent'>): Promise<Map<string, RoleRecord>> {
  const { roles, findings } = await loadRoleFile(path, { allowUnsafePath: config.allowUnsafeRolesPath === true });
  for (const f of findings) if (f.code === 'unsafe-path') config.onEvent({ event: 'warning', time: new Date().toISOString(), message: `${path}: ${f.message}` });
  const errors = findings.filter((f) => f.severity === 'error');
  if (errors.length > 0) {
    const first = errors[0]!;
    throw new ServeConfigError(`${path}:${first.line}: ${first.message}${andMore(errors.length - 1, 'error')}`);
  }
  return roles;
}

async function loadIdent(path: string): Promise<IdentFile> {
  const { loadIdentFile } = await import('../hba/index.js');
  try {
    return await loadIdentFile(path);
  } catch (e) {
    throw new ServeConfigError(`--ident ${path}: ${(e as Error).message}`);
  }
}

async function loadHba(path: string, groupsOf: (role: string) => string[], roleExists: (role: string) => boolean): Promise<MethodSelector> {
  const { loadHbaSelector } = await import('../hba/index.js');
  return loadHbaSelector(path, groupsOf, { roleExists });
}

/** Certificates and keys are a few KiB; a CA bundle may be a few hundred. */
const MAX_TLS_FILE_BYTES = 4 * 1024 * 1024;

/** A PEM file named by a flag, read bounded; errors name the flag and file. */
function readTlsFile(flag: string, path: string): string {
  try {
    return readFileBounded(path, MAX_TLS_FILE_BYTES).toString('utf8');
  } catch (e) {
    throw new ServeConfigError(`${flag} ${path}: ${(e as Error).message}`);
  }
}

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

export async function startServer(config: ServeConfig): Promise<RunningServer> {
  const oauth = config.oauth ? await loadOAuth(config.oauth) : null;
  let ident = config.identPath ? await loadIdent(config.identPath) : null;
  const now = () => new Date().toISOString();
  let roles: Map<string, RoleRecord> | null = config.rolesPath ? await readRoles(config.rolesPath, config) : null;
  const groupsOf = groupsFrom(() => roles);
  const roleExists = existsFrom(() => roles);
  const hbaPath = config.hbaPath ? resolve(config.hbaPath) : undefined;
  let baseSelector: MethodSelector = hbaPath ? await loadHba(hbaPath, groupsOf, roleExists) : constantSelector(config.auth, config.requireTls);

  // TLS: files, or a throwaway certificate.
  let certPem: string | undefined;
  let keyPem: string | undefined;
  let caPem: string | undefined;
  const t = config.tls ?? {};
  if (t.selfSigned) {
    const pair = await makeSelfSignedCertificate([config.host]);
    certPem = pair.cert;
    keyPem = pair.key;
  } else if (t.certPath || t.keyPath) {
    if (!t.certPath || !t.keyPath) throw new ServeConfigError('--tls-cert and --tls-key go together');
    certPem = readTlsFile('--tls-cert', t.certPath);
    keyPem = readTlsFile('--tls-key', t.keyPath);
  }
  if (t.caPath) {
    if (!certPem) throw new ServeConfigError('--tls-ca needs a server certificate (--tls-cert/--tls-key or --tls-self-signed)');
    caPem = readTlsFile('--tls-ca', t.caPath);
  }
  if (config.requireTls && !certPem) throw new ServeConfigError('--require-tls needs --tls-cert/--tls-key or --tls-self-signed');
  if (!hbaPath && config.auth === 'cert' && (!certPem || !caPem)) {
    throw new ServeConfigError('--auth cert needs a server certificate (--tls-cert/--tls-key or --tls-self-signed) and --tls-ca to verify client certificates');
  }
  let channelBinding: Buffer | null = null;
  if (certPem && keyPem) {
    // Each file on its own first, so the error names the flag and file that is wrong.
    const cert = t.certPath ? `--tls-cert ${t.certPath}` : '--tls-self-signed';
    let x509: X509Certificate;
    try {
      x509 = new X509Certificate(certPem);
    } catch (e) {
      throw new ServeConfigError(`${cert}: not a PEM certificate (${(e as Error).message})`);
    }
    try {
      createPrivateKey(keyPem);
    } catch (e) {
      throw new ServeConfigError(`--tls-key ${t.keyPath}: not a PEM private key (${(e as Error).message})`);
    }
    if (caPem !== undefined) {
      try {
        new X509Certificate(caPem);
      } catch (e) {
        throw new ServeConfigError(`--tls-ca ${t.caPath}: not a PEM certificate (${(e as Error).message})`);
      }
    }
    try {
      createSecureContext({ cert: certPem, key: keyPem, ...(caPem ? { ca: caPem } : {}) }); // fails early on a bad pair
    } catch (e) {
      throw new ServeConfigError(`${cert} with --tls-key ${t.keyPath ?? ''}: ${(e as Error).message}`);
    }
    const binding = channelBindingOfCertificate(x509.raw);
    channelBinding = binding.data;
    if (binding.data === null) {
      config.onEvent({
        event: 'warning',
        time: now(),
        message: `${cert}: SCRAM-SHA-256-PLUS is off: the certificate's signature algorithm (${binding.algorithm}) has no hash for tls-server-end-point channel binding; SCRAM-SHA-256 is offered without it`,
      });
    }
  }

  const ctx: ServerContext = {
    settings: config.settings,
    roles,
    selector: (facts) => (config.requireTls && hbaPath ? requireTlsSelector(baseSelector) : baseSelector)(facts),
    tlsEnabled: certPem !== undefined,
    channelBinding,
    haveClientCa: caPem !== undefined,
    // PostgreSQL's mock_auth_nonce: random per cluster; here per process.
    mockNonce: randomBytes(32),
    admitted: 0,
    perRole: new Map(),
    nextProcessId: 1000 + (process.pid % 1000) * 1000,
    cancelTargets: new CancelRegistry(),
    log: (entry) => config.onEvent(entry),
    scenarios: config.scenarios?.length ? config.scenarios : null,
    oauth,
    usermap: config.identPath ? (map, pgUser, systemUser) => checkUsermap(ident!, map, pgUser, systemUser, groupsOf) : null,
    report: (outcome) => config.onEvent(outcome),
  };

  let listener: Listener;
  try {
    listener = await listen(ctx, {
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

  let reloading: Promise<{ ok: boolean; errors: string[] }> | null = null;
  const reloadOnce = async (): Promise<{ ok: boolean; errors: string[] }> => {
    const errors: string[] = [];
    if (config.rolesPath) {
      try {
        roles = await readRoles(config.rolesPath, config);
        ctx.roles = roles;
        config.onEvent({ event: 'reload', time: now(), file: config.rolesPath, ok: true, error: null, roles: roles.size });
      } catch (e) {
        const msg = (e as Error).message;
        errors.push(msg);
        config.onEvent({ event: 'reload', time: now(), file: config.rolesPath, ok: false, error: `${msg}; keeping the previous roles` });
      }
    }
    if (config.identPath) {
      try {
        ident = await loadIdent(config.identPath);
        config.onEvent({ event: 'reload', time: now(), file: config.identPath, ok: true, error: null });
      } catch (e) {
        const msg = (e as Error).message;
        errors.push(msg);
        config.onEvent({ event: 'reload', time: now(), file: config.identPath, ok: false, error: `${msg}; keeping the previous user maps` });
      }
    }
    if (hbaPath) {
      try {
        baseSelector = await loadHba(hbaPath, groupsOf, roleExists);
        config.onEvent({ event: 'reload', time: now(), file: hbaPath, ok: true, error: null });
      } catch (e) {
        const msg = (e as Error).message;
        errors.push(msg);
        config.onEvent({ event: 'reload', time: now(), file: hbaPath, ok: false, error: `${msg}; keeping the previous rules` });
      }
    }
    return { ok: errors.length === 0, errors };
  };
  const reload = async () => {
    // Reloads never overlap; one asked for during a reload runs after it.
    while (reloading) await reloading.catch(() => undefined);
    reloading = reloadOnce();
    try {
      return await reloading;
    } finally {
      reloading = null;
    }
  };

  // Watch the folders (editors replace files by rename), debounced.
  const watchers: FSWatcher[] = [];
  if (config.watchFiles) {
    const files = [config.rolesPath, hbaPath].filter((f): f is string => !!f).map((f) => resolve(f));
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
        config.onEvent({ event: 'warning', time: now(), message: `cannot watch ${dir}: ${(e as Error).message}` });
      }
    }
  }

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

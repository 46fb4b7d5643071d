/**
 * The role file on disk: bounded reads, and read-modify-write under a lock
 * with an atomic replace (temp file in the same folder, fsync, rename, fsync
 * of the folder), so concurrent writers lose nothing and a crash leaves the
 * old or the new file, never a torn one. The only file I/O of the roles area.
 */
import { constants as fsc } from 'node:fs';
import { lstat, open, readdir, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import lockfile from 'proper-lockfile';
import { renderRoleFile, type RoleLine } from './format.js';
import { parseRoleFile } from './parse.js';
import type { Finding, ParsedRoleFile } from './role-file.js';
import { roleFix } from './finding-rules.js';
import { describePathProblems, fileProblem, resolveRolePath, type ResolvedRolePath } from './safe-path.js';
import { andMore, IS_A_DIRECTORY, NOT_A_REGULAR_FILE } from '../files/wording.js';
import { tempFilePrefix, writeFileAtomic } from '../files/atomic-write.js';

export { writeFileAtomic };

/** A role file (or a role source) pgauth cannot use: unreadable, unsafe, too large, locked, or with errors. */
export class RoleFileError extends Error {
  override name = 'RoleFileError';
  /** What callers switch on (never the message). */
  readonly code = 'ROLE_FILE';
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
  /** The physical path read (every symlink resolved). */
  real: string;
  exists: boolean;
  bytes: Buffer;
  parsed: ParsedRoleFile;
  /** Parse findings plus file-level ones (line 0: permissions, unsafe-path). */
  findings: Finding[];
  mode?: number;
  uid?: number;
  gid?: number;
}

export function defaultRolesPath(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.PGAUTH_ROLES;
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : 'userlist.txt';
}

function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'no such file';
  if (e.code === 'EACCES' || e.code === 'EPERM') return 'permission denied';
  if (e.code === 'EISDIR') return IS_A_DIRECTORY;
  if (e.code === 'ENOTDIR') return 'a folder on the path is not a folder';
  if (e.code === 'ELOOP') return 'too many symlinks, or the file became a symlink while pgauth read it';
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
    fix: roleFix('permissions'),
  };
}

/** How strictly the role file's path is checked (see safe-path.ts). */
export interface RolePathOptions {
  /** Go on (with an `unsafe-path` warning finding) when the path is unsafe. */
  allowUnsafePath?: boolean;
}

const uid = (): number => process.geteuid?.() ?? 0;

/**
 * Checks the path like OpenSSH's StrictModes: refuses (RoleFileError) an
 * unsafe one unless allowed, then returns the physical path and the
 * warnings. Never goes through a dangling symlink; `forWrite` never follows
 * a symlink into a file owned by another user, allowed or not.
 */
export async function checkRolePath(path: string, opts: RolePathOptions = {}, forWrite = false): Promise<{ resolved: ResolvedRolePath; warnings: Finding[] }> {
  let resolved: ResolvedRolePath;
  try {
    resolved = await resolveRolePath(path, uid());
  } catch (err) {
    throw new RoleFileError(`cannot use role file ${path}: ${(err as Error).message}`, path);
  }
  if (resolved.danglingSymlink !== undefined) {
    throw new RoleFileError(`role file ${path} is a symlink to ${resolved.real}, which does not exist; pgauth does not create a file through a symlink (create the file, or give its real path)`, path);
  }
  if (forWrite && resolved.viaSymlink !== undefined && resolved.exists && resolved.uid !== uid() && resolved.uid !== 0) {
    throw new RoleFileError(`role file ${path} is a symlink to ${resolved.real}, a file owned by uid ${resolved.uid}; pgauth never writes through a symlink into another user's file`, path);
  }
  const foreignLink = resolved.problems.find((p) => p.kind === 'symlink');
  if (forWrite && foreignLink) {
    throw new RoleFileError(`${describePathProblems(path, [foreignLink])}; pgauth never writes through another user's symlink, even with --allow-unsafe-path`, path);
  }
  if (resolved.problems.length === 0) return { resolved, warnings: [] };
  const message = describePathProblems(path, resolved.problems);
  if (!opts.allowUnsafePath) throw new RoleFileError(`${message}; another local user could replace or read it (fix the owner or mode, or pass --allow-unsafe-path)`, path);
  const warnings = resolved.problems.map((p): Finding => ({ line: 0, severity: 'warning', code: 'unsafe-path', message: `unsafe path (--allow-unsafe-path): ${p.path}: ${p.reason}`, fix: roleFix('unsafe-path') }));
  return { resolved, warnings };
}

/** Reads the whole file from an open handle, bounded. */
async function readAll(handle: import('node:fs/promises').FileHandle, size: number, path: string): Promise<Buffer> {
  if (size > MAX_ROLE_FILE_BYTES) throw new RoleFileError(`role file ${path} is ${size} bytes; the limit is ${MAX_ROLE_FILE_BYTES}`, path);
  const bytes = Buffer.alloc(size);
  let off = 0;
  while (off < size) {
    const { bytesRead } = await handle.read(bytes, off, size - off, off);
    if (bytesRead === 0) break;
    off += bytesRead;
  }
  return bytes.subarray(0, off);
}

/**
 * Reads and parses the role file, after checking its path (checkRolePath).
 * A missing file is an empty one unless `mustExist`. `reuse`: a snapshot
 * read earlier whose parse is kept when the bytes are the same.
 */
export async function readRoleFile(
  path: string,
  opts: { mustExist?: boolean; forWrite?: boolean; reuse?: RoleFileSnapshot | undefined } & RolePathOptions = {},
): Promise<RoleFileSnapshot> {
  const { resolved, warnings } = await checkRolePath(path, opts, opts.forWrite);
  const real = resolved.real;
  let handle;
  try {
    // The checked physical path; O_NOFOLLOW: if it became a symlink since, refuse (ELOOP).
    handle = await open(real, fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !opts.mustExist) {
      const parsed = parseRoleFile(Buffer.alloc(0));
      return { path, real, exists: false, bytes: Buffer.alloc(0), parsed, findings: [...warnings, ...parsed.findings] };
    }
    throw new RoleFileError(`cannot read role file ${path}: ${describeFsError(err)}`, path);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new RoleFileError(`cannot read role file ${path}: ${st.isDirectory() ? IS_A_DIRECTORY : NOT_A_REGULAR_FILE}`, path);
    // The file opened is the one checked: same checks on the open file (no race).
    const unsafe = fileProblem(st, uid());
    if (unsafe && !opts.allowUnsafePath) throw new RoleFileError(`unsafe role file path ${path}: ${unsafe} (fix it, or pass --allow-unsafe-path)`, path);
    const data = await readAll(handle, st.size, path);
    // Unchanged since an earlier read (add-role's check before the password prompt): no second parse.
    const parsed = opts.reuse?.real === real && opts.reuse.exists && opts.reuse.bytes.equals(data) ? opts.reuse.parsed : parseRoleFile(data);
    const perm = permissionFinding(st.mode);
    const fileLevel = perm ? [...warnings, perm] : warnings;
    return { path, real, exists: true, bytes: data, parsed, findings: fileLevel.length > 0 ? [...fileLevel, ...parsed.findings] : parsed.findings, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
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
  const more = andMore(errors.length - 1, 'error');
  throw new RoleFileError(
    `${snap.path}:${first.line}: ${first.message}${more}; refusing to ${what} this file, fix it first (see pgauth check-roles)`,
    snap.path,
    first.line,
  );
}

/** Removes temp files left by a writer that died mid-write (called with the lock held). */
async function removeDeadTempFiles(path: string): Promise<void> {
  const dir = dirname(resolve(path));
  const prefix = tempFilePrefix(path);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const n of names) if (n.startsWith(prefix)) await unlink(join(dir, n)).catch(() => {});
}

/** What a lock path holds when it is not pgauth's lock (an empty folder), or undefined. */
async function foreignLock(lockPath: string): Promise<string | undefined> {
  let st;
  try {
    st = await lstat(lockPath);
  } catch {
    return undefined;
  }
  if (st.isSymbolicLink()) return 'a symlink';
  if (st.isFile()) return 'a plain file';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (!st.isDirectory()) return 'a device';
  const names = await readdir(lockPath).catch(() => []);
  return names.length > 0 ? 'a folder with files in it' : undefined;
}

const foreignLockError = (path: string, lockPath: string, what: string): RoleFileError =>
  new RoleFileError(`cannot lock role file ${path}: ${lockPath} is ${what}, not pgauth's lock (an empty folder); remove it if no pgauth is running`, path);

/** Runs `fn` holding the role file's lock (`<file>.lock`, a directory; stale after LOCK_STALE_MS). */
export async function withRoleFileLock<T>(path: string, fn: (assertHeld: () => void) => Promise<T>): Promise<T> {
  const lockPath = `${path}.lock`;
  // proper-lockfile would retry for ~40 s on a lock path it cannot remove, then fail with a raw ENOTDIR.
  const before = await foreignLock(lockPath);
  if (before) throw foreignLockError(path, lockPath, before);
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
    const after = await foreignLock(lockPath);
    if (after) throw foreignLockError(path, lockPath, after);
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ELOCKED') throw new RoleFileError(`role file ${path} is locked by another pgauth (${lockPath}); try again`, path);
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
 * Read-modify-write under the lock: checks the path (checkRolePath), re-reads
 * the file, refuses it when it has error findings, lets `change` decide the
 * edits, writes atomically. A new file gets mode 0600 and the caller as
 * owner; an existing one keeps its mode and owner. A symlinked role file is
 * updated where it points (the link stays), only when the target is ours.
 */
export async function updateRoleFile<T>(
  path: string,
  change: (snap: RoleFileSnapshot) => RoleFileUpdate<T> | Promise<RoleFileUpdate<T>>,
  opts: RolePathOptions & { previous?: RoleFileSnapshot } = {},
): Promise<{ result: T; snapshot: RoleFileSnapshot; written: boolean }> {
  const { resolved } = await checkRolePath(path, opts, true);
  const target = resolved.real;
  return withRoleFileLock(target, async (assertHeld) => {
    await removeDeadTempFiles(target);
    // Checked again under the lock: the path may have changed while we waited.
    const snap = await readRoleFile(path, { allowUnsafePath: opts.allowUnsafePath === true, forWrite: true, reuse: opts.previous });
    if (snap.real !== target) throw new RoleFileError(`role file ${path} now resolves to ${snap.real}, not ${target}; nothing was written, try again`, path);
    assertNoErrors(snap);
    const { edits, result } = await change(snap);
    if (edits.size === 0) return { result, snapshot: snap, written: false };
    let data: Buffer;
    try {
      data = renderRoleFile(snap.parsed, edits);
    } catch (err) {
      throw new RoleFileError(`${path}: ${(err as Error).message}`, path);
    }
    const owner = snap.exists && snap.uid !== undefined && snap.gid !== undefined ? { uid: snap.uid, gid: snap.gid } : {};
    try {
      await writeFileAtomic(target, data, { mode: snap.mode ?? 0o600, ...owner, beforeRename: assertHeld });
    } catch (err) {
      if (err instanceof RoleFileError) throw err;
      throw new RoleFileError(`cannot write role file ${path}: ${describeFsError(err)}`, path);
    }
    return { result, snapshot: snap, written: true };
  });
}

/**
 * Is the role file's path safe to trust? In the manner of OpenSSH's
 * StrictModes (`safe_path` in misc.c): the file, every symlink met while
 * resolving the path, and every folder the resolution walks through (from /
 * down to the file's folder) must be owned by the caller or root, and no
 * folder or file may be writable by group or others — a folder only when it
 * has the sticky bit (/tmp), as then others cannot rename or delete what is
 * ours. Otherwise another local user could swap the file, point a symlink at
 * a file of their choosing, or read the secrets we write.
 *
 * Unlike OpenSSH this walks the path as the kernel does (component by
 * component, following each symlink), so the folder that holds a symlink is
 * checked as well as the folders of its target.
 */
import type { Stats } from 'node:fs';
import { lstat, readlink } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';

/** Linux's MAXSYMLINKS: more links in one resolution is ELOOP. */
const MAX_SYMLINKS = 40;

export interface PathProblem {
  /** The file, symlink or folder at fault. */
  path: string;
  kind: 'file' | 'symlink' | 'folder';
  reason: string;
}

export interface ResolvedRolePath {
  /** The physical path of the file (every symlink resolved). */
  real: string;
  /** The file exists at `real`. */
  exists: boolean;
  /** The last component of the given path was a symlink. */
  viaSymlink?: string;
  /** The resolution ended in a symlink whose target is missing. */
  danglingSymlink?: string;
  /** Ownership or mode problems, in walk order (empty = safe). */
  problems: PathProblem[];
  /** The file's owner, when it exists. */
  uid?: number;
}

const octal = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, '0');

/** Why this owner is not trusted, or undefined (the caller and root are). */
function ownerProblem(st: Stats, uid: number): string | undefined {
  if (st.uid === uid || st.uid === 0) return undefined;
  return `owned by uid ${st.uid}, not by ${uid === 0 ? 'root' : `you (uid ${uid}) or root`}`;
}

function folderProblem(st: Stats, uid: number): string | undefined {
  const owner = ownerProblem(st, uid);
  if (owner) return `folder ${owner}`;
  if ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0) return `folder writable by group or others without the sticky bit (mode ${octal(st.mode)})`;
  return undefined;
}

export function fileProblem(st: Stats, uid: number): string | undefined {
  const owner = ownerProblem(st, uid);
  if (owner) return `file ${owner}`;
  if ((st.mode & 0o022) !== 0) return `file writable by group or others (mode ${octal(st.mode)})`;
  return undefined;
}

async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

const components = (path: string): string[] => path.split('/').filter((c) => c !== '' && c !== '.');

/**
 * Resolves `path` as the kernel would and reports every ownership or mode
 * problem on the way. Throws the fs error (ENOTDIR, EACCES, ELOOP...) when
 * the path cannot be walked. `uid` defaults to the effective uid.
 */
export async function resolveRolePath(path: string, uid: number = process.geteuid?.() ?? 0): Promise<ResolvedRolePath> {
  const problems: PathProblem[] = [];
  const checkFolder = (p: string, st: Stats) => {
    const why = folderProblem(st, uid);
    if (why) problems.push({ path: p, kind: 'folder', reason: why });
  };
  checkFolder('/', await lstat('/'));
  let todo = components(isAbsolute(path) ? path : join(process.cwd(), path));
  let cur = '/';
  let links = 0;
  let viaSymlink: string | undefined;
  while (todo.length > 0) {
    const comp = todo.shift()!;
    if (comp === '..') {
      cur = join(cur, '..');
      continue;
    }
    const next = join(cur, comp);
    const last = todo.length === 0;
    const st = await lstatOrUndefined(next);
    if (st === undefined) {
      const real = join(next, ...todo);
      if (!last) throw Object.assign(new Error(`folder ${next} does not exist`), { code: 'ENOENT', path: next });
      return { real, exists: false, problems, ...(viaSymlink ? { viaSymlink, danglingSymlink: viaSymlink } : {}) };
    }
    if (st.isSymbolicLink()) {
      if (++links > MAX_SYMLINKS) throw Object.assign(new Error(`too many levels of symbolic links at ${next}`), { code: 'ELOOP', path: next });
      const owner = ownerProblem(st, uid);
      if (owner) problems.push({ path: next, kind: 'symlink', reason: `symlink ${owner}` });
      const target = await readlink(next);
      if (last) viaSymlink = next;
      todo = [...components(target), ...todo];
      if (isAbsolute(target)) cur = '/';
      continue;
    }
    if (last) {
      const why = st.isFile() ? fileProblem(st, uid) : undefined;
      if (why) problems.push({ path: next, kind: 'file', reason: why });
      return { real: next, exists: true, problems, uid: st.uid, ...(viaSymlink ? { viaSymlink } : {}) };
    }
    if (!st.isDirectory()) throw Object.assign(new Error(`${next} is not a folder`), { code: 'ENOTDIR', path: next });
    checkFolder(next, st);
    cur = next;
  }
  // The path named a folder ("/", "x/..").
  return { real: cur, exists: true, problems };
}

/** One line: the first problem, and how many more. */
export function describePathProblems(path: string, problems: readonly PathProblem[]): string {
  const first = problems[0]!;
  const where = first.path === path ? path : `${path}: ${first.path}`;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  return `unsafe role file path ${where}: ${first.reason}${more}`;
}

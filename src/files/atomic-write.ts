/**
 * Files written atomically (SPEC: never a corrupted file): a temp file in the
 * same folder, written, chmod-ed, fsync-ed, renamed over the target, then
 * the folder fsync-ed. The role file, serve's certificate, JWKS files and CI
 * reports all go through here.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

const TMP_MARK = '.pgauth-tmp-';

/** The name prefix of the temp files a write of `path` makes (to find ones a dead writer left). */
export const tempFilePrefix = (path: string): string => `.${basename(path)}${TMP_MARK}`;

/** Writes `data` to `path` atomically: temp file, fsync, rename, fsync of the folder. */
export async function writeFileAtomic(
  path: string,
  data: Buffer,
  opts: { mode?: number; uid?: number; gid?: number; beforeRename?: () => void } = {},
): Promise<void> {
  const dir = dirname(resolve(path));
  const tmp = join(dir, `${tempFilePrefix(path)}${process.pid}-${randomBytes(6).toString('hex')}`);
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

/**
 * Reading a file named by a user or a config, bounded: every input from a
 * file is untrusted. At most `maxBytes` + 1 bytes are read whatever the file
 * claims its size is (a character device such as /dev/zero has size 0 and
 * never ends); FIFOs, sockets and directories are refused rather than
 * waited on, so a reload can never block a server.
 */
import { closeSync, constants as fsConstants, fstatSync, openSync, readSync } from 'node:fs';
import { IS_A_DIRECTORY, NOT_A_REGULAR_FILE } from './wording.js';

/**
 * The cap on a TLS file (a certificate, a key, a CA bundle) that the server
 * or the probe reads: certificates and keys are a few KiB, a CA bundle a few
 * hundred.
 */
export const MAX_TLS_FILE_BYTES = 4 * 1024 * 1024;

export type BoundedReadFailure = 'missing' | 'not-a-file' | 'too-large' | 'io';

export class BoundedReadError extends Error {
  override readonly name = 'BoundedReadError';
  constructor(
    readonly reason: BoundedReadFailure,
    message: string,
    /** errno code of an I/O failure (ENOENT, EACCES, ...). */
    readonly code?: string,
  ) {
    super(message);
  }
}

export function readFileBounded(path: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer.
    fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new BoundedReadError('missing', 'No such file or directory', e.code);
    throw new BoundedReadError(e.code === 'EISDIR' ? 'not-a-file' : 'io', e.message, e.code);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new BoundedReadError('not-a-file', IS_A_DIRECTORY, 'EISDIR');
    if (!st.isFile() && !st.isCharacterDevice()) throw new BoundedReadError('not-a-file', NOT_A_REGULAR_FILE);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(64 * 1024, maxBytes + 1 - total));
      let n: number;
      try {
        n = readSync(fd, chunk, 0, chunk.length, null);
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        throw new BoundedReadError('io', e.message, e.code);
      }
      if (n === 0) break;
      chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
      total += n;
      if (total > maxBytes) throw new BoundedReadError('too-large', `file is larger than ${maxBytes} bytes`);
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

/**
 * The end of a server log, bounded: at most `maxBytes` from the end of the
 * file (a busy server's log can be gigabytes; the probe's own lines are at
 * its end), starting at the first whole line. Only regular files: a FIFO or
 * a device is refused rather than waited on.
 */
import { closeSync, constants as fsConstants, fstatSync, openSync, readSync } from 'node:fs';
import { BoundedReadError } from '../../files/read-bounded.js';

/** The default window: the last 16 MiB. */
export const DEFAULT_LOG_TAIL_BYTES = 16 * 1024 * 1024;

export interface LogTail {
  text: string;
  /** The file was longer than the window: lines before it were not read. */
  truncated: boolean;
}

export function readLogTail(path: string, maxBytes: number = DEFAULT_LOG_TAIL_BYTES): LogTail {
  let fd: number;
  try {
    fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new BoundedReadError(e.code === 'ENOENT' ? 'missing' : 'io', e.message, e.code);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new BoundedReadError('not-a-file', 'not a regular file');
    const start = Math.max(0, st.size - maxBytes);
    const buf = Buffer.alloc(st.size - start);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, start + got);
      if (n === 0) break;
      got += n;
    }
    let body = buf.subarray(0, got);
    if (start > 0) {
      // The window began inside a line: drop that partial line.
      const nl = body.indexOf(0x0a);
      body = nl === -1 ? body.subarray(body.length) : body.subarray(nl + 1);
    }
    return { text: body.toString('utf8'), truncated: start > 0 };
  } finally {
    closeSync(fd);
  }
}

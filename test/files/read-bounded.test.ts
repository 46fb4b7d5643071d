import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BoundedReadError, readFileBounded } from '../../src/files/read-bounded.js';
import { pgauth } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

const failure = (path: string, max: number) => {
  try {
    readFileBounded(path, max);
  } catch (e) {
    expect(e).toBeInstanceOf(BoundedReadError);
    return (e as BoundedReadError).reason;
  }
  return 'read';
};

describe('readFileBounded', () => {
  it('reads a file up to the limit and refuses one byte more', () => {
    const f = join(tmp.path, 'ten');
    writeFileSync(f, '0123456789');
    expect(readFileBounded(f, 10).toString()).toBe('0123456789');
    expect(failure(f, 9)).toBe('too-large');
  });

  it('stops at the limit on a device that never ends (/dev/zero claims size 0)', () => {
    expect(failure('/dev/zero', 1024 * 1024)).toBe('too-large');
    expect(readFileBounded('/dev/null', 10)).toEqual(Buffer.alloc(0));
  });

  it('refuses a FIFO without waiting for a writer, a directory, and a missing file', () => {
    const fifo = join(tmp.path, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(failure(fifo, 10)).toBe('not-a-file');
    const dir = join(tmp.path, 'dir');
    mkdirSync(dir);
    expect(failure(dir, 10)).toBe('not-a-file');
    expect(failure(join(tmp.path, 'nope'), 10)).toBe('missing');
  });

  it('keeps serve from hanging on a TLS file that never ends: exit 3 naming the flag', async () => {
    const r = await pgauth(['serve', '--port', '0', '--tls-cert', '/dev/zero', '--tls-key', '/dev/zero'], { timeoutMs: 20_000 });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('--tls-cert /dev/zero: file is larger than');
  });

  it('keeps import from reading without end', async () => {
    const r = await pgauth(['import', '/dev/zero', '--roles', join(tmp.path, 'userlist.txt')], { timeoutMs: 30_000 });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('/dev/zero');
  });
});

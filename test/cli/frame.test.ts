import { describe, expect, it } from 'vitest';
import { pgauth } from '../helpers/proc.js';

describe('the CLI frame (SPEC §0)', () => {
  it('prints its version', async () => {
    const r = await pgauth(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('exits 3 on an unknown flag, naming it, without a stack trace', async () => {
    const r = await pgauth(['--bogus']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("unknown option '--bogus'");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('without a terminal and no arguments prints help and exits 3', async () => {
    const r = await pgauth([]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('Usage: pgauth');
    expect(r.stdout).toBe('');
  });

  it('exits 0 on --help', async () => {
    const r = await pgauth(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: pgauth');
  });
});

describe('output to a pipe', () => {
  it('is written in full before the process exits, for any command (regression: cut at 64 KiB)', async () => {
    const { tempDir } = await import('../helpers/tmp.js');
    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const tmp = tempDir();
    try {
      // 3,000 hba lines: `hba lint --json` prints several hundred KiB.
      const file = join(tmp.path, 'pg_hba.conf');
      writeFileSync(file, Array.from({ length: 3000 }, (_, i) => `host all user${i} 127.0.0.1/32 scram-sha-256\n`).join(''));
      const r = await pgauth(['hba', 'lint', file, '--json']);
      expect(r.code).toBe(0);
      expect(r.stdout.length).toBeGreaterThan(4 * 65536);
      expect(() => JSON.parse(r.stdout)).not.toThrow();
    } finally {
      tmp.remove();
    }
  });
});

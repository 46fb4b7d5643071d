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

/**
 * Issue 10's size bars, part of `npm test`: no function over 80 lines and no
 * file over 450 lines in src/ (scripts/lint-size.mjs, also `npm run lint:size`,
 * lists the longest ones and the exceptions with their reason).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('size of functions and files in src/', () => {
  it('stays within the limits', () => {
    const r = spawnSync(process.execPath, ['scripts/lint-size.mjs'], { cwd: new URL('..', import.meta.url).pathname, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('longest functions (limit 80 lines):');
  });
});

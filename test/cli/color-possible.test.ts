/**
 * render.ts leaves chalk unloaded when colorPossible() says no colour can
 * come out. The safety rule checked here against chalk itself, in a child
 * whose stdout is a pipe: whenever colorPossible() is false, chalk's own
 * level is 0 (it would have returned every text unchanged). Then end to end:
 * FORCE_COLOR=1 colours a table head; a pipe, NO_COLOR and --no-color do not.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { colorPossible } from '../../src/cli/render.js';
import { PGAUTH_BIN, run } from '../helpers/proc.js';

const SGR = /\x1b\[\d+m/;

/** chalk's colour level in a fresh process with this environment and these arguments, stdout a pipe. */
function chalkLevel(env: NodeJS.ProcessEnv, args: string[]): number {
  const code = "const { supportsColor } = await import('chalk'); process.stdout.write(String(supportsColor ? supportsColor.level : 0));";
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code, '--', ...args], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(r.stderr);
  return Number(r.stdout);
}

const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !['FORCE_COLOR', 'NO_COLOR', 'TF_BUILD', 'AGENT_NAME', 'CI'].includes(k)));

describe('colorPossible', () => {
  const cases: Array<[string, NodeJS.ProcessEnv, string[], boolean]> = [
    ['a pipe, nothing forced', {}, [], false],
    ['FORCE_COLOR=0 (--no-color, NO_COLOR)', { FORCE_COLOR: '0' }, [], false],
    ['FORCE_COLOR=false', { FORCE_COLOR: 'false' }, [], false],
    ['--no-color in a pipe', {}, ['--no-color'], false],
    ['FORCE_COLOR=1', { FORCE_COLOR: '1' }, [], true],
    ['FORCE_COLOR empty', { FORCE_COLOR: '' }, [], true],
    ['--color', {}, ['--color'], true],
    ['Azure Pipelines', { TF_BUILD: 'True', AGENT_NAME: 'agent' }, [], true],
  ];
  for (const [name, env, args, expected] of cases) {
    it(`${name}: ${expected ? 'chalk decides' : 'no colour, chalk not loaded'}`, () => {
      const full = { ...base, ...env };
      expect(colorPossible(full, ['node', 'pgauth', ...args], false)).toBe(expected);
      if (!expected) expect(chalkLevel(full, args)).toBe(0);
    });
  }

  it('a terminal: chalk decides', () => {
    expect(colorPossible(base, ['node', 'pgauth'], true)).toBe(true);
  });
});

describe('colour end to end', () => {
  it('FORCE_COLOR=1 colours the table head; a pipe, NO_COLOR and --no-color keep it plain', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgauth-color-'));
    try {
      const file = join(dir, 'userlist.txt');
      writeFileSync(file, '"alice" ""\n', { mode: 0o600 });
      const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !['FORCE_COLOR', 'NO_COLOR', 'TF_BUILD', 'AGENT_NAME'].includes(k)));
      const list = (env: NodeJS.ProcessEnv, flags: string[] = []) => run(process.execPath, [PGAUTH_BIN, ...flags, 'list-roles', '--roles', file], { env: { ...base, ...env } });
      const forced = await list({ FORCE_COLOR: '1' });
      expect(forced.code).toBe(0);
      expect(forced.stdout).toMatch(SGR);
      for (const r of [await list({}), await list({ FORCE_COLOR: '1', NO_COLOR: '1' }), await list({ FORCE_COLOR: '1' }, ['--no-color'])]) {
        expect(r.code).toBe(0);
        expect(r.stdout).toContain('alice');
        expect(r.stdout).not.toMatch(SGR);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

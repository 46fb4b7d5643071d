/**
 * render.ts leaves chalk unloaded when colorPossible() says no colour can
 * come out. The safety rule checked here against chalk itself, in a child
 * whose stdout is a pipe: whenever colorPossible() is false, chalk's own
 * level is 0 (it would have returned every text unchanged).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { colorPossible } from '../../src/cli/render.js';

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

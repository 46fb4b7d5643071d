/**
 * When human output is coloured (render.ts, Node's util.styleText, no
 * colour library): FORCE_COLOR first (--no-color and NO_COLOR set it to 0),
 * then --color or Azure Pipelines, else a terminal that has colours. Checked
 * as a table, then end to end: the same command coloured with FORCE_COLOR=1
 * and plain through a pipe, with NO_COLOR, and with --no-color.
 */
import { describe, expect, it } from 'vitest';
import { colorPossible } from '../../src/cli/render.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGAUTH_BIN, run } from '../helpers/proc.js';

const SGR = /\x1b\[\d+m/;

describe('colorPossible', () => {
  const cases: Array<[string, NodeJS.ProcessEnv, string[], boolean, boolean, boolean]> = [
    // name, env, args, stdout is a terminal, the terminal has colours, expected
    ['a pipe, nothing forced', {}, [], false, true, false],
    ['FORCE_COLOR=0 (--no-color, NO_COLOR)', { FORCE_COLOR: '0' }, [], true, true, false],
    ['FORCE_COLOR=false', { FORCE_COLOR: 'false' }, [], true, true, false],
    ['FORCE_COLOR=1 in a pipe', { FORCE_COLOR: '1' }, [], false, false, true],
    ['FORCE_COLOR empty', { FORCE_COLOR: '' }, [], false, false, true],
    ['--color in a pipe', {}, ['--color'], false, false, true],
    ['Azure Pipelines', { TF_BUILD: 'True', AGENT_NAME: 'agent' }, [], false, false, true],
    ['a terminal with colours', {}, [], true, true, true],
    ['a terminal without colours (TERM=dumb)', {}, [], true, false, false],
  ];
  for (const [name, env, args, tty, hasColors, expected] of cases) {
    it(`${name}: ${expected ? 'colour' : 'plain'}`, () => {
      expect(colorPossible(env, ['node', 'pgauth', ...args], tty, () => hasColors)).toBe(expected);
    });
  }
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

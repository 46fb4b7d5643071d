/**
 * The one-pass table renderer against cli-table3 itself: the same text for
 * every shape pgauth prints (styled cells, wide characters, empty cells, no
 * rows), and cli-table3 still lays out what the fast path leaves to it.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { linearTable, table } from '../../src/cli/render.js';

const require = createRequire(import.meta.url);
const Table = require('cli-table3') as new (opts: object) => { push(row: string[]): void; toString(): string };

function reference(head: string[], rows: string[][]): string {
  const t = new Table({ head, style: { head: [], border: [] } });
  for (const r of rows) t.push(r);
  return t.toString();
}

const red = (s: string) => `\x1b[31m${s}\x1b[39m`;

describe('linearTable = cli-table3', () => {
  const cases: Array<[string, string[], string[][]]> = [
    ['no rows', ['name', 'method'], []],
    ['plain rows', ['name', 'method', 'iterations'], [['alice', 'scram-sha-256', '4096'], ['bob', 'md5', '']]],
    ['styled cells and head', [`\x1b[36mname\x1b[39m`, 'login'], [[red('carol'), 'no'], ['d', red('yes, expired')]]],
    ['wide and accented characters', ['name', 'x'], [['日本語', 'é'], ['😀', '']]],
    ['one column', ['only'], [['a'], ['longer value'], ['']]],
  ];
  for (const [what, head, rows] of cases) {
    it(what, () => {
      expect(linearTable(head, rows)).toBe(reference(head, rows));
    });
  }

  it('300 generated rows', () => {
    const rows = Array.from({ length: 300 }, (_, i) => [`user${i}`, i % 3 ? 'scram-sha-256' : red('plain'), i % 7 ? String(4096 + i) : '', 'x'.repeat(i % 13)]);
    const head = ['name', 'method', 'iterations', 'pad'];
    expect(linearTable(head, rows)).toBe(reference(head, rows));
  });

  it('multi-line cells and ragged rows are left to cli-table3', () => {
    expect(linearTable(['a', 'b'], [['x\ny', 'z']])).toBeUndefined();
    expect(linearTable(['a', 'b'], [['x']])).toBeUndefined();
    const text = table(['a', 'b'], [['x\ny', 'z']]).replace(/\x1b\[\d+m/g, '');
    expect(text).toBe(reference(['a', 'b'], [['x\ny', 'z']]));
  });
});

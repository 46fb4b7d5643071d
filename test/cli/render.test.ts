/**
 * The one table style (issue 15): a header, a rule, aligned columns, no rule
 * between rows; fitted to the terminal's width by wrapping the widest
 * columns; plain ASCII and uncut when not a terminal.
 */
import { describe, expect, it } from 'vitest';
import { table } from '../../src/cli/render.js';
import { cellWidth, fitWidths, wrapCell, wrapLine } from '../../src/cli/table-layout.js';

const plain = (s: string) => s.replace(/\x1b\[[\d;]*m/g, '');
const BOX = /[─│┌┐└┘├┤┬┴┼]/;
const red = (s: string) => `\x1b[31m${s}\x1b[39m`;

describe('table', () => {
  it('piped: header, a dashed rule, aligned columns, no rule between rows, nothing cut', () => {
    const long = 'x'.repeat(200);
    const text = plain(table(['name', 'method'], [['alice', 'scram-sha-256'], ['bob', long]], { tty: false, width: Infinity }));
    expect(text).toBe(['name   method', '-----  ' + '-'.repeat(200), 'alice  scram-sha-256', `bob    ${long}`].join('\n'));
    expect(text).not.toMatch(BOX);
  });

  it('on a terminal: a line under the header and every line within the width', () => {
    const rows = Array.from({ length: 20 }, (_, i) => [`role${i}`, 'scram-sha-256', '4096', `a detail that is rather long for row ${i} and goes on and on`]);
    const text = plain(table(['name', 'method', 'iterations', 'detail'], rows, { tty: true, width: 60 }));
    const lines = text.split('\n');
    expect(lines[1]).toMatch(/^─+  ─+  ─+  ─+$/);
    for (const l of lines) expect(cellWidth(l)).toBeLessThanOrEqual(60);
    // Only the one rule: rows are not separated.
    expect(lines.filter((l) => l.startsWith('─'))).toHaveLength(1);
    // The wrapped detail keeps all its words.
    expect(lines.join(' ').replace(/\s+/g, ' ')).toContain('row 19 and goes on');
  });

  it('wraps a styled cell keeping its colour on each piece, and multi-line cells stay in their column', () => {
    expect(wrapCell(red('aaaa bbbb cccc'), 9)).toEqual([red('aaaa bbbb'), red('cccc')]);
    const text = plain(table(['a', 'b'], [['x\ny', 'z']], { tty: false, width: Infinity }));
    expect(text).toBe('a  b\n-  -\nx  z\ny');
  });

  it('wide characters are measured as two columns', () => {
    const text = plain(table(['name', 'x'], [['日本語', 'é']], { tty: false, width: Infinity }));
    expect(text.split('\n')).toEqual(['name    x', '------  -', '日本語  é']);
  });

  it('gives way from the widest column first, the first column last, keeping header words whole', () => {
    expect(fitWidths([4, 10, 50], ['line', 'type', 'error'], 40)).toEqual([4, 10, 22]);
    expect(fitWidths([30, 30], ['aaaa', 'bbbb'], 22)).toEqual([16, 4]);
    expect(fitWidths([30, 30, 30], ['aaaa', 'bbbb', 'cccc'], 16)).toEqual([4, 4, 4]);
    // A header wider than its cells wraps at its space before any cell wraps.
    expect(fitWidths([10, 10, 20], ['name', 'conn limit', 'member of'], 36, [10, 2, 20])).toEqual([10, 5, 17]);
    expect(fitWidths([5, 5], ['a', 'b'], Infinity)).toEqual([5, 5]);
  });

  it('wraps a line at spaces under an indent; without cutting, a long word stays whole', () => {
    expect(wrapLine('cause: one two three four five', 16, '       ')).toEqual(['cause: one two', '       three', '       four five']);
    const secret = 'SCRAM-SHA-256$4096:' + 'x'.repeat(40);
    expect(wrapLine(`verifier ${secret} ok`, 20, '  ', false)).toEqual(['verifier', `  ${secret}`, '  ok']);
    expect(wrapLine('short', Infinity)).toEqual(['short']);
    for (const l of wrapLine('a'.repeat(50) + ' b', 20, '    ')) expect(l.length).toBeLessThanOrEqual(20);
  });
});

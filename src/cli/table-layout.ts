/**
 * pgauth's one table style, pure: a header, a rule under it, aligned columns
 * two spaces apart, no rule between rows. On a terminal the rule is a line
 * ('─') and the table fits `width` columns: the widest columns give way
 * first and their cells wrap onto more lines (at a space where one is near).
 * Not on a terminal the rule is '-' and nothing is cut (grep and awk read it).
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface TableStyle {
  /** A terminal: a box-drawing rule under the header. Otherwise plain ASCII. */
  tty: boolean;
  /** Columns available (process.stdout.columns); Infinity when not a terminal. */
  width: number;
}

export const GAP = '  ';
const PLAIN_ASCII = /^[\x20-\x7e]*$/;
const ANSI = /\x1b\[[\d;]*m/g;
/** A cell styled as a whole: one opening run of SGR codes, plain text, one closing run. */
const WHOLE_STYLE = /^((?:\x1b\[[\d;]*m)+)([^\x1b]*)((?:\x1b\[[\d;]*m)+)$/;

/** cli-table3's own measure (ANSI codes stripped, wide characters counted twice). */
let cliStrlen: ((s: string) => number) | undefined;

/** A cell's width on the terminal (printable ASCII: its length). */
export function cellWidth(cell: string): number {
  if (PLAIN_ASCII.test(cell)) return cell.length;
  cliStrlen ??= (require('cli-table3/src/utils') as { strlen: (s: string) => number }).strlen;
  return cliStrlen(cell);
}

/** The widest line of a cell (a cell may hold several lines). */
function cellNaturalWidth(cell: string): number {
  if (!cell.includes('\n')) return cellWidth(cell);
  return Math.max(...cell.split('\n').map(cellWidth));
}

/** Natural column widths (header included). */
export function naturalWidths(head: readonly string[], rows: ReadonlyArray<ReadonlyArray<string>>): number[] {
  const widths = head.map(cellNaturalWidth);
  for (const row of rows) {
    for (let i = 0; i < head.length; i++) {
      const n = cellNaturalWidth(row[i] ?? '');
      if (n > widths[i]!) widths[i] = n;
    }
  }
  return widths;
}

/** A header's longest word: headers wrap at their spaces like any cell. */
const headFloor = (h: string): number => Math.max(3, ...h.replace(ANSI, '').split(' ').map(cellWidth));

/**
 * Shrinks the widest column by one until the table fits `width`. The first
 * column (the name or line number a reader looks rows up by) gives way only
 * when the others cannot; a column keeps its header's longest word (at least
 * 3), unless even that is too wide, when every column may go down to 1.
 */
export function fitWidths(natural: readonly number[], head: readonly string[], width: number, content: readonly number[] = natural): number[] {
  const widths = [...natural];
  const total = () => widths.reduce((a, b) => a + b, 0) + GAP.length * Math.max(0, widths.length - 1);
  if (!Number.isFinite(width) || total() <= width) return widths;
  const floor = head.map((h, i) => Math.min(natural[i]!, headFloor(h)));
  // A header wider than its cells wraps first: one more header line instead of one per row.
  const headersFirst = floor.map((f, i) => Math.max(f, Math.min(natural[i]!, content[i]!)));
  const keepFirst = floor.map((f, i) => (i === 0 ? natural[0]! : f));
  for (const min of [headersFirst, keepFirst, floor, widths.map(() => 1)]) {
    while (total() > width) {
      let widest = -1;
      for (let i = 0; i < widths.length; i++) if (widths[i]! > min[i]! && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
      if (widest < 0) break;
      widths[widest]!--;
    }
  }
  return widths;
}

/** Where a cell may break besides a space: after these (lists, names, dates, paths). */
const BREAK_AFTER = /[,\-/:=]/;

/** The last break position in text[0..cut): at a space or after a comma, dash, slash, colon or '=' in the second half, else the last space, else cut. */
function breakAt(rest: string, cut: number): number {
  for (let i = cut; i > cut / 2; i--) {
    if (rest[i] === ' ') return i;
    if (BREAK_AFTER.test(rest[i - 1]!)) return i;
  }
  const space = rest.lastIndexOf(' ', cut);
  return space > 0 ? space : cut;
}

/** Splits plain text into pieces of at most `w` columns, at a space or punctuation when one is in the second half. */
function wrapPlain(text: string, w: number): string[] {
  const out: string[] = [];
  let rest = text;
  while (cellWidth(rest) > w) {
    let cut = 0;
    let used = 0;
    for (const ch of rest) {
      const cw = cellWidth(ch);
      if (used + cw > w) break;
      used += cw;
      cut += ch.length;
    }
    if (cut === 0) cut = rest.codePointAt(0)! > 0xffff ? 2 : 1;
    const at = breakAt(rest, cut);
    out.push(rest.slice(0, at).trimEnd());
    rest = rest.slice(at).trimStart();
  }
  out.push(rest);
  return out;
}

/** A cell's lines within `w` columns, each keeping the cell's colour. */
export function wrapCell(cell: string, w: number): string[] {
  return cell.split('\n').flatMap((line) => {
    if (cellWidth(line) <= w) return [line];
    const styled = WHOLE_STYLE.exec(line);
    if (styled) return wrapPlain(styled[2]!, w).map((part) => styled[1] + part + styled[3]);
    return wrapPlain(line.replace(ANSI, ''), w);
  });
}

export interface Layout {
  widths: number[];
  style: TableStyle;
}

/** Widths for this table in this style. */
export function layout(head: readonly string[], rows: ReadonlyArray<ReadonlyArray<string>>, style: TableStyle): Layout {
  const natural = naturalWidths(head, rows);
  const content = Number.isFinite(style.width) ? naturalWidths(head.map(() => ''), rows) : natural;
  return { widths: fitWidths(natural, head, style.width, content), style };
}

/** The screen lines of one row (more than one when a cell wraps). */
export function rowLines(row: ReadonlyArray<string>, t: Layout): string[] {
  const cells = t.widths.map((w, i) => wrapCell(row[i] ?? '', w));
  const height = Math.max(1, ...cells.map((c) => c.length));
  const lines: string[] = [];
  for (let l = 0; l < height; l++) {
    const parts = t.widths.map((w, i) => {
      const text = cells[i]![l] ?? '';
      return i === t.widths.length - 1 ? text : text + ' '.repeat(Math.max(0, w - cellWidth(text)));
    });
    lines.push(parts.join(GAP).trimEnd());
  }
  return lines;
}

/** The header's lines and the rule under it. */
export function headLines(head: readonly string[], t: Layout): string[] {
  const dash = t.style.tty ? '─' : '-';
  return [...rowLines(head, t), t.widths.map((w) => dash.repeat(w)).join(GAP)];
}

/** Every line of the table, header first. */
export function* tableLines(head: readonly string[], rows: ReadonlyArray<ReadonlyArray<string>>, t: Layout): Generator<string> {
  yield* headLines(head, t);
  for (const row of rows) yield* rowLines(row, t);
}

/**
 * A line of text (colour codes allowed) wrapped at spaces to `width`
 * columns, continuation lines starting with `indent`; a word longer than a
 * line is cut (unless `cut` is false: a secret or a path stays whole). Colour
 * runs across a break as the terminal keeps it.
 */
export function wrapLine(line: string, width: number, indent = '', cut = true): string[] {
  if (!Number.isFinite(width) || cellWidth(line) <= width) return [line];
  const room = Math.max(1, width - cellWidth(indent));
  const out: string[] = [];
  let cur = '';
  const push = () => {
    out.push(cur.trimEnd());
    cur = indent;
  };
  for (const word of line.split(/(?<= )/)) {
    const w = cellWidth(word.trimEnd());
    if (cellWidth(cur) + w > width && cur.trim() !== '') push();
    if (cellWidth(cur) + w <= width || !cut) {
      cur += word;
      continue;
    }
    const pieces = wrapPlain(word.replace(ANSI, '').trimEnd(), room);
    for (const [i, p] of pieces.entries()) {
      cur += p;
      if (i < pieces.length - 1) push();
    }
    cur += ' ';
  }
  if (cur.trim() !== '') out.push(cur.trimEnd());
  return out;
}

/**
 * Human output: colours from one semantic map, tables from cli-table3.
 * Commands collect data first and render here second; --json skips this.
 */
import { createRequire } from 'node:module';
import { isatty } from 'node:tty';
import type { ChalkInstance } from 'chalk';
import type TableType from 'cli-table3';

// cli-table3 is loaded on first use: start-up time matters for every command.
const require = createRequire(import.meta.url);
let Table: typeof TableType | undefined;

/**
 * Whether chalk could colour anything here. chalk takes its level from
 * stdout (its vendored supports-color): without FORCE_COLOR (or with
 * FORCE_COLOR=0, which --no-color and NO_COLOR set), without a --color flag,
 * outside Azure Pipelines and with stdout not a terminal, that level is 0 and
 * every style returns its text unchanged. Then chalk is not loaded at all:
 * `--json`, pipes and CI logs start without it. Otherwise chalk decides.
 */
export function colorPossible(env: NodeJS.ProcessEnv = process.env, argv: readonly string[] = process.argv, stdoutIsTty = isatty(1)): boolean {
  if ('FORCE_COLOR' in env) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  if (argv.some((a) => a.startsWith('--color'))) return true;
  if ('TF_BUILD' in env && 'AGENT_NAME' in env) return true;
  return stdoutIsTty;
}

const chalk: ChalkInstance | null = colorPossible() ? (await import('chalk')).default : null;

export const style = {
  ok: (s: string) => (chalk ? chalk.green(s) : s),
  warn: (s: string) => (chalk ? chalk.yellow(s) : s),
  fail: (s: string) => (chalk ? chalk.red(s) : s),
  dim: (s: string) => (chalk ? chalk.dim(s) : s),
  strong: (s: string) => (chalk ? chalk.bold(s) : s),
  head: (s: string) => (chalk ? chalk.cyan(s) : s),
} as const;

/** cli-table3's own measure (ANSI codes stripped, wide characters counted twice). */
let cliStrlen: ((s: string) => number) | undefined;
const PLAIN_ASCII = /^[\x20-\x7e]*$/;

/** A cell's width on the terminal, as cli-table3 measures it (printable ASCII: its length). */
function cellWidth(cell: string): number {
  if (PLAIN_ASCII.test(cell)) return cell.length;
  cliStrlen ??= (require('cli-table3/src/utils') as { strlen: (s: string) => number }).strlen;
  return cliStrlen(cell);
}

interface Layout {
  head: readonly string[];
  rows: ReadonlyArray<ReadonlyArray<string>>;
  widths: number[];
  /** No rule between body rows. */
  compact?: boolean;
}

/** Column widths in one pass; undefined when a cell is multi-line or a row is ragged (cli-table3 lays those out). */
function measure(head: readonly string[], rows: ReadonlyArray<ReadonlyArray<string>>): Layout | undefined {
  if (head.length === 0) return undefined;
  const widths = head.map(() => 0);
  for (const row of [head, ...rows]) {
    if (row.length !== head.length) return undefined;
    for (let i = 0; i < row.length; i++) {
      const cell = row[i]!;
      if (cell.includes('\n')) return undefined;
      const n = cellWidth(cell);
      if (n > widths[i]!) widths[i] = n;
    }
  }
  return { head, rows, widths };
}

/** The table's lines with cli-table3's default border (a rule between every row). */
function* tableLines(t: Layout): Generator<string> {
  const rule = (left: string, mid: string, right: string) => left + t.widths.map((w) => '─'.repeat(w + 2)).join(mid) + right;
  const line = (row: readonly string[]) => `│${row.map((cell, i) => ` ${cell}${' '.repeat(t.widths[i]! - cellWidth(cell))} `).join('│')}│`;
  const between = rule('├', '┼', '┤');
  yield rule('┌', '┬', '┐');
  yield line(t.head);
  if (t.compact) yield between;
  for (const row of t.rows) {
    if (!t.compact) yield between;
    yield line(row);
  }
  yield rule('└', '┴', '┘');
}

function cliTable3(head: readonly string[], rows: ReadonlyArray<ReadonlyArray<string>>, compact = false): string {
  Table ??= require('cli-table3') as typeof TableType;
  const t = new Table({ head: [...head], style: { head: [], border: [], compact } });
  for (const row of rows) t.push([...row]);
  return t.toString();
}

/** The table laid out in one pass (cli-table3's look), or undefined when cli-table3 must do it. */
export function linearTable(head: readonly string[], rows: ReadonlyArray<ReadonlyArray<string>>): string | undefined {
  const layout = measure(head, rows);
  return layout ? [...tableLines(layout)].join('\n') : undefined;
}

/**
 * A table as a string; cells are plain strings (already styled if wanted).
 * The look is cli-table3's default; single-line cells (every table pgauth
 * prints) are laid out here in one pass, because cli-table3's layout is
 * quadratic in the number of rows (20,000 roles took minutes).
 */
export function table(head: readonly string[], rows: ReadonlyArray<ReadonlyArray<string>>, opts: { compact?: boolean } = {}): string {
  const styledHead = head.map((h) => style.head(h));
  const layout = measure(styledHead, rows);
  if (!layout) return cliTable3(styledHead, rows, opts.compact === true);
  return [...tableLines({ ...layout, compact: opts.compact === true })].join('\n');
}

/**
 * Prints a table like print(table(...)), in blocks, without building the
 * whole text, waiting for a slow reader (a pipe) instead of queueing the
 * whole table in memory (100,000 roles).
 */
export async function printTable(head: readonly string[], rows: ReadonlyArray<ReadonlyArray<string>>): Promise<void> {
  const styledHead = head.map((h) => style.head(h));
  const layout = measure(styledHead, rows);
  if (!layout) return print(cliTable3(styledHead, rows));
  // A reader that goes away (`| head`) ends the output quietly, as SIGPIPE would.
  let gone = false;
  const onError = (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    gone = true;
    process.stdout.emit('drain');
  };
  process.stdout.on('error', onError);
  const flush = async (block: string[]) => {
    if (!process.stdout.write(block.join('\n') + '\n')) await new Promise((r) => process.stdout.once('drain', r));
  };
  try {
    let block: string[] = [];
    for (const line of tableLines(layout)) {
      if (gone) return;
      block.push(line);
      if (block.length >= 2048) {
        await flush(block);
        block = [];
      }
    }
    if (block.length > 0 && !gone) await flush(block);
  } finally {
    process.stdout.off('error', onError);
  }
}

/** Writes a human-readable block to stdout. */
export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}

/**
 * Human output: colours from one semantic map, tables in one style
 * (table-layout.ts). Commands collect data first and render here second;
 * --json skips this.
 */
import chalk from 'chalk';
import { layout, tableLines, type TableStyle } from './table-layout.js';

export const style = {
  ok: (s: string) => chalk.green(s),
  warn: (s: string) => chalk.yellow(s),
  fail: (s: string) => chalk.red(s),
  dim: (s: string) => chalk.dim(s),
  strong: (s: string) => chalk.bold(s),
  head: (s: string) => chalk.cyan(s),
} as const;

/** The table style for stdout: fitted to the terminal, plain and uncut when piped. */
export function stdoutTableStyle(): TableStyle {
  const tty = process.stdout.isTTY === true;
  return { tty, width: tty && process.stdout.columns > 0 ? process.stdout.columns : Infinity };
}

/**
 * A table as a string; cells are plain strings (already styled if wanted,
 * may hold several lines). Laid out in one pass: cli-table3's layout is
 * quadratic in the number of rows (20,000 roles took minutes).
 */
export function table(head: readonly string[], rows: ReadonlyArray<ReadonlyArray<string>>, tableStyle: TableStyle = stdoutTableStyle()): string {
  const styledHead = head.map((h) => style.head(h));
  return [...tableLines(styledHead, rows, layout(styledHead, rows, tableStyle))].join('\n');
}

/**
 * Prints a table like print(table(...)), in blocks, without building the
 * whole text, waiting for a slow reader (a pipe) instead of queueing the
 * whole table in memory (100,000 roles).
 */
export async function printTable(head: readonly string[], rows: ReadonlyArray<ReadonlyArray<string>>): Promise<void> {
  const styledHead = head.map((h) => style.head(h));
  const lines = tableLines(styledHead, rows, layout(styledHead, rows, stdoutTableStyle()));
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
    for (const line of lines) {
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

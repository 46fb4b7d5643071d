/**
 * Human output: colours from one semantic map, tables from cli-table3.
 * Commands collect data first and render here second; --json skips this.
 */
import { createRequire } from 'node:module';
import chalk from 'chalk';
import type TableType from 'cli-table3';

// cli-table3 is loaded on first use: start-up time matters for every command.
const require = createRequire(import.meta.url);
let Table: typeof TableType | undefined;

export const style = {
  ok: (s: string) => chalk.green(s),
  warn: (s: string) => chalk.yellow(s),
  fail: (s: string) => chalk.red(s),
  dim: (s: string) => chalk.dim(s),
  strong: (s: string) => chalk.bold(s),
  head: (s: string) => chalk.cyan(s),
} as const;

/** A table as a string; cells are plain strings (already styled if wanted). */
export function table(head: readonly string[], rows: ReadonlyArray<ReadonlyArray<string>>, opts: { compact?: boolean } = {}): string {
  Table ??= require('cli-table3') as typeof TableType;
  const t = new Table({
    head: head.map((h) => style.head(h)),
    style: { head: [], border: [], compact: opts.compact === true },
  });
  for (const row of rows) t.push([...row]);
  return t.toString();
}

/** Writes a human-readable block to stdout. */
export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}

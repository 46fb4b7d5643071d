/**
 * Human output: colours from one semantic map, tables from cli-table3.
 * Commands collect data first and render here second; --json skips this.
 */
import chalk from 'chalk';
import Table from 'cli-table3';

/** NO_COLOR (any non-empty value) and --no-color switch colour off; FORCE_COLOR is chalk's own. */
export function configureColor(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): void {
  if (argv.includes('--no-color') || (env.NO_COLOR ?? '') !== '') chalk.level = 0;
}

export const style = {
  ok: (s: string) => chalk.green(s),
  warn: (s: string) => chalk.yellow(s),
  fail: (s: string) => chalk.red(s),
  dim: (s: string) => chalk.dim(s),
  strong: (s: string) => chalk.bold(s),
  head: (s: string) => chalk.cyan(s),
} as const;

/** A table as a string; cells are plain strings (already styled if wanted). */
export function table(head: readonly string[], rows: ReadonlyArray<ReadonlyArray<string>>): string {
  const t = new Table({
    head: head.map((h) => style.head(h)),
    style: { head: [], border: [] },
  });
  for (const row of rows) t.push([...row]);
  return t.toString();
}

/** Writes a human-readable block to stdout. */
export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}

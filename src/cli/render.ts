/**
 * Human output: colours from one semantic map, tables in one style
 * (table-layout.ts). Commands collect data first and render here second;
 * --json skips this.
 */
import { isatty } from 'node:tty';
import type { ChalkInstance } from 'chalk';
import { layout, tableLines, wrapLine, type TableStyle } from './table-layout.js';

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

/** chalk once loadColors has loaded it; until then (and for --json, pipes, CI logs) styles return their text. */
let chalk: ChalkInstance | null = null;

/**
 * Loads chalk when colour can come out. main.ts calls it before a command
 * runs (not under --json), after --no-color and NO_COLOR have set
 * FORCE_COLOR, which chalk reads when it loads.
 */
export async function loadColors(): Promise<void> {
  if (!chalk && colorPossible()) chalk = (await import('chalk')).default;
}

export const style = {
  ok: (s: string) => (chalk ? chalk.green(s) : s),
  warn: (s: string) => (chalk ? chalk.yellow(s) : s),
  fail: (s: string) => (chalk ? chalk.red(s) : s),
  dim: (s: string) => (chalk ? chalk.dim(s) : s),
  strong: (s: string) => (chalk ? chalk.bold(s) : s),
  head: (s: string) => (chalk ? chalk.cyan(s) : s),
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

/** A continuation line's indent: the line's own, two more. */
const continuation = (line: string): string => ' '.repeat((/^ */.exec(line.replace(/\x1b\[[\d;]*m/g, ''))?.[0].length ?? 0) + 2);

/**
 * Writes a human-readable block to stdout; on a terminal each line wraps at
 * spaces within its width (indented under itself), never cutting a word.
 */
export function print(text: string): void {
  process.stdout.write(fitTo(process.stdout, text));
}

/** `text` with a final newline, each line wrapped at spaces to the stream's width when it is a terminal. */
export function fitTo(stream: NodeJS.WriteStream, text: string): string {
  const width = stream.isTTY === true && stream.columns > 0 ? stream.columns : Infinity;
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  const lines = Number.isFinite(width) ? body.split('\n').flatMap((l) => wrapLine(l, width, continuation(l), false)) : [body];
  return lines.join('\n') + '\n';
}

/**
 * Human output: colours from one semantic map, tables in one style
 * (table-layout.ts). Commands collect data first and render here second;
 * --json skips this.
 */
import { isatty } from 'node:tty';
import { styleText } from 'node:util';
import { layout, tableLines, wrapLine, type TableStyle } from './table-layout.js';

/**
 * Whether human output is coloured. FORCE_COLOR decides when set (--no-color
 * and NO_COLOR set it to 0, main.ts); then a --color flag or Azure
 * Pipelines (whose logs render colour) turn it on; otherwise stdout must be
 * a terminal that has colours (Node's own test: TERM, COLORTERM, CI
 * variables). So `--json`, pipes and CI logs stay plain.
 */
export function colorPossible(
  env: NodeJS.ProcessEnv = process.env,
  argv: readonly string[] = process.argv,
  stdoutIsTty = isatty(1),
  terminalHasColors: () => boolean = () => process.stdout.hasColors?.() ?? true,
): boolean {
  if ('FORCE_COLOR' in env) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  if (argv.some((a) => a.startsWith('--color'))) return true;
  if ('TF_BUILD' in env && 'AGENT_NAME' in env) return true;
  return stdoutIsTty && terminalHasColors();
}

let colorOn: boolean | undefined;

/** One SGR style from Node's util.styleText (no library), when colour is on. */
function styled(format: Parameters<typeof styleText>[0]): (s: string) => string {
  // validateStream: we have decided above; Node 20.12 ignores the option and always styles.
  return (s) => ((colorOn ??= colorPossible()) ? styleText(format, s, { validateStream: false }) : s);
}

export const style = {
  ok: styled('green'),
  warn: styled('yellow'),
  fail: styled('red'),
  dim: styled('dim'),
  strong: styled('bold'),
  head: styled('cyan'),
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

/**
 * Several probe targets in one run (SPEC §8): the `--targets FILE` format,
 * a bounded-concurrency runner and the worst exit code. Pure apart from the
 * work it is given.
 */

export interface TargetLine {
  target: string;
  /** 1-based line in the targets file; 0 for a target from the command line. */
  line: number;
}

export class TargetsFileError extends Error {
  override name = 'TargetsFileError';
  readonly code = 'targets-file';
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    // Line 0: the file as a whole (e.g. it lists no target).
    super(line > 0 ? `${file}:${line}: ${message}` : `${file}: ${message}`);
  }
}

/** At most this many targets in one run (a file is untrusted input). */
export const MAX_TARGETS = 10_000;
/** A target line longer than this is not a conninfo anyone meant. */
export const MAX_TARGET_LENGTH = 8192;

/**
 * A line without its `#` comment: a `#` that starts the line or follows
 * whitespace, outside a single-quoted conninfo value (`password='a #b'` and
 * `pass#word` keep theirs; a backslash escapes the next character in quotes,
 * as libpq reads them).
 */
function withoutComment(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted && c === '\\') i++;
    else if (c === "'") quoted = !quoted;
    else if (!quoted && c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i);
  }
  return line;
}

/** One target per line; blank lines and `#` comments skipped. */
export function parseTargetsFile(text: string, file: string): TargetLine[] {
  const out: TargetLine[] = [];
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const t = withoutComment(raw).trim();
    if (t === '') continue;
    if (t.length > MAX_TARGET_LENGTH) throw new TargetsFileError(file, i + 1, `target longer than ${MAX_TARGET_LENGTH} characters`);
    if (out.length === MAX_TARGETS) throw new TargetsFileError(file, i + 1, `more than ${MAX_TARGETS} targets`);
    out.push({ target: t, line: i + 1 });
  }
  if (out.length === 0) throw new TargetsFileError(file, 0, 'no targets (one host[:port], URI or conninfo per line)');
  return out;
}

/** Exit code of a run over several targets: the largest (0 < 1 < 2 < 3 < 4). */
export const worstExit = (codes: readonly number[]): number => codes.reduce((a, b) => Math.max(a, b), 0);

/** Runs `work` over `items` with at most `jobs` at once; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], jobs: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, worker));
  return results;
}

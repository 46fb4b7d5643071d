/**
 * A live "computing ... N s" line for slow work (SCRAM with many iterations).
 */

/** From this many SCRAM iterations on, a terminal gets a progress line (about half a second and up here). */
export const PROGRESS_ITERATIONS = 1_000_000;

/**
 * Runs slow work with a live "computing ... N s" line on stderr when stderr
 * is a terminal (SPEC §0: progress on a TTY, quiet when piped); the line is
 * erased when the work ends.
 */
export async function withProgress<T>(label: string, work: () => Promise<T>): Promise<T> {
  if (process.stderr.isTTY !== true) return work();
  const started = Date.now();
  const draw = (): void => {
    process.stderr.write(`\r\x1b[Kpgauth: ${label} ${Math.floor((Date.now() - started) / 1000)} s`);
  };
  draw();
  const timer = setInterval(draw, 250);
  try {
    return await work();
  } finally {
    clearInterval(timer);
    process.stderr.write('\r\x1b[K');
  }
}

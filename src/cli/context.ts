import { isatty } from 'node:tty';
import type { Command } from 'commander';
import { fitTo } from './render.js';

/** Options every command sees, whichever level of the command line set them. */
export interface GlobalOptions {
  json: boolean;
  color: boolean;
  input: boolean;
  debug: boolean;
}

export function globalOptions(command: Command): GlobalOptions {
  const o = command.optsWithGlobals() as Record<string, unknown>;
  return {
    json: o.json === true,
    color: o.color !== false,
    input: o.input !== false,
    debug: o.debug === true,
  };
}

/**
 * May we ask a person? Only with a terminal on stdin and without --no-input.
 * Asked of fd 0 itself: `process.stdin` would build a stream for stdin on
 * first use (~3 ms), which a command that never reads it should not pay.
 */
export function canPrompt(g: Pick<GlobalOptions, 'input'>): boolean {
  return g.input && isatty(0);
}

/** Print one JSON document on stdout (SPEC §0: nothing else goes to stdout). */
export function printJson(data: unknown): void {
  process.stdout.write(JSON.stringify(data, null, 2) + '\n');
}

/** Diagnostics go to stderr so that --json output stays clean. */
export function warn(message: string): void {
  process.stderr.write(fitTo(process.stderr, `pgauth: warning: ${message}`));
}

/**
 * The one place that turns errors into exit codes and calls process.exit
 * (SPEC §0: 0 ok, 1 rejected, 2 no response, 3 usage/input, 4 expectation).
 */
import { CliError, type CliErrorKind } from './errors.js';

/**
 * NO_COLOR (any non-empty value) and --no-color switch colour off. Done by
 * setting FORCE_COLOR=0 before chalk is first loaded, so start-up does not
 * pay for loading chalk when nothing is rendered.
 */
export function configureColor(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): void {
  if (argv.includes('--no-color') || (env.NO_COLOR ?? '') !== '') env.FORCE_COLOR = '0';
}

const EXIT_CODES: Record<CliErrorKind, number> = {
  rejected: 1,
  unreachable: 2,
  usage: 3,
  expectation: 4,
};

/** Layer errors that mean "your input is bad" (a file, a flag, a verifier). */
const INPUT_ERROR_NAMES = new Set(['RoleFileError', 'HbaFileError', 'SecretFormatError', 'ConninfoError', 'UsageError']);

/** Commander's own errors (usage); checked by shape so start-up need not load commander. */
function isCommanderError(err: unknown): err is Error & { code: string } {
  return err instanceof Error && err.name === 'CommanderError';
}

export function exitCodeFor(err: unknown): number {
  if (err instanceof CliError) return EXIT_CODES[err.kind];
  if (isCommanderError(err)) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    return 3;
  }
  if (err instanceof Error && err.name === 'ExitPromptError') return 130; // Ctrl-C at a prompt
  if (err instanceof Error && INPUT_ERROR_NAMES.has(err.name)) return 3;
  return 1;
}

function report(err: unknown, debug: boolean): void {
  if (isCommanderError(err)) return; // commander has printed its own message
  if (err instanceof CliError && err.silent) return;
  if (err instanceof Error && err.name === 'ExitPromptError') {
    process.stderr.write('\n');
    return;
  }
  const message = err instanceof Error ? err.message : String(err);
  const known = err instanceof CliError || (err instanceof Error && INPUT_ERROR_NAMES.has(err.name));
  process.stderr.write(`pgauth: ${known ? '' : 'error: '}${message}\n`);
  if (debug && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
  else if (!known) process.stderr.write('pgauth: (run with --debug for details)\n');
}

/** --json on the command line (before a `--` that starts another program's arguments). */
export function jsonRequested(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

/** The error's kind for `--json`: the CliError kinds, usage for input and commander errors, else internal. */
export function errorKind(err: unknown): CliErrorKind | 'interrupted' | 'internal' {
  if (err instanceof CliError) return err.kind;
  if (isCommanderError(err) || (err instanceof Error && INPUT_ERROR_NAMES.has(err.name))) return 'usage';
  if (err instanceof Error && err.name === 'ExitPromptError') return 'interrupted';
  return 'internal';
}

/**
 * SPEC §0 with --json: stdout always holds one JSON document, also when the
 * command failed before printing its own. A silent CliError has printed it.
 * One line, so that it is also a JSON line for `serve --json`.
 */
export function jsonErrorDocument(err: unknown): string | undefined {
  if (err instanceof CliError && err.silent) return undefined;
  const message = (err instanceof Error ? err.message : String(err)).replace(/^error: /, '').trim();
  return JSON.stringify({ ok: false, error: { kind: errorKind(err), message } }) + '\n';
}

export async function main(argv: readonly string[]): Promise<void> {
  configureColor(argv);
  const debug = argv.includes('--debug');
  let code = 0;
  try {
    const rest = argv.slice(2);
    if (rest.length === 1 && (rest[0] === '--version' || rest[0] === '-V')) {
      // Fast path: the version needs no command wiring at all.
      const { packageVersion } = await import('./version.js');
      process.stdout.write(packageVersion() + '\n');
      process.exit(0);
    }
    const { buildProgram } = await import('./program.js');
    const args = argv.slice(2).filter((a) => a !== '--no-color' && a !== '--debug' && a !== '--no-input');
    const program = await buildProgram(args);
    if (args.length === 0) {
      const noInput = argv.includes('--no-input');
      if (process.stdin.isTTY && !noInput) {
        const { runMenu } = await import('./menu.js');
        await runMenu(program);
      } else {
        process.stderr.write(program.helpInformation());
        code = 3;
      }
    } else {
      await program.parseAsync([...argv]);
    }
  } catch (err) {
    code = exitCodeFor(err);
    report(err, debug);
    const doc = code !== 0 && jsonRequested(argv.slice(2)) ? jsonErrorDocument(err) : undefined;
    if (doc !== undefined) process.stdout.write(doc);
  }
  if (code !== 0 || process.exitCode === undefined) process.exitCode = code;
  // Node writes to a pipe asynchronously: wait until everything written has
  // reached the OS, or `pgauth export --format sql | psql` gets only 64 KiB.
  await Promise.all([process.stdout, process.stderr].map(drained));
  // Commands that serve or hold sockets return only when finished, so nothing
  // useful is left running here; exit so a stray handle cannot keep us alive.
  process.exit(process.exitCode);
}

/** Resolves once a stream has handed all it was given to the OS. */
export function drained(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.writableLength === 0) return resolve();
    // A reader that went away (`| head`) is not our error: stop, as psql does.
    // The listener stays: the stream reports the error on a later tick than the callback.
    if (stream.listenerCount('error') === 0) stream.on('error', () => {});
    stream.write('', () => resolve());
  });
}

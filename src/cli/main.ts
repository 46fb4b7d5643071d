/**
 * The one place that turns errors into exit codes and calls process.exit
 * (SPEC §0: 0 ok, 1 rejected, 2 no response, 3 usage/input, 4 expectation).
 */
import { CommanderError } from 'commander';
import { CliError, type CliErrorKind } from './errors.js';
import { configureColor } from './render.js';

const EXIT_CODES: Record<CliErrorKind, number> = {
  rejected: 1,
  unreachable: 2,
  usage: 3,
  expectation: 4,
};

/** Layer errors that mean "your input is bad" (a file, a flag, a verifier). */
const INPUT_ERROR_NAMES = new Set(['RoleFileError', 'HbaFileError', 'SecretFormatError', 'ConninfoError', 'UsageError']);

export function exitCodeFor(err: unknown): number {
  if (err instanceof CliError) return EXIT_CODES[err.kind];
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    return 3;
  }
  if (err instanceof Error && err.name === 'ExitPromptError') return 130; // Ctrl-C at a prompt
  if (err instanceof Error && INPUT_ERROR_NAMES.has(err.name)) return 3;
  return 1;
}

function report(err: unknown, debug: boolean): void {
  if (err instanceof CommanderError) return; // commander has printed its own message
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

export async function main(argv: readonly string[]): Promise<void> {
  configureColor(argv);
  const debug = argv.includes('--debug');
  let code = 0;
  try {
    const { buildProgram } = await import('./program.js');
    const program = buildProgram();
    const args = argv.slice(2).filter((a) => a !== '--no-color' && a !== '--debug' && a !== '--no-input');
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
  }
  if (code !== 0 || process.exitCode === undefined) process.exitCode = code;
  // Commands that serve or hold sockets return only when finished, so nothing
  // useful is left running here; exit so a stray handle cannot keep us alive.
  process.exit(process.exitCode);
}

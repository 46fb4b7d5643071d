/**
 * The one place that turns errors into exit codes and calls process.exit
 * (SPEC §0: 0 ok, 1 rejected, 2 no response, 3 usage/input, 4 expectation).
 */
import { CliError, PromptInterrupted, type CliErrorKind } from './errors.js';

/**
 * NO_COLOR (any non-empty value) and --no-color switch colour off. Done by
 * setting FORCE_COLOR=0 before chalk is first loaded (render.ts loadColors),
 * so start-up does not pay for loading chalk when nothing is rendered.
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

/**
 * Layer errors that mean "your input is bad" (a role file, a pg_hba.conf, a
 * verifier, a conninfo string). Their modules are loaded on the error path
 * only; a command that raised one has loaded its module already.
 */
async function isInputError(err: unknown): Promise<boolean> {
  if (!(err instanceof Error)) return false;
  const [{ RoleFileError }, { HbaFileError }, { SecretFormatError }, { ConninfoError }] = await Promise.all([
    import('../roles/store.js'),
    import('../hba/file.js'),
    import('../secrets/index.js'),
    import('../probe/conninfo.js'),
  ]);
  return err instanceof RoleFileError || err instanceof HbaFileError || err instanceof SecretFormatError || err instanceof ConninfoError;
}

/**
 * What failed, as main treats it: our CliError, commander's own error (it
 * has printed its message), Ctrl-C at a prompt, bad input from a layer, or
 * anything else (internal).
 */
export type Failure =
  | { type: 'cli'; err: CliError }
  | { type: 'commander'; code: string }
  | { type: 'interrupted' }
  | { type: 'input'; message: string }
  | { type: 'internal'; message: string };

/**
 * Classifies an error. Commander's class is loaded here rather than at
 * start-up (`pgauth --version` never loads commander); when commander threw
 * the error, program.ts has loaded it already.
 */
export async function failureOf(err: unknown): Promise<Failure> {
  if (err instanceof CliError) return { type: 'cli', err };
  if (err instanceof PromptInterrupted) return { type: 'interrupted' };
  const { CommanderError } = await import('commander');
  if (err instanceof CommanderError) return { type: 'commander', code: err.code };
  const message = err instanceof Error ? err.message : String(err);
  if (await isInputError(err)) return { type: 'input', message };
  return { type: 'internal', message };
}

export function exitCodeFor(f: Failure): number {
  switch (f.type) {
    case 'cli':
      return EXIT_CODES[f.err.kind];
    case 'commander':
      return f.code === 'commander.helpDisplayed' || f.code === 'commander.version' || f.code === 'commander.help' ? 0 : 3;
    case 'interrupted':
      return 130; // Ctrl-C at a prompt
    case 'input':
      return 3;
    case 'internal':
      return 1;
  }
}

function report(f: Failure, err: unknown, debug: boolean): void {
  if (f.type === 'commander') return; // commander has printed its own message
  if (f.type === 'cli' && f.err.silent) return;
  if (f.type === 'interrupted') {
    process.stderr.write('\n');
    return;
  }
  const known = f.type !== 'internal';
  const message = f.type === 'cli' ? f.err.message : f.message;
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
export function errorKind(f: Failure): CliErrorKind | 'interrupted' | 'internal' {
  if (f.type === 'cli') return f.err.kind;
  if (f.type === 'commander' || f.type === 'input') return 'usage';
  return f.type;
}

/**
 * SPEC §0 with --json: stdout always holds one JSON document, also when the
 * command failed before printing its own. A silent CliError has printed it.
 * One line, so that it is also a JSON line for `serve --json`.
 */
export function jsonErrorDocument(f: Failure, err: unknown): string | undefined {
  if (f.type === 'cli' && f.err.silent) return undefined;
  const message = (err instanceof Error ? err.message : String(err)).replace(/^error: /, '').trim();
  return JSON.stringify({ ok: false, error: { kind: errorKind(f), message } }) + '\n';
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
    // chalk, when colour can come out at all; never for one JSON document.
    if (!jsonRequested(args)) await (await import('./render.js')).loadColors();
    if (args.length === 0) {
      const noInput = argv.includes('--no-input');
      if (process.stdin.isTTY && !noInput) {
        const { runMenu } = await import('./menu.js');
        await runMenu();
      } else {
        process.stderr.write(program.helpInformation());
        code = 3;
      }
    } else {
      await program.parseAsync([...argv]);
    }
  } catch (err) {
    const failure = await failureOf(err);
    code = exitCodeFor(failure);
    report(failure, err, debug);
    const doc = code !== 0 && jsonRequested(argv.slice(2)) ? jsonErrorDocument(failure, err) : undefined;
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

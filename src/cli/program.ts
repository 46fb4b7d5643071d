/**
 * Commander wiring only: the program's global options, then the commands of
 * the command list (commands/index.ts). When the command line names a
 * command, only that command's definition is loaded; help, the menu and
 * unknown words load them all. Actions load when their command runs.
 */
import { Command } from 'commander';
import { packageVersion } from './version.js';
import { registerCommands } from './command.js';
import { loadCommands } from './commands/index.js';

/** The command word of an argv (the first word that is not a global option). */
function commandWord(args: readonly string[]): string | undefined {
  return args.find((a) => !a.startsWith('-'));
}

/**
 * Builds the program for `args` (argv without node and script). With no
 * command word, or one we do not know, every command is registered so help,
 * suggestions and the menu see them all.
 */
export async function buildProgram(args: readonly string[] = []): Promise<Command> {
  const program = new Command('pgauth');
  program
    .description('PostgreSQL authentication: role files, SCRAM/md5 secrets, a test server and a login probe')
    .version(packageVersion(), '-V, --version')
    .option('--no-color', 'no colour in output (also NO_COLOR)')
    .option('--no-input', 'never prompt; a missing value is a usage error')
    .option('--debug', 'print stack traces on errors')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      outputError: (str, write) => write(str.startsWith('error:') ? `pgauth: ${str}` : str),
    });
  registerCommands(program, await loadCommands(commandWord(args)));
  return program;
}

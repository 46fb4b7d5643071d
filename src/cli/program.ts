/**
 * Commander wiring only: each command module registers its own flags and
 * loads its implementation lazily. When the command line names a command,
 * only that command's module is loaded, so start-up pays for one command,
 * not all of them; help, the menu and unknown words load every module.
 */
import { Command } from 'commander';
import { packageVersion } from './version.js';

interface CommandModule {
  register(program: Command): void;
}

/** Which module registers which top-level command, in help order. */
const MODULES: ReadonlyArray<{ commands: readonly string[]; load: () => Promise<CommandModule> }> = [
  {
    commands: ['add-role', 'passwd', 'alter-role', 'remove-role', 'list-roles', 'check-roles', 'verify', 'export', 'import'],
    load: () => import('./commands/roles.js'),
  },
  { commands: ['verifier'], load: () => import('./commands/secrets.js') },
  { commands: ['serve'], load: () => import('./commands/serve.js') },
  { commands: ['probe'], load: () => import('./commands/probe.js') },
  { commands: ['hba'], load: () => import('./commands/hba.js') },
  { commands: ['pam-check'], load: () => import('./commands/pam.js') },
  { commands: ['conform'], load: () => import('./commands/conform.js') },
  { commands: ['oauth-token'], load: () => import('./commands/oauth.js') },
];

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
  const word = commandWord(args);
  const only = MODULES.find((m) => word !== undefined && m.commands.includes(word));
  const mods = await Promise.all((only ? [only] : MODULES).map((m) => m.load()));
  for (const mod of mods) mod.register(program);
  return program;
}

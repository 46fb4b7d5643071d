/**
 * `pgauth` alone on a terminal: a menu of actions that comes back after each
 * one, until Quit or Esc (exit 0) or Ctrl-C (exit 130). The header names the role
 * file it works on. An action's error is one line and the menu goes on.
 * The entries come from the command list (each definition's `menu`).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { CommanderError } from 'commander';
import { menuActions, type MenuContext } from './command.js';
import { loadCommands } from './commands/index.js';
import { CliError, PromptInterrupted } from './errors.js';
import { buildProgram } from './program.js';
import { promptSelectOrEscape } from './prompts.js';
import { defaultRolesPath, loadRoleFile } from '../roles/index.js';

/** The role file, as the header shows it, and its role names for the pickers. */
async function roleFileState(): Promise<{ header: string; ctx: MenuContext }> {
  const path = defaultRolesPath();
  const shown = resolve(path);
  if (!existsSync(path)) return { header: `Role file: ${shown} (not created yet)`, ctx: { roleNames: [] } };
  try {
    const names = [...(await loadRoleFile(path)).roles.keys()];
    return { header: `Role file: ${shown} (${names.length} role${names.length === 1 ? '' : 's'})`, ctx: { roleNames: names } };
  } catch (err) {
    return { header: `Role file: ${shown} (unreadable: ${err instanceof Error ? err.message : String(err)})`, ctx: { roleNames: [] } };
  }
}

/** One line for an action's error; commander has printed its own already. */
export function menuErrorLine(err: unknown): string | null {
  if (err instanceof CommanderError) return null;
  if (err instanceof CliError && err.silent) return null;
  const message = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
  return `pgauth: ${message}`;
}

/** Runs one action on a fresh program (commander keeps option values between parses). */
async function runAction(argv: string[]): Promise<void> {
  const program = await buildProgram(argv);
  await program.parseAsync(['node', 'pgauth', ...argv]);
}

export async function runMenu(): Promise<void> {
  const actions = menuActions(await loadCommands());
  for (;;) {
    const { header, ctx } = await roleFileState();
    process.stderr.write(`\n${header}\n`);
    const entries = [...actions.map((a) => ({ value: a.value, name: a.name })), { value: 'quit', name: 'Quit' }];
    const choice = await promptSelectOrEscape('What do you want to do? (Esc quits)', entries, 'quit');
    if (choice === 'quit') return;
    const action = actions.find((a) => a.value === choice)!;
    try {
      const argv = await action.args(ctx);
      if (argv) await runAction(argv);
    } catch (err) {
      // Ctrl-C at a prompt ends the menu (exit 130, as main does); anything else is one line.
      if (err instanceof PromptInterrupted) throw err;
      const line = menuErrorLine(err);
      if (line) process.stderr.write(line + '\n');
    }
    // An action's exit status (a mismatch, a failed check) is not the menu's.
    process.exitCode = undefined;
  }
}

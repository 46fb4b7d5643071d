/**
 * `pgauth` alone on a terminal: a menu of actions that comes back after each
 * one, until Quit or Esc (exit 0) or Ctrl-C (exit 130). The header names the role
 * file it works on. An action's error is one line and the menu goes on.
 */
import type { Command } from 'commander';
import { promptSelectOrEscape } from './prompts.js';
import { MENU_ACTIONS, type MenuContext } from './menu-actions.js';

/** The role file, as the header shows it, and its role names for the pickers. */
async function roleFileState(): Promise<{ header: string; ctx: MenuContext }> {
  const { defaultRolesPath, loadRoleFile } = await import('../roles/index.js');
  const { existsSync } = await import('node:fs');
  const { resolve } = await import('node:path');
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

/** Ctrl-C at a prompt ends the menu (exit 130, as main does); anything else is one line. */
function isCtrlC(err: unknown): boolean {
  return err instanceof Error && err.name === 'ExitPromptError';
}

/** One line for an action's error; commander has printed its own already. */
export function menuErrorLine(err: unknown): string | null {
  if (err instanceof Error && err.name === 'CommanderError') return null;
  if (err instanceof Error && err.name === 'CliError' && (err as Error & { silent?: boolean }).silent) return null;
  const message = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
  return `pgauth: ${message}`;
}

/** Runs one action on a fresh program (commander keeps option values between parses). */
async function runAction(argv: string[]): Promise<void> {
  const { buildProgram } = await import('./program.js');
  const program = await buildProgram(argv);
  await program.parseAsync(['node', 'pgauth', ...argv]);
}

export async function runMenu(program: Command): Promise<void> {
  const known = new Set(program.commands.map((c) => c.name()));
  const actions = MENU_ACTIONS.filter((a) => known.has(a.value.split(' ')[0]!));
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
      if (isCtrlC(err)) throw err;
      const line = menuErrorLine(err);
      if (line) process.stderr.write(line + '\n');
    }
    // An action's exit status (a mismatch, a failed check) is not the menu's.
    process.exitCode = undefined;
  }
}

/**
 * The command list (src/cli/commands/index.ts) is the one place a command is
 * added: program.ts registers from it and the menu is built from it.
 */
import { expect, it } from 'vitest';
import { menuActions } from '../../src/cli/command.js';
import { COMMANDS, loadCommands } from '../../src/cli/commands/index.js';
import { buildProgram } from '../../src/cli/program.js';

it('registers every command of the list, in its order (help order)', async () => {
  const program = await buildProgram();
  expect(program.commands.map((c) => c.name())).toEqual(COMMANDS.map((c) => c.name));
  expect(program.commands.find((c) => c.name() === 'hba')!.commands.map((c) => c.name())).toEqual(['check', 'lint']);
});

it('registers only the named command when the command line names one', async () => {
  const program = await buildProgram(['--no-color', 'hba', 'lint', 'pg_hba.conf']);
  expect(program.commands.map((c) => c.name())).toEqual(['hba']);
});

it('builds the menu from the same definitions, in menu order', async () => {
  expect(menuActions(await loadCommands()).map((a) => [a.value, a.name])).toEqual([
    ['list-roles', 'List roles'],
    ['add-role', 'Add a role'],
    ['alter-role', "Change a role's attributes"],
    ['passwd', 'Change a password'],
    ['verify', 'Check a password'],
    ['remove-role', 'Remove a role'],
    ['check-roles', 'Check the role file for PgBouncer traps'],
    ['export', 'Export the roles'],
    ['import', 'Import roles (userlist, SQL dump or postgresql:// server)'],
    ['verifier', 'Make a SCRAM verifier or md5 hash'],
    ['serve', 'Serve: run a test server (Ctrl-C stops it)'],
    ['probe', 'Probe: log in to a server and explain'],
    ['hba lint', 'Lint a pg_hba.conf'],
    ['hba check', 'Which pg_hba.conf line admits a connection'],
    ['pam-check', 'Check PAM'],
  ]);
});

it('gives every menu entry a command of the list', async () => {
  const names = new Set(COMMANDS.map((c) => c.name));
  for (const a of menuActions(await loadCommands())) expect(names.has(a.value.split(' ')[0]!)).toBe(true);
});

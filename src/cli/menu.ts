/**
 * `pgauth` alone on a terminal: a menu of actions. Each entry gathers what
 * it needs and then runs the ordinary command, so the menu adds no logic of
 * its own (and every action has a flag equivalent).
 */
import type { Command } from 'commander';
import { promptSelect, promptText } from './prompts.js';

interface MenuAction {
  value: string;
  name: string;
  /** Builds the command's argv, asking for what it needs. Shown only when its command exists. */
  args: () => Promise<string[]>;
}

const ask = (message: string) => promptText(message);

export const MENU_ACTIONS: MenuAction[] = [
  { value: 'list-roles', name: 'List roles', args: async () => ['list-roles'] },
  { value: 'add-role', name: 'Add a role', args: async () => ['add-role', await ask('Role name:')] },
  { value: 'passwd', name: 'Change a password', args: async () => ['passwd', await ask('Role name:')] },
  { value: 'verify', name: 'Check a password', args: async () => ['verify', await ask('Role name:')] },
  { value: 'remove-role', name: 'Remove a role', args: async () => ['remove-role', await ask('Role name:')] },
  { value: 'check-roles', name: 'Check the role file for PgBouncer traps', args: async () => ['check-roles'] },
  { value: 'verifier', name: 'Make a SCRAM verifier', args: async () => ['verifier'] },
  {
    value: 'serve',
    name: 'Serve: run a test server',
    args: async () => ['serve', '--auth', await promptText('Auth method:', { default: 'scram-sha-256' })],
  },
  {
    value: 'probe',
    name: 'Probe: log in to a server and explain',
    args: async () => ['probe', await promptText('Target (host:port, URI or conninfo):', { default: 'localhost' }), '-U', await ask('User:')],
  },
  {
    value: 'pam-check',
    name: 'Check PAM',
    args: async () => ['pam-check', '--service', await promptText('PAM service:', { default: 'postgresql' }), '--user', await ask('User:')],
  },
  { value: 'hba', name: 'Lint a pg_hba.conf', args: async () => ['hba', 'lint', await ask('pg_hba.conf path:')] },
  {
    value: 'hba check',
    name: 'Which pg_hba.conf line admits a connection',
    args: async () => ['hba', 'check', await ask('pg_hba.conf path:')],
  },
];

export async function runMenu(program: Command): Promise<void> {
  const known = new Set(program.commands.map((c) => c.name()));
  const actions = MENU_ACTIONS.filter((a) => known.has(a.value.split(' ')[0]!));
  const choice = await promptSelect('What do you want to do?', [
    ...actions.map((a) => ({ value: a.value, name: a.name })),
    { value: 'quit', name: 'Quit' },
  ]);
  if (choice === 'quit') return;
  const action = actions.find((a) => a.value === choice)!;
  await program.parseAsync(['node', 'pgauth', ...(await action.args())]);
}

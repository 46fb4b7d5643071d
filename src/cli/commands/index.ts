/**
 * The command list: every command pgauth has, in help order, each with the
 * module of its definition. program.ts registers from it and the menu is
 * built from it. A command line that names a command loads that command's
 * definition only (start-up pays for one command, not all of them); help,
 * the menu and unknown words load every definition. Each command's action
 * is loaded when it runs.
 */
import type { CommandDefinition } from '../command.js';

export interface CommandListEntry {
  /** The command word. */
  name: string;
  load: () => Promise<CommandDefinition>;
}

export const COMMANDS: readonly CommandListEntry[] = [
  { name: 'add-role', load: async () => (await import('./roles/add-role.js')).addRole },
  { name: 'passwd', load: async () => (await import('./roles/passwd.js')).passwd },
  { name: 'alter-role', load: async () => (await import('./roles/alter-role.js')).alterRole },
  { name: 'remove-role', load: async () => (await import('./roles/remove-role.js')).removeRole },
  { name: 'list-roles', load: async () => (await import('./roles/list-roles.js')).listRoles },
  { name: 'check-roles', load: async () => (await import('./roles/check-roles.js')).checkRoles },
  { name: 'verify', load: async () => (await import('./roles/verify.js')).verify },
  { name: 'export', load: async () => (await import('./roles/export.js')).exportRoles },
  { name: 'import', load: async () => (await import('./roles/import.js')).importRoles },
  { name: 'verifier', load: async () => (await import('./verifier.js')).verifier },
  { name: 'serve', load: async () => (await import('./serve.js')).serve },
  { name: 'probe', load: async () => (await import('./probe.js')).probe },
  { name: 'hba', load: async () => (await import('./hba/index.js')).hba },
  { name: 'pam-check', load: async () => (await import('./pam-check.js')).pamCheck },
  { name: 'conform', load: async () => (await import('./conform.js')).conform },
  { name: 'oauth-token', load: async () => (await import('./oauth-token.js')).oauthToken },
];

/** The definition of the command `word` names, or every definition (in list order) when it names none. */
export async function loadCommands(word?: string): Promise<CommandDefinition[]> {
  const only = COMMANDS.find((c) => c.name === word);
  return Promise.all((only ? [only] : COMMANDS).map((c) => c.load()));
}

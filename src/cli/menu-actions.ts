/**
 * The menu's entries: each gathers what its command needs (fixed choices as
 * select prompts, role names picked from the role file) and returns the argv
 * of the ordinary command, so the menu adds no logic of its own.
 */
import { promptSelect, promptText } from './prompts.js';

export interface MenuContext {
  /** Role names in the role file (empty when there is none yet). */
  roleNames: readonly string[];
}

export interface MenuAction {
  value: string;
  name: string;
  /** The command's argv, or null when there is nothing to do (said on stderr). */
  args: (ctx: MenuContext) => Promise<string[] | null>;
}

const ask = (message: string, def?: string) => promptText(message, def !== undefined ? { default: def } : {});

const SECRET_METHODS = ['scram-sha-256', 'md5', 'plain'] as const;
const SERVE_METHODS = ['scram-sha-256', 'md5', 'password', 'trust', 'reject', 'cert', 'pam'] as const;
const EXPORT_FORMATS = ['userlist', 'sql', 'json'] as const;

const pick = <T extends string>(message: string, values: readonly T[]) => promptSelect(message, values.map((v) => ({ value: v, name: v })));

/** A role of the file, chosen from a list: a name that is not there cannot be typed. */
async function pickRole(ctx: MenuContext): Promise<string | null> {
  if (ctx.roleNames.length === 0) {
    process.stderr.write('pgauth: the role file has no roles yet: add one first\n');
    return null;
  }
  return promptSelect('Role:', ctx.roleNames.map((n) => ({ value: n, name: n })));
}

const withRole = (cmd: string, extra: (name: string) => Promise<string[]> = async () => []) =>
  async (ctx: MenuContext): Promise<string[] | null> => {
    const name = await pickRole(ctx);
    return name === null ? null : [cmd, name, ...(await extra(name))];
  };

async function alterArgs(): Promise<string[]> {
  const what = await promptSelect('Change what?', [
    { value: 'login', name: 'May log in (login)' },
    { value: 'nologin', name: 'May not log in (nologin)' },
    { value: 'valid-until', name: 'Password expiry (valid until)' },
    { value: 'no-valid-until', name: 'Remove the password expiry' },
    { value: 'conn-limit', name: 'Connection limit' },
  ]);
  if (what === 'valid-until') return ['--valid-until', await ask("Valid until (YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM] or 'infinity'):")];
  if (what === 'conn-limit') return ['--conn-limit', await ask('Connection limit (-1 = none):', '-1')];
  return [`--${what}`];
}

export const MENU_ACTIONS: MenuAction[] = [
  { value: 'list-roles', name: 'List roles', args: async () => ['list-roles'] },
  {
    value: 'add-role',
    name: 'Add a role',
    args: async () => ['add-role', await ask('Role name:'), '--method', await pick('Secret kind:', SECRET_METHODS)],
  },
  { value: 'alter-role', name: "Change a role's attributes", args: withRole('alter-role', alterArgs) },
  { value: 'passwd', name: 'Change a password', args: withRole('passwd', async () => ['--method', await pick('Secret kind:', SECRET_METHODS)]) },
  { value: 'verify', name: 'Check a password', args: withRole('verify') },
  { value: 'remove-role', name: 'Remove a role', args: withRole('remove-role') },
  { value: 'check-roles', name: 'Check the role file for PgBouncer traps', args: async () => ['check-roles'] },
  { value: 'export', name: 'Export the roles', args: async () => ['export', '--format', await pick('Format:', EXPORT_FORMATS)] },
  { value: 'import', name: 'Import roles (userlist, SQL dump or JSON)', args: async () => ['import', await ask('File to import:')] },
  { value: 'verifier', name: 'Make a SCRAM verifier or md5 hash', args: async () => ['verifier', '--method', await pick('Kind:', ['scram-sha-256', 'md5'] as const)] },
  {
    value: 'serve',
    name: 'Serve: run a test server (Ctrl-C stops it)',
    args: async () => ['serve', '--auth', await pick('Auth method:', SERVE_METHODS), '--port', await ask('Port (0 = any free one):', '54320')],
  },
  {
    value: 'probe',
    name: 'Probe: log in to a server and explain',
    args: async () => ['probe', await ask('Target (host:port, URI or conninfo):', 'localhost'), '-U', await ask('User:')],
  },
  { value: 'hba lint', name: 'Lint a pg_hba.conf', args: async () => ['hba', 'lint', await ask('pg_hba.conf path:')] },
  { value: 'hba check', name: 'Which pg_hba.conf line admits a connection', args: async () => ['hba', 'check', await ask('pg_hba.conf path:')] },
  {
    value: 'pam-check',
    name: 'Check PAM',
    args: async () => ['pam-check', '--service', await ask('PAM service:', 'postgresql'), '--user', await ask('User:')],
  },
];

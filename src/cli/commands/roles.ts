/**
 * Role-file commands (SPEC §1): add-role, alter-role, passwd, remove-role,
 * list-roles, check-roles, verify, export, import. Commander wiring plus the
 * terminal side (prompts, password sources, rendering); the work itself is in
 * src/roles/commands.ts, loaded lazily so `pgauth --version` stays fast.
 */
import { Option, type Command } from 'commander';
import { CliError, usageError } from '../errors.js';
import { canPrompt, globalOptions, printJson, warn, type GlobalOptions } from '../context.js';
import { addPasswordOptions, type PasswordFlags } from '../password.js';
import type { Finding, RoleAttributes } from '../../roles/format.js';

const METHODS = ['scram-sha-256', 'md5', 'plain'] as const;
type Method = (typeof METHODS)[number];

interface CommonFlags {
  roles?: string;
  json?: boolean;
  allowUnsafePath?: boolean;
}

interface SecretFlags extends PasswordFlags {
  method?: Method;
  iterations?: string;
  secret?: string;
}

const rolesOption = (cmd: Command): Command =>
  cmd
    .option('--roles <FILE>', 'role file (default: $PGAUTH_ROLES, else ./userlist.txt)')
    .option('--allow-unsafe-path', 'use the role file even when it, a symlink to it or a folder above it is owned or writable by another user (with a warning)');

/** The path policy of the role-file layer, from the flags. */
const pathOpts = (flags: CommonFlags): { allowUnsafePath: boolean } => ({ allowUnsafePath: flags.allowUnsafePath === true });

/** The --allow-unsafe-path warnings (stderr, also with --json). */
function warnUnsafePath(findings: readonly Finding[], path: string): void {
  for (const f of findings) if (f.code === 'unsafe-path') warn(`${path}: ${f.message}`);
}
const jsonOption = (cmd: Command): Command => cmd.option('--json', 'print one JSON document on stdout');

async function rolesPath(flags: CommonFlags): Promise<string> {
  if (flags.roles !== undefined) {
    if (flags.roles === '') throw usageError('--roles: empty file name');
    return flags.roles;
  }
  const { defaultRolesPath } = await import('../../roles/store.js');
  return defaultRolesPath();
}

/** Layer errors -> CLI kinds: a missing role is "rejected" (1), an existing one a usage error (3). */
async function run<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof Error && err.name === 'RoleNotFoundError') throw new CliError('rejected', err.message);
    if (err instanceof Error && err.name === 'RoleExistsError') throw new CliError('usage', err.message);
    if (err instanceof Error && err.name === 'LiveImportError') throw new CliError((err as Error & { kind: 'rejected' | 'unreachable' }).kind, err.message);
    throw err;
  }
}

/** Warnings worth saying on every write: file permissions; others are summarized. */
function reportFindings(findings: readonly Finding[], path: string): void {
  warnUnsafePath(findings, path);
  for (const f of findings) if (f.code === 'permissions') warn(`${path}: ${f.message}`);
  const errors = findings.filter((f) => f.severity === 'error').length;
  const others = findings.filter((f) => f.line !== 0 && f.severity === 'warning').length;
  if (errors > 0) warn(`${path}: ${errors} error${errors === 1 ? '' : 's'} (PgBouncer mis-reads this file); run pgauth check-roles --roles ${path}`);
  else if (others > 0) warn(`${path}: ${others} other warning${others === 1 ? '' : 's'}; run pgauth check-roles --roles ${path}`);
}

function parseIntFlag(flag: string, value: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(value.trim()) || Number(value) < min || Number(value) > max) {
    throw usageError(`${flag}: ${JSON.stringify(value)} is not an integer from ${min} to ${max}`);
  }
  return Number(value);
}

async function parseValidUntil(value: string): Promise<string> {
  const { normalizeValidUntil } = await import('../../roles/format.js');
  const v = normalizeValidUntil(value);
  if (v === undefined) throw usageError(`--valid-until: ${JSON.stringify(value)} is not a timestamp (YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM], UTC when no zone) or 'infinity'`);
  const when = Date.parse(v);
  // PostgreSQL accepts a past VALID UNTIL too; the role then cannot log in with a password.
  if (Number.isFinite(when) && when <= Date.now()) warn(`--valid-until ${v} is in the past: the role cannot log in with a password until it is changed`);
  return v;
}

async function parseMemberOf(value: string): Promise<string[]> {
  const { memberNameProblem } = await import('../../roles/format.js');
  const names = value.split(',').map((s) => s.trim());
  for (const n of names) {
    const p = memberNameProblem(n);
    if (p) throw usageError(`--member-of: ${p}`);
  }
  return [...new Set(names)];
}

async function roleName(given: string | undefined, g: GlobalOptions): Promise<string> {
  let name = given;
  if (name === undefined) {
    if (!canPrompt(g)) throw usageError('missing role name: give NAME (no terminal to prompt on)');
    const { promptText } = await import('../prompts.js');
    name = await promptText('Role name:');
  }
  const { roleNameProblem } = await import('../../roles/format.js');
  const problem = roleNameProblem(name);
  if (problem) throw usageError(`NAME: ${problem}`);
  return name;
}

const hasPasswordSource = (f: PasswordFlags): boolean => f.passwordStdin === true || f.passwordEnv !== undefined || f.password !== undefined;

/**
 * The secret to store: a ready one from --secret (validated; checked against
 * the password when one is given too), else built from the password.
 */
async function secretFromFlags(name: string, flags: SecretFlags, g: GlobalOptions): Promise<string> {
  const secrets = await import('../../secrets/index.js');
  const method: Method = flags.method ?? 'scram-sha-256';
  if (flags.iterations !== undefined && method !== 'scram-sha-256') throw usageError('--iterations: only for --method scram-sha-256');
  const iterations = flags.iterations !== undefined ? (await import('./secrets.js')).parseIterations(flags.iterations) : undefined;
  if (flags.secret !== undefined) {
    if (iterations !== undefined) throw usageError('--iterations: not with --secret (a ready secret keeps its own iteration count)');
    const s = flags.secret;
    if (s === '') throw usageError('--secret: empty (a role with an empty secret can never log in)');
    const malformed = secrets.malformedSecretReason(s);
    if (malformed) throw usageError(`--secret: ${malformed}`);
    const parsed = secrets.parseSecret(s);
    if (parsed.kind === 'plain' && method !== 'plain') {
      throw usageError('--secret: not a SCRAM-SHA-256 verifier (SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>) or an md5 hash (md5 + 32 hex); for a plaintext password use --method plain');
    }
    if (flags.method !== undefined && parsed.kind !== method) throw usageError(`--secret: it is a ${parsed.kind} secret, not ${method}`);
    if (parsed.kind === 'plain') warn('storing a plaintext password: anyone who reads the role file can log in (prefer scram-sha-256)');
    // Like --password: an md5 hash (or a plain password) is enough to log in, and argv is visible to other users.
    if (parsed.kind !== 'scram-sha-256') warn(`--secret puts ${parsed.kind === 'md5' ? 'an md5 hash, which logs in like the password itself under md5 auth,' : 'a password'} on the command line, where other users can see it`);
    if (hasPasswordSource(flags)) {
      const password = await readPasswordFor(name, flags, g, false);
      if (!secrets.verifyPassword(password, parsed, name)) {
        const why = parsed.kind === 'md5' ? ` (md5 is salted with the role name: is it the secret of a renamed role?)` : '';
        throw usageError(`--secret: the secret does not match the given password for role ${JSON.stringify(name)}${why}`);
      }
    }
    return s;
  }
  const password = await readPasswordFor(name, flags, g, true);
  switch (method) {
    case 'scram-sha-256': {
      if (iterations === undefined) return secrets.buildScramSecret(password);
      const { PROGRESS_ITERATIONS, withProgress } = await import('./secrets.js');
      if (iterations < PROGRESS_ITERATIONS) return secrets.buildScramSecret(password, { iterations });
      return withProgress(`computing the SCRAM-SHA-256 verifier (${iterations} iterations)`, () => secrets.buildScramSecretAsync(password, { iterations }));
    }
    case 'md5':
      warn('md5 is deprecated in PostgreSQL; prefer scram-sha-256');
      return secrets.buildMd5Secret(password, name);
    case 'plain':
      warn('storing a plaintext password: anyone who reads the role file can log in (prefer scram-sha-256)');
      return password;
  }
}

async function readPasswordFor(name: string, flags: PasswordFlags, g: GlobalOptions, confirm: boolean): Promise<string> {
  const { readPassword } = await import('../password.js');
  const password = await readPassword(flags, { confirm, input: g.input, message: `Password for ${name}:` });
  if (password === '') throw usageError('empty password: PostgreSQL clients never send one and PgBouncer refuses it');
  if (password.includes('\0')) throw usageError('the password contains a NUL byte, which no PostgreSQL client can send');
  return password;
}

async function attrsFromAddFlags(flags: { validUntil?: string; nologin?: boolean; connLimit?: string; memberOf?: string }): Promise<RoleAttributes> {
  const attrs: RoleAttributes = {};
  if (flags.validUntil !== undefined) attrs.validUntil = await parseValidUntil(flags.validUntil);
  if (flags.nologin) attrs.nologin = true;
  if (flags.connLimit !== undefined) {
    const n = parseIntFlag('--conn-limit', flags.connLimit, -1, 2147483647);
    if (n >= 0) attrs.connLimit = n;
  }
  if (flags.memberOf !== undefined) attrs.memberOf = await parseMemberOf(flags.memberOf);
  return attrs;
}

function describeAttrs(a: RoleAttributes): string {
  const parts = [a.nologin ? 'nologin' : 'login'];
  if (a.validUntil) parts.push(`valid until ${a.validUntil}`);
  if (a.connLimit !== undefined) parts.push(`conn limit ${a.connLimit}`);
  if (a.memberOf?.length) parts.push(`member of ${a.memberOf.join(',')}`);
  return parts.join(', ');
}

function addSecretOptions(cmd: Command): Command {
  cmd
    .addOption(new Option('--method <METHOD>', 'secret kind (default scram-sha-256)').choices([...METHODS]))
    .option('--iterations <N>', 'SCRAM iteration count (default 4096)')
    .option('--secret <SECRET>', 'store this ready SCRAM verifier or md5 hash (validated) instead of a password');
  return cmd;
}

export function register(program: Command): void {
  const add = program.command('add-role').argument('[NAME]', 'role name (prompted for on a terminal)').description('add a role to the role file');
  rolesOption(add);
  addSecretOptions(add);
  addPasswordOptions(add);
  add
    .option('--valid-until <TIMESTAMP>', "password expiry (rolvaliduntil): ISO-8601 or 'infinity'")
    .option('--nologin', 'the role may not log in (rolcanlogin = false)')
    .option('--conn-limit <N>', 'connection limit (rolconnlimit; -1 = none)')
    .option('--member-of <ROLES>', 'comma-separated roles this role is a member of (for +group in pg_hba.conf)')
    .option('--replace', 'overwrite an existing role')
    .action(async (nameArg: string | undefined, flags: CommonFlags & SecretFlags & { validUntil?: string; nologin?: boolean; connLimit?: string; memberOf?: string; replace?: boolean }, cmd: Command) =>
      run(async () => {
        const g = globalOptions(cmd);
        const path = await rolesPath(flags);
        const attrs = await attrsFromAddFlags(flags);
        const name = await roleName(nameArg, g);
        const roles = await import('../../roles/commands.js');
        const { effectiveRoles } = await import('../../roles/format.js');
        const snap = await roles.precheckRoleFile(path, 'add a role to', pathOpts(flags));
        const existing = effectiveRoles(snap.parsed).get(name);
        if (existing && !flags.replace) throw new roles.RoleExistsError(name, path, existing.line);
        const secret = await secretFromFlags(name, flags, g);
        const result = await roles.addRole({ path, name, secret, attrs, replace: flags.replace === true, previous: snap, ...pathOpts(flags) });
        reportFindings(result.findings, path);
        if (g.json) return printJson({ action: result.action, name, method: result.method, path, attrs });
        const { print, style } = await import('../render.js');
        print(`${style.ok(result.action)} role ${style.strong(name)} (${result.method}; ${describeAttrs(attrs)}) ${result.action === 'added' ? 'to' : 'in'} ${path}`);
      }),
    );
  jsonOption(add);

  const passwd = program.command('passwd').argument('<NAME>', 'role name').description("set a role's password (keeps its attributes)");
  rolesOption(passwd);
  addSecretOptions(passwd);
  addPasswordOptions(passwd);
  jsonOption(passwd);
  passwd.action(async (name: string, flags: CommonFlags & SecretFlags, cmd: Command) =>
    run(async () => {
      const g = globalOptions(cmd);
      const path = await rolesPath(flags);
      const roles = await import('../../roles/commands.js');
      const { effectiveRoles } = await import('../../roles/format.js');
      const snap = await roles.precheckRoleFile(path, 'change a password in', pathOpts(flags));
      if (!effectiveRoles(snap.parsed).has(name)) throw new roles.RoleNotFoundError(name, path);
      const secret = await secretFromFlags(name, flags, g);
      const result = await roles.setRoleSecret({ path, name, secret, previous: snap, ...pathOpts(flags) });
      reportFindings(result.findings, path);
      if (g.json) return printJson({ action: 'changed', name, method: result.method, path });
      const { print, style } = await import('../render.js');
      print(`${style.ok('changed')} the password of ${style.strong(name)} (${result.method}) in ${path}`);
    }),
  );

  const alter = program.command('alter-role').argument('<NAME>', 'role name').description("change a role's attributes (never its secret)");
  rolesOption(alter);
  alter
    .option('--valid-until <TIMESTAMP>', "password expiry: ISO-8601 or 'infinity'")
    .option('--no-valid-until', 'remove the expiry')
    .option('--nologin', 'the role may not log in')
    .option('--login', 'the role may log in')
    .option('--conn-limit <N>', 'connection limit (-1 = none)')
    .option('--no-conn-limit', 'remove the connection limit')
    .option('--member-of <ROLES>', 'replace the role memberships (comma-separated)')
    .option('--no-member-of', 'remove all role memberships');
  jsonOption(alter);
  alter.action(
    async (
      name: string,
      flags: CommonFlags & { validUntil?: string | false; nologin?: boolean; login?: boolean; connLimit?: string | false; memberOf?: string | false },
      cmd: Command,
    ) =>
      run(async () => {
        const g = globalOptions(cmd);
        const path = await rolesPath(flags);
        if (flags.login && flags.nologin) throw usageError('--login and --nologin contradict each other');
        const validUntil = typeof flags.validUntil === 'string' ? await parseValidUntil(flags.validUntil) : flags.validUntil;
        const connLimit = typeof flags.connLimit === 'string' ? parseIntFlag('--conn-limit', flags.connLimit, -1, 2147483647) : flags.connLimit;
        const memberOf = typeof flags.memberOf === 'string' ? await parseMemberOf(flags.memberOf) : flags.memberOf;
        if (validUntil === undefined && connLimit === undefined && memberOf === undefined && !flags.login && !flags.nologin) {
          throw usageError('nothing to change: give --valid-until, --nologin/--login, --conn-limit or --member-of (or their --no- forms)');
        }
        const roles = await import('../../roles/commands.js');
        const result = await roles.alterRole({
          path,
          name,
          ...pathOpts(flags),
          change: (a) => {
            if (validUntil === false) delete a.validUntil;
            else if (validUntil !== undefined) a.validUntil = validUntil;
            if (flags.nologin) a.nologin = true;
            if (flags.login) delete a.nologin;
            if (connLimit === false || connLimit === -1) delete a.connLimit;
            else if (connLimit !== undefined) a.connLimit = connLimit;
            if (memberOf === false) delete a.memberOf;
            else if (memberOf !== undefined) a.memberOf = memberOf;
            return a;
          },
        });
        reportFindings(result.findings, path);
        if (g.json) return printJson({ action: 'altered', name, path, attrs: result.attrs });
        const { print, style } = await import('../render.js');
        print(`${style.ok('altered')} role ${style.strong(name)}: ${describeAttrs(result.attrs)}`);
      }),
  );

  const remove = program.command('remove-role').argument('<NAME>', 'role name').description('remove a role (exit 1 if it is not there)');
  rolesOption(remove);
  jsonOption(remove);
  remove.action(async (name: string, flags: CommonFlags, cmd: Command) =>
    run(async () => {
      const g = globalOptions(cmd);
      const path = await rolesPath(flags);
      const roles = await import('../../roles/commands.js');
      const result = await roles.removeRole({ path, name, ...pathOpts(flags) });
      reportFindings(result.findings, path);
      if (g.json) return printJson({ action: 'removed', name, path });
      const { print, style } = await import('../render.js');
      print(`${style.ok('removed')} role ${style.strong(name)} from ${path}`);
    }),
  );

  const list = program.command('list-roles').description('list the roles PgBouncer would load from the role file');
  rolesOption(list);
  jsonOption(list);
  list.option('--show-secrets', 'also print each stored secret');
  list.action(async (flags: CommonFlags & { showSecrets?: boolean }, cmd: Command) =>
    run(async () => {
      const g = globalOptions(cmd);
      const path = await rolesPath(flags);
      const roles = await import('../../roles/commands.js');
      const result = await roles.listRoles({ path, showSecrets: flags.showSecrets === true, ...pathOpts(flags) });
      if (g.json) {
        warnUnsafePath(result.findings, path);
        return printJson(result);
      }
      reportFindings(result.findings, path);
      const { print, printTable, style } = await import('../render.js');
      if (result.roles.length === 0) return print(style.dim(`no roles in ${path}`));
      const head = ['name', 'method', 'iterations', 'valid until', 'login', 'conn limit', 'member of'];
      if (flags.showSecrets) head.push('secret');
      const rows = result.roles.map((r) => {
        const row = [
          r.name,
          r.method === 'plain' ? style.warn('plain') : r.method === 'empty' ? style.fail('empty') : r.method,
          r.iterations === null ? '' : String(r.iterations),
          r.validUntil === null ? '' : r.expired ? style.fail(`${r.validUntil} (expired)`) : r.validUntil,
          r.login ? 'yes' : style.warn('no'),
          r.connLimit === null ? '' : String(r.connLimit),
          r.memberOf.join(','),
        ];
        if (flags.showSecrets) row.push(r.secret ?? '');
        return row;
      });
      await printTable(head, rows);
    }),
  );

  const check = program.command('check-roles').description('report what PgBouncer would mis-read in the role file (exit 1 on errors)');
  rolesOption(check);
  jsonOption(check);
  check.action(async (flags: CommonFlags, cmd: Command) =>
    run(async () => {
      const g = globalOptions(cmd);
      const path = await rolesPath(flags);
      const roles = await import('../../roles/commands.js');
      const result = await roles.checkRoles(path, pathOpts(flags));
      if (g.json) printJson(result);
      else {
        const { print, style } = await import('../render.js');
        const lines = result.findings.map((f) => {
          const where = f.line === 0 ? path : `${path}:${f.line}`;
          const sev = f.severity === 'error' ? style.fail('error') : style.warn('warning');
          return `${where}: ${sev}: ${f.message} ${style.dim(`[${f.code}]`)}`;
        });
        const errors = result.findings.filter((f) => f.severity === 'error').length;
        const warnings = result.findings.length - errors;
        lines.push(
          errors > 0
            ? style.fail(`${errors} error(s), ${warnings} warning(s) in ${path}`)
            : style.ok(`${path}: ${result.roles} role(s), no errors${warnings ? `, ${warnings} warning(s)` : ''}`),
        );
        print(lines.join('\n'));
      }
      if (!result.ok) throw new CliError('rejected', `${path} has errors`, true);
    }),
  );

  const verify = program.command('verify').argument('[NAME]', 'role name (needed for md5)').description('check a password against a role\'s stored secret (exit 0 match, 1 mismatch)');
  rolesOption(verify);
  verify.option('--verifier <SECRET>', 'check against this SCRAM verifier or md5 hash instead of the role file');
  addPasswordOptions(verify);
  jsonOption(verify);
  verify.action(async (name: string | undefined, flags: CommonFlags & PasswordFlags & { verifier?: string }, cmd: Command) =>
    run(async () => {
      const g = globalOptions(cmd);
      const secrets = await import('../../secrets/index.js');
      let secretText: string;
      let attrs: RoleAttributes = {};
      let source: string;
      if (flags.verifier !== undefined) {
        const malformed = secrets.malformedSecretReason(flags.verifier);
        if (malformed) throw usageError(`--verifier: ${malformed}`);
        secretText = flags.verifier;
        source = '--verifier';
        if (secrets.parseSecret(secretText).kind === 'plain') {
          throw usageError('--verifier: not a SCRAM-SHA-256 verifier (SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>) or an md5 hash (md5 + 32 hex)');
        }
        if (secrets.parseSecret(secretText).kind === 'md5' && name === undefined) {
          throw usageError('--verifier: an md5 secret is salted with the role name; give it: pgauth verify NAME --verifier md5...');
        }
        if (secrets.parseSecret(secretText).kind === 'md5') {
          warn('--verifier puts an md5 hash, which logs in like the password itself under md5 auth, on the command line, where other users can see it');
        }
      } else {
        if (name === undefined) throw usageError('missing role name: pgauth verify NAME (or --verifier SECRET)');
        const path = await rolesPath(flags);
        const { loadRoleFile } = await import('../../roles/index.js');
        const { roles, findings } = await loadRoleFile(path, pathOpts(flags));
        warnUnsafePath(findings, path);
        const role = roles.get(name);
        if (!role) throw new CliError('rejected', `role ${JSON.stringify(name)} is not in ${path}`);
        secretText = role.secret;
        attrs = role.attrs;
        source = `${path}:${role.line}`;
      }
      const password = await (await import('../password.js')).readPassword(flags, { confirm: false, input: g.input, message: `Password${name ? ` for ${name}` : ''}:` });
      const secret = secrets.parseSecret(secretText);
      const { PROGRESS_ITERATIONS, withProgress } = await import('./secrets.js');
      const check = (): Promise<boolean> =>
        secret.kind === 'scram-sha-256' && secret.iterations >= PROGRESS_ITERATIONS
          ? withProgress(`checking against ${secret.iterations} SCRAM iterations`, () => secrets.verifyPasswordAsync(password, secret, name ?? ''))
          : Promise.resolve(secrets.verifyPassword(password, secret, name ?? ''));
      const match = secretText !== '' && password !== '' && (await check());
      const { isExpired } = await import('../../roles/index.js');
      const result = {
        name: name ?? null,
        match,
        method: secretText === '' ? 'empty' : secret.kind,
        source,
        expired: isExpired(attrs),
        login: !attrs.nologin,
      };
      if (g.json) printJson(result);
      else {
        const { print, style } = await import('../render.js');
        const who = name ? `role ${style.strong(name)}` : 'the verifier';
        let text = match ? `${style.ok('match')}: the password matches ${who} (${result.method})` : `${style.fail('no match')}: the password does not match ${who} (${result.method})`;
        if (match && result.expired) text += style.warn(`; but the password expired at ${attrs.validUntil}`);
        if (match && !result.login) text += style.warn('; but the role may not log in (nologin)');
        print(text);
      }
      if (!match) throw new CliError('rejected', 'password does not match', true);
    }),
  );

  const exp = program.command('export').description('print the roles as a PgBouncer userlist, SQL for PostgreSQL, or JSON');
  rolesOption(exp);
  exp.addOption(new Option('--format <FORMAT>', 'output format').choices(['userlist', 'sql', 'json']).default('userlist'));
  exp.action(async (flags: CommonFlags & { format: 'userlist' | 'sql' | 'json' }) =>
    run(async () => {
      const path = await rolesPath(flags);
      const roles = await import('../../roles/commands.js');
      const result = await roles.exportRoles({ path, format: flags.format, ...pathOpts(flags) });
      reportFindings(result.findings, path);
      for (const s of result.skipped) warn(`role ${JSON.stringify(s.name)} left out: ${s.reason}`);
      process.stdout.write(result.text);
    }),
  );

  const imp = program
    .command('import')
    .argument('<SOURCE>', "a PgBouncer userlist, pg_dumpall --roles-only SQL ('-' = stdin), or a postgresql:// URI")
    .description('import roles into the role file (reports added, replaced, skipped)');
  rolesOption(imp);
  imp.option('--replace', 'overwrite roles that already exist');
  imp.option('--import-unreadable-as-nologin', 'SQL: import a role whose VALID UNTIL pgauth cannot read as nologin (default: skip it)');
  imp.option('--keep-plaintext', 'SQL: keep a plaintext PASSWORD as is (default: store a SCRAM-SHA-256 verifier, as PostgreSQL does)');
  addPasswordOptions(imp);
  jsonOption(imp);
  imp.action(async (source: string, flags: CommonFlags & PasswordFlags & ImportFlags, cmd: Command) =>
    run(async () => {
      const g = globalOptions(cmd);
      const path = await rolesPath(flags);
      const roles = await import('../../roles/commands.js');
      warnUnsafePath((await roles.precheckRoleFile(path, 'import into', pathOpts(flags))).findings, path);
      let found: { kind: 'userlist' | 'sql' | 'server'; roles: import('../../roles/index.js').RoleRecord[]; skipped: Array<{ name: string; reason: string }>; warnings: string[] };
      if (/^postgres(ql)?:\/\//i.test(source)) {
        const password = hasPasswordSource(flags) ? await (await import('../password.js')).readPassword(flags, { confirm: false, input: g.input }) : undefined;
        const { fetchRolesFromServer, redactUri, uriHasPassword } = await import('../../probe/import-live.js');
        if (uriHasPassword(source)) {
          warn('the password in the URI is on the command line, where other users can see it; prefer --password-stdin, PGPASSWORD or ~/.pgpass');
        }
        const records = await fetchRolesFromServer(source, password !== undefined ? { password } : {});
        found = { kind: 'server', roles: records, skipped: [], warnings: [] };
        source = redactUri(source);
      } else {
        const opts = { unreadableAsNologin: flags.importUnreadableAsNologin === true, keepPlaintext: flags.keepPlaintext === true };
        found = roles.rolesFromSource(await readSource(source), source === '-' ? 'stdin' : source, opts);
      }
      const report = await roles.mergeRoles({ path, source, replace: flags.replace === true, ...found, ...pathOpts(flags) });
      for (const w of report.warnings) warn(w);
      if (g.json) return printJson(report);
      const { print, style } = await import('../render.js');
      const lines = [`${style.strong(`import from ${report.source}`)} (${report.kind}) into ${path}:`];
      lines.push(`  ${style.ok('added')}    ${report.added.length ? report.added.join(', ') : style.dim('none')}`);
      lines.push(`  ${style.ok('replaced')} ${report.replaced.length ? report.replaced.join(', ') : style.dim('none')}`);
      lines.push(`  ${style.warn('skipped')}  ${report.skipped.length ? '' : style.dim('none')}`);
      for (const s of report.skipped) lines.push(`    ${s.name}: ${s.reason}`);
      print(lines.join('\n'));
    }),
  );
}

interface ImportFlags {
  replace?: boolean;
  importUnreadableAsNologin?: boolean;
  keepPlaintext?: boolean;
}

/** Import sources are bounded like role files. */
async function readSource(source: string): Promise<Buffer> {
  const { MAX_ROLE_FILE_BYTES, RoleFileError } = await import('../../roles/store.js');
  if (source === '-') {
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of process.stdin) {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      total += b.length;
      if (total > MAX_ROLE_FILE_BYTES) throw new RoleFileError(`stdin: more than ${MAX_ROLE_FILE_BYTES} bytes`);
      chunks.push(b);
    }
    return Buffer.concat(chunks);
  }
  const { readFileBounded } = await import('../../files/read-bounded.js');
  try {
    return readFileBounded(source, MAX_ROLE_FILE_BYTES);
  } catch (err) {
    throw new RoleFileError(`cannot read ${source}: ${(err as Error).message}`, source);
  }
}


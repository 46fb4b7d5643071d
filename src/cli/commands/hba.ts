/**
 * `pgauth hba check` and `pgauth hba lint` (SPEC §5). Commander wiring here;
 * the engine (src/hba) and the renderer are loaded when a command runs.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { usageError } from '../errors.js';
import { andMore } from '../../files/wording.js';
import type { ConnectionFacts } from '../../hba/decision.js';
import type { HbaFileRulesRow, MismatchReason } from '../../hba/index.js';
import type { HbaFinding } from '../../hba/lint.js';

export interface HbaCheckOptions {
  file: string;
  user: string;
  database: string;
  /** Client IP for a TCP connection; undefined with local. */
  addr?: string;
  local: boolean;
  ssl: boolean;
  replication: boolean;
  /** Role file for +group / samerole; undefined: ./userlist.txt or PGAUTH_ROLES when present. */
  roles?: string;
  /** --allow-unsafe-path: read a role file another user could change (with a warning). */
  allowUnsafeRolesPath?: boolean;
  /** Method for the proposed line. */
  method: string;
}

export interface HbaCheckResult {
  file: string;
  connection: { type: 'local' | 'host'; address: string | null; ssl: boolean; user: string; database: string; replication: boolean };
  decision: 'method' | 'reject' | 'no-entry';
  method: string | null;
  options: Record<string, string>;
  /** The deciding line. */
  line: { file: string; lineNumber: number; ruleNumber: number; text: string } | null;
  /** PostgreSQL's FATAL message for reject / no entry, else null. */
  message: string | null;
  /** A line that would admit the connection (for reject: to put before the rejecting line). */
  proposedLine: string | null;
  /** Rules tried before the decision, each with the first field that did not match. */
  skipped: Array<{ file: string; lineNumber: number; reason: MismatchReason; text: string }>;
  rolesFile: string | null;
  /** For a refused TCP connection without TLS: the line that would admit it over TLS (PostgreSQL's "requires TLS" case), else null. */
  withSsl: { method: string; lineNumber: number; file: string } | null;
}

const REASON_TEXT: Record<MismatchReason, string> = {
  'connection-type': 'connection type (local vs host)',
  ssl: 'SSL state (hostssl/hostnossl)',
  gssenc: 'GSSAPI encryption state (hostgssenc/hostnogssenc)',
  address: 'client address',
  database: 'database',
  user: 'user',
};

export async function hbaCheck(o: HbaCheckOptions): Promise<HbaCheckResult> {
  const { usageError } = await import('../errors.js');
  if (o.local === (o.addr !== undefined)) throw usageError('give exactly one of --addr IP or --local');
  if (o.local && o.ssl) throw usageError('--ssl needs a TCP connection (--addr), not --local');
  const hba = await import('../../hba/index.js');
  const { isIP } = await import('node:net');
  if (o.addr !== undefined && !isIP(o.addr)) throw usageError(`--addr must be a numeric IP address, not "${o.addr}"`);
  if (o.method === 'reject') throw usageError('--method reject would not admit the connection: give the method for the proposed line');

  const remoteAddress = o.addr ?? null;
  const facts: ConnectionFacts = {
    transport: o.local ? 'unix' : 'tcp',
    remoteAddress,
    ssl: o.ssl,
    gssenc: false,
    user: o.user,
    database: o.database,
    replication: o.replication,
  };
  // The proposed line must be one PostgreSQL would load (peer only on local, cert only on hostssl, ...).
  const methodError = hba.hbaLineError(hba.proposeHbaLine(facts, o.method));
  if (methodError) throw usageError(`--method ${o.method}: ${methodError}`);

  const file = await hba.loadHbaFile(o.file);
  const err = hba.firstError(file);
  if (err) {
    err.message = `${err.message} — PostgreSQL would refuse to load this file (see \`pgauth hba lint ${o.file}\`)`;
    throw err;
  }

  // Role memberships for +group and samerole.
  let groupsOf = (_role: string): string[] => [];
  let roleExists: ((r: string) => boolean) | undefined;
  let rolesFile: string | null = null;
  const rolesPath = o.roles ?? process.env.PGAUTH_ROLES ?? (existsSync('userlist.txt') ? 'userlist.txt' : undefined);
  if (rolesPath !== undefined) {
    const { loadRoleFile } = await import('../../roles/index.js');
    const { roles, findings } = await loadRoleFile(rolesPath, { allowUnsafePath: o.allowUnsafeRolesPath === true });
    const { warn } = await import('../context.js');
    for (const f of findings) if (f.code === 'unsafe-path') warn(`${rolesPath}: ${f.message}`);
    // As serve does: a role file PgBouncer would mis-read gives no trustworthy memberships.
    const bad = findings.filter((f) => f.severity === 'error');
    if (bad.length > 0) {
      throw usageError(`${rolesPath}:${bad[0]!.line}: ${bad[0]!.message}${andMore(bad.length - 1, 'error')} (--roles)`);
    }
    rolesFile = rolesPath;
    const known = new Set<string>(roles.keys());
    for (const r of roles.values()) for (const g of r.attrs.memberOf ?? []) known.add(g);
    groupsOf = (role) => roles.get(role)?.attrs.memberOf ?? [];
    roleExists = (role) => known.has(role);
  }

  const needsDns = remoteAddress !== null && file.rules.some((r) => r.address?.kind === 'hostname');
  const resolver = needsDns ? await hba.prepareSystemResolver(remoteAddress) : undefined;
  const verdicts = hba.explainHba(file.rules, facts, groupsOf, {
    ...(resolver ? { resolver } : {}),
    ...(roleExists ? { roleExists } : {}),
  });
  const decision = hba.decisionOf(verdicts);
  let withSsl: HbaCheckResult['withSsl'] = null;
  if (decision.kind !== 'method' && facts.transport === 'tcp' && !facts.ssl) {
    const tls = hba.matchHba(file, { ...facts, ssl: true }, groupsOf, { ...(resolver ? { resolver } : {}), ...(roleExists ? { roleExists } : {}) });
    if (tls.kind === 'method') withSsl = { method: tls.method, lineNumber: tls.line!, file: tls.file! };
  }
  const last = verdicts.at(-1);
  const matched = last?.matched ? last.rule : undefined;
  const skipped = verdicts
    .filter((v) => !v.matched)
    .map((v) => ({ file: v.rule.file, lineNumber: v.rule.lineNumber, reason: v.reason!, text: v.rule.rawLine.trim() }));
  return {
    file: o.file,
    connection: { type: o.local ? 'local' : 'host', address: remoteAddress, ssl: o.ssl, user: o.user, database: o.database, replication: o.replication },
    decision: decision.kind,
    method: decision.kind === 'method' ? decision.method : decision.kind === 'reject' ? 'reject' : null,
    options: decision.kind === 'method' ? { ...decision.options } : {},
    line: matched ? { file: matched.file, lineNumber: matched.lineNumber, ruleNumber: matched.ruleNumber, text: matched.rawLine.trim() } : null,
    message: decision.kind === 'method' ? null : hba.hbaRejectMessage(facts, decision.kind),
    proposedLine: decision.kind === 'method' ? null : hba.proposeHbaLine(facts, o.method),
    skipped,
    rolesFile,
    withSsl,
  };
}

export interface HbaLintResult {
  file: string;
  /** The file was initdb's template and was read as initdb writes it. */
  template: boolean;
  errors: number;
  rules: number;
  /** One row per line, as the pg_hba_file_rules view (PostgreSQL 16 columns). */
  lines: HbaFileRulesRow[];
  /** The warning findings in the older shape [{file, line, message}] (kept for compatibility). */
  warnings: Array<{ file: string; line: number; message: string }>;
  /** Errors and warnings, each with a rule id and a fix (as check-roles --json); `file` only when includes are involved. */
  findings: Array<Omit<HbaFinding, 'file'> & { file?: string }>;
}

/** serverVersion: the PostgreSQL major whose texts and methods to use (default the newest, 18). */
export async function hbaLint(path: string, opts: { serverVersion?: number } = {}): Promise<HbaLintResult> {
  const hba = await import('../../hba/index.js');
  const file = await hba.loadHbaFile(path, { renderTemplate: true, ...(opts.serverVersion !== undefined ? { serverVersion: opts.serverVersion } : {}) });
  const { lintHba } = await import('../../hba/lint.js');
  const all = lintHba(file);
  const multiFile = all.some((f) => f.file !== path) || file.lines.some((l) => l.file !== path);
  const findings = all.map(({ file: f, ...rest }) => ({ ...rest, ...(multiFile ? { file: f } : {}) }));
  const warnings = all.filter((f) => f.severity === 'warning').map((f) => ({ file: f.file, line: f.line, message: f.message }));
  return { file: path, template: file.template, errors: file.errors.length, rules: file.rules.length, lines: hba.hbaFileRules(file), warnings, findings };
}

async function renderCheck(r: HbaCheckResult): Promise<string> {
  const { style } = await import('../render.js');
  const conn = r.connection;
  const who = `user "${conn.user}", database "${conn.database}"${conn.replication ? ' (replication)' : ''}, ${
    conn.type === 'local' ? 'local socket' : `host ${conn.address}${conn.ssl ? ' with SSL' : ' without SSL'}`
  }`;
  const out: string[] = [`Connection: ${who}`];
  if (r.decision === 'method') {
    const l = r.line!;
    out.push(`${style.ok('matches')} ${l.file}:${l.lineNumber}: ${style.strong(l.text)}`);
    out.push(`method: ${style.strong(r.method!)}`);
    const opts = Object.entries(r.options);
    if (opts.length > 0) out.push(`options: ${opts.map(([k, v]) => `${k}=${v}`).join(' ')}`);
  } else if (r.decision === 'reject') {
    const l = r.line!;
    out.push(`${style.fail('rejected')} by ${l.file}:${l.lineNumber}: ${style.strong(l.text)}`);
    out.push(`PostgreSQL says: ${r.message}`);
    out.push(`To admit it, put this line before line ${l.lineNumber}:`);
    out.push(`  ${style.strong(r.proposedLine!)}`);
  } else {
    out.push(`${style.fail('no matching line')}`);
    out.push(`PostgreSQL says: ${r.message}`);
    out.push('To admit it, add:');
    out.push(`  ${style.strong(r.proposedLine!)}`);
  }
  if (r.withSsl) {
    out.push(style.warn(`Over TLS it would be admitted by ${r.withSsl.file}:${r.withSsl.lineNumber} (${r.withSsl.method}): connect with sslmode=require.`));
  }
  if (r.skipped.length > 0) {
    out.push(style.dim('Lines tried first:'));
    for (const s of r.skipped) out.push(style.dim(`  ${s.file}:${s.lineNumber}: ${s.text}  (${REASON_TEXT[s.reason]} does not match)`));
  }
  return out.join('\n');
}

async function renderLint(r: HbaLintResult): Promise<string> {
  const { style, table } = await import('../render.js');
  const cell = (v: string | string[] | number | null) => (v === null ? '' : Array.isArray(v) ? v.join(',') : String(v));
  const rows = r.lines.map((l) => [
    cell(l.line_number),
    l.error !== null ? style.fail('error') : cell(l.type),
    cell(l.database),
    cell(l.user_name),
    cell(l.address),
    cell(l.netmask),
    cell(l.auth_method),
    cell(l.options),
    l.error !== null ? style.fail(l.error) : '',
  ]);
  const multiFile = new Set(r.lines.map((l) => l.file_name)).size > 1;
  if (multiFile) r.lines.forEach((l, i) => (rows[i]![0] = `${l.file_name}:${cell(l.line_number)}`));
  const summary =
    r.errors === 0
      ? style.ok(`${r.rules} rule${r.rules === 1 ? '' : 's'}, no errors`)
      : style.fail(`${r.errors} error${r.errors === 1 ? '' : 's'}`) + ` (PostgreSQL would not load this file)`;
  const findings = r.findings.map((f) => {
    const where = `${f.file ?? r.file}${f.line === 0 ? '' : `:${f.line}`}`;
    const sev = f.severity === 'error' ? style.fail('error') : style.warn('warning');
    return `${where}: ${sev}: ${f.message} ${style.dim(`[${f.code}]`)}\n  fix: ${f.fix}`;
  });
  const nWarn = r.warnings.length;
  const tail = nWarn > 0 ? style.warn(`, ${nWarn} warning${nWarn === 1 ? '' : 's'}`) : '';
  return [table(['line', 'type', 'database', 'user', 'address', 'netmask', 'method', 'options', 'error'], rows), ...findings, summary + tail].join('\n');
}

export function register(program: Command): void {
  const hba = program
    .command('hba')
    .description('pg_hba.conf: which line admits a connection, and a linter')
    .action(function (this: Command) {
      process.stderr.write(this.helpInformation());
      throw usageError('hba needs a subcommand: check or lint');
    });

  hba
    .command('check')
    .description('which pg_hba.conf line matches a connection, its method and options, or the line to add')
    .argument('<file>', 'pg_hba.conf to read (include and @file are followed)')
    .option('--user <name>', 'user name of the connection (asked on a terminal when missing)')
    .option('--db <name>', 'database name (default: the user name, as PostgreSQL does)')
    .option('--addr <ip>', 'client IP address of a TCP connection (--addr or --local; asked on a terminal when both are missing)')
    .option('--local', 'a Unix-socket connection', false)
    .option('--ssl', 'the TCP connection uses TLS', false)
    .option('--replication', 'a physical replication connection (matches only the replication keyword)', false)
    .option('--roles <file>', 'role file for +group and samerole (member-of=); default PGAUTH_ROLES or ./userlist.txt when present')
    .option('--allow-unsafe-path', 'read the role file even when it, a symlink to it or a folder above it is owned or writable by another user (with a warning)')
    .option('--method <method>', 'method for the proposed line', 'scram-sha-256')
    .option('--json', 'print one JSON document')
    .action(async function (this: Command, file: string, flags: Record<string, unknown>) {
      const { globalOptions, printJson, canPrompt } = await import('../context.js');
      const { CliError } = await import('../errors.js');
      const g = globalOptions(this);
      // SPEC §0: a missing value is asked for on a terminal, and is a usage error naming the flag otherwise.
      let user = typeof flags.user === 'string' ? flags.user : undefined;
      let addr = typeof flags.addr === 'string' ? flags.addr : undefined;
      let local = flags.local === true;
      if (user === undefined || (addr === undefined && !local)) {
        if (!canPrompt(g)) {
          throw usageError(user === undefined ? 'missing --user NAME (the user name of the connection)' : 'missing --addr IP or --local (how the client connects)');
        }
        const { promptText } = await import('../prompts.js');
        user ??= await promptText('User name:', { required: true });
        if (addr === undefined && !local) {
          const answer = (await promptText('Client IP address (or "local" for a Unix socket):', { required: true })).trim();
          if (answer === 'local') local = true;
          else addr = answer;
        }
      }
      const result = await hbaCheck({
        file,
        user,
        database: typeof flags.db === 'string' ? flags.db : user,
        ...(addr !== undefined ? { addr } : {}),
        local,
        ssl: flags.ssl === true,
        replication: flags.replication === true,
        ...(typeof flags.roles === 'string' ? { roles: flags.roles } : {}),
        allowUnsafeRolesPath: flags.allowUnsafePath === true,
        method: String(flags.method),
      });
      if (g.json) printJson(result);
      else {
        const { print } = await import('../render.js');
        print(await renderCheck(result));
      }
      if (result.decision !== 'method') throw new CliError('rejected', result.message ?? 'rejected', true);
    });

  hba
    .command('lint')
    .description('parse every line like the pg_hba_file_rules view and lint it; exit 1 on any error (or warning with --strict)')
    .argument('<file>', 'pg_hba.conf to read (include and @file are followed)')
    .option('--server-version <major>', 'read the file as this PostgreSQL major does (14 to 18: oauth lines and some messages are 18\'s)', '18')
    .option('--strict', 'warnings fail too (exit 1)', false)
    .option('--json', 'print one JSON document')
    .action(async function (this: Command, file: string) {
      const { globalOptions, printJson, warn } = await import('../context.js');
      const { CliError } = await import('../errors.js');
      const g = globalOptions(this);
      const text = String(this.opts<{ serverVersion: string }>().serverVersion);
      if (!/^1[4-8]$/.test(text)) throw new CliError('usage', `--server-version: "${text}" is not a PostgreSQL major from 14 to 18`);
      const result = await hbaLint(file, { serverVersion: Number(text) });
      if (result.template) warn(`${file} is initdb's template: read as initdb writes it (local peer, host scram-sha-256)`);
      if (g.json) printJson(result);
      else {
        const { print } = await import('../render.js');
        print(await renderLint(result));
      }
      if (result.errors > 0) throw new CliError('rejected', `${result.errors} error(s) in ${file}`, true);
      if (this.opts<{ strict: boolean }>().strict && result.warnings.length > 0) {
        throw new CliError('rejected', `${result.warnings.length} warning(s) in ${file} (--strict)`, true);
      }
    });
}

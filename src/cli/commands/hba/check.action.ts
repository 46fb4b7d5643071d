/** `pgauth hba check`: the connection from flags (asked for on a terminal), the engine, then the verdict. */
import type { Command } from 'commander';
import { canPrompt, globalOptions, printJson, type GlobalOptions } from '../../context.js';
import { CliError, usageError } from '../../errors.js';
import { print, style } from '../../render.js';
import type { MismatchReason } from '../../../hba/index.js';
import { hbaCheck, type HbaCheckOptions, type HbaCheckResult } from './check-connection.js';
import type { PasswordFlags } from '../../password.js';
import { isServerUri, readLive } from '../roles/live.js';

const REASON_TEXT: Record<MismatchReason, string> = {
  'connection-type': 'connection type (local vs host)',
  ssl: 'SSL state (hostssl/hostnossl)',
  gssenc: 'GSSAPI encryption state (hostgssenc/hostnogssenc)',
  address: 'client address',
  database: 'database',
  user: 'user',
};

function renderCheck(r: HbaCheckResult): string {
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
  const unknown = new Set(r.membershipsUnknown.map((u) => `${u.file}:${u.lineNumber}`));
  if (r.skipped.length > 0) {
    out.push(style.dim('Lines tried first:'));
    for (const s of r.skipped) {
      const why = unknown.has(`${s.file}:${s.lineNumber}`) ? 'memberships unknown: taken as not matching' : `${REASON_TEXT[s.reason]} does not match`;
      out.push(style.dim(`  ${s.file}:${s.lineNumber}: ${s.text}  (${why})`));
    }
  }
  if (r.membershipsUnknown.length > 0) out.push(...membershipsUnknownLines(r));
  return out.join('\n');
}

/** Lines that need +group/samerole memberships nobody gave: say so, and how to give them. */
function membershipsUnknownLines(r: HbaCheckResult): string[] {
  const n = r.membershipsUnknown.length;
  return [
    style.warn(`Memberships unknown: ${n === 1 ? 'a line uses' : `${n} lines use`} +group or samerole and no role file was given, so ${n === 1 ? 'it was' : 'they were'} taken as not matching:`),
    ...r.membershipsUnknown.map((u) => `  ${u.file}:${u.lineNumber}: ${u.text}`),
    `Give the memberships with --roles FILE (a role file with member-of=) or read them from a live server with --roles postgresql://USER@HOST/DB.`,
  ];
}

interface CheckFlags extends PasswordFlags {
  user?: string;
  db?: string;
  addr?: string;
  local: boolean;
  ssl: boolean;
  replication: boolean;
  roles?: string;
  allowUnsafePath?: boolean;
  method: string;
}

/**
 * The user and how the client connects: from the flags, else asked for on a
 * terminal, else a usage error naming the flag (SPEC §0).
 */
async function whoAndHow(flags: CheckFlags, cmd: Command): Promise<{ user: string; addr?: string; local: boolean }> {
  let user = flags.user;
  let addr = flags.addr;
  let local = flags.local === true;
  if (user === undefined || (addr === undefined && !local)) {
    if (!canPrompt(globalOptions(cmd))) {
      throw usageError(user === undefined ? 'missing --user NAME (the user name of the connection)' : 'missing --addr IP or --local (how the client connects)');
    }
    const { promptText } = await import('../../prompts.js');
    user ??= await promptText('User name:', { required: true });
    if (addr === undefined && !local) {
      const answer = (await promptText('Client IP address (or "local" for a Unix socket):', { required: true })).trim();
      if (answer === 'local') local = true;
      else addr = answer;
    }
  }
  return { user, ...(addr !== undefined ? { addr } : {}), local };
}

/** --roles postgresql://...: every role and its memberships, read like import does (the password from the flags, PGPASSWORD, ~/.pgpass or a prompt). */
function liveMemberships(uri: string, flags: CheckFlags, g: GlobalOptions): Promise<NonNullable<HbaCheckOptions['live']>> {
  return readLive(uri, flags, g, async (live, opts) => ({ source: live.redactUri(uri), ...(await live.fetchMembershipsFromServer(uri, opts)) }));
}

export async function run(file: string, flags: CheckFlags, cmd: Command): Promise<void> {
  const g = globalOptions(cmd);
  const live = typeof flags.roles === 'string' && isServerUri(flags.roles);
  // The password flags serve only a live server's login: silently ignored they would mislead.
  if (!live && (flags.passwordStdin || flags.passwordEnv !== undefined)) {
    throw usageError('--password-stdin and --password-env go with --roles postgresql://... (reading memberships from a live server)');
  }
  const { user, addr, local } = await whoAndHow(flags, cmd);
  const result = await hbaCheck({
    file,
    user,
    database: typeof flags.db === 'string' ? flags.db : user,
    ...(addr !== undefined ? { addr } : {}),
    local,
    ssl: flags.ssl === true,
    replication: flags.replication === true,
    ...(typeof flags.roles === 'string' && !isServerUri(flags.roles) ? { roles: flags.roles } : {}),
    ...(typeof flags.roles === 'string' && isServerUri(flags.roles) ? { live: await liveMemberships(flags.roles, flags, g) } : {}),
    allowUnsafeRolesPath: flags.allowUnsafePath === true,
    method: String(flags.method),
  });
  if (g.json) printJson(result);
  else print(renderCheck(result));
  if (result.decision !== 'method') throw new CliError('rejected', result.message ?? 'rejected', true);
}

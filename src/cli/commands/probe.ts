/**
 * `pgauth probe [TARGET]`: log in like libpq, show every step, explain a
 * failure. Commander wiring and rendering here; the work is in src/probe,
 * loaded lazily so `pgauth --version` stays fast.
 */
import type { Command } from 'commander';
import type { ProbeResult } from '../../probe/probe.js';
import type { AuthMethodName } from '../../probe/conninfo.js';
import { canPrompt, globalOptions, printJson, warn } from '../context.js';
import { CliError, usageError } from '../errors.js';
import { addPasswordOptions, readPassword, type PasswordFlags } from '../password.js';

interface ProbeFlags extends Omit<PasswordFlags, 'password'> {
  /** A string from --password VALUE, or false from --no-password. */
  password?: string | false;
  host?: string;
  port?: string;
  username?: string;
  dbname?: string;
  W?: boolean;
  trace?: boolean;
  json?: boolean;
  expectAuth?: string;
  expectTls?: boolean;
  expectChannelBinding?: boolean;
  expectFailure?: boolean;
  expectProtocol?: string;
  grease?: boolean;
  maxIterations?: string;
  oauthTokenEnv?: string;
  oauthTokenStdin?: boolean;
}

/** The bearer token from --oauth-token-env or --oauth-token-stdin (never argv). */
async function readOAuthToken(flags: ProbeFlags): Promise<{ value: string; source: string } | undefined> {
  if (flags.oauthTokenStdin && flags.oauthTokenEnv !== undefined) throw usageError('--oauth-token-stdin and --oauth-token-env exclude each other');
  if (flags.oauthTokenStdin && flags.passwordStdin) throw usageError('--oauth-token-stdin and --password-stdin both read stdin: give one of them by --password-env / --oauth-token-env');
  if (flags.oauthTokenEnv !== undefined) {
    const value = process.env[flags.oauthTokenEnv];
    if (value === undefined || value === '') throw usageError(`--oauth-token-env ${flags.oauthTokenEnv}: the variable is not set or empty`);
    return { value, source: `env ${flags.oauthTokenEnv}` };
  }
  if (flags.oauthTokenStdin) {
    const { readFirstLineOfStdin } = await import('../password.js');
    const value = (await readFirstLineOfStdin(process.stdin, '--oauth-token-stdin')).trim();
    if (value === '') throw usageError('--oauth-token-stdin: the first line of stdin is empty');
    return { value, source: 'stdin' };
  }
  return undefined;
}

export function register(program: Command): void {
  const cmd = program
    .command('probe')
    .argument('[TARGET]', 'host[:port], a postgresql:// URI, or a key=value conninfo string')
    .description('log in to a PostgreSQL-protocol server like libpq, show each step and diagnose a failure')
    .helpOption('--help', 'display help for command')
    .option('-h, --host <HOST>', 'server host, socket directory, or a comma list (PGHOST)')
    .option('-p, --port <PORT>', 'server port (PGPORT)')
    .option('-U, --username <USER>', 'user name (PGUSER)')
    .option('-d, --dbname <DB>', 'database name, or a conninfo string (PGDATABASE)')
    .option('-W', 'ask for the password before connecting (psql -W)');
  addPasswordOptions(cmd);
  cmd
    .option('--no-password', 'send no secret: discover which method the server asks for, then disconnect')
    .option('--trace', 'show every protocol message both ways (secrets redacted)')
    .option('--expect-auth <METHODS>', 'exit 4 unless the server asks for one of these methods (none,password,md5,scram-sha-256,gss,sspi,oauth)')
    .option('--expect-tls', 'exit 4 unless the session uses TLS')
    .option('--expect-channel-binding', 'exit 4 unless SCRAM-SHA-256-PLUS channel binding is used')
    .option('--expect-failure', 'exit 0 only when the login is refused (exit 4 otherwise)')
    .option('--expect-protocol <VERSION>', 'exit 4 unless the session uses this protocol version (3.0 or 3.2)')
    .option('--grease', "ask for protocol 3.9999 with _pq_.test_protocol_negotiation, as PostgreSQL 19's libpq does, and check the target negotiates it")
    .option('--oauth-token-env <VAR>', 'OAuth (PostgreSQL 18): send the bearer token in environment variable VAR')
    .option('--oauth-token-stdin', 'OAuth: send the bearer token read from the first line of stdin')
    .option('--max-iterations <N>', 'refuse SCRAM iteration counts above N (default 10000000)')
    .option('--json', 'print the result as one JSON document')
    .action(async function (this: Command, target: string | undefined, flags: ProbeFlags) {
      const g = globalOptions(this);
      const json = g.json || flags.json === true;
      const { resolveConnParams, AUTH_METHOD_NAMES } = await import('../../probe/conninfo.js');
      const params = resolveConnParams({
        ...(target !== undefined ? { target } : {}),
        flags: {
          ...(flags.host !== undefined ? { host: flags.host } : {}),
          ...(flags.port !== undefined ? { port: flags.port } : {}),
          ...(flags.username !== undefined ? { user: flags.username } : {}),
          ...(flags.dbname !== undefined ? { dbname: flags.dbname } : {}),
        },
      });
      if (params.sources.password === 'target' || params.sources.password === 'flag') {
        warn('the password in TARGET is on the command line, where other users can see it; prefer --password-stdin, PGPASSWORD or ~/.pgpass');
      }
      let expectAuth: AuthMethodName[] | undefined;
      if (flags.expectAuth !== undefined) {
        expectAuth = flags.expectAuth.split(',').map((s) => s.trim()) as AuthMethodName[];
        for (const m of expectAuth) {
          if (!(AUTH_METHOD_NAMES as readonly string[]).includes(m)) throw usageError(`--expect-auth: unknown method "${m}" (use ${AUTH_METHOD_NAMES.join(', ')})`);
        }
      }
      let maxIterations: number | undefined;
      if (flags.maxIterations !== undefined) {
        if (!/^\d+$/.test(flags.maxIterations) || Number(flags.maxIterations) < 1) throw usageError('--max-iterations: expected a positive integer');
        maxIterations = Number(flags.maxIterations);
      }
      if (flags.expectProtocol !== undefined && !['3.0', '3.2'].includes(flags.expectProtocol)) {
        throw usageError(`--expect-protocol: unknown protocol version "${flags.expectProtocol}" (use 3.0 or 3.2)`);
      }
      const noPassword = flags.password === false;
      if (noPassword && flags.W) throw usageError('-W and --no-password contradict each other');

      // Passwords: pgauth's flags first, then libpq's sources (conninfo, PGPASSWORD, .pgpass), then a prompt.
      let password: { value: string; source: string } | undefined;
      const pwFlags: PasswordFlags = {
        ...(flags.passwordStdin ? { passwordStdin: true } : {}),
        ...(flags.passwordEnv !== undefined ? { passwordEnv: flags.passwordEnv } : {}),
        ...(typeof flags.password === 'string' ? { password: flags.password } : {}),
      };
      if (!noPassword && (pwFlags.passwordStdin || pwFlags.passwordEnv !== undefined || pwFlags.password !== undefined)) {
        const value = await readPassword(pwFlags, { confirm: false, input: g.input });
        const source = pwFlags.passwordStdin ? 'stdin' : pwFlags.passwordEnv !== undefined ? `env ${pwFlags.passwordEnv}` : 'argv';
        password = { value, source };
      }
      // Progress on a terminal only (SPEC §0), on stderr, erased before prompts and at the end.
      const showProgress = !json && process.stderr.isTTY === true;
      let progressShown = false;
      const clearProgress = () => {
        if (progressShown) process.stderr.write('\r\x1b[2K');
        progressShown = false;
      };
      const onProgress = (text: string) => {
        if (!showProgress) return;
        process.stderr.write(`\r\x1b[2K${text}`);
        progressShown = true;
      };
      const prompt = async () => {
        clearProgress();
        const { promptPassword } = await import('../prompts.js');
        return promptPassword(`Password for user ${params.user}:`);
      };
      // The shared prompts draw on stderr (as psql's do), so `--json > file` on a terminal can still ask.
      const mayPrompt = canPrompt(g);
      if (flags.W && !password) {
        if (!mayPrompt) throw usageError('-W needs a terminal to ask on; use --password-stdin or --password-env VAR');
        password = { value: await prompt(), source: 'prompt' };
      }

      const oauthToken = await readOAuthToken(flags);

      const { runProbe } = await import('../../probe/probe.js');
      const result = await runProbe({
        params,
        ...(oauthToken ? { oauthToken } : {}),
        ...(password ? { password } : {}),
        ...(!noPassword && mayPrompt ? { prompt } : {}),
        noPassword,
        trace: flags.trace === true,
        grease: flags.grease === true,
        ...(maxIterations !== undefined ? { maxIterations } : {}),
        expect: {
          ...(expectAuth ? { auth: expectAuth } : {}),
          ...(flags.expectTls ? { tls: true } : {}),
          ...(flags.expectChannelBinding ? { channelBinding: true } : {}),
          ...(flags.expectFailure ? { failure: true } : {}),
          ...(flags.expectProtocol !== undefined ? { protocol: flags.expectProtocol } : {}),
        },
        warn: (m) => {
          clearProgress();
          process.stderr.write(`WARNING: ${m}\n`);
        },
        onProgress,
      }).finally(clearProgress);

      if (json) printJson(result);
      else await renderProbe(result);
      if (result.exit === 'ok') return;
      const unmet = result.expectations.filter((e) => !e.met).map((e) => e.name);
      const message = result.exit === 'expectation' ? `expectation not met: ${unmet.join(', ')}` : `${result.diagnosis.code}: ${result.error.message ?? ''}`;
      throw new CliError(result.exit, message, true);
    });
}

/** Human output: target, step table, server, auth, TLS, the error and the diagnosis, expectations, trace. */
export async function renderProbe(r: ProbeResult): Promise<void> {
  const { style, table, print } = await import('../render.js');
  const out: string[] = [];
  const hostText = r.target.hosts.map((h) => (h.host.startsWith('/') ? `${h.host} (socket) port ${h.port}` : `${h.host}:${h.port}`)).join(', ');
  out.push(`${style.strong('probe')} ${hostText}  user ${style.strong(r.target.user)}  database ${style.strong(r.target.database)}  sslmode=${r.target.sslmode}`);
  const rows = r.steps.map((s) => [s.attempt === 0 ? '' : String(s.attempt), s.ok ? style.ok(s.step) : style.fail(s.step), String(s.ms), s.detail]);
  if (rows.length) out.push(table(['try', 'step', 'ms', 'detail'], rows));
  const retried = r.attempts.filter((a) => !a.diagnostic).length > 1;
  if (retried) {
    for (const a of r.attempts) {
      const enc = a.encryption === 'plain' ? 'without TLS' : a.encryption === 'direct' ? 'direct TLS' : a.sslResponse === 'N' ? 'TLS refused, then without TLS' : 'TLS';
      const what = a.result === 'failed' ? `${a.errorCode ? a.errorCode + ' ' : ''}${(a.message ?? '').split('\n')[0]}` : a.result;
      const where = a.host.startsWith('/') || a.host.startsWith('@') ? `${a.host} port ${a.port}` : `${a.address ?? a.host}:${a.port}`;
      out.push(`  attempt ${a.attempt} (${where}, ${enc}${a.diagnostic ? ', diagnostic' : ''}): ${what}${a.cause ? style.strong('  <- the cause') : ''}`);
    }
  }
  const kindName = { postgresql: 'PostgreSQL', pgbouncer: 'PgBouncer', pgauth: 'pgauth serve', other: 'other', unknown: 'unknown' }[r.server.kind];
  out.push(`${style.head('server')}   ${kindName}${r.server.version ? ` ${r.server.version}` : ''} ${style.dim(`(${r.server.kindEvidence})`)}`);
  if (r.auth.method) {
    const bits: string[] = [r.auth.method];
    if (r.auth.mechanismsOffered) bits.push(`offered ${r.auth.mechanismsOffered.join(', ')}`);
    if (r.auth.mechanism) bits.push(`chose ${r.auth.mechanism}`);
    if (r.auth.iterations !== null) bits.push(`${r.auth.iterations} iterations`);
    bits.push(r.auth.channelBinding ? `channel binding ${r.auth.channelBinding}` : 'no channel binding');
    if (r.auth.serverSignature) bits.push('server signature verified');
    if (r.auth.passwordSource) bits.push(`password from ${r.auth.passwordSource}`);
    out.push(`${style.head('auth')}     ${bits.join('; ')}`);
  }
  out.push(`${style.head('protocol')} ${protocolLine(r.protocol)}`);
  if (r.tls.version) {
    out.push(
      `${style.head('tls')}      ${r.tls.version} ${r.tls.cipher ?? ''}; ${r.tls.subject ?? ''} issued by ${r.tls.issuer ?? '?'}, expires ${r.tls.validTo ?? '?'}; chain ${r.tls.chainVerified === null ? 'not checked' : r.tls.chainVerified ? 'verified' : 'NOT verified'}`,
    );
  } else out.push(`${style.head('tls')}      not used`);
  if (r.ok) {
    out.push(`${style.ok('OK')}       ${r.auth.currentUser !== null ? `logged in as ${r.auth.currentUser}` : r.diagnosis.cause}`);
  } else {
    const e = r.error;
    out.push(`${style.fail('FAILED')}   ${e.severity ? `${e.severity}:  ` : ''}${(e.message ?? '').replace(/\n/g, '\n         ')}${e.code ? style.dim(` (SQLSTATE ${e.code})`) : ''}`);
    if (e.detail) out.push(`         DETAIL:  ${e.detail}`);
    if (e.hint) out.push(`         HINT:  ${e.hint}`);
    out.push(`${style.head('diagnosis')} ${style.strong(r.diagnosis.code)}`);
    out.push(`  cause: ${r.diagnosis.cause}`);
    out.push(`  fix:   ${r.diagnosis.fix}`);
    if (r.diagnosis.hbaLine) out.push(`  pg_hba.conf line: ${style.strong(r.diagnosis.hbaLine)}`);
  }
  for (const x of r.expectations) out.push(`${x.met ? style.ok('expect ok ') : style.fail('expect FAILED')} ${x.name}: ${x.detail}`);
  if (r.trace) {
    out.push(style.head('trace'));
    for (const t of r.trace) out.push(`  ${String(t.ms).padStart(5)} ms  #${t.attempt} ${t.dir}  ${t.type}${t.detail ? `  ${t.detail}` : ''}`);
  }
  print(out.join('\n'));
}

/** "3.2, 32-byte cancel key" / "3.0 (the server negotiated down from 3.2)" / "not settled (asked for 3.9999 ...)". */
export function protocolLine(p: ProbeResult['protocol']): string {
  const asked = `asked for ${p.requested}${p.grease ? ' with _pq_.test_protocol_negotiation (grease)' : ''}`;
  if (p.version === null) return `not settled (${asked})`;
  const how = p.negotiated ? `the server negotiated ${p.version}${p.unrecognizedOptions.length ? ` and refused ${p.unrecognizedOptions.join(', ')}` : ''}; ${asked}` : asked;
  return `${p.version}${p.cancelKeyBytes !== null ? `, ${p.cancelKeyBytes}-byte cancel key` : ''} (${how})`;
}

/**
 * `pgauth probe`'s action: the connection parameters and the expectations
 * from the flags, the password and OAuth token sources, a progress line on
 * a terminal, then the probe (src/probe) and its report.
 */
import type { Command } from 'commander';
import { canPrompt, globalOptions, warn, type GlobalOptions } from '../context.js';
import { usageError } from '../errors.js';
import { readFirstLineOfStdin, readPassword, type PasswordFlags } from '../password.js';
import { probePasswordPlan, type ProbePasswordFlags } from './probe-password.js';
import type { CiFlags } from '../ci-flags.js';
import { probeTargets } from './probe-many.js';
import { probePlan, type PlanFlags } from './probe-targets.js';
import { waitReporter } from './probe-wait.js';
import { serverLogOptions, type ServerLogFlags } from './probe-server-log.js';
import { AUTH_METHOD_NAMES, resolveConnParams, type AuthMethodName, type ConnParams } from '../../probe/conninfo.js';
import { fitTo } from '../render.js';
import { runProbe, type ProbeOptions } from '../../probe/probe.js';

interface ProbeFlags extends Omit<PasswordFlags, 'password'>, ProbePasswordFlags, PlanFlags, Pick<CiFlags, 'junit' | 'annotations'>, ServerLogFlags {
  host?: string;
  port?: string;
  username?: string;
  dbname?: string;
  trace?: boolean;
  steps?: boolean;
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

type Secret = { value: string; source: string };

/** The bearer token from --oauth-token-env or --oauth-token-stdin (never argv). */
async function readOAuthToken(flags: ProbeFlags): Promise<Secret | undefined> {
  if (flags.oauthTokenStdin && flags.oauthTokenEnv !== undefined) throw usageError('--oauth-token-stdin and --oauth-token-env exclude each other');
  if (flags.oauthTokenStdin && flags.passwordStdin) throw usageError('--oauth-token-stdin and --password-stdin both read stdin: give one of them by --password-env / --oauth-token-env');
  if (flags.oauthTokenEnv !== undefined) {
    const value = process.env[flags.oauthTokenEnv];
    if (value === undefined || value === '') throw usageError(`--oauth-token-env ${flags.oauthTokenEnv}: the variable is not set or empty`);
    return { value, source: `env ${flags.oauthTokenEnv}` };
  }
  if (flags.oauthTokenStdin) {
    const value = (await readFirstLineOfStdin(process.stdin, '--oauth-token-stdin')).trim();
    if (value === '') throw usageError('--oauth-token-stdin: the first line of stdin is empty');
    return { value, source: 'stdin' };
  }
  return undefined;
}

/** TARGET and -h/-p/-U/-d as libpq reads them (with the environment and service files). */
function connParams(target: string | undefined, flags: ProbeFlags, fromFile = false) {
  const params = resolveConnParams({
    ...(target !== undefined ? { target } : {}),
    flags: {
      ...(flags.host !== undefined ? { host: flags.host } : {}),
      ...(flags.port !== undefined ? { port: flags.port } : {}),
      ...(flags.username !== undefined ? { user: flags.username } : {}),
      ...(flags.dbname !== undefined ? { dbname: flags.dbname } : {}),
    },
  });
  if (!fromFile && (params.sources.password === 'target' || params.sources.password === 'flag')) {
    warn('the password in TARGET is on the command line, where other users can see it; prefer --password-stdin, PGPASSWORD or ~/.pgpass');
  }
  return params;
}

/** The --expect-* flags and --max-iterations, checked. */
function expectations(flags: ProbeFlags): Pick<ProbeOptions, 'expect' | 'maxIterations'> {
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
  return {
    ...(maxIterations !== undefined ? { maxIterations } : {}),
    expect: {
      ...(expectAuth ? { auth: expectAuth } : {}),
      ...(flags.expectTls ? { tls: true } : {}),
      ...(flags.expectChannelBinding ? { channelBinding: true } : {}),
      ...(flags.expectFailure ? { failure: true } : {}),
      ...(flags.expectProtocol !== undefined ? { protocol: flags.expectProtocol } : {}),
    },
  };
}

/** The password from pgauth's flags (libpq's own sources come later, in the probe). */
async function passwordFromFlags(flags: ProbeFlags, g: GlobalOptions): Promise<Secret | undefined> {
  const pwFlags: PasswordFlags = {
    ...(flags.passwordStdin ? { passwordStdin: true } : {}),
    ...(flags.passwordEnv !== undefined ? { passwordEnv: flags.passwordEnv } : {}),
    ...(typeof flags.password === 'string' ? { password: flags.password } : {}),
  };
  if (!(pwFlags.passwordStdin || pwFlags.passwordEnv !== undefined || pwFlags.password !== undefined)) return undefined;
  const value = await readPassword(pwFlags, { confirm: false, input: g.input });
  const source = pwFlags.passwordStdin ? 'stdin' : pwFlags.passwordEnv !== undefined ? `env ${pwFlags.passwordEnv}` : 'argv';
  return { value, source };
}

/** Progress on a terminal only (SPEC §0), on stderr, erased before prompts and at the end. */
function progressLine(show: boolean): { onProgress: (text: string) => void; clear: () => void } {
  let shown = false;
  const clear = () => {
    if (shown) process.stderr.write('\r\x1b[2K');
    shown = false;
  };
  const onProgress = (text: string) => {
    if (!show) return;
    process.stderr.write(`\r\x1b[2K${text}`);
    shown = true;
  };
  return { onProgress, clear };
}

export async function run(targetArgs: string[], flags: ProbeFlags, cmd: Command): Promise<void> {
  const g = globalOptions(cmd);
  const json = g.json || flags.json === true;
  const targets = probePlan(targetArgs, flags, (target, fromFile) => connParams(target, flags, fromFile));
  const params = targets.targets[0]!.params;
  const checked = expectations(flags);
  // The shared prompts draw on stderr (as psql's do), so `--json > file` on a terminal can still ask.
  const plan = probePasswordPlan(flags, canPrompt(g));
  const serverLog = serverLogOptions(flags);
  // Passwords: pgauth's flags first, then libpq's sources (conninfo, PGPASSWORD, .pgpass), then a prompt.
  let password = await passwordFromFlags(flags, g);
  const progress = progressLine(!json && process.stderr.isTTY === true);
  // The wait's updating line shows on a terminal also under --json (stdout holds the document).
  const waitLine = progressLine(process.stderr.isTTY === true);
  const prompt = async () => {
    progress.clear();
    waitLine.clear();
    const { promptPassword } = await import('../prompts.js');
    return promptPassword(`Password for user ${params.user}:`);
  };
  if (plan.askFirst) password = { value: await prompt(), source: 'prompt' };
  // Under --wait the probe may run again after a person has answered (e.g. 53300 after the prompt): ask once.
  let answered: Promise<string> | undefined;
  const promptOnce = () => (answered ??= prompt());
  const oauthToken = await readOAuthToken(flags);

  const probeOne = (p: ConnParams, label: string) =>
    runProbe({
      params: p,
      ...(oauthToken ? { oauthToken } : {}),
      ...(password ? { password } : {}),
      // Targets probed at once cannot share a prompt between their attempts: with several, -W asks once first.
      ...(plan.askWhenNeeded && !targets.many ? { prompt: promptOnce } : {}),
      discover: plan.discover,
      trace: flags.trace === true,
      grease: flags.grease === true,
      ...checked,
      ...(serverLog ? { serverLog } : {}),
      warn: (m) => {
        progress.clear();
        waitLine.clear();
        process.stderr.write(fitTo(process.stderr, `WARNING: ${targets.many ? `${label}: ` : ''}${m}`));
      },
      ...(targets.many ? {} : { onProgress: progress.onProgress }),
    });
  const probing = probeTargets(targets, probeOne, waitReporter(process.stderr.isTTY === true, waitLine.onProgress));
  // What prints the result loads while the first login waits on the network (after this turn of the event loop).
  const output = new Promise<typeof import('./probe-output.js')>((resolve, reject) => setImmediate(() => import('./probe-output.js').then(resolve, reject)));
  output.catch(() => undefined); // a failure is reported where it is awaited
  const outcomes = await probing.finally(() => {
    progress.clear();
    waitLine.clear();
  });
  await (await output).reportOutcomes(outcomes, flags, json, targets.many, flags.steps === true || flags.trace === true);
}

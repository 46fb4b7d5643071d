/**
 * The GitHub Action's work (SPEC §8): read the `INPUT_*` variables the runner
 * sets, run `pgauth probe --json` with them (the password through the
 * environment, never argv), then report through annotations, the step summary
 * and `$GITHUB_OUTPUT`. Exits with the probe's exit code.
 *
 * Pure apart from the process it runs and the files the runner names, so a
 * test runs it with a runner's environment against a real server.
 */
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { annotation, appendStepSummary, maskCommand, mdTable } from '../ci/github.js';

/** The Action's inputs as action.yml declares them. */
export interface ActionInputs {
  target: string;
  wait: string;
  expectAuth: string;
  expectTls: boolean;
  password: string;
}

export class ActionInputError extends Error {
  override name = 'ActionInputError';
  readonly code = 'action-input';
}

/** The runner turns input `expect-auth` into `INPUT_EXPECT-AUTH` (upper case, spaces to _, dashes kept). */
const input = (env: NodeJS.ProcessEnv, name: string): string => (env[`INPUT_${name.toUpperCase().replace(/ /g, '_')}`] ?? '').trim();

export function readInputs(env: NodeJS.ProcessEnv): ActionInputs {
  const target = input(env, 'target');
  if (target === '') throw new ActionInputError('input "target" is required (host[:port], a postgresql:// URI or a conninfo string)');
  const tls = input(env, 'expect-tls').toLowerCase();
  if (!['', 'true', 'false'].includes(tls)) throw new ActionInputError(`input "expect-tls" must be true or false, not "${tls}"`);
  return { target, wait: input(env, 'wait'), expectAuth: input(env, 'expect-auth'), expectTls: tls === 'true', password: env['INPUT_PASSWORD'] ?? '' };
}

/** The probe's argv for these inputs: no secret in it. */
export function probeArgs(inputs: ActionInputs, passwordVar: string): string[] {
  const args = ['probe', '--json', '--no-annotations'];
  if (inputs.wait !== '') args.push('--wait', inputs.wait);
  if (inputs.expectAuth !== '') args.push('--expect-auth', inputs.expectAuth);
  if (inputs.expectTls) args.push('--expect-tls');
  if (inputs.password !== '') args.push('--password-env', passwordVar);
  // After `--`: a target that starts with '-' is a target, never a flag.
  args.push('--', inputs.target);
  return args;
}

/** The part of `probe --json` the Action reports. */
interface ProbeDoc {
  ok: boolean;
  target?: { hosts: Array<{ host: string; port: number }>; user: string; database: string };
  /** A CLI error document (`{ok:false, error:{kind, message}}`) has a kind; a probe document's error has the server's fields. */
  error?: { kind?: string; message: string | null };
  server?: { kind: string; version: string | null };
  auth?: { method: string | null };
  tls?: { version: string | null };
  diagnosis?: { code: string; cause: string; fix: string };
  expectations?: Array<{ name: string; met: boolean; detail: string }>;
}

/** Writes `name=value` lines to $GITHUB_OUTPUT (heredoc form for values with line breaks). */
export function writeOutputs(env: NodeJS.ProcessEnv, outputs: Record<string, string>): void {
  const file = env.GITHUB_OUTPUT;
  if (!file) return;
  const lines = Object.entries(outputs).map(([k, v]) => {
    if (!/[\r\n]/.test(v)) return `${k}=${v}\n`;
    const delimiter = `ghadelimiter_${randomUUID()}`;
    return `${k}<<${delimiter}\n${v}\n${delimiter}\n`;
  });
  appendFileSync(file, lines.join(''));
}

function outputsOf(doc: ProbeDoc, exit: number): Record<string, string> {
  return {
    ok: String(doc.ok && exit === 0),
    'exit-code': String(exit),
    method: doc.auth?.method ?? '',
    tls: String(doc.tls?.version != null),
    diagnosis: doc.diagnosis?.code ?? doc.error?.kind ?? '',
    'server-version': doc.server?.version ?? '',
  };
}

function summaryOf(target: string, doc: ProbeDoc, exit: number): string {
  const result = exit === 0 ? 'logged in' : exit === 4 ? 'expectation not met' : (doc.error?.message ?? doc.diagnosis?.cause ?? `exit ${exit}`);
  const rows: string[][] = [
    ['result', exit === 0 ? `✅ ${result}` : `❌ ${result}`],
    ['server', [doc.server?.kind, doc.server?.version].filter(Boolean).join(' ')],
    ['method', doc.auth?.method ?? ''],
    ['TLS', doc.tls?.version ?? 'no'],
  ];
  if (exit !== 0 && doc.diagnosis && doc.diagnosis.code !== 'ok') rows.push(['diagnosis', doc.diagnosis.code], ['fix', doc.diagnosis.fix]);
  for (const e of doc.expectations ?? []) rows.push([`expect ${e.name}`, `${e.met ? 'met' : 'NOT met'}: ${e.detail}`]);
  return `### pgauth probe ${target}\n\n${mdTable(['', ''], rows)}\n\n`;
}

/**
 * How the target is named in the log: user@host:port/database from what the
 * probe resolved, never the input itself (a URI or conninfo may hold a password).
 */
export function targetLabel(doc: ProbeDoc): string {
  const t = doc.target;
  if (!t) return 'the target';
  const hosts = t.hosts.map((h) => (h.host.includes(':') ? `[${h.host}]:${h.port}` : `${h.host}:${h.port}`)).join(',');
  return `${t.user}@${hosts}/${t.database}`;
}

/** The annotation for a failed probe: the diagnosis as title, cause and fix as text. */
function annotationOf(target: string, doc: ProbeDoc, exit: number): string | null {
  if (exit === 0) return null;
  if (doc.error?.kind !== undefined) return annotation('error', doc.error.message ?? `exit ${exit}`, { title: `pgauth probe ${target}: ${doc.error.kind}` });
  const unmet = (doc.expectations ?? []).filter((e) => !e.met).map((e) => `expected ${e.name}: ${e.detail}`);
  // A login that worked but did not meet an expectation has the diagnosis "ok": only the unmet expectations say why.
  const failed = !doc.ok && doc.diagnosis !== undefined;
  const text = [failed ? doc.diagnosis?.cause : '', failed ? `Fix: ${doc.diagnosis?.fix}` : '', ...unmet].filter(Boolean).join('\n');
  const why = failed ? doc.diagnosis!.code : unmet.length > 0 ? 'expectation not met' : 'failed';
  return annotation('error', text || `exit ${exit}`, { title: `pgauth probe ${target}: ${why}` });
}

/** Runs the CLI with argv and extra environment; resolves with its stdout and exit code. */
function runCli(cli: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ stdout: string; code: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, code: code ?? 2 }));
  });
}

/** The Action: returns the exit code for the step. `out` receives workflow commands. */
export async function runAction(opts: { env: NodeJS.ProcessEnv; cli: string; out: (line: string) => void }): Promise<number> {
  const { env, out } = opts;
  let inputs: ActionInputs;
  try {
    inputs = readInputs(env);
  } catch (err) {
    if (!(err instanceof ActionInputError)) throw err;
    out(annotation('error', err.message, { title: 'pgauth action' }));
    return 3;
  }
  // Mask the password in the job log even if it did not come from a secret.
  if (inputs.password !== '') out(maskCommand(inputs.password));
  const passwordVar = 'PGAUTH_ACTION_PASSWORD';
  const childEnv: NodeJS.ProcessEnv = { ...env, [passwordVar]: inputs.password };
  for (const k of Object.keys(childEnv)) if (k.startsWith('INPUT_')) delete childEnv[k];
  const { stdout, code } = await runCli(opts.cli, probeArgs(inputs, passwordVar), childEnv);
  let doc: ProbeDoc;
  try {
    doc = JSON.parse(stdout) as ProbeDoc;
  } catch {
    doc = { ok: false, error: { kind: 'internal', message: `pgauth probe printed no JSON (exit ${code})` } };
  }
  const label = targetLabel(doc);
  const note = annotationOf(label, doc, code);
  if (note) out(note);
  appendStepSummary(env, summaryOf(label, doc, code));
  writeOutputs(env, outputsOf(doc, code));
  return code;
}

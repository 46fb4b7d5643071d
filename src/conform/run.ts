/**
 * `pgauth conform`: for each hostile scenario, a fresh server on a free
 * loopback port, the client command run against it with libpq's environment
 * and a DATABASE_URL, and a verdict on what the client did (SPEC §10).
 * No terminal I/O here; the command renders the results.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatRoleFile } from '../roles/format.js';
import { buildScramSecret } from '../secrets/index.js';
import { SCENARIOS, makeSelfSignedCertificate, startServer, type RunningServer, type ScenarioName, type ScenarioOutcome, type ServerEvent } from '../server/index.js';
import { clientDid, passes, type ClientDid } from './verdict.js';
import type { ClientSent } from '../server/scenarios/index.js';

export interface ConformOptions {
  command: string;
  args: readonly string[];
  scenarios: readonly ScenarioName[];
  /** How long the client may take per scenario before it is killed. */
  timeoutMs: number;
  /** Extra variable to carry the connection URL, besides DATABASE_URL. */
  urlVar?: string;
  /** The environment the client starts from (PG* variables of the caller are replaced). */
  env: NodeJS.ProcessEnv;
  /** Called as each scenario finishes (progress). */
  onResult?(r: ConformResult): void;
}

export interface ConformResult {
  scenario: ScenarioName;
  /** What the server did. */
  does: string;
  /** What a safe client does, with the libpq settings under which libpq does it. */
  safe: string;
  /** When libpq refuses it. */
  libpq: string;
  did: ClientDid;
  /** Kinds of what the client sent (never values). */
  sent: ClientSent[];
  pass: boolean;
  exitCode: number | null;
  /** First line of the client's stderr, with the password removed. */
  clientMessage: string | null;
  ms: number;
}

/** Error thrown when the client command cannot be started at all. */
export class ConformCommandError extends Error {
  override readonly name = 'ConformCommandError';
}

const USER = 'conform';
const MAX_CAPTURE = 64 * 1024;

interface Fixture {
  dir: string;
  rolesPath: string;
  certPath: string;
  keyPath: string;
  password: string;
}

async function makeFixture(): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'pgauth-conform-'));
  const password = randomBytes(12).toString('base64url');
  const rolesPath = join(dir, 'userlist.txt');
  writeFileSync(rolesPath, formatRoleFile([{ name: USER, secret: buildScramSecret(password), attrs: {} }]), { mode: 0o600 });
  const pair = await makeSelfSignedCertificate(['127.0.0.1']);
  const certPath = join(dir, 'server.crt');
  const keyPath = join(dir, 'server.key');
  writeFileSync(certPath, pair.cert, { mode: 0o600 });
  writeFileSync(keyPath, pair.key, { mode: 0o600 });
  return { dir, rolesPath, certPath, keyPath, password };
}

/** libpq's variables for this server, and DATABASE_URL; the caller's own PG* connection variables are dropped. */
export function clientEnv(base: NodeJS.ProcessEnv, f: Pick<Fixture, 'certPath' | 'password'>, port: number, urlVar?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) {
    if (!['PGHOST', 'PGHOSTADDR', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE', 'PGPASSFILE', 'PGSERVICE', 'DATABASE_URL'].includes(k)) env[k] = v;
  }
  const url = `postgresql://${USER}:${encodeURIComponent(f.password)}@127.0.0.1:${port}/postgres`;
  Object.assign(env, {
    PGHOST: '127.0.0.1',
    PGPORT: String(port),
    PGUSER: USER,
    PGPASSWORD: f.password,
    PGDATABASE: 'postgres',
    // The throwaway certificate, so sslmode=verify-full can succeed (the scenarios test authentication, not TLS trust).
    PGSSLROOTCERT: f.certPath,
    DATABASE_URL: url,
    ...(urlVar ? { [urlVar]: url } : {}),
  });
  return env;
}

function runClient(opts: ConformOptions, env: NodeJS.ProcessEnv): Promise<{ exitCode: number | null; timedOut: boolean; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(opts.command, [...opts.args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let timedOut = false;
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < MAX_CAPTURE) stderr += d.toString('utf8');
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new ConformCommandError(`cannot run ${opts.command}: ${e.code === 'ENOENT' ? 'command not found' : e.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ exitCode: code, timedOut, stderr });
    });
  });
}

/** Takes a secret out of a text, as it is and URL-encoded. */
export function redactSecret(text: string, secret: string): string {
  return text.split(secret).join('********').split(encodeURIComponent(secret)).join('********');
}

function firstLine(stderr: string, password: string): string | null {
  const line = stderr.split('\n').find((l) => l.trim() !== '');
  return line === undefined ? null : redactSecret(line, password).slice(0, 300);
}

/** A loopback server on a free port running the given scenarios (none: honest SCRAM). */
export function startScenarioServer(o: {
  scenarios: readonly ScenarioName[];
  rolesPath: string;
  tls: { certPath: string; keyPath: string } | null;
  authTimeoutMs?: number;
  onEvent(e: ServerEvent): void;
}): Promise<RunningServer> {
  return startServer({
    host: '127.0.0.1',
    port: 0,
    auth: 'scram-sha-256',
    rolesPath: o.rolesPath,
    requireTls: false,
    tls: o.tls ?? {},
    settings: {
      authTimeoutMs: o.authTimeoutMs ?? 20_000,
      authDelayMs: 0,
      maxConnections: 100,
      serverVersion: '18.0',
      iterations: 4096,
      pamService: 'postgresql',
      pamConfdir: undefined,
    },
    ...(o.scenarios.length ? { scenarios: [...o.scenarios] } : {}),
    onEvent: o.onEvent,
  });
}

async function runScenario(name: ScenarioName, opts: ConformOptions, f: Fixture): Promise<ConformResult> {
  const scenario = SCENARIOS[name];
  const outcomes: ScenarioOutcome[] = [];
  const started = Date.now();
  const server = await startScenarioServer({
    scenarios: [name],
    rolesPath: f.rolesPath,
    tls: scenario.tls === false ? null : { certPath: f.certPath, keyPath: f.keyPath },
    authTimeoutMs: opts.timeoutMs,
    onEvent: (e) => {
      if (e.event === 'scenario') outcomes.push(e);
    },
  });
  let run: Awaited<ReturnType<typeof runClient>>;
  try {
    run = await runClient(opts, clientEnv(opts.env, f, server.port, opts.urlVar));
  } finally {
    // Closing the server ends what the client left open, and each session reports as it closes.
    await server.shutdown();
  }
  const { did, sent } = clientDid(outcomes, run);
  return {
    scenario: name,
    does: scenario.does,
    safe: scenario.safe,
    libpq: scenario.libpq,
    did,
    sent,
    pass: passes(did),
    exitCode: run.exitCode,
    clientMessage: firstLine(run.stderr, f.password),
    ms: Date.now() - started,
  };
}

export async function runConform(opts: ConformOptions): Promise<ConformResult[]> {
  const f = await makeFixture();
  try {
    const results: ConformResult[] = [];
    for (const name of opts.scenarios) {
      const r = await runScenario(name, opts, f);
      results.push(r);
      opts.onResult?.(r);
    }
    return results;
  } finally {
    rmSync(f.dir, { recursive: true, force: true });
  }
}

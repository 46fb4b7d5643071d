import { spawn, type SpawnOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion, feeding `input` on stdin (closed otherwise). */
export function run(
  cmd: string,
  args: readonly string[],
  opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const spawnOpts: SpawnOptions = {
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
    };
    const child = spawn(cmd, [...args], spawnOpts);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
    child.stdin!.on('error', () => {}); // the child may exit before reading
    child.stdin!.end(opts.input ?? '');
  });
}

export const PGAUTH_BIN = fileURLToPath(new URL('../../bin/pgauth.cjs', import.meta.url));

/** Runs the built CLI (`npm test` builds first) with a clean colour setting. */
export function pgauth(
  args: readonly string[],
  opts: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...opts.env };
  delete env.FORCE_COLOR;
  return run(process.execPath, [PGAUTH_BIN, ...args], { ...opts, env });
}

export interface RunningPgauth {
  /** Resolves with stderr so far once it matches `pattern` (checked on every chunk; rejects if the process ends first). */
  waitForStderr(pattern: RegExp): Promise<string>;
  /** Resolves when the process has ended and its output is read. */
  done: Promise<RunResult>;
}

/** Starts the built CLI and lets the test act on what it prints on stderr while it runs (no polling, no sleep). */
export function startPgauth(args: readonly string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): RunningPgauth {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...opts.env };
  delete env.FORCE_COLOR;
  const child = spawn(process.execPath, [PGAUTH_BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const watchers = new Set<() => void>();
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    for (const w of [...watchers]) w();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
  let closed = false;
  const done = new Promise<RunResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      closed = true;
      for (const w of [...watchers]) w();
      resolve({ code, signal, stdout, stderr });
    });
  });
  child.stdin!.on('error', () => {});
  child.stdin!.end(opts.input ?? '');
  const waitForStderr = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        if (pattern.test(stderr)) {
          watchers.delete(check);
          resolve(stderr);
        } else if (closed) {
          watchers.delete(check);
          reject(new Error(`pgauth ended before stderr matched ${pattern}:\n${stderr}${stdout}`));
        }
      };
      watchers.add(check);
      check();
    });
  return { waitForStderr, done };
}

/**
 * The one way tests run `pgauth serve`: the built CLI as a child on port 0,
 * its stdout lines parsed (JSON log lines, or text), its stderr kept, and
 * every wait resolved by the line it waits for (no polling, no sleep).
 *
 * What serve prints at start (src/cli/commands/serve.ts): the listening line
 * first on stdout (`{"event":"listening",...}` with --log-format json,
 * `pgauth serve: listening on HOST:PORT ...` in text); in text mode it then
 * writes its start lines to stderr, the last one `connect with: psql '...'`.
 * startServe resolves once all of that has arrived.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import { PGAUTH_BIN } from './proc.js';

/** The one bound on any wait for serve's output (start, a log line, a stderr text). */
export const SERVE_TIMEOUT_MS = 20_000;

/** A stdout line: a JSON log event, or `{ event: 'unparsed', text }` for a text line. */
export interface ServeEvent {
  event: string;
  [k: string]: unknown;
}

export interface Served {
  host: string;
  port: number;
  child: ChildProcess;
  /** Every line printed on stdout so far (the listening line first). */
  lines: ServeEvent[];
  /** Raw stdout and stderr text. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first line (from index `from`) matching `pred`, as soon as it is printed. */
  waitForLine(pred: (l: ServeEvent) => boolean, what: string, from?: number): Promise<ServeEvent>;
  /** Resolves once stderr contains `text` (a string or a pattern). */
  waitForStderr(text: string | RegExp, what?: string): Promise<string>;
  /** The `attempt` events so far. */
  attempts(): ServeEvent[];
  /** SIGHUP: serve reloads its files. */
  hup(): void;
  /** Sends `signal` (SIGTERM) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface ServeOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** false: --no-watch, serve reloads on SIGHUP only, so the test decides when (default: serve watches its files). */
  watch?: boolean;
  /** The pgauth to run (default: this checkout's bin/pgauth.cjs). */
  bin?: string;
}

const TEXT_LISTENING = /^pgauth serve: listening on \[?([^\]\s]+?)\]?:(\d+) /;

/** Reads the port and host from a listening line in either format, or undefined for another line. */
export function listeningAddress(line: ServeEvent): { host: string; port: number } | undefined {
  if (line.event === 'listening') return { host: String(line.host), port: Number(line.port) };
  const m = line.event === 'unparsed' ? TEXT_LISTENING.exec(String(line.text)) : null;
  return m ? { host: m[1]!, port: Number(m[2]) } : undefined;
}

/**
 * `pgauth serve --port 0 --log-format json ...args` (a `--log-format text` in
 * args wins); resolves once serve listens and has printed its start lines.
 */
export async function startServe(args: readonly string[], opts: ServeOptions = {}): Promise<Served> {
  const child = spawn(process.execPath, [opts.bin ?? PGAUTH_BIN, 'serve', '--port', '0', '--log-format', 'json', ...(opts.watch === false ? ['--no-watch'] : []), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  });
  const changed = new EventEmitter();
  const lines: ServeEvent[] = [];
  let out = '';
  let err = '';
  let exited: number | null | undefined;
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    changed.emit('change');
  });
  createInterface({ input: child.stdout! }).on('line', (l) => {
    try {
      lines.push(JSON.parse(l) as ServeEvent);
    } catch {
      lines.push({ event: 'unparsed', text: l });
    }
    changed.emit('change');
  });
  // 'close', not 'exit': by then every line serve printed has been read, so none is missed.
  const exit = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      exited = code;
      changed.emit('change');
      resolve(code);
    }),
  );

  /** Re-checks `find` on every line and at exit; fails at exit or after SERVE_TIMEOUT_MS. */
  const waitUntil = <T>(find: () => T | undefined, what: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const done = (fn: () => void) => {
        clearTimeout(timer);
        changed.off('change', check);
        fn();
      };
      const check = () => {
        const found = find();
        if (found !== undefined) done(() => resolve(found));
        else if (exited !== undefined) done(() => reject(new Error(`pgauth serve exited (${exited}) while waiting for ${what}:\n${err}${out}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`timed out after ${SERVE_TIMEOUT_MS} ms waiting for ${what}:\n${err}${out}`))), SERVE_TIMEOUT_MS);
      changed.on('change', check);
      check();
    });

  const waitForLine = (pred: (l: ServeEvent) => boolean, what: string, from = 0) => waitUntil(() => lines.slice(from).find(pred), what);
  const waitForStderr = (text: string | RegExp, what = String(text)) =>
    waitUntil(() => ((typeof text === 'string' ? err.includes(text) : text.test(err)) ? err : undefined), what);

  const first = await waitForLine(() => true, 'pgauth serve to listen');
  const address = listeningAddress(first);
  if (!address) {
    child.kill('SIGKILL');
    throw new Error(`pgauth serve's first line is not its listening line: ${JSON.stringify(first)}`);
  }
  if (first.event === 'unparsed') await waitForStderr('pgauth serve: connect with: psql ', "serve's start lines on stderr");
  return {
    ...address,
    child,
    lines,
    stdout: () => out,
    stderr: () => err,
    waitForLine,
    waitForStderr,
    attempts: () => lines.filter((l) => l.event === 'attempt'),
    hup: () => child.kill('SIGHUP'),
    async stop(signal = 'SIGTERM') {
      if (exited === undefined) child.kill(signal);
      return exit;
    },
  };
}

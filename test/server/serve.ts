/** Runs the built `pgauth serve` as a child process and reads its JSON log lines. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { PGAUTH_BIN } from '../helpers/proc.js';
import { waitFor } from '../helpers/pg.js';

export interface Served {
  port: number;
  child: ChildProcess;
  /** Every JSON line printed on stdout so far (the listening line first). */
  lines: Array<Record<string, unknown>>;
  /** Raw stdout and stderr text. */
  stdout(): string;
  stderr(): string;
  /** Waits for a log line matching `pred` (after index `from`). */
  waitForLine(pred: (l: Record<string, unknown>) => boolean, what: string, from?: number): Promise<Record<string, unknown>>;
  attempts(): Array<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startServe(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<Served> {
  const env = { ...process.env, NO_COLOR: '1', ...opts.env };
  const child = spawn(process.execPath, [PGAUTH_BIN, 'serve', '--port', '0', '--log-format', 'json', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  });
  let out = '';
  let err = '';
  const lines: Array<Record<string, unknown>> = [];
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  createInterface({ input: child.stdout! }).on('line', (l) => {
    try {
      lines.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      lines.push({ event: 'unparsed', text: l });
    }
  });
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  const listening = await waitFor(
    () => {
      if (exited !== undefined) throw new Error(`pgauth serve exited (${exited}): ${err}${out}`);
      const json = lines.find((l) => l.event === 'listening');
      if (json) return json;
      // --log-format text: "pgauth serve: listening on 127.0.0.1:PORT ..."
      const text = lines.find((l) => l.event === 'unparsed' && /listening on .*:(\d+)/.test(String(l.text)));
      return text ? { event: 'listening', port: Number(/listening on .*:(\d+)/.exec(String(text.text))![1]) } : undefined;
    },
    'pgauth serve to listen',
    20_000,
  );
  const served: Served = {
    port: listening.port as number,
    child,
    lines,
    stdout: () => out,
    stderr: () => err,
    waitForLine: (pred, what, from = 0) => waitFor(() => lines.slice(from).find(pred), what, 20_000),
    attempts: () => lines.filter((l) => l.event === 'attempt'),
    async stop(signal = 'SIGTERM') {
      if (exited !== undefined) return exited;
      const done = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      child.kill(signal);
      return done;
    },
  };
  return served;
}

/** `pgauth serve` as a child process with --log-format json: its events, SIGHUP and stop. */
import { spawn, type ChildProcess } from 'node:child_process';
import { PGAUTH_BIN } from '../helpers/proc.js';
import { waitFor } from '../helpers/pg.js';

export interface ServeEvent {
  event: string;
  [k: string]: unknown;
}

export interface ServeProcess {
  host: string;
  port: number;
  events: ServeEvent[];
  stderr(): string;
  /** Resolves with the first event (from index `from`) that satisfies `pred`. */
  waitEvent(pred: (e: ServeEvent) => boolean, from?: number, what?: string): Promise<ServeEvent>;
  hup(): void;
  stop(): Promise<void>;
}

/** `watch`: let serve watch its files (default: off, reloads only on SIGHUP, so tests decide when). */
export async function startServe(args: string[], opts: { watch?: boolean } = {}): Promise<ServeProcess> {
  const child: ChildProcess = spawn(process.execPath, [PGAUTH_BIN, 'serve', '--port', '0', '--log-format', 'json', ...(opts.watch ? [] : ['--no-watch']), ...args], {
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: ServeEvent[] = [];
  let out = '';
  let err = '';
  let exited: number | null | undefined;
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    let nl;
    while ((nl = out.indexOf('\n')) >= 0) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      try {
        events.push(JSON.parse(line) as ServeEvent);
      } catch {
        events.push({ event: 'unparsed', line });
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.on('exit', (code) => (exited = code));
  const waitEvent = (pred: (e: ServeEvent) => boolean, from = 0, what = 'a serve event') =>
    waitFor(() => {
      if (exited !== undefined) throw new Error(`pgauth serve exited (${exited}): ${err}`);
      return events.slice(from).find(pred);
    }, what, 15_000);
  const listening = await waitEvent((e) => e.event === 'listening', 0, 'pgauth serve to listen');
  return {
    host: String(listening.host),
    port: Number(listening.port),
    events,
    stderr: () => err,
    waitEvent,
    hup: () => child.kill('SIGHUP'),
    stop: async () => {
      if (exited !== undefined) return;
      const done = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await done;
    },
  };
}

/**
 * Drive a terminal program as a person would: tmux runs it on a real pty,
 * send-keys types, capture-pane reads the screen.
 */
import { execFileSync } from 'node:child_process';
import { waitFor } from './pg.js';
import { which } from './env.js';

export const tmuxMissing = (): string | undefined => (which('tmux') ? undefined : 'tmux not installed (apt-get install tmux)');

export interface TmuxSession {
  /** Types keys (tmux send-keys syntax: 'Enter', 'C-c', or literal text with literal=true). */
  send(keys: string, opts?: { literal?: boolean }): void;
  screen(): string;
  /** Everything printed, scrollback included, with lines tmux wrapped joined back (a line longer than the pane shows as such). */
  history(): string;
  /** Waits until the screen contains `text` (polling the pane, bounded). */
  waitForText(text: string | RegExp, timeoutMs?: number): Promise<string>;
  /** Waits for the program to end; returns its exit status. */
  waitForExit(timeoutMs?: number): Promise<number>;
  kill(): void;
}

let counter = 0;

/**
 * Starts `command` (a shell command line) in a detached tmux session of
 * 120x30 (or `size`). Each session gets a tmux server of its own (`-L`): a shared server
 * exits with its last session, and a new-session racing that exit fails.
 */
export function startTmux(command: string, env: Record<string, string> = {}, size: { columns: number; rows: number } = { columns: 120, rows: 30 }): TmuxSession {
  const name = `pgauth-test-${process.pid}-${++counter}`;
  const tmux = (args: string[], opts: { stdio?: 'ignore' } = {}) => execFileSync('tmux', ['-L', name, ...args], opts);
  const envPrefix = Object.entries(env).map(([k, v]) => `${k}='${v.replace(/'/g, "'\\''")}'`).join(' ');
  // `; echo EXIT:$?; sleep 600` keeps the pane open so the exit status can be read.
  const line = `${envPrefix} ${command}; echo "EXIT:$?"; sleep 600`;
  tmux(['-f', '/dev/null', 'new-session', '-d', '-s', name, '-x', String(size.columns), '-y', String(size.rows), line]);
  const session: TmuxSession = {
    send(keys, opts = {}) {
      tmux(['send-keys', '-t', name, ...(opts.literal ? ['-l'] : []), keys]);
    },
    screen() {
      return tmux(['capture-pane', '-p', '-t', name]).toString();
    },
    history() {
      return tmux(['capture-pane', '-p', '-J', '-S', '-', '-t', name]).toString();
    },
    waitForText(text, timeoutMs = 15_000) {
      return waitFor(() => {
        const s = session.screen();
        return (typeof text === 'string' ? s.includes(text) : text.test(s)) ? s : undefined;
      }, `screen to show ${String(text)}`, timeoutMs);
    },
    async waitForExit(timeoutMs = 15_000) {
      const s = await session.waitForText(/EXIT:\d+/, timeoutMs);
      return Number(/EXIT:(\d+)/.exec(s)![1]);
    },
    kill() {
      try {
        tmux(['kill-server'], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    },
  };
  return session;
}

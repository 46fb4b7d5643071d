/**
 * The password prompt on a real terminal, driven with tmux: asked twice,
 * hidden (the typed password never reaches the screen), a mismatch refused.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeWith, which } from '../helpers/env.js';
import { waitFor } from '../helpers/pg.js';
import { PGAUTH_BIN } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';
import { buildScramSecret, verifyPassword, parseSecret } from '../../src/secrets/index.js';
import { startTmux } from '../helpers/tmux.js';

const tmp = tempDir('pgauth-roles-tty-');
afterAll(() => tmp.remove());

const sessions: string[] = [];
afterEach(() => {
  for (const s of sessions.splice(0)) {
    try {
      execFileSync('tmux', ['kill-session', '-t', s], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
});

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Starts the CLI in a detached tmux pane; the exit code lands in a file when it ends. */
function startInTmux(
  name: string,
  args: string[],
): { capture: () => string; keys: (...k: string[]) => void; waitScreen: (text: string, what: string) => Promise<void>; exitCode: () => number | undefined } {
  const rcFile = join(tmp.path, `${name}.rc`);
  const cmd = `NO_COLOR=1 ${q(process.execPath)} ${q(PGAUTH_BIN)} ${args.map(q).join(' ')}; echo $? > ${q(rcFile)}; sleep 600`;
  execFileSync('tmux', ['new-session', '-d', '-s', name, '-x', '120', '-y', '30', cmd]);
  sessions.push(name);
  return {
    capture: () => execFileSync('tmux', ['capture-pane', '-p', '-t', name]).toString(),
    keys: (...k: string[]) => execFileSync('tmux', ['send-keys', '-t', name, ...k]),
    waitScreen: async (text: string, what: string) => {
      try {
        await waitFor(() => execFileSync('tmux', ['capture-pane', '-p', '-t', name]).toString().includes(text), what, 30_000);
      } catch (err) {
        throw new Error(`${(err as Error).message}; the screen shows:\n${execFileSync('tmux', ['capture-pane', '-p', '-t', name]).toString()}`);
      }
    },
    exitCode: () => (existsSync(rcFile) && readFileSync(rcFile, 'utf8').trim() !== '' ? Number(readFileSync(rcFile, 'utf8').trim()) : undefined),
  };
}

describeWith(which('tmux') ? undefined : 'tmux not installed (apt-get install tmux)', 'add-role on a terminal', () => {
  // tmux's server exits with its last session; a new-session racing with that exit fails
  // with "server exited unexpectedly" (seen when test files share the server). Keep one alive.
  const keepAlive = `pgauth-roles-tty-keepalive-${process.pid}`;
  beforeAll(() => execFileSync('tmux', ['new-session', '-d', '-s', keepAlive, 'sleep 600']));
  afterAll(() => {
    try {
      execFileSync('tmux', ['kill-session', '-t', keepAlive], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  });
  it('asks for the name and the password twice, hidden, and stores it', async () => {
    const file = join(tmp.path, 'ok.txt');
    const t = startInTmux(`pgauth-tty-ok-${process.pid}`, ['add-role', '--roles', file]);
    await t.waitScreen('Role name:', 'the name prompt');
    t.keys('-l', 'ttyuser');
    t.keys('Enter');
    await t.waitScreen('Password for ttyuser:', 'the password prompt');
    t.keys('-l', 'S3cretTyped');
    t.keys('Enter');
    await t.waitScreen('Repeat password:', 'the confirmation prompt');
    t.keys('-l', 'S3cretTyped');
    t.keys('Enter');
    await waitFor(() => t.exitCode() !== undefined, 'pgauth to exit', 30_000);
    const screen = t.capture();
    expect(t.exitCode()).toBe(0);
    expect(screen).toContain('added role ttyuser');
    expect(screen).not.toContain('S3cretTyped');
    const line = readFileSync(file, 'utf8');
    const secret = line.split('"')[3]!;
    expect(verifyPassword('S3cretTyped', parseSecret(secret), 'ttyuser')).toBe(true);
  }, 60_000);

  it('verify shows a progress line for a verifier with a high iteration count, and erases it', async () => {
    const verifier = buildScramSecret('slow-pw', { iterations: 6_000_000, salt: Buffer.alloc(16, 3) });
    const t = startTmux(`${process.execPath} ${PGAUTH_BIN} verify --verifier '${verifier}' --password-env PW`, { NO_COLOR: '1', PW: 'slow-pw' });
    try {
      await t.waitForText(/checking against 6000000 SCRAM iterations \d+ s/, 30_000);
      expect(await t.waitForExit(60_000)).toBe(0);
      expect(t.screen()).toContain('match: the password matches the verifier');
      expect(t.screen()).not.toContain('checking against');
    } finally {
      t.kill();
    }
  }, 90_000);

  it('refuses a mismatched confirmation (exit 3) and writes nothing', async () => {
    const file = join(tmp.path, 'mismatch.txt');
    const t = startInTmux(`pgauth-tty-mm-${process.pid}`, ['add-role', 'mm', '--roles', file]);
    await t.waitScreen('Password for mm:', 'the password prompt');
    t.keys('-l', 'FirstOne1');
    t.keys('Enter');
    await t.waitScreen('Repeat password:', 'the confirmation prompt');
    t.keys('-l', 'SecondOne2');
    t.keys('Enter');
    await waitFor(() => t.exitCode() !== undefined, 'pgauth to exit', 30_000);
    const screen = t.capture();
    expect(t.exitCode()).toBe(3);
    expect(screen).toContain('passwords do not match');
    expect(screen).not.toContain('FirstOne1');
    expect(screen).not.toContain('SecondOne2');
    expect(existsSync(file)).toBe(false);
  }, 60_000);
});

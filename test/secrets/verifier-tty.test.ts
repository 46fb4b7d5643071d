/** `pgauth verifier` on a real terminal (tmux): the password is asked twice, hidden, and a mismatch is refused. */
import { execFileSync } from 'node:child_process';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { parseScramSecret, verifyPassword } from '../../src/secrets/index.js';
import { describeWith } from '../helpers/env.js';
import { PGAUTH_BIN } from '../helpers/proc.js';
import { startTmux, tmuxMissing, type TmuxSession } from '../helpers/tmux.js';

describeWith(tmuxMissing(), 'pgauth verifier on a terminal', () => {
  let tty: TmuxSession | undefined;
  afterEach(() => tty?.kill());
  // tmux's server exits with its last session; a new-session racing with that exit fails
  // with "server exited unexpectedly" (seen when test files share the server). Keep one alive.
  const keepAlive = `pgauth-verifier-tty-keepalive-${process.pid}`;
  beforeAll(() => execFileSync('tmux', ['new-session', '-d', '-s', keepAlive, 'sleep 600']));
  afterAll(() => {
    try {
      execFileSync('tmux', ['kill-session', '-t', keepAlive], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  });

  it('asks for the password twice without echoing it and prints the verifier', async () => {
    tty = startTmux(`${process.execPath} ${PGAUTH_BIN} verifier`, { NO_COLOR: '1' });
    await tty.waitForText('Password:');
    tty.send('Typed-Pa55', { literal: true });
    tty.send('Enter');
    await tty.waitForText('Repeat password:');
    tty.send('Typed-Pa55', { literal: true });
    tty.send('Enter');
    expect(await tty.waitForExit()).toBe(0);
    const screen = tty.screen();
    expect(screen).not.toContain('Typed-Pa55');
    // The 133-character verifier wraps at the pane's 120 columns.
    const m = /SCRAM-SHA-256\$\d+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=/.exec(screen.replace(/\n/g, ''));
    expect(m).not.toBeNull();
    expect(verifyPassword('Typed-Pa55', parseScramSecret(m![0]), 'x')).toBe(true);
  });

  it('shows a progress line while a high iteration count is computed, and erases it', async () => {
    tty = startTmux(`${process.execPath} ${PGAUTH_BIN} verifier --password-env PW --iterations 6000000`, { NO_COLOR: '1', PW: 'slow-pw' });
    await tty.waitForText(/computing the SCRAM-SHA-256 verifier \(6000000 iterations\) \d+ s/);
    expect(await tty.waitForExit(60_000)).toBe(0);
    const screen = tty.screen();
    expect(screen).not.toContain('computing');
    const m = /SCRAM-SHA-256\$6000000:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=/.exec(screen.replace(/\n/g, ''));
    expect(m).not.toBeNull();
  }, 90_000);

  it('refuses two different passwords with exit 3', async () => {
    tty = startTmux(`${process.execPath} ${PGAUTH_BIN} verifier`, { NO_COLOR: '1' });
    await tty.waitForText('Password:');
    tty.send('first-one', { literal: true });
    tty.send('Enter');
    await tty.waitForText('Repeat password:');
    tty.send('second-one', { literal: true });
    tty.send('Enter');
    expect(await tty.waitForExit()).toBe(3);
    expect(tty.screen()).toMatch(/passwords do not match/);
    expect(tty.screen()).not.toMatch(/first-one|second-one|SCRAM-SHA-256\$/);
  });
});

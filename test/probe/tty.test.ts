/**
 * probe on a real terminal (tmux): the password is asked only when the
 * server wants one, hidden; the menu's "Probe" entry leads to the same flow.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../helpers/env.js';
import { waitFor } from '../helpers/pg.js';
import { PGAUTH_BIN } from '../helpers/proc.js';
import { startTmux, tmuxMissing, type TmuxSession } from '../helpers/tmux.js';
import { buildScramSecret } from '../../src/secrets/index.js';
import { startServe } from '../helpers/serve.js';

const PW = 'typed-on-a-tty';

describeWith(tmuxMissing(), 'pgauth probe on a terminal', () => {
  let serve: Awaited<ReturnType<typeof startServe>>;
  let tty: TmuxSession | undefined;
  // tmux stops its server when the last session ends; a test starting the next session at that
  // moment gets "server exited unexpectedly". An idle session held for the whole file avoids it.
  let anchor: TmuxSession | undefined;
  const home = mkdtempSync(join(tmpdir(), 'pgauth-probe-tty-'));
  beforeAll(async () => {
    anchor = startTmux('true');
    const roles = join(home, 'userlist.txt');
    writeFileSync(roles, `"alice" "${buildScramSecret(PW)}"\n`, { mode: 0o600 });
    serve = await startServe(['--auth', 'scram-sha-256', '--roles', roles]);
  });
  afterEach(() => tty?.kill());
  afterAll(async () => {
    anchor?.kill();
    await serve?.stop();
  });

  it('asks for the password when the server wants one, never echoing it', async () => {
    tty = startTmux(`${process.execPath} ${PGAUTH_BIN} probe 127.0.0.1:${serve.port} -U alice -d postgres`, { NO_COLOR: '1', HOME: home });
    await tty.waitForText('Password for user alice:');
    tty.send(PW, { literal: true });
    tty.send('Enter');
    expect(await tty.waitForExit()).toBe(0);
    const screen = tty.screen();
    expect(screen).toContain('logged in as alice');
    expect(screen).not.toContain(PW);
  });

  it('-W asks before connecting', async () => {
    tty = startTmux(`${process.execPath} ${PGAUTH_BIN} probe 127.0.0.1:${serve.port} -U alice -d postgres -W`, { NO_COLOR: '1', HOME: home });
    await tty.waitForText('Password for user alice:');
    tty.send(PW, { literal: true });
    tty.send('Enter');
    expect(await tty.waitForExit()).toBe(0);
    expect(tty.screen().replace(/\s+/g, ' ')).toContain('password from prompt');
  });

  it('with --json redirected to a file, asks on the terminal and the file holds only the JSON', async () => {
    const out = join(home, 'probe.json');
    tty = startTmux(`${process.execPath} ${PGAUTH_BIN} probe 127.0.0.1:${serve.port} -U alice -d postgres --json > ${out}`, { NO_COLOR: '1', HOME: home });
    await tty.waitForText('Password for user alice:');
    tty.send(PW, { literal: true });
    tty.send('Enter');
    expect(await tty.waitForExit()).toBe(0);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    expect(doc.ok).toBe(true);
    expect(doc.auth.passwordSource).toBe('prompt');
    expect(readFileSync(out, 'utf8')).not.toContain(PW);
  });

  it('is reachable from the menu as "Probe"', async () => {
    tty = startTmux(`${process.execPath} ${PGAUTH_BIN}`, { NO_COLOR: '1', HOME: home });
    await tty.waitForText('What do you want to do?');
    const current = () => /❯ (.+)/.exec(tty!.screen())?.[1]?.trim();
    for (let i = 0; i < 20 && !current()?.startsWith('Probe'); i++) {
      const before = current();
      tty.send('Down');
      await waitFor(() => current() !== before, 'the menu highlight to move', 5000);
    }
    tty.send('Enter');
    await tty.waitForText('Target');
    tty.send('C-u');
    tty.send(`host=127.0.0.1 port=${serve.port} dbname=postgres`, { literal: true });
    tty.send('Enter');
    await tty.waitForText('User:');
    tty.send('alice', { literal: true });
    tty.send('Enter');
    await tty.waitForText('Password for user alice:');
    tty.send('wrong-on-purpose', { literal: true });
    tty.send('Enter');
    // The menu stays: the probe's report, then the menu again (Esc quits with 0).
    await tty.waitForText(/auth-failed[\s\S]*What do you want to do\?/);
    expect(tty.screen()).not.toContain('wrong-on-purpose');
    tty.send('Escape');
    expect(await tty.waitForExit()).toBe(0);
  });
});

import { afterEach, expect, it } from 'vitest';
import { describeWith } from '../helpers/env.js';
import { PGAUTH_BIN } from '../helpers/proc.js';
import { startTmux, tmuxMissing, type TmuxSession } from '../helpers/tmux.js';

describeWith(tmuxMissing(), 'pgauth alone on a terminal', () => {
  let tty: TmuxSession | undefined;
  afterEach(() => tty?.kill());

  it('opens the interactive menu and quits cleanly', async () => {
    tty = startTmux(`${process.execPath} ${PGAUTH_BIN}`, { NO_COLOR: '1' });
    const screen = await tty.waitForText('What do you want to do?');
    expect(screen).toContain('List roles');
    expect(screen).toContain('Which pg_hba.conf line admits a connection');
    expect(screen).toContain('Probe: log in to a server and explain');
    expect(screen).toContain('Quit');
    tty.send('Up'); // the list loops: Up from the first entry is Quit
    tty.send('Enter');
    expect(await tty.waitForExit()).toBe(0);
  });

  it('turns Ctrl-C at a prompt into exit 130 without a stack trace', async () => {
    tty = startTmux(`${process.execPath} ${PGAUTH_BIN}`, { NO_COLOR: '1' });
    await tty.waitForText('What do you want to do?');
    tty.send('C-c');
    expect(await tty.waitForExit()).toBe(130);
    expect(tty.screen()).not.toMatch(/\n\s+at /);
  });
});

/**
 * pam-check on a real terminal (tmux): the password is asked with a hidden
 * prompt and never shown; the menu's "Check PAM" leads to the same prompts.
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../helpers/env.js';
import { waitFor } from '../helpers/pg.js';
import { PGAUTH_BIN } from '../helpers/proc.js';
import { startTmux, tmuxMissing, type TmuxSession } from '../helpers/tmux.js';
import { ALICE_PASSWORD, makePamStacks, pamModulesMissing, type PamStacks } from './stacks.js';

describeWith(tmuxMissing() ?? pamModulesMissing(), 'pgauth pam-check on a terminal', () => {
  let stacks: PamStacks;
  let tty: TmuxSession | undefined;
  beforeAll(() => {
    stacks = makePamStacks();
  });
  afterEach(() => tty?.kill());
  afterAll(() => stacks.remove());

  it('prompts for the password without echoing it, then reports the steps', async () => {
    tty = startTmux(`${process.execPath} ${PGAUTH_BIN} pam-check --service svc-ok --user alice --confdir ${stacks.dir}`, { NO_COLOR: '1' });
    await tty.waitForText('PAM password for alice:');
    tty.send(ALICE_PASSWORD, { literal: true });
    tty.send('Enter');
    expect(await tty.waitForExit()).toBe(0);
    const screen = tty.screen();
    expect(screen).toMatch(/pam_acct_mgmt\s.*PAM_SUCCESS/);
    expect(screen).not.toContain(ALICE_PASSWORD);
  });

  it('asks for a missing --user on a terminal, and a wrong password exits 1', async () => {
    tty = startTmux(`${process.execPath} ${PGAUTH_BIN} pam-check --service svc-ok --confdir ${stacks.dir}`, { NO_COLOR: '1' });
    await tty.waitForText('User:');
    tty.send('alice', { literal: true });
    tty.send('Enter');
    await tty.waitForText('PAM password for alice:');
    tty.send('typed-wrong-password', { literal: true });
    tty.send('Enter');
    expect(await tty.waitForExit()).toBe(1);
    expect(tty.screen()).toMatch(/refused: PAM_AUTH_ERR/);
    expect(tty.screen()).not.toContain('typed-wrong-password');
  });

  it('is reachable from the menu as "Check PAM"', async () => {
    tty = startTmux(`${process.execPath} ${PGAUTH_BIN}`, { NO_COLOR: '1' });
    await tty.waitForText('What do you want to do?');
    // Move down until the entry is highlighted (it may be below the first page).
    const current = () => /❯ (.+)/.exec(tty!.screen())?.[1]?.trim();
    for (let i = 0; i < 20 && current() !== 'Check PAM'; i++) {
      const before = current();
      tty.send('Down');
      await tty.waitForText(/❯ /);
      await waitFor(() => current() !== before, 'the menu highlight to move', 5000);
    }
    expect(tty.screen()).toMatch(/❯ Check PAM/);
    tty.send('Enter');
    await tty.waitForText('PAM service:');
    tty.send('Enter'); // default: postgresql
    await tty.waitForText('User:');
    tty.send('alice', { literal: true });
    tty.send('Enter');
    await tty.waitForText('PAM password for alice:');
    tty.send('C-c'); // stop before /etc/pam.d is consulted
    expect(await tty.waitForExit()).toBe(130);
  });
});

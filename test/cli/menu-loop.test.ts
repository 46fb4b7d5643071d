/**
 * The menu as a person uses it (tmux): it names the role file, comes back
 * after each action, offers fixed choices as lists, turns an action's error
 * into one line and goes on, and exits 0 on Quit.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { describeWith } from '../helpers/env.js';
import { PGAUTH_BIN } from '../helpers/proc.js';
import { startTmux, tmuxMissing, type TmuxSession } from '../helpers/tmux.js';
import { waitFor } from '../helpers/pg.js';
import { startServe } from '../helpers/serve.js';
import { menuErrorLine } from '../../src/cli/menu.js';
import { CliError } from '../../src/cli/errors.js';
import { CommanderError } from 'commander';

const MENU = 'What do you want to do?';

describeWith(tmuxMissing(), 'the menu stays', () => {
  let tty: TmuxSession | undefined;
  afterEach(() => tty?.kill());

  const down = (n: number) => {
    for (let i = 0; i < n; i++) tty!.send('Down');
  };
  const type = (text: string) => {
    tty!.send(text, { literal: true });
    tty!.send('Enter');
  };

  it('adds, refuses a duplicate in one line, removes from a list, and quits with 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgauth-menu-'));
    const roles = join(dir, 'userlist.txt');
    tty = startTmux(`${process.execPath} ${PGAUTH_BIN}`, { NO_COLOR: '1', PGAUTH_ROLES: roles });
    let screen = await tty.waitForText(MENU);
    expect(screen).toContain(`Role file: ${roles} (not created yet)`);
    for (const entry of ["Change a role's attributes", 'Export the roles', 'Import roles', 'Make a SCRAM verifier', 'Serve: run a test server', 'Lint a pg_hba.conf']) {
      expect(screen).toContain(entry);
    }

    down(1); // Add a role
    tty.send('Enter');
    await tty.waitForText('Role name:');
    type('alice');
    screen = await tty.waitForText('Secret kind:');
    // A fixed choice is a list: the methods are shown, nothing can be typed.
    expect(screen).toContain('scram-sha-256');
    expect(screen).toContain('md5');
    expect(screen).toContain('plain');
    tty.send('Enter');
    await tty.waitForText('Password for alice:');
    type('wonder');
    await tty.waitForText('Repeat password:');
    type('wonder');
    screen = await tty.waitForText(`Role file: ${roles} (1 role)`);
    expect(readFileSync(roles, 'utf8')).toMatch(/^"alice" "SCRAM-SHA-256\$4096:/m);

    // The same name again: one error line, and the menu is back.
    await tty.waitForText(MENU);
    down(1);
    tty.send('Enter');
    await tty.waitForText('Role name:');
    type('alice');
    await tty.waitForText('Secret kind:');
    tty.send('Enter');
    screen = await tty.waitForText(/pgauth: .*alice.*already/);
    expect(screen).not.toMatch(/\n\s+at /);
    await tty.waitForText(MENU);

    // Remove: the role is picked from the file's roles.
    down(5);
    tty.send('Enter');
    screen = await tty.waitForText('Role:');
    expect(screen).toContain('alice');
    tty.send('Enter');
    await tty.waitForText(`Role file: ${roles} (0 roles)`);

    tty.send('Up'); // the list loops: Up from the first entry is Quit
    tty.send('Enter');
    expect(await tty.waitForExit()).toBe(0);
  });

  it('serves from the menu with a chosen method, and Ctrl-C stops the server and returns to the menu', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgauth-menu-'));
    const roles = join(dir, 'userlist.txt');
    writeFileSync(roles, '"alice" "x"\n', { mode: 0o600 });
    tty = startTmux(`${process.execPath} ${PGAUTH_BIN}`, { NO_COLOR: '1', PGAUTH_ROLES: roles });
    await tty.waitForText(`Role file: ${roles} (1 role)`);
    down(10); // Serve
    tty.send('Enter');
    const screen = await tty.waitForText('Auth method:');
    for (const m of ['scram-sha-256', 'md5', 'trust', 'reject']) expect(screen).toContain(m);
    down(3); // trust
    tty.send('Enter');
    await tty.waitForText('Port');
    tty.send('C-u');
    type('0');
    await tty.waitForText(/listening on 127\.0\.0\.1:\d+ \(auth trust, TLS off\)/);
    await tty.waitForText('connect with: psql');
    tty.send('C-c');
    await tty.waitForText('stopped');
    await tty.waitForText(MENU);
    tty.send('Up');
    tty.send('Enter');
    expect(await tty.waitForExit()).toBe(0);
  });

  it('one session: add a role, list roles, export as SQL, probe a server, quit (issue 15)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgauth-menu-'));
    const roles = join(dir, 'userlist.txt');
    const serve = await startServe(['--auth', 'trust']);
    try {
      tty = startTmux(`${process.execPath} ${PGAUTH_BIN}`, { NO_COLOR: '1', PGAUTH_ROLES: roles, HOME: dir });
      // The menu is back when one more "Role file:" header has been printed.
      let shown = 0;
      const menuBack = async () => {
        shown++;
        await waitFor(() => (tty!.history().split('Role file:').length - 1 >= shown ? true : undefined), 'the menu again');
        await tty!.waitForText('navigate');
      };
      await menuBack();
      down(1); // Add a role
      tty.send('Enter');
      await tty.waitForText('Role name:');
      type('alice');
      await tty.waitForText('Secret kind:');
      tty.send('Enter');
      await tty.waitForText('Password for alice:');
      type('wonder');
      await tty.waitForText('Repeat password:');
      type('wonder');
      await menuBack();
      tty.send('Enter'); // List roles (the first entry)
      await waitFor(() => (/^alice\s+scram-sha-256\s+4096/m.test(tty!.history()) ? true : undefined), 'the role list');
      await menuBack();
      down(7); // Export the roles
      tty.send('Enter');
      const formats = await tty.waitForText('Format:');
      for (const f of ['userlist', 'sql', 'json']) expect(formats).toContain(f);
      down(1); // sql
      tty.send('Enter');
      await waitFor(() => (/CREATE ROLE "alice"/.test(tty!.history()) ? true : undefined), 'the SQL export');
      await menuBack();
      down(11); // Probe
      tty.send('Enter');
      await tty.waitForText('Target');
      tty.send('C-u');
      type(`127.0.0.1:${serve.port}`);
      await tty.waitForText('User:');
      type('alice');
      await waitFor(() => (tty!.history().includes('logged in as alice') ? true : undefined), 'the probe report');
      await menuBack();
      tty.send('Up'); // Quit
      tty.send('Enter');
      expect(await tty.waitForExit()).toBe(0);
      expect(tty.history()).not.toMatch(/\n\s+at /);
    } finally {
      await serve.stop();
    }
  }, 60_000);

  it('says so when a role is needed and there is none, stays, and Esc quits with 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgauth-menu-'));
    tty = startTmux(`${process.execPath} ${PGAUTH_BIN}`, { NO_COLOR: '1', PGAUTH_ROLES: join(dir, 'none.txt') });
    await tty.waitForText(MENU);
    down(3); // Change a password
    tty.send('Enter');
    await tty.waitForText('pgauth: the role file has no roles yet: add one first');
    await tty.waitForText(MENU);
    tty.send('Escape');
    expect(await tty.waitForExit()).toBe(0);
  });
});

it('turns an action error into one line', () => {
  expect(menuErrorLine(new CliError('usage', 'bad thing\nsecond line'))).toBe('pgauth: bad thing');
  expect(menuErrorLine(new CliError('rejected', 'printed', true))).toBeNull();
  expect(menuErrorLine(new CommanderError(1, 'commander.unknownOption', 'x'))).toBeNull();
});

/**
 * psql's password flags on `pgauth probe` (issue 11 item 7): how the command
 * line parses (commander, as the program wires it) and what each
 * combination means (probePasswordPlan, pure). `hba check -U -d` as psql
 * spells them.
 */
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { probePasswordPlan, type ProbePasswordFlags } from '../../src/cli/commands/probe-password.js';
import { CliError } from '../../src/cli/errors.js';
import { buildProgram } from '../../src/cli/program.js';
import { pgauth } from '../helpers/proc.js';

/** The options commander hands to a subcommand's action for `args` (the real action is not run). */
async function parsed(args: string[]): Promise<Record<string, unknown>> {
  const program = await buildProgram(args);
  const words = args.filter((a) => !a.startsWith('-'));
  let cmd: Command = program;
  for (const w of words) {
    const sub = cmd.commands.find((c) => c.name() === w);
    if (!sub) break;
    cmd = sub;
  }
  let seen: Record<string, unknown> | undefined;
  cmd.action(function (this: Command) {
    seen = this.opts();
  });
  await program.parseAsync(args, { from: 'user' });
  return seen!;
}

describe('probe: the command line', () => {
  it.each<[string[], Record<string, unknown>]>([
    [['-w'], { password: false }],
    [['--no-password'], { password: false }],
    [['-W'], { W: true }],
    [['--password'], { password: true }],
    [['--password', '-U', 'alice'], { password: true, username: 'alice' }],
    [['--password', 'value-for-scripts'], { password: 'value-for-scripts' }],
    [['--password=value-for-scripts'], { password: 'value-for-scripts' }],
    [['--discover'], { discover: true }],
    [['--password-env', 'PW', '-w'], { passwordEnv: 'PW', password: false }],
  ])('probe localhost %j', async (flags, expected) => {
    expect(await parsed(['probe', 'localhost', ...flags])).toMatchObject(expected);
  });

  it('with none of them: no password flag, no discovery', async () => {
    const o = await parsed(['probe', 'localhost']);
    expect(o.password).toBeUndefined();
    expect(o.discover).toBeUndefined();
    expect(o.W).toBeUndefined();
  });
});

describe('probe: what the password flags mean (probePasswordPlan)', () => {
  const plan = (flags: ProbePasswordFlags, terminal: boolean) => probePasswordPlan(flags, terminal);
  it.each<[string, ProbePasswordFlags, boolean, ReturnType<typeof probePasswordPlan>]>([
    ['no flag, a terminal: ask once the server wants a password (psql)', {}, true, { askFirst: false, askWhenNeeded: true, discover: false }],
    ['no flag, no terminal: never ask (password-required)', {}, false, { askFirst: false, askWhenNeeded: false, discover: false }],
    ['-w on a terminal: never ask', { password: false }, true, { askFirst: false, askWhenNeeded: false, discover: false }],
    ['-w with --password-env: the variable still applies, no prompt', { password: false, passwordEnv: 'PW' }, true, { askFirst: false, askWhenNeeded: false, discover: false }],
    ['-W on a terminal: ask before connecting', { W: true }, true, { askFirst: true, askWhenNeeded: false, discover: false }],
    ["psql's --password alone: as -W", { password: true }, true, { askFirst: true, askWhenNeeded: false, discover: false }],
    ['-W with --password-env: the variable answers, nobody is asked', { W: true, passwordEnv: 'PW' }, false, { askFirst: false, askWhenNeeded: false, discover: false }],
    ['--password VALUE: no prompt', { password: 'x' }, true, { askFirst: false, askWhenNeeded: false, discover: false }],
    ['--password-stdin: no prompt', { passwordStdin: true }, true, { askFirst: false, askWhenNeeded: false, discover: false }],
    ['--discover: no secret, no prompt', { discover: true }, true, { askFirst: false, askWhenNeeded: false, discover: true }],
    ['--discover with -w', { discover: true, password: false }, true, { askFirst: false, askWhenNeeded: false, discover: true }],
  ])('%s', (_name, flags, terminal, expected) => {
    expect(plan(flags, terminal)).toEqual(expected);
  });

  it.each<[ProbePasswordFlags, boolean, string]>([
    [{ W: true }, false, '-W needs a terminal to ask on'],
    [{ password: true }, false, '--password without a VALUE needs a terminal to ask on'],
    [{ W: true, password: false }, true, '-W and -w (--no-password) contradict each other'],
    [{ discover: true, W: true }, true, '--discover sends no password: drop -W'],
    [{ discover: true, password: true }, true, '--discover sends no password: drop -W'],
    [{ discover: true, passwordEnv: 'PW' }, true, '--discover sends no password: drop --password-env'],
    [{ discover: true, passwordStdin: true }, true, '--discover sends no password: drop --password-stdin'],
    [{ discover: true, password: 'x' }, true, '--discover sends no password: drop --password'],
  ])('%j (terminal %s) is a usage error: %s', (flags, terminal, message) => {
    let caught: unknown;
    try {
      plan(flags, terminal);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CliError);
    expect((caught as CliError).message).toContain(message);
  });
});

describe('probe: contradictions are usage errors on the command line', () => {
  it.each([
    [['-W', '-w'], '-W and -w (--no-password) contradict each other'],
    [['--discover', '--password-env', 'PW'], '--discover sends no password: drop --password-env'],
  ])('%j: exit 3, one line, and with --json a JSON document', async (flags, message) => {
    const r = await pgauth(['probe', '127.0.0.1:1', ...flags, '--json']);
    expect(r.code).toBe(3);
    expect(r.stderr.startsWith(`pgauth: ${message}`)).toBe(true);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { kind: 'usage' } });
  });
});

describe('hba check: psql spellings', () => {
  it('-U USER -d DB mean --user and --db', async () => {
    expect(await parsed(['hba', 'check', 'pg_hba.conf', '-U', 'alice', '-d', 'app', '--local'])).toMatchObject({ user: 'alice', db: 'app', local: true });
  });
});

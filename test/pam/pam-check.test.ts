/**
 * `pgauth pam-check` through the built CLI: exit codes 0/1/3, the steps and
 * messages it prints, --json fields, and no password anywhere in its output.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../helpers/env.js';
import { pgauth, type RunResult } from '../helpers/proc.js';
import { ALICE_PASSWORD, makePamStacks, pamModulesMissing, type PamStacks } from './stacks.js';

describeWith(pamModulesMissing(), 'pgauth pam-check', () => {
  let stacks: PamStacks;
  beforeAll(() => {
    stacks = makePamStacks();
  });
  afterAll(() => stacks.remove());

  const check = (service: string, user: string, password: string, extra: string[] = []): Promise<RunResult> =>
    pgauth(['pam-check', '--service', service, '--user', user, '--confdir', stacks.dir, '--password-stdin', ...extra], {
      input: `${password}\n`,
    });

  it('exit 0 on success, printing each step, the messages and the time', async () => {
    const r = await check('svc-ok', 'alice', ALICE_PASSWORD);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/pam_start\s.*PAM_SUCCESS/);
    expect(r.stdout).toMatch(/pam_authenticate\s.*PAM_SUCCESS\s.*Success/);
    expect(r.stdout).toMatch(/pam_acct_mgmt\s.*PAM_SUCCESS/);
    expect(r.stdout).toMatch(/prompt-echo-off\s+Password:/);
    expect(r.stdout).toMatch(/^ok: PAM_SUCCESS \(Success\) in \d+\.\d ms$/m);
    expect(r.stdout).not.toContain(ALICE_PASSWORD);
  });

  it('exit 1 on a refusal, with the PAM result name', async () => {
    const r = await check('svc-ok', 'alice', 'not-the-password');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/pam_authenticate\s.*PAM_AUTH_ERR\s.*Authentication failure/);
    expect(r.stdout).toMatch(/^refused: PAM_AUTH_ERR \(Authentication failure\)/m);
    expect(r.stdout).not.toMatch(/pam_acct_mgmt/);
    expect(r.stdout + r.stderr).not.toContain('not-the-password');

    const acct = await check('svc-acct-deny', 'root', 'pw-root');
    expect(acct.code).toBe(1);
    expect(acct.stdout).toMatch(/pam_acct_mgmt\s.*PAM_PERM_DENIED\s.*Permission denied/);
  });

  it('exit 3 on an unknown service and on a missing module, with a hint', async () => {
    const unknown = await check('no-such-service', 'alice', ALICE_PASSWORD);
    expect(unknown.code).toBe(3);
    expect(unknown.stdout).toMatch(/pam_start\s.*PAM_ABORT/);
    expect(unknown.stdout).toMatch(/^configuration error: PAM_ABORT/m);
    expect(unknown.stdout).toContain(`hint: there is no service file ${stacks.dir}/no-such-service`);

    const missing = await check('svc-nomodule', 'alice', ALICE_PASSWORD);
    expect(missing.code).toBe(3);
    expect(missing.stdout).toMatch(/pam_authenticate\s.*PAM_MODULE_UNKNOWN\s.*Module is unknown/);
    expect(missing.stdout).toMatch(/hint: a module named in .*svc-nomodule cannot be loaded/);

    const noDir = await pgauth(['pam-check', '--service', 'svc-ok', '--user', 'alice', '--confdir', `${stacks.dir}/nowhere`, '--password-stdin'], {
      input: 'x\n',
    });
    expect(noDir.code).toBe(3);
    expect(noDir.stdout).toContain('does not exist');
  });

  it('--json prints one document with the documented fields and the same exit codes', async () => {
    const ok = await check('svc-messages', 'alice', ALICE_PASSWORD, ['--json', '--rhost', '192.0.2.7']);
    expect(ok.code).toBe(0);
    const doc = JSON.parse(ok.stdout) as Record<string, unknown>;
    expect(Object.keys(doc).sort()).toEqual(
      ['service', 'user', 'confdir', 'rhost', 'ok', 'result', 'text', 'steps', 'messages', 'configError', 'ms', 'delayMs', 'hint'].sort(),
    );
    expect(doc).toMatchObject({
      service: 'svc-messages',
      user: 'alice',
      confdir: stacks.dir,
      rhost: '192.0.2.7',
      ok: true,
      result: 'PAM_SUCCESS',
      configError: false,
      delayMs: 0,
      hint: null,
    });
    expect(doc.messages).toContainEqual({ style: 'info', text: 'hello from pam_echo' });
    expect((doc.steps as { step: string; result: string; text: string; ms: number }[]).map((s) => s.step)).toEqual(['start', 'authenticate', 'acct_mgmt']);

    const refused = await check('svc-ok', 'alice', 'nope-nope', ['--json']);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ ok: false, result: 'PAM_AUTH_ERR', configError: false });
    const config = await check('svc-nomodule', 'alice', 'x', ['--json']);
    expect(config.code).toBe(3);
    expect(JSON.parse(config.stdout)).toMatchObject({ ok: false, result: 'PAM_MODULE_UNKNOWN', configError: true });
  });

  it('never prints the password, even when a module echoes it', async () => {
    const password = 'Correct-Horse-Battery-9';
    for (const extra of [[], ['--json']]) {
      const r = await check('svc-echo-password', 'alice', password, extra);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('module saw password *** for alice');
      expect(r.stdout + r.stderr).not.toContain(password);
    }
    const env = await pgauth(['pam-check', '--service', 'svc-ok', '--user', 'alice', '--confdir', stacks.dir, '--password-env', 'PAM_PW'], {
      env: { PAM_PW: ALICE_PASSWORD },
    });
    expect(env.code).toBe(0);
    expect(env.stdout + env.stderr).not.toContain(ALICE_PASSWORD);
  });

  it('a value PAM cannot take is a usage error (exit 3) naming the flag, without repeating the value', async () => {
    const longUser = 'u'.repeat(1100);
    const long = await check('svc-ok', longUser, 'x');
    expect(long.code).toBe(3);
    expect(long.stdout).toBe('');
    expect(long.stderr).toBe('pgauth: pam-check: --user: the user name is longer than 1024 bytes\n');

    const empty = await check('svc-ok', 'alice', '');
    expect(empty.code).toBe(3);
    expect(empty.stderr).toBe('pgauth: pam-check: --password-stdin: the password is empty\n');

    const ctl = await pgauth(['pam-check', '--service', 'svc-ok', '--user', 'alice', '--confdir', stacks.dir, '--password-env', 'PAM_PW'], {
      env: { PAM_PW: 'a\u0001b' },
    });
    expect(ctl.code).toBe(1); // a control character is a password byte like any other: the stack refuses it
    const huge = await check('svc-ok', 'alice', 'p'.repeat(65_536));
    expect(huge.code).toBe(3);
    expect(huge.stderr).toBe('pgauth: pam-check: --password-stdin: the password is longer than 65535 bytes\n');
  });

  it('control characters in names never reach the terminal', async () => {
    const r = await check('svc-ok', 'al\u001b[31mice', 'x');
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('\u001b');
    expect(r.stdout).toContain('user al [31mice');
  });

  it('without a terminal, a missing user or password is a usage error (exit 3), never a hang', async () => {
    const noUser = await pgauth(['pam-check', '--service', 'svc-ok', '--confdir', stacks.dir]);
    expect(noUser.code).toBe(3);
    expect(noUser.stderr).toContain('--user');
    const noPassword = await pgauth(['pam-check', '--service', 'svc-ok', '--user', 'alice', '--confdir', stacks.dir]);
    expect(noPassword.code).toBe(3);
    expect(noPassword.stderr).toContain('--password-stdin');
  });
});

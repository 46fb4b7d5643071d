/**
 * Temporary PAM configuration folders with pam_exec stacks, as in
 * shared/reference/pam-from-node.md. Nothing under /etc/pam.d is touched.
 *
 * check.sh accepts user U with password `pw-U` (and alice/s3cret-pw). The
 * "jump" stack makes a wrong password PAM_AUTH_ERR (pam_exec alone would
 * give PAM_SYSTEM_ERR for any non-zero exit).
 */
import { existsSync, writeFileSync, chmodSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../helpers/tmp.js';

export const ALICE_PASSWORD = 's3cret-pw';

export function pamModulesMissing(): string | undefined {
  const dirs = ['/usr/lib/x86_64-linux-gnu/security', '/usr/lib/aarch64-linux-gnu/security', '/lib/security', '/usr/lib/security', '/usr/lib64/security'];
  const found = dirs.some((d) => existsSync(join(d, 'pam_exec.so')));
  if (!found) return 'pam_exec.so not found (apt-get install libpam-modules)';
  const lib = ['/usr/lib/x86_64-linux-gnu/libpam.so.0', '/lib/x86_64-linux-gnu/libpam.so.0', '/usr/lib/aarch64-linux-gnu/libpam.so.0', '/usr/lib64/libpam.so.0'];
  if (!lib.some((p) => existsSync(p))) return 'libpam.so.0 not found (apt-get install libpam0g)';
  return undefined;
}

export interface PamStacks {
  dir: string;
  remove(): void;
}

function script(path: string, body: string): void {
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
}

export function makePamStacks(): PamStacks {
  const t = tempDir('pgauth-pam-');
  chmodSync(t.path, 0o755);
  const dir = t.path;
  // expose_authtok writes exactly strlen(password) bytes, no newline (Linux-PAM >= 1.4; older
  // ones add a NUL). `read` is a shell builtin: one process per login, no tr, no subshell.
  // It returns 1 at EOF without a newline, so it is not chained with &&.
  script(
    join(dir, 'check.sh'),
    [
      `IFS= read -r pw`,
      `[ "$PAM_USER" = alice ] && [ "$pw" = '${ALICE_PASSWORD}' ] && exit 0`,
      `[ -n "$pw" ] && [ "$pw" = "pw-$PAM_USER" ] && exit 0`,
      'exit 1',
    ].join('\n'),
  );
  // slow.sh leaves a marker when it starts, so a test can wait until the logins are inside PAM.
  script(join(dir, 'slow.sh'), `IFS= read -r pw\n: > '${dir}/started-'"$PAM_USER"\nsleep 1\n[ -n "$pw" ] && [ "$pw" = "pw-$PAM_USER" ] && exit 0\nexit 1`);
  // gate.sh holds a login inside PAM until the test opens its gate (releaseGates): no timing, the test decides.
  script(
    join(dir, 'gate.sh'),
    [
      `IFS= read -r pw`,
      `mkfifo '${dir}/gate-'"$PAM_USER"`,
      `: > '${dir}/started-'"$PAM_USER"`,
      `read -r _ < '${dir}/gate-'"$PAM_USER"`,
      `[ -n "$pw" ] && [ "$pw" = "pw-$PAM_USER" ] && exit 0`,
      'exit 1',
    ].join('\n'),
  );
  // hang.sh stands for a module stuck on a network call: it outlives any test.
  script(join(dir, 'hang.sh'), `: > '${dir}/hang-started-'"$PAM_USER"\nexec sleep 60`);
  script(join(dir, 'echo.sh'), `IFS= read -r pw\necho "module saw password $pw for $PAM_USER"\nexit 0`);
  script(join(dir, 'rhost.sh'), `[ "$PAM_RHOST" = 192.0.2.7 ] && exit 0\nexit 1`);
  // Writes what it was given as PAM_RHOST (or "unset") to rhost-<user>, then accepts.
  script(join(dir, 'rhost-record.sh'), `printf '%s' "\${PAM_RHOST-unset}" > '${dir}/rhost-'"$PAM_USER"\nexit 0`);
  writeFileSync(join(dir, 'access-deny.conf'), '-:ALL:ALL\n');

  const jump = (prog: string, extra = '') =>
    `auth [success=1 default=ignore] pam_exec.so expose_authtok quiet quiet_log ${extra}${join(dir, prog)}\n` +
    'auth requisite pam_deny.so\nauth required pam_permit.so\n';
  const files: Record<string, string> = {
    'svc-ok': jump('check.sh') + 'account required pam_permit.so\n',
    // A correct password, then an account stack that refuses everyone (PAM_PERM_DENIED for a real user).
    'svc-acct-deny': jump('check.sh') + `account required pam_access.so accessfile=${join(dir, 'access-deny.conf')}\n`,
    'svc-slow': jump('slow.sh') + 'account required pam_permit.so\n',
    'svc-gate': jump('gate.sh') + 'account required pam_permit.so\n',
    // pam_faildelay asks for 1 s; libpam would sleep it on the calling thread without our callback.
    'svc-delay': 'auth optional pam_faildelay.so delay=1000000\n' + jump('check.sh') + 'account required pam_permit.so\n',
    'svc-nomodule': 'auth required pam_no_such_module_pgauth.so\naccount required pam_permit.so\n',
    'svc-nomodule-acct': jump('check.sh') + 'account required pam_no_such_module_pgauth.so\n',
    // pam_echo sends PAM_TEXT_INFO; pam_exec without quiet sends PAM_ERROR_MSG when the program fails.
    'svc-messages': 'auth optional pam_echo.so hello from pam_echo\n' + jump('check.sh').replace(' quiet quiet_log', ' quiet_log') + 'account required pam_permit.so\n',
    // A module that prints what it got on stdout, which pam_exec sends as PAM_TEXT_INFO.
    'svc-echo-password': `auth required pam_exec.so expose_authtok stdout quiet ${join(dir, 'echo.sh')}\naccount required pam_permit.so\n`,
    'svc-hang': `auth required pam_exec.so quiet ${join(dir, 'hang.sh')}\naccount required pam_permit.so\n`,
    'svc-rhost': `auth required pam_exec.so quiet ${join(dir, 'rhost.sh')}\naccount required pam_permit.so\n`,
    'svc-rhost-record': `auth required pam_exec.so quiet ${join(dir, 'rhost-record.sh')}\naccount required pam_permit.so\n`,
  };
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  return { dir, remove: t.remove };
}

/** Lets the logins of `users` held in svc-gate go on (each gate is a FIFO its login is reading). */
export async function releaseGates(dir: string, users: readonly string[]): Promise<void> {
  for (const u of users) await writeFile(join(dir, `gate-${u}`), '\n');
}

/** True once every one of `users` has entered the module of svc-gate or svc-slow. */
export const allStarted = (dir: string, users: readonly string[]): boolean => users.every((u) => existsSync(join(dir, `started-${u}`)));

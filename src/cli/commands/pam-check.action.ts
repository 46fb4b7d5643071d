/** `pgauth pam-check`: the password, the PAM request's checks, the check itself, then the report. */
import type { Command } from 'commander';
import { globalOptions, canPrompt, printJson } from '../context.js';
import { CliError, usageError } from '../errors.js';
import { readPassword, type PasswordFlags } from '../password.js';
import { style, table, print } from '../render.js';
import { runPamCheck, type PamCheckReport } from '../../pam/check.js';
import { closePam, pamRequestProblem } from '../../pam/index.js';

interface PamCheckFlags extends PasswordFlags {
  service: string;
  user?: string;
  confdir?: string;
  rhost?: string;
  json?: boolean;
}

export async function run(flags: PamCheckFlags, cmd: Command): Promise<void> {
  const g = globalOptions(cmd);
  let user = flags.user;
  if (user === undefined || user === '') {
    if (!canPrompt(g)) throw usageError('pam-check: --user is required');
    const { promptText } = await import('../prompts.js');
    user = await promptText('User:');
  }
  if (flags.service === '') throw usageError('pam-check: --service is empty');
  if (flags.confdir === '') throw usageError('pam-check: --confdir is empty');
  const password = await readPassword(flags, { confirm: false, input: g.input, message: `PAM password for ${user}:` });
  const passwordSource = flags.passwordStdin
    ? '--password-stdin'
    : flags.passwordEnv !== undefined
      ? `--password-env ${flags.passwordEnv}`
      : flags.password !== undefined
        ? '--password'
        : 'the password';
  // As PostgreSQL, which refuses an empty password before PAM runs ("empty password returned by client").
  if (password === '') throw usageError(`pam-check: ${passwordSource}: the password is empty`);

  const problem = pamRequestProblem({
    service: flags.service,
    user,
    password,
    ...(flags.confdir !== undefined ? { confdir: flags.confdir } : {}),
    ...(flags.rhost !== undefined ? { rhost: flags.rhost } : {}),
  });
  if (problem) {
    const flag = { service: '--service', confdir: '--confdir', user: '--user', rhost: '--rhost', password: passwordSource }[problem.field];
    throw usageError(`pam-check: ${flag}: ${problem.why}`);
  }
  let report: PamCheckReport;
  try {
    report = await runPamCheck({
      service: flags.service,
      user,
      password,
      ...(flags.confdir !== undefined ? { confdir: flags.confdir } : {}),
      ...(flags.rhost !== undefined ? { rhost: flags.rhost } : {}),
    });
  } finally {
    await closePam();
  }

  if (g.json || flags.json) printJson(report);
  else renderPamCheck(report);
  if (report.ok) return;
  const message = report.configError
    ? `PAM configuration error: ${report.result} (${report.text})`
    : `PAM refused user "${report.user}": ${report.result} (${report.text})`;
  throw new CliError(report.configError ? 'usage' : 'rejected', message, true);
}

/** Human output: one row per step, the stack's messages, the verdict and the time. */
export function renderPamCheck(r: PamCheckReport): void {
  // Names come from flags or a prompt: no control character reaches the terminal.
  const clean = (s: string): string => s.replace(/[\x00-\x1f\x7f]/g, ' ');
  const where = clean(r.confdir === null ? '/etc/pam.d' : r.confdir);
  const lines: string[] = [];
  lines.push(
    `${style.strong('PAM')} service ${style.strong(clean(r.service))} (${where}), user ${style.strong(clean(r.user))}` +
      (r.rhost !== null ? `, rhost ${clean(r.rhost)}` : ''),
  );
  if (r.steps.length > 0) {
    const color = (res: string) => (res === 'PAM_SUCCESS' ? style.ok(res) : style.fail(res));
    lines.push(
      table(
        ['step', 'result', 'text', 'ms'],
        r.steps.map((s) => [`pam_${s.step}`, color(s.result), s.text, s.ms.toFixed(1)]),
      ),
    );
  }
  if (r.messages.length > 0) {
    lines.push('Messages from the PAM stack:');
    for (const m of r.messages) lines.push(`  ${style.dim(m.style.padEnd(15))} ${clean(m.text)}`);
  } else {
    lines.push(style.dim('The PAM stack sent no messages.'));
  }
  const time = `${r.ms.toFixed(1)} ms` + (r.delayMs > 0 ? `, of which ${r.delayMs} ms failure delay` : '');
  if (r.ok) lines.push(`${style.ok('ok')}: ${r.result} (${r.text}) in ${time}`);
  else if (r.configError) lines.push(`${style.fail('configuration error')}: ${r.result} (${r.text}) in ${time}`);
  else lines.push(`${style.fail('refused')}: ${r.result} (${r.text}) in ${time}`);
  if (r.hint !== null) lines.push(`${style.warn('hint')}: ${r.hint}`);
  print(lines.join('\n'));
}

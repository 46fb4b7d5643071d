/** `pgauth hba lint`: every line as the pg_hba_file_rules view shows it, then the findings. */
import type { Command } from 'commander';
import { findingCases } from '../../../ci/junit.js';
import type { CiFinding } from '../../../ci/finding.js';
import { LINT_RULES } from '../../../hba/lint-rules.js';
import type { CiFlags } from '../../ci-flags.js';
import { announce, writeCiFiles, type CiReport } from '../../ci-output.js';
import { count } from '../../../files/wording.js';
import { globalOptions, printJson, warn } from '../../context.js';
import { CliError } from '../../errors.js';
import { print, style, table } from '../../render.js';
import * as hba from '../../../hba/index.js';
import { lintHba, type HbaFinding } from '../../../hba/lint.js';
import type { HbaFileRulesRow } from '../../../hba/index.js';

export interface HbaLintResult {
  file: string;
  /** The file was initdb's template and was read as initdb writes it. */
  template: boolean;
  errors: number;
  rules: number;
  /** One row per line, as the pg_hba_file_rules view (PostgreSQL 16 columns). */
  lines: HbaFileRulesRow[];
  /** The warning findings in the older shape [{file, line, message}] (kept for compatibility). */
  warnings: Array<{ file: string; line: number; message: string }>;
  /** Errors and warnings, each with a rule id and a fix (as check-roles --json); `file` only when includes are involved. */
  findings: Array<Omit<HbaFinding, 'file'> & { file?: string }>;
}

/** serverVersion: the PostgreSQL major whose texts and methods to use (default the newest, 18). */
export async function hbaLint(path: string, opts: { serverVersion?: number } = {}): Promise<HbaLintResult> {
  const file = await hba.loadHbaFile(path, { renderTemplate: true, ...(opts.serverVersion !== undefined ? { serverVersion: opts.serverVersion } : {}) });
  const all = lintHba(file);
  const multiFile = all.some((f) => f.file !== path) || file.lines.some((l) => l.file !== path);
  const findings = all.map(({ file: f, ...rest }) => ({ ...rest, ...(multiFile ? { file: f } : {}) }));
  const warnings = all.filter((f) => f.severity === 'warning').map((f) => ({ file: f.file, line: f.line, message: f.message }));
  return { file: path, template: file.template, errors: file.errors.length, rules: file.rules.length, lines: hba.hbaFileRules(file), warnings, findings };
}

function renderLint(r: HbaLintResult): string {
  const cell = (v: string | string[] | number | null) => (v === null ? '' : Array.isArray(v) ? v.join(',') : String(v));
  const rows = r.lines.map((l) => [
    cell(l.line_number),
    l.error !== null ? style.fail('error') : cell(l.type),
    cell(l.database),
    cell(l.user_name),
    cell(l.address),
    cell(l.netmask),
    cell(l.auth_method),
    cell(l.options),
    l.error !== null ? style.fail(l.error) : '',
  ]);
  const multiFile = new Set(r.lines.map((l) => l.file_name)).size > 1;
  if (multiFile) r.lines.forEach((l, i) => (rows[i]![0] = `${l.file_name}:${cell(l.line_number)}`));
  const summary =
    r.errors === 0
      ? style.ok(`${r.rules} rule${r.rules === 1 ? '' : 's'}, no errors`)
      : style.fail(`${r.errors} error${r.errors === 1 ? '' : 's'}`) + ` (PostgreSQL would not load this file)`;
  const findings = r.findings.map((f) => {
    const where = `${f.file ?? r.file}${f.line === 0 ? '' : `:${f.line}`}`;
    const sev = f.severity === 'error' ? style.fail('error') : style.warn('warning');
    return `${where}: ${sev}: ${f.message} ${style.dim(`[${f.code}]`)}\n  fix: ${f.fix}`;
  });
  const nWarn = r.warnings.length;
  const tail = nWarn > 0 ? style.warn(`, ${nWarn} warning${nWarn === 1 ? '' : 's'}`) : '';
  return [table(['line', 'type', 'database', 'user', 'address', 'netmask', 'method', 'options', 'error'], rows), ...findings, summary + tail].join('\n');
}

/** The findings for JUnit, SARIF and annotations: every finding with its file; warnings fail only under --strict. */
function ciReport(r: HbaLintResult, strict: boolean): CiReport {
  const findings: CiFinding[] = r.findings.map((f) => ({ ...f, file: f.file ?? r.file }));
  const fails = (f: CiFinding) => f.severity === 'error' || strict;
  return { title: `pgauth hba lint ${r.file}`, findings, cases: findingCases('pgauth.hba-lint', LINT_RULES, findings, fails), rules: LINT_RULES };
}

type LintFlags = CiFlags & { serverVersion: string; strict: boolean };

export async function run(file: string, flags: LintFlags, cmd: Command): Promise<void> {
  const g = globalOptions(cmd);
  const text = String(flags.serverVersion);
  if (!/^1[4-8]$/.test(text)) throw new CliError('usage', `--server-version: "${text}" is not a PostgreSQL major from 14 to 18`);
  const result = await hbaLint(file, { serverVersion: Number(text) });
  const ci = ciReport(result, flags.strict);
  await writeCiFiles(flags, ci);
  if (result.template) warn(`${file} is initdb's template: read as initdb writes it (local peer, host scram-sha-256)`);
  if (g.json) printJson(result);
  else print(renderLint(result));
  announce(flags, ci, g.json);
  if (result.errors > 0) throw new CliError('rejected', `${count(result.errors, 'error')} in ${file}`, true);
  if (flags.strict && result.warnings.length > 0) {
    throw new CliError('rejected', `${count(result.warnings.length, 'warning')} in ${file} (--strict)`, true);
  }
}

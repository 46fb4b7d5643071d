/**
 * GitHub Actions workflow commands (SPEC §8): `::error file=…,line=…,title=…::message`
 * annotations on stdout and a Markdown summary appended to $GITHUB_STEP_SUMMARY.
 *
 * Written here rather than taken from @actions/core: the format is a few
 * documented escaping rules, and @actions/core brings an HTTP client and a
 * process runner into every install of a tool that handles secrets.
 * Escaping follows the runner's rules (actions/toolkit `command.ts`):
 * data escapes % CR LF; property values also escape : and ,.
 */
import { appendFileSync } from 'node:fs';
import { findingPlace, type CiFinding } from './finding.js';

export type AnnotationLevel = 'error' | 'warning' | 'notice';

export interface AnnotationProperties {
  file?: string;
  line?: number;
  title?: string;
}

const escapeData = (s: string): string => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s: string): string => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

/**
 * `::add-mask::VALUE`: the runner hides VALUE in the rest of the job log. The
 * value is escaped as workflow-command data (as @actions/core's setSecret
 * does): a raw newline would end the command and print the rest in clear.
 */
export const maskCommand = (value: string): string => `::add-mask::${escapeData(value)}`;

/** One workflow command line (no trailing newline). */
export function annotation(level: AnnotationLevel, message: string, props: AnnotationProperties = {}): string {
  const parts: string[] = [];
  if (props.file !== undefined) parts.push(`file=${escapeProperty(props.file)}`);
  // Line 0 means "the whole file": GitHub then annotates the file without a line.
  if (props.line !== undefined && props.line > 0) parts.push(`line=${props.line}`);
  if (props.title !== undefined) parts.push(`title=${escapeProperty(props.title)}`);
  const head = parts.length > 0 ? `::${level} ${parts.join(',')}` : `::${level}`;
  return `${head}::${escapeData(message)}`;
}

/** The annotation of a file finding: the message, then the fix on its own line. */
export function findingAnnotation(f: CiFinding): string {
  const text = f.fix ? `${f.message}\nFix: ${f.fix}` : f.message;
  // A finding about no file (file '') is annotated without file and line.
  const place = f.file === '' ? {} : { file: f.file, line: f.line };
  return annotation(f.severity, text, { ...place, title: `pgauth ${f.code}` });
}

/** True when running as a GitHub Actions step and annotations are not turned off. */
export function githubActive(env: NodeJS.ProcessEnv, annotations: boolean): boolean {
  return annotations && env.GITHUB_ACTIONS === 'true';
}

/** Appends Markdown to the step summary file, when the runner gives one. */
export function appendStepSummary(env: NodeJS.ProcessEnv, markdown: string): boolean {
  const path = env.GITHUB_STEP_SUMMARY;
  if (!path) return false;
  appendFileSync(path, markdown.endsWith('\n') ? markdown : `${markdown}\n`);
  return true;
}

/** A Markdown table cell: pipes escaped, line breaks as <br>. */
export const mdCell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');

/** A Markdown table (header row, separator, rows). */
export function mdTable(head: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const line = (cells: readonly string[]): string => `| ${cells.map(mdCell).join(' | ')} |`;
  return [line(head), `|${head.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}

/** The step summary of a file check: a heading, a count and one row per finding. */
export function findingsSummary(title: string, findings: readonly CiFinding[]): string {
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.length - errors;
  const head = `### ${title}\n\n${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}\n`;
  if (findings.length === 0) return `${head}\n`;
  const rows = findings.map((f) => [findingPlace(f), f.severity, f.code, f.message, f.fix ?? '']);
  return `${head}\n${mdTable(['where', 'severity', 'rule', 'message', 'fix'], rows)}\n\n`;
}

/**
 * The probe's reports for CI systems (SPEC §8): `--junit FILE` (one testcase
 * per target, a failure carrying the diagnosis code, cause and fix, or the
 * unmet expectations), and on GitHub Actions an error annotation per failed
 * target plus a step summary. Workflow commands go to stdout, or to stderr
 * under --json so that stdout stays one JSON document (the runner reads both).
 */
import { annotation, appendStepSummary, githubActive, mdTable } from '../../ci/github.js';
import { junitXml, type JunitCase } from '../../ci/junit.js';
import type { CiFlags } from '../ci-flags.js';
import { writeReport } from '../ci-output.js';
import { warn } from '../context.js';
import { SUMMARY_HEAD, summaryRow, unmetExpectations, type TargetOutcome } from './probe-summary.js';

/** Why a target failed, in one line, or undefined when it passed. */
function failureMessage(o: TargetOutcome): string | undefined {
  const r = o.result;
  if (r.exit === 'ok') return undefined;
  if (r.exit === 'expectation') return `expectation not met: ${r.expectations.filter((e) => !e.met).map((e) => e.name).join(', ')}`;
  return `${r.diagnosis.code}: ${(r.error.message ?? r.diagnosis.cause).split('\n')[0]}`;
}

/** The long text of a failure: the server's message, cause, fix, unmet expectations. */
function failureText(o: TargetOutcome): string {
  const r = o.result;
  const lines = [`target: ${o.label}`];
  if (!r.ok) {
    if (r.error.message) lines.push(`error: ${r.error.message}${r.error.code ? ` (SQLSTATE ${r.error.code})` : ''}`);
    lines.push(`diagnosis: ${r.diagnosis.code}`, `cause: ${r.diagnosis.cause}`, `fix: ${r.diagnosis.fix}`);
  }
  for (const u of unmetExpectations(r)) lines.push(`expected ${u}`);
  if (r.wait) lines.push(`waited: ${r.wait.attempts} attempts, ${r.wait.waitedMs} ms${r.wait.timedOut ? ', out of time' : ''}`);
  return lines.join('\n');
}

export function probeJunit(outcomes: readonly TargetOutcome[]): string {
  const cases = outcomes.map((o): JunitCase => {
    const message = failureMessage(o);
    return { name: o.label, classname: 'pgauth.probe', seconds: o.ms / 1000, ...(message !== undefined ? { failure: { message, text: failureText(o) } } : {}) };
  });
  return junitXml('pgauth probe', cases);
}

/** One `::error` per failed target: the diagnosis (or "expectation not met") as title, cause and fix as text. */
export function probeAnnotations(outcomes: readonly TargetOutcome[]): string[] {
  return outcomes.flatMap((o) => {
    const r = o.result;
    if (r.exit === 'ok') return [];
    const title = `pgauth probe ${o.label}: ${r.exit === 'expectation' ? 'expectation not met' : r.diagnosis.code}`;
    const text = [r.ok ? '' : (r.error.message ?? ''), r.ok ? '' : r.diagnosis.cause, r.ok ? '' : `Fix: ${r.diagnosis.fix}`, ...unmetExpectations(r).map((u) => `Expected ${u}`)];
    return [annotation('error', text.filter(Boolean).join('\n'), { title })];
  });
}

/** The Markdown of the step summary: a count, then the summary table with the fix of each failure. */
export function probeStepSummary(outcomes: readonly TargetOutcome[]): string {
  const failed = outcomes.filter((o) => o.result.exit !== 'ok').length;
  const rows = outcomes.map((o) => [...summaryRow(o), o.result.exit === 'ok' || o.result.ok ? '' : o.result.diagnosis.fix]);
  const count = `${outcomes.length} target${outcomes.length === 1 ? '' : 's'}, ${failed} failed`;
  return `### pgauth probe\n\n${count}\n\n${mdTable([...SUMMARY_HEAD, 'fix'], rows)}\n\n`;
}

/**
 * Writes --junit (atomically, before any report is printed: a file that
 * cannot be written is the run's one error) and, on GitHub Actions, the
 * annotations and the step summary.
 */
export async function writeProbeCiOutputs(outcomes: readonly TargetOutcome[], flags: Pick<CiFlags, 'junit' | 'annotations'>, json: boolean): Promise<void> {
  if (flags.junit !== undefined) await writeReport('--junit', flags.junit, probeJunit(outcomes));
  if (!githubActive(process.env, flags.annotations !== false)) return;
  const stream = json ? process.stderr : process.stdout;
  for (const line of probeAnnotations(outcomes)) stream.write(`${line}\n`);
  try {
    appendStepSummary(process.env, probeStepSummary(outcomes));
  } catch (err) {
    warn(`cannot append to $GITHUB_STEP_SUMMARY (${process.env.GITHUB_STEP_SUMMARY}): ${(err as Error).message}`);
  }
}

/**
 * `pgauth probe T1 T2 ...`'s human output (SPEC §8): one summary row per
 * target once all are done, then the diagnosis of each failed target. The
 * rows are plain data so the step summary (probe-ci.ts) shows the same.
 */
import type { ExitKind } from '../../probe/probe.js';
import { print, style, table } from '../render.js';
import type { WaitedResult } from './probe-wait.js';

/** One target's outcome in a run over several. */
export interface TargetOutcome {
  label: string;
  result: WaitedResult;
  /** Wall time of this target, waits included. */
  ms: number;
}

export const SUMMARY_HEAD = ['target', 'result', 'method', 'TLS', 'diagnosis'] as const;

const RESULT_TEXT: Record<ExitKind, string> = {
  ok: 'ok',
  rejected: 'rejected (1)',
  unreachable: 'no response (2)',
  expectation: 'expectation not met (4)',
};

/** The cells of a target's summary row, unstyled. */
export function summaryRow(o: TargetOutcome): string[] {
  const r = o.result;
  const waited = r.wait && r.wait.attempts > 1 ? `, after ${r.wait.attempts} attempts` : '';
  return [o.label, `${RESULT_TEXT[r.exit]}${waited}`, r.auth.method ?? '-', r.tls.version ?? 'no', r.diagnosis.code];
}

/** The expectations a result did not meet, as "auth scram-sha-256: the server asked for md5". */
export const unmetExpectations = (r: WaitedResult): string[] => r.expectations.filter((e) => !e.met).map((e) => `${e.name}: ${e.detail}`);

/** The summary table, then cause and fix for each target that failed. */
export function renderSummary(outcomes: readonly TargetOutcome[]): void {
  const rows = outcomes.map((o) => {
    const cells = summaryRow(o);
    cells[1] = o.result.exit === 'ok' ? style.ok(cells[1]!) : style.fail(cells[1]!);
    return cells;
  });
  const failed = outcomes.filter((o) => o.result.exit !== 'ok');
  const out = [table([...SUMMARY_HEAD], rows)];
  for (const o of failed) {
    const r = o.result;
    out.push(`${style.fail('FAILED')} ${style.strong(o.label)}: ${r.diagnosis.code}${r.error.message ? `: ${r.error.message.split('\n')[0]}` : ''}`);
    if (!r.ok) out.push(`  cause: ${r.diagnosis.cause}`, `  fix:   ${r.diagnosis.fix}`);
    for (const u of unmetExpectations(r)) out.push(`  expect FAILED ${u}`);
  }
  const ok = outcomes.length - failed.length;
  out.push(failed.length === 0 ? style.ok(`all ${outcomes.length} targets ok`) : style.fail(`${failed.length} of ${outcomes.length} targets failed, ${ok} ok`));
  print(out.join('\n'));
}

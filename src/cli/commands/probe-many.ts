/**
 * The target loop around the probe (SPEC §8): every target of the plan,
 * `--jobs` at a time, each waited for under --wait; then, for a run over
 * several targets, the summary (or `{ok, results}` under --json) and the
 * worst exit code (0 < 1 < 2 < 4).
 */
import { mapLimit, worstExit } from '../../ci/targets.js';
import type { ConnParams } from '../../probe/conninfo.js';
import type { ExitKind, ProbeResult } from '../../probe/probe.js';
import { printJson } from '../context.js';
import { CliError } from '../errors.js';
import { renderSummary, type TargetOutcome } from './probe-summary.js';
import type { ProbePlan } from './probe-targets.js';
import { probeWaiting, type WaitReporter } from './probe-wait.js';

/** Exit kinds from best to worst: their order is the exit codes' (0, 1, 2, 4). */
const EXIT_ORDER: readonly ExitKind[] = ['ok', 'rejected', 'unreachable', 'expectation'];

/** Probes every target of `plan` (at most plan.jobs at once); outcomes in the plan's order. */
export function probeTargets(plan: ProbePlan, probe: (params: ConnParams, label: string) => Promise<ProbeResult>, reporter: WaitReporter): Promise<TargetOutcome[]> {
  return mapLimit(plan.targets, plan.jobs, async ({ params, label }): Promise<TargetOutcome> => {
    const t0 = Date.now();
    const result =
      plan.waitMs === undefined
        ? await probe(params, label)
        : await probeWaiting({ label, params, totalMs: plan.waitMs, probe: (p) => probe(p, label), reporter });
    return { label, result, ms: Date.now() - t0 };
  });
}

/** The worst exit of a run over several targets. */
export const worstExitKind = (outcomes: readonly TargetOutcome[]): ExitKind => EXIT_ORDER[worstExit(outcomes.map((o) => EXIT_ORDER.indexOf(o.result.exit)))]!;

/** The output of a run over several targets; throws (silently: all is printed) with the worst exit. */
export function reportMany(outcomes: readonly TargetOutcome[], json: boolean): void {
  const worst = worstExitKind(outcomes);
  if (json) printJson({ ok: worst === 'ok', results: outcomes.map((o) => o.result) });
  else renderSummary(outcomes);
  if (worst === 'ok') return;
  const failed = outcomes.filter((o) => o.result.exit !== 'ok').length;
  throw new CliError(worst, `${failed} of ${outcomes.length} targets failed`, true);
}

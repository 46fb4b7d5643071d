/**
 * What `pgauth probe` prints once its targets are probed: the CI outputs
 * (--junit, GitHub annotations), then one target's report or several
 * targets' summary, and the exit. probe.action.ts loads this module while
 * the first login waits on the network: nothing here is needed before.
 */
import type { CiFlags } from '../ci-flags.js';
import { printJson } from '../context.js';
import { CliError } from '../errors.js';
import { writeProbeCiOutputs } from './probe-ci.js';
import { reportMany } from './probe-many.js';
import { renderProbe } from './probe-render.js';
import { renderServerLog } from './probe-server-log.js';
import type { TargetOutcome } from './probe-summary.js';
import type { WaitedResult } from './probe-wait.js';

/** Writes the CI outputs, then the report or the summary; throws (silently: all is printed) with the exit of a failed run. */
export async function reportOutcomes(outcomes: readonly TargetOutcome[], flags: Pick<CiFlags, 'junit' | 'annotations'>, json: boolean, many: boolean, steps: boolean): Promise<void> {
  await writeProbeCiOutputs(outcomes, flags, json);
  if (many) reportMany(outcomes, json);
  else reportOne(outcomes[0]!.result, json, steps);
}

/** One target: today's report (with `wait` under --json after --wait), the exit of its result. */
function reportOne(result: WaitedResult, json: boolean, steps: boolean): void {
  if (json) printJson(result);
  else {
    renderProbe(result, { steps });
    if (result.serverLog) renderServerLog(result.serverLog);
  }
  if (result.exit === 'ok') return;
  const unmet = result.expectations.filter((e) => !e.met).map((e) => e.name);
  const message = result.exit === 'expectation' ? `expectation not met: ${unmet.join(', ')}` : `${result.diagnosis.code}: ${result.error.message ?? ''}`;
  throw new CliError(result.exit, message, true);
}

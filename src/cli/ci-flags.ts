/**
 * The CI output flags of the file checks (SPEC §8), definitions only:
 * `--junit FILE`, `--sarif FILE` and `--no-annotations`. What they do is in
 * ci-output.ts, loaded by the actions.
 */
import type { Command } from 'commander';

export interface CiFlags {
  junit?: string;
  sarif?: string;
  /** false with --no-annotations. */
  annotations?: boolean;
}

/** `junit`: what the JUnit report's testcases are, for the help. */
export function ciOptions(cmd: Command, opts: { sarif: boolean; junit?: string }): Command {
  cmd.option('--junit <FILE>', `also write a JUnit XML report to FILE (${opts.junit ?? 'one testcase per finding, and per check that found nothing'})`);
  if (opts.sarif) cmd.option('--sarif <FILE>', 'also write a SARIF 2.1.0 log to FILE (rule ids, help, findings at file:line) for code scanning');
  return cmd.option('--no-annotations', 'under GitHub Actions (GITHUB_ACTIONS=true): no ::error/::warning annotations and no step summary');
}

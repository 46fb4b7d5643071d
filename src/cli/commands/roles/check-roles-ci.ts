/**
 * `check-roles` for CI systems (SPEC §8): its findings with the role file as
 * their file, JUnit testcases per finding and per check that found nothing,
 * and the rule catalogue for SARIF. Errors fail; warnings do not (as the
 * exit code).
 */
import { findingCases } from '../../../ci/junit.js';
import type { CiFinding } from '../../../ci/finding.js';
import { ROLE_RULES } from '../../../roles/finding-rules.js';
import type { Finding } from '../../../roles/format.js';
import type { CiReport } from '../../ci-output.js';

/** Not a check of its own: it counts the findings past the listing cap. */
const CHECKED = ROLE_RULES.filter((r) => r.id !== 'more-findings');

export function checkRolesReport(path: string, findings: readonly Finding[]): CiReport {
  const ci: CiFinding[] = findings.map((f) => ({ file: path, line: f.line, severity: f.severity, code: f.code, message: f.message, fix: f.fix }));
  return {
    title: `pgauth check-roles ${path}`,
    findings: ci,
    cases: findingCases('pgauth.check-roles', CHECKED, ci, (f) => f.severity === 'error'),
    rules: ROLE_RULES,
  };
}

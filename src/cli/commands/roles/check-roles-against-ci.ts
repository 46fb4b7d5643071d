/**
 * `check-roles --against` for CI systems (SPEC §8, §11): one JUnit testcase
 * per role and server (failing on drift, with what differs and the fix), one
 * annotation per drifted role at its line in the role file, a step summary.
 */
import type { CiFinding, CiRule } from '../../../ci/finding.js';
import type { JunitCase } from '../../../ci/junit.js';
import { hasDrift, type RoleDrift } from '../../../roles/drift.js';
import type { ServerDrift } from '../../../probe/drift-live.js';
import type { CiReport } from '../../ci-output.js';
import { describeDifference } from './check-roles-against.js';

const FIX = 'run `pgauth export --format sql --sync | psql` against the server, or change the file to match';

const RULES: readonly CiRule[] = [
  { id: 'role-drift', title: 'role differs between the role file and a server', help: `The file and the server disagree (verifier, expiry, LOGIN, connection limit, memberships, or the role is on one side only). SCRAM pass-through needs the identical verifier on both tiers. Fix: ${FIX}.` },
];

function whatDiffers(d: RoleDrift): string {
  if (d.presence === 'file-only') return 'only in the file';
  if (d.presence === 'server-only') return 'only on the server';
  return d.differences.map(describeDifference).join('; ');
}

export function againstReport(path: string, servers: readonly ServerDrift[], lineOf: (role: string) => number): CiReport {
  const findings: CiFinding[] = [];
  const cases: JunitCase[] = [];
  for (const s of servers) {
    for (const d of s.roles) {
      const name = `${d.role} against ${s.server}`;
      if (!hasDrift(d)) {
        cases.push({ name, classname: 'pgauth.check-roles.against', seconds: 0 });
        continue;
      }
      const message = `role "${d.role}" drifted from ${s.server}: ${whatDiffers(d)}`;
      findings.push({ file: path, line: lineOf(d.role), severity: 'error', code: 'role-drift', message, fix: FIX });
      cases.push({ name, classname: 'pgauth.check-roles.against', seconds: 0, failure: { message, text: `${message}\nfix: ${FIX}` } });
    }
  }
  return { title: `pgauth check-roles ${path} --against`, findings, cases, rules: RULES };
}

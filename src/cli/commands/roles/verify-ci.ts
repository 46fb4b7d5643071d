/**
 * `verify` for CI systems (SPEC §8): one testcase for the role checked,
 * failing on a mismatch with the reason and the fix; an expired password or
 * a nologin role on a match are warnings (the password is right, the login
 * would still fail). File findings point at the role's line in the role file.
 */
import type { CiFinding } from '../../../ci/finding.js';
import type { JunitCase } from '../../../ci/junit.js';
import type { CiReport } from '../../ci-output.js';

export interface VerifyOutcome {
  name: string | null;
  match: boolean;
  method: string;
  expired: boolean;
  login: boolean;
  validUntil?: string;
  /** The role file and the role's line; file '' for --verifier. */
  file: string;
  line: number;
}

function mismatchFix(o: VerifyOutcome): string {
  if (o.method === 'empty') return `the stored secret is empty: set one with pgauth passwd ${o.name ?? 'NAME'}`;
  if (o.file === '') return 'check that the verifier was made from this password (and, for md5, with this role name)';
  return `if the password is right, the stored secret is out of date: set it with pgauth passwd ${o.name ?? 'NAME'}`;
}

function verifyFindings(o: VerifyOutcome): CiFinding[] {
  const who = o.name !== null ? `role ${o.name}` : 'the verifier';
  const at = { file: o.file, line: o.line };
  if (!o.match) return [{ ...at, severity: 'error', code: 'password-mismatch', message: `the password does not match ${who} (${o.method})`, fix: mismatchFix(o) }];
  const out: CiFinding[] = [];
  const role = o.name ?? 'NAME';
  if (o.expired) {
    out.push({ ...at, severity: 'warning', code: 'password-expired', message: `the password matches ${who} but expired at ${o.validUntil}`, fix: `pgauth alter-role ${role} --valid-until TIMESTAMP (or --no-valid-until)` });
  }
  if (!o.login) out.push({ ...at, severity: 'warning', code: 'nologin', message: `the password matches ${who} but the role may not log in (nologin)`, fix: `pgauth alter-role ${role} --login` });
  return out;
}

export function verifyReport(o: VerifyOutcome): CiReport {
  return reportOf(o.name ?? 'verifier', verifyFindings(o));
}

/** The role is not in the role file: the check fails at the file as a whole. */
export function missingRoleReport(name: string, path: string): CiReport {
  return reportOf(name, [{ file: path, line: 0, severity: 'error', code: 'role-missing', message: `role ${name} is not in ${path}`, fix: `add it (pgauth add-role ${name}), or give the role file it is in (--roles)` }]);
}

function reportOf(name: string, findings: CiFinding[]): CiReport {
  const text = (f: CiFinding) => `${f.severity}: ${f.message}\nfix: ${f.fix}`;
  const failure = findings.find((f) => f.severity === 'error');
  const testcase: JunitCase = failure
    ? { name, classname: 'pgauth.verify', seconds: 0, failure: { message: failure.message, text: text(failure) } }
    : { name, classname: 'pgauth.verify', seconds: 0, ...(findings.length > 0 ? { output: findings.map(text).join('\n') } : {}) };
  return { title: `pgauth verify ${name}`, findings, cases: [testcase] };
}

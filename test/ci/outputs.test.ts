/**
 * The CI outputs of SPEC §8 as pure modules: JUnit read back by a real JUnit
 * parser (junit2json), SARIF validated against the 2.1.0 schema, GitHub
 * workflow commands byte for byte, the step summary written to its file.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'junit2json';
import { describe, expect, it } from 'vitest';
import { findingCases, junitXml } from '../../src/ci/junit.js';
import { sarifLog } from '../../src/ci/sarif.js';
import { annotation, appendStepSummary, findingAnnotation, findingsSummary, githubActive, maskCommand } from '../../src/ci/github.js';
import type { CiFinding } from '../../src/ci/finding.js';
import { sarifValidator } from '../helpers/sarif.js';

const findings: CiFinding[] = [
  { file: 'pg_hba.conf', line: 1, severity: 'error', code: 'trust-open', message: 'trust on a host line open beyond loopback', fix: 'use scram-sha-256' },
  { file: 'conf/pg hba,1.conf', line: 0, severity: 'warning', code: 'md5', message: 'md5: 100% "deprecated"\nsince 18', fix: 'scram-sha-256' },
];

describe('JUnit XML', () => {
  it('is read back by a JUnit parser: one failing testcase carries its diagnosis and fix', async () => {
    const xml = junitXml('pgauth probe', [
      { name: '127.0.0.1:5432', classname: 'pgauth.probe', seconds: 0.012 },
      { name: 'db:5432 <alice>', classname: 'pgauth.probe', seconds: 1.5, failure: { message: 'auth-failed: password authentication failed for user "alice"', text: 'cause: wrong password\u0007\nfix: run pgauth passwd & retry' } },
    ]);
    const doc = (await parse(xml)) as { testsuite: Array<{ tests: number; failures: number; testcase: Array<{ name: string; failure?: Array<{ message: string; inner: string }> }> }> };
    const suite = doc.testsuite[0]!;
    expect(suite.tests).toBe(2);
    expect(suite.failures).toBe(1);
    expect(suite.testcase.map((c) => c.name)).toEqual(['127.0.0.1:5432', 'db:5432 <alice>']);
    expect(suite.testcase[0]!.failure).toBeUndefined();
    expect(suite.testcase[1]!.failure![0]!.message).toBe('auth-failed: password authentication failed for user "alice"');
    expect(suite.testcase[1]!.failure![0]!.inner).toBe('cause: wrong password\nfix: run pgauth passwd & retry');
  });
});

describe('findingCases', () => {
  it('one case per finding, one passing case per rule that found nothing, unknown codes last; only `fails` fails', () => {
    const rules = [
      { id: 'md5', title: 'md5', help: 'h' },
      { id: 'shadowed', title: 'unreachable line', help: 'h' },
    ];
    const extra: CiFinding = { file: '', line: 0, severity: 'error', code: 'password-mismatch', message: 'no match', fix: 'passwd' };
    const cases = findingCases('pgauth.t', rules, [...findings, extra], (f) => f.severity === 'error');
    expect(cases.map((c) => [c.name, c.failure ? 'fail' : 'pass', c.output ?? null])).toEqual([
      ['md5 at conf/pg hba,1.conf', 'pass', 'warning: md5: 100% "deprecated"\nsince 18\nfix: scram-sha-256'],
      ['shadowed: unreachable line', 'pass', null],
      ['trust-open at pg_hba.conf:1', 'fail', null],
      ['password-mismatch', 'fail', null],
    ]);
    expect(cases[2]!.failure).toEqual({ message: 'trust on a host line open beyond loopback', text: 'error: trust on a host line open beyond loopback\nfix: use scram-sha-256' });
  });
});

describe('SARIF', () => {
  const validate = sarifValidator();

  it('validates against the SARIF 2.1.0 schema, rules with ids and help, results at file and line', () => {
    const log = sarifLog(
      { name: 'pgauth', version: '0.1.0', informationUri: 'https://example.invalid/pgauth' },
      [{ id: 'trust-open', title: 'trust beyond loopback', help: 'Anyone who can reach the port logs in as any role.' }],
      findings,
    );
    const json = JSON.parse(JSON.stringify(log)) as unknown;
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    const run = log.runs[0]!;
    expect(run.tool.driver.rules!.map((r) => r.id)).toEqual(['trust-open', 'md5']);
    expect(run.results![0]).toMatchObject({ ruleId: 'trust-open', ruleIndex: 0, level: 'error' });
    expect(run.results![0]!.locations![0]!.physicalLocation!.region).toEqual({ startLine: 1 });
    expect(run.results![1]!.locations![0]!.physicalLocation).toEqual({ artifactLocation: { uri: 'conf/pg%20hba,1.conf' } });
  });

  it('the validator does reject a log that breaks the schema', () => {
    expect(validate({ version: '2.1.0', runs: [{ tool: { driver: {} } }] })).toBe(false);
  });

  it('is still valid with no findings', () => {
    const log = sarifLog({ name: 'pgauth', version: '0.1.0', informationUri: 'https://example.invalid/pgauth' }, [], []);
    expect(validate(JSON.parse(JSON.stringify(log)))).toBe(true);
  });
});

describe('GitHub workflow commands', () => {
  it('writes ::error with file, line and title, escaping data and properties as the runner reads them', () => {
    expect(findingAnnotation(findings[0]!)).toBe('::error file=pg_hba.conf,line=1,title=pgauth trust-open::trust on a host line open beyond loopback%0AFix: use scram-sha-256');
    expect(findingAnnotation(findings[1]!)).toBe('::warning file=conf/pg hba%2C1.conf,title=pgauth md5::md5: 100%25 "deprecated"%0Asince 18%0AFix: scram-sha-256');
    expect(annotation('notice', 'a\r\nb')).toBe('::notice::a%0D%0Ab');
    expect(annotation('error', 'x', { title: 'a:b' })).toBe('::error title=a%3Ab::x');
  });

  it('masks a secret as one command even when it holds a line break or %', () => {
    expect(maskCommand('pa%ss\nword\r')).toBe('::add-mask::pa%25ss%0Aword%0D');
    expect(maskCommand('pa%ss\nword').split('\n')).toHaveLength(1);
  });

  it('is on only under GITHUB_ACTIONS=true and not with --no-annotations', () => {
    expect(githubActive({ GITHUB_ACTIONS: 'true' }, true)).toBe(true);
    expect(githubActive({ GITHUB_ACTIONS: 'true' }, false)).toBe(false);
    expect(githubActive({}, true)).toBe(false);
  });

  it('appends a Markdown summary to $GITHUB_STEP_SUMMARY (pipes escaped, newlines as <br>)', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'pgauth-summary-')), 'summary.md');
    writeFileSync(file, 'before\n');
    expect(appendStepSummary({ GITHUB_STEP_SUMMARY: file }, findingsSummary('hba lint pg_hba.conf', findings))).toBe(true);
    expect(appendStepSummary({}, 'x')).toBe(false);
    const text = readFileSync(file, 'utf8');
    expect(text.startsWith('before\n### hba lint pg_hba.conf\n\n1 error, 1 warning\n')).toBe(true);
    expect(text).toContain('| pg_hba.conf:1 | error | trust-open | trust on a host line open beyond loopback | use scram-sha-256 |');
    expect(text).toContain('| conf/pg hba,1.conf | warning | md5 | md5: 100% "deprecated"<br>since 18 | scram-sha-256 |');
  });
});

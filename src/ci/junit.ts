/**
 * JUnit XML for CI systems (one testsuite, one testcase per check), the
 * format GitLab, Jenkins and GitHub test reporters read. Pure: built with
 * xmlbuilder2, which escapes text and attributes; characters XML 1.0 cannot
 * carry at all are dropped first (a server's message may hold any byte).
 */
import { createRequire } from 'node:module';
import type * as Xmlbuilder2 from 'xmlbuilder2';

// xmlbuilder2 (with ~160 modules of its own) loads only when a report is written:
// every probe and check imports this module, few write JUnit.
const require = createRequire(import.meta.url);
let builder: typeof Xmlbuilder2 | undefined;
const xml = (): typeof Xmlbuilder2 => (builder ??= require('xmlbuilder2') as typeof Xmlbuilder2);
import { findingPlace, type CiFinding, type CiRule } from './finding.js';

export interface JunitCase {
  name: string;
  classname: string;
  /** Undefined when the case passed. */
  failure?: { message: string; text: string };
  /** Text for `<system-out>` (a warning that does not fail the run). */
  output?: string;
  seconds: number;
}

const xmlChars = (s: string): string => s.replace(/[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu, '');

export function junitXml(suite: string, cases: readonly JunitCase[]): string {
  const failures = String(cases.filter((c) => c.failure).length);
  const time = cases.reduce((t, c) => t + c.seconds, 0).toFixed(3);
  const tests = String(cases.length);
  const root = xml().create({ version: '1.0', encoding: 'UTF-8' }).ele('testsuites', { name: xmlChars(suite), tests, failures, time });
  const ts = root.ele('testsuite', { name: xmlChars(suite), tests, failures, errors: '0', skipped: '0', time });
  for (const c of cases) {
    const tc = ts.ele('testcase', { name: xmlChars(c.name), classname: xmlChars(c.classname), time: c.seconds.toFixed(3) });
    if (c.failure) tc.ele('failure', { message: xmlChars(c.failure.message) }).txt(xmlChars(c.failure.text));
    if (c.output !== undefined) tc.ele('system-out').txt(xmlChars(c.output));
  }
  return `${root.end({ prettyPrint: true, indent: '  ' })}\n`;
}

/**
 * The testcases of a file check: one per finding (named by its rule and
 * place), and one passing case per rule that found nothing, so a clean run
 * still lists what was checked. `fails` says which findings fail the run
 * (errors, and warnings under --strict); the others pass with their text in
 * `<system-out>`. Findings of a code outside `rules` come last.
 */
export function findingCases(classname: string, rules: readonly CiRule[], findings: readonly CiFinding[], fails: (f: CiFinding) => boolean): JunitCase[] {
  const caseOf = (f: CiFinding): JunitCase => {
    const where = findingPlace(f);
    const text = `${f.severity}: ${f.message}${f.fix ? `\nfix: ${f.fix}` : ''}`;
    const name = where === '' ? f.code : `${f.code} at ${where}`;
    return fails(f) ? { name, classname, seconds: 0, failure: { message: f.message, text } } : { name, classname, seconds: 0, output: text };
  };
  const known = new Set(rules.map((r) => r.id));
  const cases = rules.flatMap((r): JunitCase[] => {
    const mine = findings.filter((f) => f.code === r.id);
    return mine.length > 0 ? mine.map(caseOf) : [{ name: `${r.id}: ${r.title}`, classname, seconds: 0 }];
  });
  return [...cases, ...findings.filter((f) => !known.has(f.code)).map(caseOf)];
}

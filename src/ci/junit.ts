/**
 * JUnit XML for CI systems (one testsuite, one testcase per check), the
 * format GitLab, Jenkins and GitHub test reporters read. Pure: built with
 * xmlbuilder2, which escapes text and attributes; characters XML 1.0 cannot
 * carry at all are dropped first (a server's message may hold any byte).
 */
import { create } from 'xmlbuilder2';

export interface JunitCase {
  name: string;
  classname: string;
  /** Undefined when the case passed. */
  failure?: { message: string; text: string };
  seconds: number;
}

const xmlChars = (s: string): string => s.replace(/[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu, '');

export function junitXml(suite: string, cases: readonly JunitCase[]): string {
  const failures = String(cases.filter((c) => c.failure).length);
  const time = cases.reduce((t, c) => t + c.seconds, 0).toFixed(3);
  const tests = String(cases.length);
  const root = create({ version: '1.0', encoding: 'UTF-8' }).ele('testsuites', { name: xmlChars(suite), tests, failures, time });
  const ts = root.ele('testsuite', { name: xmlChars(suite), tests, failures, errors: '0', skipped: '0', time });
  for (const c of cases) {
    const tc = ts.ele('testcase', { name: xmlChars(c.name), classname: xmlChars(c.classname), time: c.seconds.toFixed(3) });
    if (c.failure) tc.ele('failure', { message: xmlChars(c.failure.message) }).txt(xmlChars(c.failure.text));
  }
  return `${root.end({ prettyPrint: true, indent: '  ' })}\n`;
}

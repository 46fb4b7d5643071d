/**
 * JUnit XML for CI systems (one testsuite, one testcase per check), the
 * format GitLab, Jenkins and GitHub test reporters read. Pure.
 */
export interface JunitCase {
  name: string;
  classname: string;
  /** Undefined when the case passed. */
  failure?: { message: string; text: string };
  seconds: number;
}

const escapeXml = (s: string): string =>
  // Characters XML 1.0 cannot carry at all are dropped; the five specials escaped.
  s
    .replace(/[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');

export function junitXml(suite: string, cases: readonly JunitCase[]): string {
  const failures = cases.filter((c) => c.failure).length;
  const total = cases.reduce((t, c) => t + c.seconds, 0);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${escapeXml(suite)}" tests="${cases.length}" failures="${failures}" time="${total.toFixed(3)}">`,
    `  <testsuite name="${escapeXml(suite)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="0" time="${total.toFixed(3)}">`,
  ];
  for (const c of cases) {
    const open = `    <testcase name="${escapeXml(c.name)}" classname="${escapeXml(c.classname)}" time="${c.seconds.toFixed(3)}"`;
    if (!c.failure) {
      lines.push(`${open}/>`);
    } else {
      lines.push(`${open}>`, `      <failure message="${escapeXml(c.failure.message)}">${escapeXml(c.failure.text)}</failure>`, '    </testcase>');
    }
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}

/**
 * The rule catalogues SARIF and JUnit carry (hba lint's LintCode, the role
 * checks' finding codes): each rule has a title, help and (roles) a fix, and
 * the README's tables name every one, so the documentation cannot fall behind.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LINT_RULES } from '../../src/hba/lint-rules.js';
import { ROLE_FINDING_RULES, ROLE_RULES, roleFix } from '../../src/roles/finding-rules.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
/** The README section under `heading`, to the next heading of the same or a higher level. */
function section(heading: string): string {
  const start = readme.indexOf(heading);
  expect(start, heading).toBeGreaterThanOrEqual(0);
  const rest = readme.slice(start + heading.length);
  const end = rest.search(/\n#{1,3} /);
  return end < 0 ? rest : rest.slice(0, end);
}

describe('rule catalogues', () => {
  it('hba lint: every rule has a title and help, and the README lint table names it', () => {
    const text = section('### `pgauth hba lint FILE');
    for (const r of LINT_RULES) {
      expect(r.title.length, r.id).toBeGreaterThan(3);
      expect(r.help.length, r.id).toBeGreaterThan(40);
      expect(text, r.id).toContain(`\`${r.id}\``);
    }
  });

  it('check-roles: every code has a title, help and fix, and the README table names it', () => {
    const text = section('### What `check-roles` reports');
    for (const r of ROLE_RULES) {
      const { fix } = ROLE_FINDING_RULES[r.id];
      expect(r.title.length, r.id).toBeGreaterThan(3);
      expect(r.help.length, r.id).toBeGreaterThan(20);
      expect(fix.length, r.id).toBeGreaterThan(10);
      expect(text, r.id).toContain(`\`${r.id}\``);
    }
  });
});

describe('roleFix', () => {
  it('names the role in the fix as a shell word, and keeps NAME for a name that cannot be pasted safely', () => {
    expect(roleFix('empty-secret', 'bob')).toBe('set a password: pgauth passwd bob (or remove the role)');
    expect(roleFix('plaintext-secret', "o'neil x")).toBe("store a SCRAM-SHA-256 verifier instead: pgauth passwd 'o'\\''neil x'");
    expect(roleFix('empty-secret', '--roles')).toBe('set a password: pgauth passwd NAME (or remove the role)');
    expect(roleFix('empty-secret', 'a\nb')).toBe('set a password: pgauth passwd NAME (or remove the role)');
    expect(roleFix('empty-secret')).toBe('set a password: pgauth passwd NAME (or remove the role)');
  });
});

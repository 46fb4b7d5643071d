/** The pure parts of conform: verdicts, JUnit XML, which scenarios combine, redaction. */
import { describe, expect, it } from 'vitest';
import { junitXml } from '../../src/ci/junit.js';
import { redactSecret } from '../../src/conform/run.js';
import { clientDid } from '../../src/conform/verdict.js';
import { SCENARIO_NAMES, scenarioConflict, scenarioTls } from '../../src/server/scenarios/index.js';
import type { ScenarioOutcome } from '../../src/server/scenarios/index.js';

const outcome = (o: Partial<ScenarioOutcome>): ScenarioOutcome => ({
  event: 'scenario',
  time: '',
  scenarios: ['cleartext'],
  peer: '127.0.0.1:1',
  user: 'conform',
  tls: true,
  sent: [],
  loggedIn: false,
  ...o,
});

describe('what a client did', () => {
  const run = { exitCode: 1, timedOut: false };
  it('puts a password in clear above everything, then an md5 hash, then a login', () => {
    expect(clientDid([outcome({ sent: ['cleartext-password'], loggedIn: true })], run).did).toBe('sent-password-in-clear');
    expect(clientDid([outcome({ sent: ['md5-hash'], loggedIn: true })], run).did).toBe('sent-md5-hash');
    expect(clientDid([outcome({ sent: ['sasl-initial', 'scram-proof'], loggedIn: true })], run).did).toBe('logged-in');
  });
  it('counts a login on any of the connections (libpq retries without TLS under prefer)', () => {
    expect(clientDid([outcome({}), outcome({ loggedIn: true })], run).did).toBe('logged-in');
  });
  it('tells a hang from a refusal, and a refusal from never connecting', () => {
    expect(clientDid([outcome({ sent: ['sasl-initial'] })], { exitCode: null, timedOut: true }).did).toBe('timed-out');
    expect(clientDid([outcome({ sent: ['sasl-initial'] })], run)).toEqual({ did: 'refused', sent: ['sasl-initial'] });
    expect(clientDid([], run).did).toBe('no-connection');
  });
});

describe('combining scenarios', () => {
  it('lets SCRAM scenarios that change different parts run together', () => {
    expect(scenarioConflict(['strip-plus', 'bad-signature'])).toBeUndefined();
    expect(scenarioConflict(['strip-plus', 'huge-iterations', 'bad-signature'])).toBeUndefined();
  });
  it('refuses two changes to the same part, a method scenario with any other, a repeat, and opposite TLS needs', () => {
    expect(scenarioConflict(['nonce-mismatch', 'huge-iterations'])).toMatch(/do not combine \(both change the server-first\)/);
    expect(scenarioConflict(['cleartext', 'bad-signature'])).toMatch(/do not combine \(both change the authentication method\)/);
    expect(scenarioConflict(['early-ok', 'early-ok'])).toMatch(/given twice/);
    expect(scenarioConflict(['plus-without-tls', 'bad-signature'])).toMatch(/needs no TLS and bad-signature the opposite/);
  });
  it('knows which need TLS', () => {
    expect(scenarioTls(['plus-without-tls'])).toBe(false);
    expect(scenarioTls(['strip-plus'])).toBe(true);
    expect(SCENARIO_NAMES).toHaveLength(10);
  });
});

describe('JUnit XML', () => {
  it('writes one testcase per scenario, failures with their message, XML-escaped', () => {
    const xml = junitXml('pgauth conform', [
      { name: 'bad-signature', classname: 'pgauth.conform.psql', seconds: 0.25 },
      { name: 'cleartext', classname: 'pgauth.conform.psql', seconds: 0.5, failure: { message: 'sent the password in clear & "more" <x>', text: 'a\u0001b' } },
    ]);
    expect(xml).toContain('<testsuite name="pgauth conform" tests="2" failures="1" errors="0" skipped="0" time="0.750">');
    expect(xml).toContain('<testcase name="bad-signature" classname="pgauth.conform.psql" time="0.250"/>');
    expect(xml).toContain('<failure message="sent the password in clear &amp; &quot;more&quot; &lt;x&gt;">ab</failure>');
  });
});

describe('redaction', () => {
  it('takes the password, raw and URL-encoded, out of a client message', () => {
    expect(redactSecret('bad url postgresql://u:p%2Fw@h and p/w', 'p/w')).toBe('bad url postgresql://u:********@h and ********');
  });
});

/**
 * The probe's password prompt as psql's (issue 11 item 7): with no password
 * source, the first connection learns that the server wants one and is
 * closed; the prompt callback runs with no connection open; then the probe
 * connects again and logs in. Against `pgauth serve`, whose attempt log says
 * when the first connection ended (the prompt waits for that line: if the
 * connection were still open, it would never come).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConnParams } from '../../src/probe/conninfo.js';
import { runProbe } from '../../src/probe/probe.js';
import { buildScramSecret } from '../../src/secrets/index.js';
import { startServe, type Served } from '../helpers/serve.js';
import { tempDir } from '../helpers/tmp.js';

const PW = 'asked-with-nothing-open';

describe('probe: ask for the password with no connection open, then reconnect', () => {
  const dir = tempDir('pgauth-prompt-');
  let serve: Served;
  beforeAll(async () => {
    const roles = join(dir.path, 'userlist.txt');
    writeFileSync(roles, `"alice" "${buildScramSecret(PW)}"\n`, { mode: 0o600 });
    serve = await startServe(['--auth', 'scram-sha-256', '--roles', roles]);
  });
  afterAll(async () => {
    await serve?.stop();
    dir.remove();
  });

  // No PGPASSWORD, a .pgpass that does not exist: no source but the prompt.
  const params = () =>
    resolveConnParams({ target: `host=127.0.0.1 port=${serve.port} user=alice dbname=postgres sslmode=disable`, env: { PGPASSFILE: join(dir.path, 'no-pgpass') } });

  /** A prompt that answers `answer` once serve has logged the end of this probe's first connection. */
  function promptAfterClose(answer: string) {
    const from = serve.lines.length;
    const calls: number[] = [];
    const prompt = async () => {
      calls.push(Date.now());
      await serve.waitForLine((l) => l.event === 'attempt' && l.result === 'disconnected', 'the first connection to be closed before the prompt answers', from);
      return answer;
    };
    return { prompt, calls };
  }

  it('learns, closes, asks once, reconnects and logs in; the first attempt is "password-needed"', async () => {
    const { prompt, calls } = promptAfterClose(PW);
    const r = await runProbe({ params: params(), prompt });
    expect(r.ok).toBe(true);
    expect(calls).toHaveLength(1);
    expect(r.auth.passwordSource).toBe('prompt');
    expect(r.attempts.map((a) => [a.attempt, a.result, a.cause])).toEqual([
      [1, 'password-needed', false],
      [2, 'ok', false],
    ]);
    const first = r.steps.filter((s) => s.attempt === 1);
    expect(first.at(-1)).toMatchObject({ step: 'password-needed', ok: false });
    expect(first.at(-1)!.detail).toContain('closing this connection to ask for it');
    expect(r.steps.filter((s) => s.attempt === 2).map((s) => s.step)).toContain('authentication-ok');
  });

  it('a wrong answer is diagnosed as the refused login (not as the closed first try), and asked only once', async () => {
    const { prompt, calls } = promptAfterClose('not-the-password');
    const r = await runProbe({ params: params(), prompt });
    expect(r.ok).toBe(false);
    expect(calls).toHaveLength(1);
    expect(r.diagnosis.code).toBe('auth-failed');
    expect(r.error.code).toBe('28P01');
    expect(r.attempts.map((a) => [a.result, a.cause])).toEqual([
      ['password-needed', false],
      ['failed', true],
    ]);
  });

  it('an empty answer: fe_sendauth: no password supplied, as libpq says after psql prompts', async () => {
    const { prompt } = promptAfterClose('');
    const r = await runProbe({ params: params(), prompt });
    expect(r.diagnosis.code).toBe('password-required');
    expect(r.attempts.map((a) => a.result)).toEqual(['password-needed', 'failed']);
  });

  it('nobody to ask (no prompt: -w, or no terminal): one attempt, password-required', async () => {
    const r = await runProbe({ params: params() });
    expect(r.diagnosis.code).toBe('password-required');
    expect(r.attempts.map((a) => [a.result, a.cause])).toEqual([['failed', true]]);
    expect(r.steps.some((s) => s.step === 'password-needed')).toBe(false);
  });

  it('--discover: no secret, no prompt, the method is reported', async () => {
    const { prompt, calls } = promptAfterClose(PW);
    const r = await runProbe({ params: params(), prompt, discover: true });
    expect(calls).toHaveLength(0);
    expect(r.ok).toBe(true);
    expect(r.auth.method).toBe('scram-sha-256');
    expect(r.auth.currentUser).toBeNull();
  });
});

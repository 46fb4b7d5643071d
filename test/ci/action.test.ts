/**
 * The GitHub Action (SPEC §8) run as a runner runs it: the `INPUT_*`
 * variables, `GITHUB_STEP_SUMMARY` and `GITHUB_OUTPUT` files, against a real
 * PostgreSQL. `runAction` (src/action/main.ts) in-process for success and a
 * failed expectation, and `action/index.mjs` once as its own process.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { probeArgs, runAction } from '../../src/action/main.js';
import { describeWith, pgMissing } from '../helpers/env.js';
import type { Cluster } from '../helpers/pg.js';
import { PGAUTH_BIN, run } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';
import { startScramCluster } from './helpers.js';
import { cleanEnv } from '../probe/helpers.js';

const PW = 'action-s3cret';
const ACTION_ENTRY = fileURLToPath(new URL('../../action/index.mjs', import.meta.url));

/** `name=value` lines of a $GITHUB_OUTPUT file (values without line breaks). */
const outputsOf = (file: string): Record<string, string> =>
  Object.fromEntries(readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

describeWith(pgMissing(), 'the GitHub Action against a real PostgreSQL', () => {
  const tmp = tempDir('pgauth-action-');
  let pg: Cluster;
  let n = 0;
  beforeAll(async () => {
    pg = await startScramCluster({ alice: PW });
  }, 90_000);
  afterAll(async () => {
    await pg?.stop();
    tmp.remove();
  });

  /** A runner's environment for one step: the inputs, and fresh summary and output files. */
  const runnerEnv = (inputs: Record<string, string>) => {
    n++;
    const summary = join(tmp.path, `summary-${n}.md`);
    const output = join(tmp.path, `output-${n}.txt`);
    writeFileSync(summary, '');
    writeFileSync(output, '');
    const env: NodeJS.ProcessEnv = { ...process.env, ...cleanEnv(), GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary, GITHUB_OUTPUT: output, NO_COLOR: '1' };
    for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
    return { env, summary, output };
  };
  const target = () => `host=127.0.0.1 port=${pg.port} user=alice dbname=postgres sslmode=disable`;
  /** How the Action names the target: what the probe resolved, never the input text. */
  const label = () => `alice@127.0.0.1:${pg.port}/postgres`;

  it('success: exit 0, outputs ok=true and method=scram-sha-256, the password masked, the summary written', async () => {
    const { env, summary, output } = runnerEnv({ target: target(), wait: '10s', 'expect-auth': 'scram-sha-256', password: PW });
    const lines: string[] = [];
    const code = await runAction({ env, cli: PGAUTH_BIN, out: (l) => lines.push(l) });
    expect(code, lines.join('\n')).toBe(0);
    expect(outputsOf(output)).toMatchObject({ ok: 'true', 'exit-code': '0', method: 'scram-sha-256', tls: 'false', diagnosis: 'ok' });
    expect(lines).toEqual([`::add-mask::${PW}`]);
    const md = readFileSync(summary, 'utf8');
    expect(md).toContain(`### pgauth probe ${label()}`);
    expect(md).toContain('| method | scram-sha-256 |');
    expect(md).not.toContain(PW);
  }, 60_000);

  it('a failed expectation: exit 4, one ::error annotation naming it, outputs ok=false', async () => {
    const { env, summary, output } = runnerEnv({ target: target(), wait: '10s', 'expect-auth': 'md5', password: PW });
    const lines: string[] = [];
    const code = await runAction({ env, cli: PGAUTH_BIN, out: (l) => lines.push(l) });
    expect(code).toBe(4);
    const errors = lines.filter((l) => l.startsWith('::error '));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBe(`::error title=pgauth probe ${label().replace(/:/g, '%3A')}%3A expectation not met::expected auth md5: the server asked for scram-sha-256`);
    expect(outputsOf(output)).toMatchObject({ ok: 'false', 'exit-code': '4', method: 'scram-sha-256' });
    expect(readFileSync(summary, 'utf8')).toContain('| expect auth md5 | NOT met: the server asked for scram-sha-256 |');
  }, 60_000);

  it('a password in the target URI reaches neither the annotation nor the summary', async () => {
    const secretUri = `postgresql://alice:${encodeURIComponent(PW)}@127.0.0.1:${pg.port}/postgres?sslmode=disable`;
    const { env, summary } = runnerEnv({ target: secretUri, 'expect-auth': 'md5' });
    const lines: string[] = [];
    expect(await runAction({ env, cli: PGAUTH_BIN, out: (l) => lines.push(l) })).toBe(4);
    expect(lines.filter((l) => l.startsWith('::error '))[0]).toContain(`title=pgauth probe ${label().replace(/:/g, '%3A')}%3A`);
    expect(lines.join('\n')).not.toContain(PW);
    expect(readFileSync(summary, 'utf8')).not.toContain(PW);
    expect(readFileSync(summary, 'utf8')).toContain(`### pgauth probe ${label()}`);
  }, 60_000);

  it('a target that starts with a dash is a target, not a flag', () => {
    expect(probeArgs({ target: '--targets=/etc/passwd', wait: '', expectAuth: '', expectTls: false, password: '' }, 'V').slice(-2)).toEqual(['--', '--targets=/etc/passwd']);
  });

  it('action/index.mjs as its own process with the runner environment: exit 0 and the outputs', async () => {
    const { env, output } = runnerEnv({ target: target(), 'expect-auth': 'scram-sha-256', password: PW });
    const r = await run(process.execPath, [ACTION_ENTRY], { env });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean)).toEqual([`::add-mask::${PW}`]);
    expect(outputsOf(output)).toMatchObject({ ok: 'true', method: 'scram-sha-256' });
  }, 60_000);
});

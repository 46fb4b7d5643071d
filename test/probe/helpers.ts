/** Shared bits for the probe tests: a clean environment and JSON runs of the built CLI. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pgauth, type RunResult } from '../helpers/proc.js';

/** Every libpq variable blanked (pgauth treats '' as unset), HOME in a temp dir, not on GitHub Actions. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { HOME: mkdtempSync(join(tmpdir(), 'pgauth-probe-home-')) };
  for (const k of Object.keys(process.env)) if (k.startsWith('PG')) env[k] = '';
  // Run on a GitHub runner, the probe would add workflow commands to its output (SPEC §8): tests ask for them themselves.
  env.GITHUB_ACTIONS = '';
  return { ...env, ...extra };
}

export interface JsonRun {
  code: number | null;
  json: any;
  stdout: string;
  stderr: string;
}

/** Runs `pgauth probe ... --json` and parses stdout. */
export async function probeJson(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<JsonRun> {
  const r: RunResult = await pgauth(['probe', ...args, '--json'], { env: opts.env ?? cleanEnv(), ...(opts.input !== undefined ? { input: opts.input } : {}) });
  let json: any;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    throw new Error(`probe printed no JSON (exit ${r.code}):\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
  return { code: r.code, json, stdout: r.stdout, stderr: r.stderr };
}

/** `pgauth conform`: the scenarios' flags, the runs (src/conform), then the table or JUnit XML. */
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { parseDuration } from '../flags.js';
import { print, style, table } from '../render.js';
import { ConformCommandError, runConform, type ConformResult } from '../../conform/run.js';
import { junitXml } from '../../ci/junit.js';
import { globalOptions, printJson } from '../context.js';
import { CliError, usageError } from '../errors.js';
import { SCENARIO_NAMES, type ScenarioName } from '../../server/scenarios/types.js';

interface ConformFlags {
  scenario?: string[];
  scenarioTimeout: string;
  clientUrlVar?: string;
  junit?: string;
  json?: boolean;
}

const DID_TEXT: Record<ConformResult['did'], string> = {
  refused: 'refused',
  'logged-in': 'logged in',
  'sent-password-in-clear': 'sent the password in clear',
  'sent-md5-hash': 'sent an md5 hash of the password',
  'timed-out': 'still busy at the time limit',
  'no-connection': 'never connected',
};

/** What the client did, in words; a client still computing huge-iterations has no iteration cap. */
function didText(r: ConformResult): string {
  return r.did === 'timed-out' && r.scenario === 'huge-iterations' ? 'still computing at the time limit (no iteration cap)' : DID_TEXT[r.did];
}

export async function run(words: string[], flags: ConformFlags, cmd: Command): Promise<void> {
  const g = globalOptions(cmd);
  const scenarios = (flags.scenario ?? [...SCENARIO_NAMES]) as string[];
  const unknown = scenarios.find((s) => !(SCENARIO_NAMES as readonly string[]).includes(s));
  if (unknown !== undefined) throw usageError(`--scenario: unknown scenario "${unknown}" (one of: ${SCENARIO_NAMES.join(', ')})`);
  if (flags.clientUrlVar !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(flags.clientUrlVar)) {
    throw usageError(`--client-url-var: "${flags.clientUrlVar}" is not an environment variable name`);
  }
  const timeoutMs = parseDuration('--scenario-timeout', flags.scenarioTimeout);
  const [command, ...args] = words;
  const progress = !g.json && process.stderr.isTTY === true;
  let results: ConformResult[];
  try {
    results = await runConform({
      command: command!,
      args,
      scenarios: scenarios as ScenarioName[],
      timeoutMs,
      env: process.env,
      ...(flags.clientUrlVar ? { urlVar: flags.clientUrlVar } : {}),
      ...(progress ? { onResult: (r: ConformResult) => process.stderr.write(`pgauth: ${r.scenario}: ${didText(r)}\n`) } : {}),
    });
  } catch (e) {
    if (e instanceof ConformCommandError) throw usageError(e.message);
    throw e;
  }
  if (flags.junit !== undefined) writeJunit(flags.junit, words.join(' '), results);
  const ok = results.every((r) => r.pass);
  if (g.json) printJson({ ok, client: words.join(' '), results });
  else render(words.join(' '), results);
  if (!ok) throw new CliError('rejected', `${results.filter((r) => !r.pass).length} of ${results.length} scenarios failed`, true);
}

function writeJunit(path: string, client: string, results: readonly ConformResult[]): void {
  const xml = junitXml(
    'pgauth conform',
    results.map((r) => ({
      name: r.scenario,
      classname: `pgauth.conform.${client.split(' ')[0] ?? 'client'}`,
      seconds: r.ms / 1000,
      ...(r.pass ? {} : { failure: { message: `${didText(r)}; a safe client ${r.safe}`, text: `${r.does}\nclient: ${client}\n${r.clientMessage ?? ''}` } }),
    })),
  );
  try {
    writeFileSync(path, xml);
  } catch (e) {
    throw usageError(`--junit ${path}: ${(e as Error).message}`);
  }
}

function render(client: string, results: readonly ConformResult[]): void {
  const rows = results.map((r) => [r.scenario, didText(r), r.pass ? style.ok('pass') : style.fail('FAIL'), r.libpq]);
  print(table(['scenario', 'this client', 'result', 'libpq refuses'], rows));
  const failed = results.filter((r) => !r.pass).length;
  print(failed === 0 ? style.ok(`${client}: refused all ${results.length} scenarios`) : style.fail(`${client}: failed ${failed} of ${results.length} scenarios`));
}

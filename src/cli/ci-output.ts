/**
 * The CI outputs of the file checks (`hba lint`, `check-roles`, `verify`;
 * SPEC §8): the JUnit and SARIF files, GitHub Actions annotations and the
 * step summary. One place, so the three commands report the same way.
 *
 * The files are written before the command prints its report: a file that
 * cannot be written is then the command's one error (exit 3, and with
 * --json the one error document), never a second document after the report.
 */
import { findingAnnotation, appendStepSummary, findingsSummary, githubActive } from '../ci/github.js';
import { junitXml, type JunitCase } from '../ci/junit.js';
import { sarifLog } from '../ci/sarif.js';
import type { CiFinding, CiRule } from '../ci/finding.js';
import type { CiFlags } from './ci-flags.js';
import { warn } from './context.js';
import { usageError } from './errors.js';
import { packageVersion } from './version.js';

export interface CiReport {
  /** The command as a suite name and summary title, e.g. `pgauth hba lint pg_hba.conf`. */
  title: string;
  findings: readonly CiFinding[];
  /** JUnit testcases (see findingCases). */
  cases: readonly JunitCase[];
  /** The rule catalogue, for SARIF. */
  rules?: readonly CiRule[];
}

/** Where the SARIF log says the tool is documented. */
const INFORMATION_URI = 'https://www.npmjs.com/package/pgauth';

/** Writes a report file atomically (0644); a file that cannot be written is a usage error naming the flag. */
export async function writeReport(flag: string, path: string, text: string): Promise<void> {
  if (path === '') throw usageError(`${flag}: empty file name`);
  try {
    // Loaded here: a run that writes no report does not load the writer (and node:fs/promises).
    const { writeFileAtomic } = await import('../files/atomic-write.js');
    // Reports are not secrets: 0644, so a CI step running as another user can read them.
    await writeFileAtomic(path, Buffer.from(text, 'utf8'), { mode: 0o644 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'its folder does not exist' : e.code === 'EISDIR' ? 'it is a folder' : e.code === 'EACCES' ? 'permission denied' : e.message;
    throw usageError(`${flag}: cannot write ${path}: ${why}`);
  }
}

/** Writes the --junit and --sarif files the flags ask for. */
export async function writeCiFiles(flags: CiFlags, report: CiReport): Promise<void> {
  if (flags.junit !== undefined) await writeReport('--junit', flags.junit, junitXml(report.title, report.cases));
  if (flags.sarif !== undefined) {
    const log = sarifLog({ name: 'pgauth', version: packageVersion(), informationUri: INFORMATION_URI }, report.rules ?? [], report.findings);
    await writeReport('--sarif', flags.sarif, `${JSON.stringify(log, null, 2)}\n`);
  }
}

/**
 * Under GitHub Actions (and without --no-annotations): one workflow command
 * per finding, on stdout, or on stderr with --json so that stdout stays one
 * document (the runner reads both); then the step summary.
 */
export function announce(flags: CiFlags, report: CiReport, json: boolean, env: NodeJS.ProcessEnv = process.env): void {
  if (!githubActive(env, flags.annotations !== false)) return;
  const out = json ? process.stderr : process.stdout;
  for (const f of report.findings) out.write(`${findingAnnotation(f)}\n`);
  try {
    appendStepSummary(env, findingsSummary(report.title, report.findings));
  } catch (err) {
    warn(`cannot append to $GITHUB_STEP_SUMMARY (${env.GITHUB_STEP_SUMMARY}): ${(err as Error).message}`);
  }
}

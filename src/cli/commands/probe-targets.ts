/**
 * What `pgauth probe` runs over (SPEC §8): the targets from the command line
 * and `--targets FILE`, each resolved to its connection parameters up front
 * (a bad line is a usage error naming file:line before anything is probed),
 * `--jobs` and `--wait`, checked.
 */
import { BoundedReadError, readFileBounded } from '../../files/read-bounded.js';
import { MAX_TARGETS, MAX_TARGET_LENGTH, parseTargetsFile, TargetsFileError, type TargetLine } from '../../ci/targets.js';
import { parseDuration } from '../../ci/wait.js';
import { ConninfoError, type ConnParams } from '../../probe/conninfo.js';
import { usageError } from '../errors.js';

/** Default of --jobs: how many targets are probed at once. */
export const DEFAULT_JOBS = 8;
const MAX_JOBS = 256;
/** A targets file is untrusted input: its size is bounded by what it may hold. */
const MAX_TARGETS_FILE_BYTES = MAX_TARGETS * (MAX_TARGET_LENGTH + 1);

export interface PlanFlags {
  targets?: string;
  jobs?: string;
  wait?: string;
}

/** One target to probe: where it came from (for error messages) and its parameters. */
export interface PlannedTarget {
  /** The target text; undefined for `probe` without one (libpq's environment and defaults). */
  target: string | undefined;
  /** `FILE:LINE` for a line of --targets, undefined for the command line. */
  origin: string | undefined;
  params: ConnParams;
  /** `user@host:port/dbname`: names the target in waits, the summary and reports, without any secret. */
  label: string;
}

export interface ProbePlan {
  targets: PlannedTarget[];
  jobs: number;
  /** --wait in milliseconds; undefined without it. */
  waitMs: number | undefined;
  /** More than one target, or a --targets file: the summary output instead of one report. */
  many: boolean;
}

/** `--wait DURATION`, checked (SPEC §8). */
export function waitMsOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === null) throw usageError(`--wait: expected a duration such as 30s, 2m or 1m30s (at most 24h), not "${text}"`);
  return ms;
}

function jobsOf(text: string | undefined): number {
  if (text === undefined) return DEFAULT_JOBS;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > MAX_JOBS) throw usageError(`--jobs: expected a whole number from 1 to ${MAX_JOBS}, not "${text}"`);
  return Number(text);
}

/** The lines of --targets FILE; a missing or unreadable file, or a bad line, is a usage error naming it. */
function readTargetsFile(file: string): TargetLine[] {
  let text: string;
  try {
    text = readFileBounded(file, MAX_TARGETS_FILE_BYTES).toString('utf8');
  } catch (err) {
    if (err instanceof BoundedReadError) throw usageError(`--targets ${file}: ${err.message}`);
    throw err;
  }
  try {
    return parseTargetsFile(text, file);
  } catch (err) {
    if (err instanceof TargetsFileError) throw usageError(`--targets ${err.message}`);
    throw err;
  }
}

const hostPort = (host: string, port: number): string => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

export function targetLabel(p: Pick<ConnParams, 'hosts' | 'user' | 'dbname'>): string {
  return `${p.user}@${p.hosts.map((h) => hostPort(h.host, h.port)).join(',')}/${p.dbname}`;
}

/**
 * The targets of this run, resolved by `resolve` (TARGET and the -h/-p/-U/-d
 * flags as libpq reads them). A target from a file that libpq would refuse
 * is reported with its file and line.
 */
export function probePlan(args: readonly string[], flags: PlanFlags, resolve: (target: string | undefined, fromFile: boolean) => ConnParams): ProbePlan {
  const waitMs = waitMsOf(flags.wait);
  const jobs = jobsOf(flags.jobs);
  const lines: Array<{ target: string | undefined; origin: string | undefined }> = args.map((target) => ({ target, origin: undefined }));
  if (flags.targets !== undefined) {
    for (const l of readTargetsFile(flags.targets)) lines.push({ target: l.target, origin: `${flags.targets}:${l.line}` });
  }
  if (lines.length === 0) lines.push({ target: undefined, origin: undefined });
  if (lines.length > MAX_TARGETS) throw usageError(`more than ${MAX_TARGETS} targets in one run`);
  const targets = lines.map(({ target, origin }): PlannedTarget => {
    let params: ConnParams;
    try {
      params = resolve(target, origin !== undefined);
    } catch (err) {
      if (err instanceof ConninfoError && origin !== undefined) throw usageError(`--targets ${origin}: ${err.message}`);
      throw err;
    }
    return { target, origin, params, label: targetLabel(params) };
  });
  return { targets, jobs, waitMs, many: targets.length > 1 || flags.targets !== undefined };
}

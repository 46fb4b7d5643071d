/**
 * `probe --server-log FILE` (SPEC §11): after a refused login, the facts of
 * the attempt that caused it (its client port, user, database and time
 * window) are looked up in the server's log, read bounded. A 28P01 whose
 * DETAIL names its cause becomes the diagnosis (password-mismatch,
 * role-missing, password-expired, no-password-set, secret-not-scram) with
 * the pg_hba.conf line the server matched; only this connection's own lines
 * are kept as evidence, never another's.
 */
import { BoundedReadError } from '../../files/read-bounded.js';
import { settleExit, type Expectations, type ProbeResult } from '../report.js';
import { causeDiagnosis } from './cause-diagnosis.js';
import type { ProbeFacts } from './match.js';
import { readLogTail } from './reader.js';
import type { LogFormat } from './record.js';
import { refineFromLogText, sniffLogFormat, type ServerLogRefinement } from './refine.js';

export interface ServerLogOptions {
  file: string;
  /** Default: by the file's extension (.json, .csv), else by its first line. */
  format?: LogFormat;
  /** log_line_prefix of a stderr log (default: Debian's). */
  prefix?: string;
  /** How long to wait for the logging collector to write this connection's lines (default 3000 ms). */
  waitMs?: number;
  /** Bytes read from the end of the file (default 16 MiB). */
  maxBytes?: number;
}

export interface ServerLogReport extends ServerLogRefinement {
  file: string;
  format: LogFormat;
  /** The file was longer than the window read: older lines were not looked at. */
  truncated: boolean;
}

const DEFAULT_WAIT_MS = 3000;
const POLL_MS = 50;

/** The log found this connection's failure (or several candidates for it). */
const found = (r: ServerLogRefinement): boolean => r.code !== 'undetermined' || r.evidence.length > 0 || r.ambiguous;

/** What the probe knows about its failed attempt, for the matcher. */
export function probeFactsOf(r: ProbeResult): ProbeFacts | null {
  const a = r.attempts.find((x) => x.cause) ?? r.attempts.filter((x) => !x.diagnostic).at(-1);
  if (!a) return null;
  const startedAt = Date.parse(a.startedAt);
  return { user: r.target.user, database: r.target.database, clientPort: a.clientPort, startedAt, endedAt: a.endedAt === null ? startedAt : Date.parse(a.endedAt) };
}

function unreadable(o: ServerLogOptions, format: LogFormat, why: string): ServerLogReport {
  return { file: o.file, format, truncated: false, code: 'undetermined', detail: null, hbaLine: null, reason: why, matchedBy: 'none', ambiguous: false, evidence: [], missingSettings: [] };
}

/** Reads the log until it holds this connection's failure or `waitMs` has passed (the collector writes after the client has its error). */
export async function readServerLog(o: ServerLogOptions, facts: ProbeFacts): Promise<ServerLogReport> {
  const deadline = Date.now() + (o.waitMs ?? DEFAULT_WAIT_MS);
  let format: LogFormat = o.format ?? 'stderr';
  for (;;) {
    let tail: ReturnType<typeof readLogTail>;
    try {
      tail = readLogTail(o.file, o.maxBytes);
    } catch (err) {
      if (!(err instanceof BoundedReadError)) throw err;
      return unreadable(o, format, `cannot read ${o.file}: ${err.message}`);
    }
    format = o.format ?? sniffLogFormat(o.file, tail.text);
    const refined = refineFromLogText(tail.text, { format, ...(o.prefix !== undefined ? { prefix: o.prefix } : {}), probe: facts });
    if (found(refined) || Date.now() >= deadline) return { file: o.file, format, truncated: tail.truncated, ...refined };
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/**
 * Adds `serverLog` to a refused login's result; a 28P01 the log names
 * replaces the generic auth-failed diagnosis (a pass-through diagnosis
 * stays: the log then tells why the server refused the pooler).
 */
export async function refineWithServerLog(r: ProbeResult, o: ServerLogOptions, expect: Expectations): Promise<void> {
  r.serverLog = null;
  if (r.ok || r.error.code === null) return;
  const facts = probeFactsOf(r);
  if (!facts) return;
  const log = await readServerLog(o, facts);
  r.serverLog = log;
  if (log.code === 'undetermined' || r.diagnosis.code !== 'auth-failed') return;
  r.diagnosis = causeDiagnosis(log.code, r.target.user, log.hbaLine);
  settleExit(r, expect, 'rejected');
}

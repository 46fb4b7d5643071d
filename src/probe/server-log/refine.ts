/**
 * From class to cause: the DETAIL PostgreSQL logs with FATAL 28P01
 * "password authentication failed" (auth.c auth_failed(), which appends the
 * matched pg_hba.conf line; the cause from crypt.c get_role_password() and
 * the *_crypt_verify() functions) names which of five causes it was.
 *
 * Checked against real PostgreSQL 15 and 18 (test/cause/server-log.test.ts):
 * a SCRAM proof that does not match logs no cause DETAIL at all, only the
 * hba line; "Password does not match" comes only from the md5 and password
 * methods. So under scram-sha-256 (and md5, which runs SCRAM for a role
 * with a SCRAM secret) a 28P01 whose DETAIL names no other cause is the
 * password mismatch.
 */
import { HBA_METHODS } from '../../hba/index.js';
import { matchConnection, type MatchedBy, type ProbeFacts } from './match.js';
import { readLogTail } from './reader.js';
import type { LogFormat, LogRecord, ParsedLog } from './record.js';
import { DEBIAN_LOG_LINE_PREFIX, parseStderrLog } from './stderr-log.js';
import { parseCsvLog, parseJsonLog } from './structured-log.js';
import { CAUSE_DETAILS, hbaMatchedDetail, PASSWORD_AUTH_FAILED, patternOf, type PasswordFailureCause } from './wording.js';

export type { PasswordFailureCause };

const CAUSE_PATTERNS = CAUSE_DETAILS.map((c) => ({ code: c.code, pattern: patternOf(c.text) }));
const HBA_PATTERNS: ReadonlyArray<{ pattern: RegExp; withFile: boolean }> = [
  { pattern: patternOf((line, text) => hbaMatchedDetail(line!, text!), 2), withFile: false },
  { pattern: patternOf((file, line, text) => hbaMatchedDetail(line!, text!, file), 3), withFile: true },
];

/** Methods whose wrong password logs no cause DETAIL (the SCRAM exchange). */
const SILENT_MISMATCH_METHODS = new Set(['scram-sha-256', 'md5']);

export interface HbaLineRef {
  /** PostgreSQL 16+ names the file; 15 and older say pg_hba.conf. */
  file: string | null;
  line: number;
  text: string;
  method: string | null;
}

/** `Connection matched pg_hba.conf line N: "..."` (≤15) or `Connection matched file "F" line N: "..."` (16+). */
export function parseHbaDetail(detailLine: string): HbaLineRef | null {
  for (const { pattern, withFile } of HBA_PATTERNS) {
    const m = pattern.exec(detailLine);
    if (!m) continue;
    const [file, line, text] = withFile ? [m[1]!, m[2]!, m[3]!] : [null, m[1]!, m[2]!];
    if (!/^\d+$/.test(line)) return null;
    const method = text.split(/\s+/).find((t) => (HBA_METHODS as readonly string[]).includes(t)) ?? null;
    return { file, line: Number(line), text, method };
  }
  return null;
}

export interface DetailVerdict {
  code: PasswordFailureCause | null;
  /** The cause's DETAIL line, or null (SCRAM mismatch, or nothing to go on). */
  detail: string | null;
  hbaLine: HbaLineRef | null;
  /** How the code was reached: from the DETAIL, or from its absence. */
  reason: string | null;
}

/** The cause a 28P01's DETAIL names. Pure. */
export function causeOfDetail(detail: string | null): DetailVerdict {
  const lines = (detail ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
  const hbaLine = lines.map(parseHbaDetail).find((h) => h !== null) ?? null;
  for (const line of lines) {
    const hit = CAUSE_PATTERNS.find((c) => c.pattern.test(line));
    if (hit) return { code: hit.code, detail: line, hbaLine, reason: 'the DETAIL line names it' };
  }
  if (hbaLine?.method && SILENT_MISMATCH_METHODS.has(hbaLine.method)) {
    return {
      code: 'password-mismatch',
      detail: null,
      hbaLine,
      reason: `no cause DETAIL under ${hbaLine.method}: PostgreSQL logs none when the SCRAM proof does not match, and one for every other cause`,
    };
  }
  return { code: null, detail: null, hbaLine, reason: null };
}

export function isPasswordAuthFailure(r: LogRecord): boolean {
  return r.severity === 'FATAL' && (r.sqlstate === '28P01' || PASSWORD_AUTH_FAILED.test(r.message));
}

export function parseServerLog(text: string, format: LogFormat, prefix: string = DEBIAN_LOG_LINE_PREFIX): ParsedLog {
  if (format === 'csvlog') return parseCsvLog(text);
  if (format === 'jsonlog') return parseJsonLog(text);
  return parseStderrLog(text, prefix);
}

/** csvlog and jsonlog files end in .csv / .json (syslogger.c); anything else is read as stderr. */
export function logFormatOfPath(path: string): LogFormat {
  if (path.endsWith('.json')) return 'jsonlog';
  if (path.endsWith('.csv')) return 'csvlog';
  return 'stderr';
}

/**
 * The format of a log: by its extension when it has one of the collector's
 * (.json, .csv), else by its first line: a JSON object is jsonlog, a
 * timestamp followed by a comma is csvlog, anything else stderr.
 */
export function sniffLogFormat(path: string, text: string): LogFormat {
  if (path.endsWith('.json') || path.endsWith('.csv')) return logFormatOfPath(path);
  const first = text.split('\n').find((l) => l.trim() !== '') ?? '';
  if (first.trimStart().startsWith('{')) return 'jsonlog';
  if (/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? [^ ,]+,/.test(first)) return 'csvlog';
  return 'stderr';
}

export interface ServerLogRefinement {
  /** The refined cause, or 'undetermined'. */
  code: PasswordFailureCause | 'undetermined';
  /** The cause's DETAIL line, when the log had one. */
  detail: string | null;
  hbaLine: HbaLineRef | null;
  /** Why this code (or why none). */
  reason: string;
  matchedBy: MatchedBy;
  ambiguous: boolean;
  /** The matched connection's own lines, as in the log (never any other connection's). */
  evidence: string[];
  /** Log settings that would have tied the log to this connection. */
  missingSettings: string[];
}

export interface RefineOptions {
  format?: LogFormat;
  /** log_line_prefix of a stderr log (default: Debian's). */
  prefix?: string;
  probe: ProbeFacts;
  slackMs?: number;
}

/** Refines a 28P01 from log text. Pure. */
export function refineFromLogText(text: string, opts: RefineOptions): ServerLogRefinement {
  const log = parseServerLog(text, opts.format ?? 'stderr', opts.prefix);
  const m = matchConnection(log.records, log.capabilities, opts.probe, opts.slackMs);
  const base = { matchedBy: m.matchedBy, ambiguous: m.ambiguous, missingSettings: m.missingSettings };
  const failures = m.candidates.filter(isPasswordAuthFailure);
  const verdicts = failures.map((f) => causeOfDetail(f.detail));
  const codes = new Set(verdicts.map((v) => v.code));
  if (failures.length === 0) {
    const why = m.failure ? `the connection failed with "${m.failure.message}", not 28P01` : 'no failed login of this user in the time window';
    return { ...base, code: 'undetermined', detail: null, hbaLine: null, reason: why, evidence: m.failure ? m.records.flatMap((r) => r.lines) : [] };
  }
  const [first] = verdicts as [DetailVerdict];
  if (m.ambiguous) {
    // Several logins fit: say so, and name the cause only when they all agree (evidence stays hidden).
    const agreed = codes.size === 1 && first.code !== null ? first.code : 'undetermined';
    const reason = `${failures.length} failed logins of user "${opts.probe.user}" in the time window: the log cannot tell which was this probe's`;
    return { ...base, code: agreed, detail: agreed === 'undetermined' ? null : first.detail, hbaLine: null, reason, evidence: [] };
  }
  // A 28P01 with no DETAIL at all (not even the matched hba line): log_error_verbosity = terse hides them.
  const terse = first.code === null && failures.every((f) => f.detail === null);
  return {
    ...base,
    ...(terse ? { missingSettings: [...base.missingSettings, 'log_error_verbosity = default (terse leaves out the DETAIL lines)'] } : {}),
    code: first.code ?? 'undetermined',
    detail: first.detail,
    hbaLine: first.hbaLine,
    reason: first.reason ?? 'the DETAIL names none of the known causes',
    evidence: m.records.flatMap((r) => r.lines),
  };
}

/** `probe --server-log FILE`: the end of the file, read bounded, refined for this probe's connection. */
export function refineFromServerLog(opts: RefineOptions & { file: string; maxBytes?: number }): ServerLogRefinement {
  const tail = readLogTail(opts.file, opts.maxBytes);
  return refineFromLogText(tail.text, { ...opts, format: opts.format ?? logFormatOfPath(opts.file) });
}

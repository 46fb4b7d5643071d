/**
 * Finds the probe's own connection in a parsed log from what the probe
 * knows: backend PID, client port, user, database, the time of the attempt.
 * With log_connections the line `connection received: host=H port=P`
 * (backend_startup.c / postmaster.c BackendInitialize) ties the client port
 * to the backend's PID; without it (and without %r) only user and time are
 * left, and two candidates make the match ambiguous.
 */
import type { LogCapabilities, LogRecord } from './record.js';
import { connectionReceived, PASSWORD_AUTH_FAILED, patternOf } from './wording.js';

export interface ProbeFacts {
  user: string;
  database: string;
  /** The local port of the probe's socket (the client port the server logs). */
  clientPort?: number | null;
  /** Epoch ms (or Date) when the attempt started and ended. */
  startedAt: number | Date;
  endedAt: number | Date;
  /** BackendKeyData pid, when the server got that far. */
  backendPid?: number | null;
}

export type MatchedBy = 'backend-pid' | 'client-port' | 'user-time' | 'none';

export interface ConnectionMatch {
  /** The connection's FATAL, or null. */
  failure: LogRecord | null;
  /** Every record of the matched connection (its PID), in log order. */
  records: LogRecord[];
  matchedBy: MatchedBy;
  /** More than one failure fits what the probe knows; `candidates` holds them all. */
  ambiguous: boolean;
  candidates: LogRecord[];
  /** Settings that would have tied the log to the probe's client port. */
  missingSettings: string[];
}

/** Clock difference tolerated between the probe and the server's log_timezone stamps (same host, or NTP). */
export const DEFAULT_SLACK_MS = 2000;

const CONNECTION_RECEIVED = patternOf((host, port) => connectionReceived(host!, port!), 2);

const ms = (t: number | Date): number => (typeof t === 'number' ? t : t.getTime());

/** The role a record is about: the %u field, else the user named by the 28P01 message. */
function userOf(r: LogRecord): string | null {
  if (r.user !== null) return r.user;
  return PASSWORD_AUTH_FAILED.exec(r.message)?.[1] ?? null;
}

/**
 * The PID the client port leads to: a record that carries the port, or the
 * log_connections line. The latest one: client ports are reused, and the
 * probe's own connection is at the end of the log.
 */
function pidOfClientPort(records: readonly LogRecord[], port: number): number | null {
  for (const r of [...records].reverse()) {
    if (r.pid === null) continue;
    if (r.remotePort === port) return r.pid;
    const m = CONNECTION_RECEIVED.exec(r.message);
    if (m && Number(m[2]) === port) return r.pid;
  }
  return null;
}

/** What would have tied the log to the client port, given what it has. */
export function missingForPort(cap: LogCapabilities, sawConnectionReceived: boolean): string[] {
  if (cap.remotePort) return [];
  if (sawConnectionReceived && cap.pid) return [];
  const out: string[] = [];
  if (!sawConnectionReceived) out.push('log_connections = on');
  if (!cap.pid) out.push('log_line_prefix with %p (process ID)');
  out.push('log_line_prefix with %r (client host and port) or %h (client host)');
  return out;
}

export function matchConnection(records: readonly LogRecord[], cap: LogCapabilities, probe: ProbeFacts, slackMs = DEFAULT_SLACK_MS): ConnectionMatch {
  const from = ms(probe.startedAt) - slackMs;
  const to = ms(probe.endedAt) + slackMs;
  const window = records.filter((r) => r.time === null || (r.time >= from && r.time <= to));
  const sawConnectionReceived = window.some((r) => CONNECTION_RECEIVED.test(r.message));
  let pid: number | null = probe.backendPid ?? null;
  let matchedBy: MatchedBy = pid !== null ? 'backend-pid' : 'none';
  if (pid === null && probe.clientPort) {
    pid = pidOfClientPort(window, probe.clientPort);
    if (pid !== null) matchedBy = 'client-port';
  }
  // Stamps in a zone abbreviation other than UTC/GMT (CET, IST ...) cannot be read: the time window is then not used.
  const unreadableZone = cap.time && window.some((r) => r.time === null && r.pid !== null);
  const timeMissing = !cap.time ? ['log_line_prefix with %m (time)'] : unreadableZone ? ["log_timezone = 'UTC' (or a numeric offset): other zone names cannot be read"] : [];
  const missing = [...(matchedBy === 'none' ? missingForPort(cap, sawConnectionReceived) : []), ...timeMissing];
  const fatals = window.filter((r) => r.severity === 'FATAL');
  // Only this user's failures: a PID or client port can be another connection's (ports are reused; a
  // record without a readable time is in every window), and its lines must never be shown.
  const ours = (r: LogRecord): boolean => {
    const user = userOf(r);
    return (user === null || user === probe.user) && (r.database === null || r.database === probe.database);
  };
  let candidates: LogRecord[] = pid !== null ? fatals.filter((r) => r.pid === pid && ours(r)) : [];
  if (candidates.length === 0) {
    pid = null;
    matchedBy = 'none';
    candidates = fatals.filter((r) => userOf(r) === probe.user && (r.database === null || r.database === probe.database));
    if (candidates.length > 0) matchedBy = 'user-time';
  }
  const failure = candidates.length === 1 ? candidates[0]! : null;
  const tied = pid ?? failure?.pid ?? null;
  return {
    failure,
    records: tied === null ? (failure ? [failure] : []) : window.filter((r) => r.pid === tied),
    matchedBy,
    ambiguous: candidates.length > 1,
    candidates,
    missingSettings: missing,
  };
}

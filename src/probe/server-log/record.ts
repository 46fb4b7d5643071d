/**
 * One message of a PostgreSQL server log, whatever the log_destination
 * (stderr with log_line_prefix, csvlog, jsonlog): the fields the matcher and
 * the refiner use, plus the lines exactly as the file holds them (the only
 * text of the log pgauth ever shows: this connection's own lines).
 */

/** errmsg and its companions (elog.c `error_severity()` and the DETAIL/HINT lines of the stderr format). */
export interface LogRecord {
  /** Epoch milliseconds, or null when the format has no time or its zone cannot be read. */
  time: number | null;
  pid: number | null;
  /** `[unknown]` (before the startup packet is read) is kept as null. */
  user: string | null;
  database: string | null;
  remoteHost: string | null;
  remotePort: number | null;
  sessionId: string | null;
  /** LOG, FATAL, ERROR, WARNING ... */
  severity: string;
  sqlstate: string | null;
  message: string;
  /** errdetail / errdetail_log; several lines joined with "\n". */
  detail: string | null;
  hint: string | null;
  /** The record's lines as they appear in the file. */
  lines: string[];
}

/** What a log format can tell about each line (decides which settings are missing). */
export interface LogCapabilities {
  time: boolean;
  pid: boolean;
  user: boolean;
  database: boolean;
  /** Client host and port on every line (%r, csvlog connection_from, jsonlog remote_port). */
  remotePort: boolean;
  /** Client host only (%h). */
  remoteHost: boolean;
}

export interface ParsedLog {
  records: LogRecord[];
  capabilities: LogCapabilities;
  /** Lines the parser could not read (counted, never shown). */
  unparsed: number;
}

export type LogFormat = 'stderr' | 'csvlog' | 'jsonlog';

export function emptyRecord(severity: string, message: string, lines: string[]): LogRecord {
  return {
    time: null,
    pid: null,
    user: null,
    database: null,
    remoteHost: null,
    remotePort: null,
    sessionId: null,
    severity,
    sqlstate: null,
    message,
    detail: null,
    hint: null,
    lines,
  };
}

/** `%u`/`%d` print `[unknown]` before the startup packet is read; csv/json leave the field out. */
export function knownName(value: string | null | undefined): string | null {
  if (value === undefined || value === null || value === '' || value === '[unknown]') return null;
  return value;
}

/**
 * A timestamp as elog.c writes it (`%m`/`%t`, csvlog and jsonlog:
 * `2026-12-02 08:20:04.560 UTC`), in log_timezone. The zone is an
 * abbreviation or a numeric offset; abbreviations other than UTC/GMT/Z are
 * ambiguous (IST, CST ...) and give null: the time window is then not used.
 */
export function parseLogTimestamp(text: string): number | null {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?) ?(\S+)?$/.exec(text.trim());
  if (!m) return null;
  const zone = m[3] ?? 'UTC';
  let offset: string;
  if (/^(UTC|GMT|Z|UCT)$/i.test(zone)) offset = 'Z';
  else {
    const z = /^([+-])(\d{1,2})(?::?(\d{2}))?$/.exec(zone);
    if (!z) return null;
    offset = `${z[1]}${z[2]!.padStart(2, '0')}:${z[3] ?? '00'}`;
  }
  const frac = m[2]!.includes('.') ? m[2]!.replace(/(\.\d{1,3})\d*$/, '$1') : m[2]!;
  const t = Date.parse(`${m[1]}T${frac}${offset}`);
  return Number.isNaN(t) ? null : t;
}

/** The pid half of a session id (`%c`: start time and pid in hex, elog.c). */
export function pidOfSessionId(sessionId: string): number | null {
  const m = /^[0-9a-f]+\.([0-9a-f]+)$/.exec(sessionId);
  return m ? parseInt(m[1]!, 16) : null;
}

/**
 * csvlog and jsonlog (PostgreSQL 15+): every field named, one record per
 * message with its DETAIL inside. Field order and names from
 * src/backend/utils/error/csvlog.c and jsonlog.c.
 */
import { emptyRecord, knownName, parseLogTimestamp, type LogCapabilities, type LogRecord, type ParsedLog } from './record.js';

const STRUCTURED: LogCapabilities = { time: true, pid: true, user: true, database: true, remotePort: true, remoteHost: true };

/** csvlog columns (csvlog.c write_csvlog), in order; later majors only append. */
const CSV_COLUMNS = [
  'log_time',
  'user_name',
  'database_name',
  'process_id',
  'connection_from',
  'session_id',
  'session_line_num',
  'command_tag',
  'session_start_time',
  'virtual_transaction_id',
  'transaction_id',
  'error_severity',
  'sql_state_code',
  'message',
  'detail',
  'hint',
] as const;

/** CSV rows with quoted fields that may hold commas, doubled quotes and newlines; each row with its raw text. */
export function splitCsvRows(text: string): Array<{ fields: string[]; raw: string }> {
  const rows: Array<{ fields: string[]; raw: string }> = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      fields.push(field);
      field = '';
    } else if (ch === '\n') {
      fields.push(field);
      rows.push({ fields, raw: text.slice(start, i) });
      fields = [];
      field = '';
      start = i + 1;
    } else field += ch;
  }
  if (start < text.length) rows.push({ fields: [...fields, field], raw: text.slice(start) });
  return rows;
}

/** `127.0.0.1:38438` (csvlog connection_from) or `[local]`. */
function splitConnectionFrom(text: string): { host: string | null; port: number | null } {
  const m = /^(.*):(\d+)$/.exec(text);
  return m ? { host: m[1]!, port: Number(m[2]) } : { host: knownName(text), port: null };
}

export function parseCsvLog(text: string): ParsedLog {
  const records: LogRecord[] = [];
  let unparsed = 0;
  for (const { fields, raw } of splitCsvRows(text)) {
    if (fields.length < CSV_COLUMNS.length) {
      unparsed++;
      continue;
    }
    const col = (name: (typeof CSV_COLUMNS)[number]) => fields[CSV_COLUMNS.indexOf(name)]!;
    const r = emptyRecord(col('error_severity'), col('message'), raw.split('\n'));
    r.time = parseLogTimestamp(col('log_time'));
    r.pid = Number(col('process_id')) || null;
    r.user = knownName(col('user_name'));
    r.database = knownName(col('database_name'));
    ({ host: r.remoteHost, port: r.remotePort } = splitConnectionFrom(col('connection_from')));
    r.sessionId = col('session_id') || null;
    r.sqlstate = col('sql_state_code') || null;
    r.detail = col('detail') || null;
    r.hint = col('hint') || null;
    records.push(r);
  }
  return { records, capabilities: STRUCTURED, unparsed };
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** jsonlog: one JSON object a line; absent keys are absent values (jsonlog.c leaves them out). */
export function parseJsonLog(text: string): ParsedLog {
  const records: LogRecord[] = [];
  let unparsed = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let o: Record<string, unknown>;
    try {
      const v: unknown = JSON.parse(line);
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TypeError('not an object');
      o = v as Record<string, unknown>;
    } catch {
      unparsed++;
      continue;
    }
    const r = emptyRecord(str(o.error_severity) ?? '', str(o.message) ?? '', [line]);
    const ts = str(o.timestamp);
    r.time = ts === null ? null : parseLogTimestamp(ts);
    r.pid = num(o.pid);
    r.user = knownName(str(o.user));
    r.database = knownName(str(o.dbname));
    r.remoteHost = knownName(str(o.remote_host));
    r.remotePort = num(o.remote_port);
    r.sessionId = str(o.session_id);
    r.sqlstate = str(o.state_code);
    r.detail = str(o.detail);
    r.hint = str(o.hint);
    records.push(r);
  }
  return { records, capabilities: STRUCTURED, unparsed };
}

/**
 * The stderr log format: each line starts with log_line_prefix
 * (`log_line_prefix()` in src/backend/utils/error/elog.c), then
 * `SEVERITY:  message`; DETAIL, HINT, CONTEXT and STATEMENT are lines of
 * their own with the same prefix; a message's further lines start with a tab.
 * The prefix string is an input: each escape becomes one capture group.
 */
import { emptyRecord, knownName, parseLogTimestamp, pidOfSessionId, type LogCapabilities, type LogRecord, type ParsedLog } from './record.js';

/** Debian's default (postgresql-common sets it in every new cluster's postgresql.conf). */
export const DEBIAN_LOG_LINE_PREFIX = '%m [%p] %q%u@%d ';

type Field = 'time' | 'epoch' | 'pid' | 'user' | 'database' | 'remote' | 'host' | 'session' | 'sqlstate' | 'other';

/** What each escape prints (elog.c log_line_prefix) and the pattern that reads it back. */
const ESCAPES: Record<string, { field: Field; pattern: string }> = {
  m: { field: 'time', pattern: String.raw`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \S+` },
  t: { field: 'time', pattern: String.raw`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+` },
  n: { field: 'epoch', pattern: String.raw`\d+\.\d{3}` },
  p: { field: 'pid', pattern: String.raw`\d+` },
  u: { field: 'user', pattern: '.*?' },
  d: { field: 'database', pattern: '.*?' },
  r: { field: 'remote', pattern: String.raw`\S*?` },
  h: { field: 'host', pattern: String.raw`\S*?` },
  c: { field: 'session', pattern: String.raw`[0-9a-f]+\.[0-9a-f]+` },
  e: { field: 'sqlstate', pattern: '[0-9A-Z]{5}' },
  a: { field: 'other', pattern: '.*?' },
  b: { field: 'other', pattern: '.*?' },
  i: { field: 'other', pattern: '.*?' },
  L: { field: 'other', pattern: String.raw`\S*?` },
  l: { field: 'other', pattern: String.raw`\d+` },
  s: { field: 'other', pattern: String.raw`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+` },
  v: { field: 'other', pattern: String.raw`\S*?` },
  x: { field: 'other', pattern: String.raw`\d+` },
  P: { field: 'other', pattern: String.raw`\d*` },
  Q: { field: 'other', pattern: String.raw`-?\d+` },
};

const SEVERITIES = 'DEBUG[1-5]?|INFO|NOTICE|WARNING|ERROR|LOG|FATAL|PANIC|DETAIL|HINT|QUERY|CONTEXT|STATEMENT|LOCATION';
/** Lines that belong to the message before them (elog.c send_message_to_server_log). */
const COMPANIONS = new Set(['DETAIL', 'HINT', 'QUERY', 'CONTEXT', 'STATEMENT', 'LOCATION']);

export interface CompiledPrefix {
  regex: RegExp;
  fields: Field[];
  capabilities: LogCapabilities;
}

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * log_line_prefix to a line pattern. `%q` ends the part non-session
 * processes print, so what follows it is optional; padding (`%-10u`) adds
 * spaces around the value.
 */
export function compilePrefix(prefix: string): CompiledPrefix {
  const fields: Field[] = [];
  let head = '';
  let tail: string | null = null;
  const add = (s: string) => (tail === null ? (head += s) : (tail += s));
  for (let i = 0; i < prefix.length; i++) {
    const ch = prefix[i]!;
    if (ch !== '%') {
      add(escapeRegex(ch));
      continue;
    }
    const m = /^(-?\d+)?(.)/s.exec(prefix.slice(i + 1));
    if (!m) break;
    i += m[0].length;
    const code = m[2]!;
    if (code === '%') add('%');
    else if (code === 'q') tail = tail ?? '';
    else {
      const e = ESCAPES[code] ?? { field: 'other' as const, pattern: '.*?' };
      fields.push(e.field);
      add(m[1] ? ` *(${e.pattern}) *` : `(${e.pattern})`);
    }
  }
  const body = tail === null ? head : `${head}(?:${tail})?`;
  const regex = new RegExp(`^${body}(${SEVERITIES}):  (?:([0-9A-Z]{5}): )?(.*)$`, 's');
  const has = (...f: Field[]) => f.some((x) => fields.includes(x));
  return {
    regex,
    fields,
    capabilities: {
      time: has('time', 'epoch'),
      pid: has('pid', 'session'),
      user: has('user'),
      database: has('database'),
      remotePort: has('remote'),
      remoteHost: has('remote', 'host'),
    },
  };
}

/** `127.0.0.1(38438)` (%r) to host and port; `[local]` has no port. */
function splitRemote(text: string): { host: string | null; port: number | null } {
  const m = /^(.*)\((\d+)\)$/.exec(text);
  if (m) return { host: m[1]!, port: Number(m[2]) };
  return { host: knownName(text), port: null };
}

function recordFromMatch(p: CompiledPrefix, m: RegExpExecArray, line: string): LogRecord {
  const n = p.fields.length;
  const r = emptyRecord(m[n + 1]!, m[n + 3]!, [line]);
  p.fields.forEach((field, k) => {
    const raw = m[k + 1];
    if (raw === undefined) return;
    const v = raw.trim();
    if (field === 'time') r.time = parseLogTimestamp(v);
    else if (field === 'epoch') r.time = Math.round(Number(v) * 1000);
    else if (field === 'pid') r.pid = Number(v);
    else if (field === 'user') r.user = knownName(v);
    else if (field === 'database') r.database = knownName(v);
    else if (field === 'remote') ({ host: r.remoteHost, port: r.remotePort } = splitRemote(v));
    else if (field === 'host') r.remoteHost = knownName(v);
    else if (field === 'sqlstate') r.sqlstate = v;
    else if (field === 'session') {
      r.sessionId = v;
      r.pid ??= pidOfSessionId(v);
    }
  });
  r.sqlstate ??= m[n + 2] ?? null;
  return r;
}

/** Adds a DETAIL/HINT line's text to the message it belongs to. */
function attach(owner: LogRecord, companion: LogRecord): void {
  owner.lines.push(...companion.lines);
  if (companion.severity === 'DETAIL') owner.detail = owner.detail === null ? companion.message : `${owner.detail}\n${companion.message}`;
  else if (companion.severity === 'HINT') owner.hint = companion.message;
}

/**
 * The records of a stderr log. A companion line goes to the last message of
 * the same process (the last message at all when the prefix has no %p);
 * tab-led lines continue the line before them.
 */
export function parseStderrLog(text: string, prefix: string = DEBIAN_LOG_LINE_PREFIX): ParsedLog {
  const p = compilePrefix(prefix);
  const records: LogRecord[] = [];
  const lastOfPid = new Map<number | null, LogRecord>();
  let last: { owner: LogRecord; field: 'message' | 'detail' | 'hint' } | null = null;
  let unparsed = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('\t') && last) {
      const o = last.owner;
      o.lines.push(line);
      o[last.field] = `${o[last.field] ?? ''}\n${line.slice(1)}`;
      continue;
    }
    const m = p.regex.exec(line);
    if (!m) {
      unparsed++;
      last = null;
      continue;
    }
    const r = recordFromMatch(p, m, line);
    const owner = COMPANIONS.has(r.severity) ? lastOfPid.get(r.pid) : undefined;
    if (owner) {
      attach(owner, r);
      last = r.severity === 'DETAIL' || r.severity === 'HINT' ? { owner, field: r.severity === 'DETAIL' ? 'detail' : 'hint' } : null;
      continue;
    }
    records.push(r);
    lastOfPid.set(r.pid, r);
    last = { owner: r, field: 'message' };
  }
  return { records, capabilities: p.capabilities, unparsed };
}

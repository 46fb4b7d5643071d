/**
 * `pgauth serve`'s log: one line per connection attempt, reload, warning,
 * scenario and pg_sleep, as text (key=value words) or JSON lines; the
 * listening line comes first, whatever happened before it.
 */
import type { ServerEvent } from '../server/index.js';

/** One log line in text form: key=value words, values quoted when they need it. */
export function formatEventText(e: ServerEvent): string {
  const q = (v: unknown): string => {
    if (v === null || v === undefined) return '-';
    const s = String(v);
    return /^[^\s"=]+$/.test(s) ? s : JSON.stringify(s);
  };
  switch (e.event) {
    case 'attempt':
      return [
        e.time,
        'attempt',
        `peer=${q(e.peer)}`,
        `user=${q(e.user)}`,
        `database=${q(e.database)}`,
        `method=${q(e.method)}`,
        ...(e.mechanism ? [`mechanism=${q(e.mechanism)}`] : []),
        ...(e.protocol ? [`protocol=${e.protocol}`] : []),
        `tls=${e.tls ? 'yes' : 'no'}`,
        `result=${e.result}`,
        `sqlstate=${q(e.sqlstate)}`,
        `ms=${e.ms}`,
        ...(e.rule ? [`rule=${q(e.rule)}`] : []),
        ...(e.message ? [`message=${q(e.message)}`] : []),
        ...(e.detail ? [`detail=${q(e.detail)}`] : []),
      ].join(' ');
    case 'reload':
      return `${e.time} reload file=${q(e.file)} ok=${e.ok ? 'yes' : 'no'}${e.roles !== undefined ? ` roles=${e.roles}` : ''}${e.error ? ` error=${q(e.error)}` : ''}`;
    case 'warning':
      return `${e.time} warning ${e.message}`;
    case 'scenario':
      return [
        e.time,
        'scenario',
        `scenario=${e.scenarios.join('+')}`,
        `peer=${q(e.peer)}`,
        `user=${q(e.user)}`,
        `tls=${e.tls ? 'yes' : 'no'}`,
        `sent=${e.sent.length ? e.sent.join(',') : '-'}`,
        `logged_in=${e.loggedIn ? 'yes' : 'no'}`,
      ].join(' ');
    case 'sleep':
      return `${e.time} sleep pid=${e.pid} user=${q(e.user)} seconds=${e.seconds} state=${e.state}`;
  }
}

/**
 * The log on stdout (warnings on stderr in text mode). Events before
 * `release()` are held back: the listening line is the first line on stdout
 * (scripts read it to find the port).
 */
export function serveLog(json: boolean): { emit: (e: ServerEvent) => void; out: (line: string) => void; release: () => void } {
  const out = (line: string) => process.stdout.write(line + '\n');
  let early: ServerEvent[] | null = [];
  const emit = (e: ServerEvent) => {
    if (!json && e.event === 'warning') process.stderr.write(`pgauth: warning: ${e.message}\n`);
    else if (early) early.push(e);
    else out(json ? JSON.stringify(e) : formatEventText(e));
  };
  const release = () => {
    const before = early ?? [];
    early = null;
    for (const e of before) emit(e);
  };
  return { emit, out, release };
}

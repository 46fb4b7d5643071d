/**
 * The attempt log's view of a connection (SPEC §3 Operations): who the peer
 * is and what the connection has said about itself so far. One line per
 * connection attempt is written from these facts.
 */
import type { AttemptLog } from './context.js';

export interface TransportInfo {
  transport: 'tcp' | 'unix';
  remoteAddress: string | null;
  remotePort: number | null;
}

/** What the attempt log knows of a connection before and while it authenticates. */
export type AttemptFacts = Pick<AttemptLog, 'user' | 'database' | 'method' | 'mechanism' | 'protocol' | 'rule'>;

/** The facts of a connection that has said nothing yet. */
export const noAttemptFacts = (): AttemptFacts => ({ user: null, database: null, method: null, mechanism: null, protocol: null, rule: null });

/** How the attempt log names a peer: `ip:port`, `[v6]:port`, or `[local]`. */
export function peerName(t: TransportInfo): string {
  if (t.transport === 'unix') return '[local]';
  return t.remoteAddress?.includes(':') ? `[${t.remoteAddress}]:${t.remotePort}` : `${t.remoteAddress}:${t.remotePort}`;
}

/** One attempt-log line: the peer, the facts so far, and the outcome (fields in the log's documented order). */
export function attemptLine(
  transport: TransportInfo,
  f: AttemptFacts,
  o: Pick<AttemptLog, 'tls' | 'result' | 'sqlstate' | 'message' | 'detail' | 'ms'>,
): AttemptLog {
  return {
    event: 'attempt',
    time: new Date().toISOString(),
    peer: peerName(transport),
    user: f.user,
    database: f.database,
    method: f.method,
    mechanism: f.mechanism,
    protocol: f.protocol,
    tls: o.tls,
    result: o.result,
    sqlstate: o.sqlstate,
    message: o.message,
    detail: o.detail,
    rule: f.rule,
    ms: o.ms,
  };
}

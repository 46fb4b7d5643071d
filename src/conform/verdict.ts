/**
 * What a client did against one scenario, from the server's record of its
 * connections and how the client's process ended. Pure.
 */
import type { ClientSent, ScenarioOutcome } from '../server/scenarios/index.js';

export type ClientDid =
  /** Closed the connection without logging in and without sending a password or hash. */
  | 'refused'
  /** Went on after ReadyForQuery: it accepted the hostile login. */
  | 'logged-in'
  /** Sent its password in clear text. */
  | 'sent-password-in-clear'
  /** Sent an md5 hash of its password (replayable against this salt, crackable offline). */
  | 'sent-md5-hash'
  /** Still busy when the scenario's time ran out (killed). */
  | 'timed-out'
  /** Never reached the server. */
  | 'no-connection';

export interface ClientRun {
  exitCode: number | null;
  timedOut: boolean;
}

/** The worst thing the client did, in this order: password in clear, md5 hash, login, hang, refusal. */
export function clientDid(outcomes: readonly ScenarioOutcome[], run: ClientRun): { did: ClientDid; sent: ClientSent[] } {
  const sent = [...new Set(outcomes.flatMap((o) => o.sent))];
  if (sent.includes('cleartext-password')) return { did: 'sent-password-in-clear', sent };
  if (sent.includes('md5-hash')) return { did: 'sent-md5-hash', sent };
  if (outcomes.some((o) => o.loggedIn)) return { did: 'logged-in', sent };
  if (run.timedOut) return { did: 'timed-out', sent };
  if (outcomes.length === 0) return { did: 'no-connection', sent };
  return { did: 'refused', sent };
}

/** Every scenario's safe behaviour is a refusal; anything else fails it. */
export const passes = (did: ClientDid): boolean => did === 'refused';

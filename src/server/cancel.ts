/**
 * CancelRequest: the sessions that can be cancelled, by process ID, and the
 * check of the secret key a request carries (processCancelRequest,
 * backend_startup.c). A match cancels the running statement; PostgreSQL's
 * log-only messages name the other outcomes. Nothing goes back to the
 * requester, whatever the outcome.
 */
import { timingSafeEqual } from 'node:crypto';

/** A session as the registry sees it: its key and a way to cancel what it runs. */
export interface Cancellable {
  readonly secretKey: Buffer;
  /** Cancels the running statement; false when nothing is running (the request is then a no-op, as in PostgreSQL). */
  cancelStatement(): boolean;
}

/** Where process IDs start, and (below Linux's pid_max, like a real backend's) where they wrap back to it. */
export const FIRST_PROCESS_ID = 1000;
export const MAX_PROCESS_ID = 4_194_304;

export type CancelOutcome = 'canceled' | 'idle' | 'wrong-key' | 'no-process';

/** Same length and same bytes, compared in constant time. */
export function sameCancelKey(expected: Buffer, given: Buffer): boolean {
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export class CancelRegistry {
  private readonly byPid = new Map<number, Cancellable>();

  has(processId: number): boolean {
    return this.byPid.has(processId);
  }

  add(processId: number, target: Cancellable): void {
    this.byPid.set(processId, target);
  }

  delete(processId: number, target: Cancellable): void {
    if (this.byPid.get(processId) === target) this.byPid.delete(processId);
  }

  cancel(processId: number, key: Buffer): CancelOutcome {
    const target = this.byPid.get(processId);
    if (!target) return 'no-process';
    if (!sameCancelKey(target.secretKey, key)) return 'wrong-key';
    return target.cancelStatement() ? 'canceled' : 'idle';
  }
}

/** The server-log line for an outcome, in PostgreSQL's words where it has them. */
export function cancelLogText(processId: number, outcome: CancelOutcome): string {
  switch (outcome) {
    case 'canceled':
      return `cancel request for process ${processId}: statement canceled`;
    case 'idle':
      return `cancel request for process ${processId}: no statement running`;
    case 'wrong-key':
      return `wrong key in cancel request for process ${processId}`;
    case 'no-process':
      return `PID ${processId} in cancel request did not match any process`;
  }
}

/** The SCRAM exchange step at which a message was refused. */
export type ScramStep = 'client-first' | 'server-first' | 'client-final' | 'server-final';

/**
 * A SCRAM message was malformed or failed a check. On the server side
 * `sqlstate` and `detail` carry what PostgreSQL 15-18 would report in its
 * ErrorResponse (auth-scram.c), so a server can forward them unchanged.
 */
export class ScramError extends Error {
  override readonly name = 'ScramError';
  readonly sqlstate: string | undefined;
  readonly detail: string | undefined;
  constructor(
    readonly step: ScramStep,
    message: string,
    wire?: { sqlstate?: string; detail?: string },
  ) {
    super(message);
    this.sqlstate = wire?.sqlstate;
    this.detail = wire?.detail;
  }
}

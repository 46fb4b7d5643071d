/**
 * The server's wire error: what goes to a client as an ErrorResponse. Only
 * these reach a client; anything else is logged and the connection closed.
 */
import type { ErrorFields } from '../protocol/index.js';

export type Severity = 'FATAL' | 'ERROR';

export class WireError extends Error {
  override readonly name = 'WireError';
  constructor(
    readonly severity: Severity,
    readonly sqlstate: string,
    message: string,
    readonly detail?: string,
    readonly hint?: string,
    /** Server-log-only detail (PostgreSQL's errdetail_log): never sent to the client. */
    readonly logDetail?: string,
  ) {
    super(message);
  }

  /** ErrorResponse fields in the order PostgreSQL sends them (S, V, C, M, D, H). */
  fields(): ErrorFields {
    const f: ErrorFields = { severity: this.severity, severityNonLocalized: this.severity, code: this.sqlstate, message: this.message };
    if (this.detail !== undefined) f.detail = this.detail;
    if (this.hint !== undefined) f.hint = this.hint;
    return f;
  }
}

export const fatal = (sqlstate: string, message: string, opts: { detail?: string; hint?: string; logDetail?: string } = {}): WireError =>
  new WireError('FATAL', sqlstate, message, opts.detail, opts.hint, opts.logDetail);

export const sqlError = (sqlstate: string, message: string, opts: { detail?: string; hint?: string } = {}): WireError =>
  new WireError('ERROR', sqlstate, message, opts.detail, opts.hint);

/** 28P01 as PostgreSQL's auth_failed() for password, md5 and scram-sha-256. */
export const passwordFailed = (user: string, logDetail?: string): WireError =>
  fatal('28P01', `password authentication failed for user "${user}"`, logDetail !== undefined ? { logDetail } : {});

/** The SCRAM exchange step at which a message was refused. */
export type ScramStep = 'client-first' | 'server-first' | 'client-final' | 'server-final';

/**
 * What went wrong, for callers to switch on (never the message text), as
 * postgres.js names its SASL errors:
 * - `malformed-message`: a message broke the SCRAM grammar or its values;
 * - `nonce-mismatch`: the server nonce does not extend the client nonce;
 * - `iteration-limit`: more iterations than the client accepts (PBKDF2 cost);
 * - `out-of-order`: a message arrived at the wrong step;
 * - `server-error`: the server-final-message was `e=...`;
 * - `invalid-server-signature`: `v=` is not a 32-byte base64 signature;
 * - `server-signature-mismatch`: the signature is not the one the password gives;
 * - `invalid-option`: the caller's own input (nonce, channel-binding data);
 * - `refused`: the server side's refusals, whose SQLSTATE says the rest.
 */
export type ScramErrorCode =
  | 'malformed-message'
  | 'nonce-mismatch'
  | 'iteration-limit'
  | 'out-of-order'
  | 'server-error'
  | 'invalid-server-signature'
  | 'server-signature-mismatch'
  | 'invalid-option'
  | 'refused';

/**
 * A SCRAM message was malformed or failed a check. On the server side
 * `sqlstate` and `detail` carry what PostgreSQL 15-18 would report in its
 * ErrorResponse (auth-scram.c), so a server can forward them unchanged.
 */
export class ScramError extends Error {
  override readonly name = 'ScramError';
  readonly sqlstate: string | undefined;
  readonly detail: string | undefined;
  readonly code: ScramErrorCode;
  constructor(
    readonly step: ScramStep,
    message: string,
    wire?: { sqlstate?: string; detail?: string; code?: ScramErrorCode },
  ) {
    super(message);
    this.sqlstate = wire?.sqlstate;
    this.detail = wire?.detail;
    this.code = wire?.code ?? 'refused';
  }
}

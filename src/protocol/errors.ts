/**
 * The protocol layer's one error type: malformed bytes, impossible lengths,
 * messages that do not fit their documented layout. The server answers it
 * with FATAL 08P01 (protocol_violation) or a close; the probe reports it as
 * "the peer does not speak the protocol".
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    message: string,
    /** Set where a caller treats the case apart: a CancelRequest's layout errors are log-only (processCancelRequest). */
    readonly code?: ProtocolErrorCode,
  ) {
    super(message);
  }
}

export type ProtocolErrorCode = 'invalid-cancel-request';

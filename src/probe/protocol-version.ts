/**
 * libpq 18's protocol-version rules, pure: the `min_protocol_version` /
 * `max_protocol_version` options (`fe-connect.c pqConnectOptions2`), the
 * checks on NegotiateProtocolVersion (`fe-protocol3.c
 * pqGetNegotiateProtocolVersion3`) and on the BackendKeyData cancel key
 * (`getBackendKeyData`), plus the "grease" request PostgreSQL 19's libpq
 * sends by default (3.9999 with `_pq_.test_protocol_negotiation`).
 *
 * Error texts are libpq 18's, checked against its libpq.so where they are
 * about options (test/probe/units.test.ts names the values compared).
 */
import { protocolCode, STARTUP_CODES } from '../protocol/codes.js';

export const PROTOCOL_3_0 = STARTUP_CODES.PROTOCOL_3_0;
export const PROTOCOL_3_2 = STARTUP_CODES.PROTOCOL_3_2;
/** PG_PROTOCOL_LATEST of libpq 18. */
export const PROTOCOL_LATEST = PROTOCOL_3_2;
/** PostgreSQL 19's grease version: no server speaks it, every server must negotiate it down. */
export const PROTOCOL_GREASE = protocolCode(3, 9999);
/** The `_pq_` option PostgreSQL 19's libpq sends with the grease version, and expects reported back. */
export const GREASE_OPTION = '_pq_.test_protocol_negotiation';

/** "3.2" for 196610. */
export const protocolText = (code: number): string => `${code >>> 16}.${code & 0xffff}`;

/** A failed protocol check: libpq's message; `code` picks the diagnosis. */
export interface ProtocolCheckFailure {
  code: 'protocol-negotiation-failed' | 'protocol-version-unsupported' | 'protocol-error';
  message: string;
}

/**
 * Parses one of libpq 18's protocol-version option values: `3.0`, `3.2` or
 * `latest` (exactly; "3", "3.1", "3.9999" and "" are refused).
 */
export function parseProtocolVersionOption(value: string, option: 'min_protocol_version' | 'max_protocol_version'): number | string {
  if (value === 'latest') return PROTOCOL_LATEST;
  if (value === '3.0') return PROTOCOL_3_0;
  if (value === '3.2') return PROTOCOL_3_2;
  return `invalid ${option} value: "${value}"`;
}

export interface ProtocolRange {
  min: number;
  max: number;
}

/**
 * libpq 18's defaults: min 3.0; max 3.0 unless min is above 3.0, then
 * `latest`. Returns the error text for a bad value or an empty range.
 */
export function resolveProtocolRange(minText: string | undefined, maxText: string | undefined): ProtocolRange | string {
  const min = minText === undefined ? PROTOCOL_3_0 : parseProtocolVersionOption(minText, 'min_protocol_version');
  if (typeof min === 'string') return min;
  const max = maxText === undefined ? (min > PROTOCOL_3_0 ? PROTOCOL_LATEST : PROTOCOL_3_0) : parseProtocolVersionOption(maxText, 'max_protocol_version');
  if (typeof max === 'string') return max;
  if (min > max) return '"min_protocol_version" is greater than "max_protocol_version"';
  return { min, max };
}

/** What the StartupMessage asks for. */
export interface ProtocolRequest {
  version: number;
  /** `_pq_.*` options sent in the startup packet, name and value. */
  options: Array<[string, string]>;
  grease: boolean;
}

export function protocolRequest(range: ProtocolRange, grease: boolean): ProtocolRequest {
  if (grease) return { version: PROTOCOL_GREASE, options: [[GREASE_OPTION, '']], grease: true };
  return { version: range.max, options: [], grease: false };
}

const INVALID = 'received invalid protocol negotiation message: ';

/**
 * NegotiateProtocolVersion as libpq 18 checks it (pqGetNegotiateProtocolVersion3),
 * in its order. With grease, the server must also report the grease option
 * back and pick a version libpq knows (PostgreSQL 19's libpq rule; the
 * wording of that one check is pgauth's).
 * Returns the version now in use, or the failure.
 */
export function checkNegotiateProtocolVersion(
  msg: { version: number; unrecognizedOptions: string[] },
  request: ProtocolRequest,
  range: ProtocolRange,
): { version: number } | ProtocolCheckFailure {
  const v = msg.version >>> 0;
  const fail = (message: string): ProtocolCheckFailure => ({ code: 'protocol-negotiation-failed', message });
  if (v > request.version) return fail(`${INVALID}server requested downgrade to a higher-numbered version`);
  if (v < PROTOCOL_3_0) return fail(`${INVALID}server requested downgrade to pre-3.0 protocol version`);
  if (v === protocolCode(3, 1)) return fail(`${INVALID}server requested downgrade to non-existent 3.1 protocol version`);
  if (v === request.version && msg.unrecognizedOptions.length === 0) return fail(`${INVALID}server negotiated but asks for no changes`);
  if (v < range.min) {
    return {
      code: 'protocol-version-unsupported',
      message: `server only supports protocol version ${protocolText(v)}, but "min_protocol_version" was set to ${protocolText(range.min)}`,
    };
  }
  if (request.grease && v > PROTOCOL_LATEST) return fail(`${INVALID}server requested protocol version ${protocolText(v)}, which this client does not know (grease)`);
  const requested = new Set(request.options.map(([k]) => k));
  for (const name of msg.unrecognizedOptions) {
    if (!name.startsWith('_pq_.')) return fail(`${INVALID}server reported unsupported parameter name without a "_pq_." prefix ("${name}")`);
    if (!requested.has(name)) return fail(`${INVALID}server reported an unsupported parameter that was not requested ("${name}")`);
  }
  if (request.grease && !msg.unrecognizedOptions.includes(GREASE_OPTION)) {
    return fail(`${INVALID}server did not report the unsupported "${GREASE_OPTION}" parameter`);
  }
  return { version: v };
}

/**
 * A server that skipped NegotiateProtocolVersion accepted the version asked
 * for; for grease that is impossible (3.9999 does not exist), so the target
 * ignores the version field, as PgBouncer-like poolers do.
 */
export function checkNoNegotiation(request: ProtocolRequest): ProtocolCheckFailure | null {
  if (!request.grease) return null;
  return {
    code: 'protocol-negotiation-failed',
    message: `server did not send NegotiateProtocolVersion in response to protocol version ${protocolText(request.version)} and "${GREASE_OPTION}"`,
  };
}

/** BackendKeyData's key length, as libpq 18's getBackendKeyData accepts it. */
export function checkCancelKeyLength(version: number, length: number): ProtocolCheckFailure | null {
  const fail = (message: string): ProtocolCheckFailure => ({ code: 'protocol-error', message });
  if (version === PROTOCOL_3_0 && length !== 4) return fail(`cancel key with length ${length} not allowed in protocol version 3.0 (must be 4 bytes)`);
  if (length < 4) return fail(`cancel key with length ${length} is too short (minimum 4 bytes)`);
  if (length > 256) return fail(`cancel key with length ${length} is too long (maximum 256 bytes)`);
  return null;
}

/** The protocol facts of one attempt, for the report (`protocol` in --json). */
export interface ProtocolSummary {
  /** The version in use ("3.2"), null when the login ended before it was settled. */
  version: string | null;
  /** What the StartupMessage asked for ("3.0", "3.2", or "3.9999" with --grease). */
  requested: string;
  cancelKeyBytes: number | null;
  /** The server sent NegotiateProtocolVersion. */
  negotiated: boolean;
  /** `_pq_.*` options the server said it does not support. */
  unrecognizedOptions: string[];
  grease: boolean;
}

/**
 * One attempt's protocol negotiation, message by message, as libpq 18 reads
 * it during the startup phase. Each handler returns a failure or null.
 */
export class ProtocolNegotiation {
  readonly request: ProtocolRequest;
  version: number | null = null;
  negotiated = false;
  cancelKeyBytes: number | null = null;
  unrecognizedOptions: string[] = [];

  constructor(private readonly range: ProtocolRange, grease: boolean) {
    this.request = protocolRequest(range, grease);
  }

  /** NegotiateProtocolVersion ('v'), accepted once, before authentication. */
  onNegotiate(msg: { version: number; unrecognizedOptions: string[] }): ProtocolCheckFailure | null {
    if (this.negotiated) return { code: 'protocol-negotiation-failed', message: 'received duplicate protocol negotiation message' };
    this.negotiated = true;
    this.unrecognizedOptions = msg.unrecognizedOptions.slice(0, 64);
    const r = checkNegotiateProtocolVersion(msg, this.request, this.range);
    if ('message' in r) return r;
    this.version = r.version;
    return null;
  }

  /** The first startup-phase message that is not 'v': the version asked for stands, unless it was grease. */
  onOtherMessage(): ProtocolCheckFailure | null {
    if (this.version !== null) return null;
    const f = checkNoNegotiation(this.request);
    if (f) return f;
    this.version = this.request.version;
    return null;
  }

  /** BackendKeyData's key length, checked against the version in use. */
  onBackendKey(length: number): ProtocolCheckFailure | null {
    this.cancelKeyBytes = length;
    return checkCancelKeyLength(this.version ?? this.request.version, length);
  }

  summary(): ProtocolSummary {
    return {
      version: this.version === null ? null : protocolText(this.version),
      requested: protocolText(this.request.version),
      cancelKeyBytes: this.cancelKeyBytes,
      negotiated: this.negotiated,
      unrecognizedOptions: this.unrecognizedOptions,
      grease: this.request.grease,
    };
  }
}

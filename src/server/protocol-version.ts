/**
 * Which protocol versions the server speaks for its --server-version, and
 * what it answers to a StartupMessage's version and `_pq_.*` options and to
 * a CancelRequest's length (ProcessStartupPacket and processCancelRequest,
 * backend_startup.c). Pure: numbers in, a decision out.
 *
 * Observed on real PostgreSQL 18.4 and 17.10 (test/server/protocol.test.ts
 * holds the bytes):
 * - FrontendProtocol = min(requested, newest). NegotiateProtocolVersion goes
 *   out when the requested minor is above the newest or a `_pq_.*` option
 *   was sent, and it carries FrontendProtocol's full code: 18 answers 3.9999
 *   with 196610 but 3.0 + `_pq_.x` with 196608 (not the newest, as the
 *   reference said); 17 answers everything with 196608.
 * - 18 answers 3.1 like 3.0 (no NegotiateProtocolVersion, a 4-byte key);
 *   3.2 and above get a 32-byte cancel key.
 * - A major below 3 gets the error in the pre-3.0 format, a major above 3
 *   a v3 ErrorResponse; both say "server supports 3.0 to 3.<newest>".
 */
import { protocolCode, type BackendMessage } from '../protocol/index.js';

/** The protocol versions a server speaks: 3.0 up to 3.`newestMinor`. */
export interface ProtocolRange {
  newestMinor: number;
}

/** PostgreSQL 18 added protocol 3.2; 17 and older speak 3.0 only. */
export function protocolRangeFor(serverVersion: string): ProtocolRange {
  return { newestMinor: Number.parseInt(serverVersion, 10) >= 18 ? 2 : 0 };
}

/** The FATAL 0A000 text for a version (or request code) the server does not speak. */
export function unsupportedProtocolText(major: number, minor: number, range: ProtocolRange): string {
  return `unsupported frontend protocol ${major}.${minor}: server supports 3.0 to 3.${range.newestMinor}`;
}

/** MAX_CANCEL_KEY_LENGTH, the key a 3.2 session gets from PostgreSQL 18. */
export const CANCEL_KEY_BYTES_3_2 = 32;
/** The 3.0 key: one Int32. */
export const CANCEL_KEY_BYTES_3_0 = 4;

export type ProtocolDecision =
  | {
      kind: 'accept';
      /** FrontendProtocol: the minor version the session speaks. */
      minor: number;
      /** NegotiateProtocolVersion to send before the authentication request, or null. */
      negotiate: Extract<BackendMessage, { type: 'NegotiateProtocolVersion' }> | null;
      cancelKeyBytes: number;
    }
  /** preV3: the client asked for protocol 2 or older and gets the error in that format. */
  | { kind: 'refuse'; message: string; preV3: boolean };

/** What the server does with a StartupMessage of version major.minor and these unknown `_pq_.*` options. */
export function decideProtocol(major: number, minor: number, unrecognizedOptions: readonly string[], range: ProtocolRange): ProtocolDecision {
  if (major !== 3) return { kind: 'refuse', message: unsupportedProtocolText(major, minor, range), preV3: major < 3 };
  const frontendMinor = Math.min(minor, range.newestMinor);
  const negotiate =
    minor > range.newestMinor || unrecognizedOptions.length > 0
      ? { type: 'NegotiateProtocolVersion' as const, version: protocolCode(3, frontendMinor), unrecognizedOptions: [...unrecognizedOptions] }
      : null;
  return { kind: 'accept', minor: frontendMinor, negotiate, cancelKeyBytes: frontendMinor >= 2 ? CANCEL_KEY_BYTES_3_2 : CANCEL_KEY_BYTES_3_0 };
}

/**
 * Why a CancelRequest carrying a key of this length is dropped (log only;
 * nothing is ever sent back), or null. 18 takes 1 to 256 bytes and compares
 * them with the session's key; 17 and older take exactly the 16-byte packet.
 */
export function cancelRequestProblem(keyBytes: number, range: ProtocolRange): string | null {
  if (range.newestMinor >= 2) return keyBytes === 0 || keyBytes > 256 ? 'invalid length of cancel key in cancel request packet' : null;
  return keyBytes === CANCEL_KEY_BYTES_3_0 ? null : 'invalid length of startup packet';
}

/**
 * The shape of one catalogue entry (diagnose-login.ts, diagnose-tls.ts,
 * diagnose-network.ts): the facts of a failed attempt in, cause and fix out.
 */
import type { ClientFailureReason, DiagnosisFacts, Failure } from './diagnose.js';

export interface EntryFacts {
  f: DiagnosisFacts;
  failure: Failure;
  /** The server's message or the client's error text. */
  msg: string;
  /** A client failure's reason, when its code needs one. */
  reason: ClientFailureReason | undefined;
  /** `host:port`, or "the socket in DIR". */
  where: string;
  /** The server is PgBouncer (its words and its fixes differ). */
  bouncer: boolean;
}

export interface CauseFix {
  cause: string;
  fix: string;
  /** For no-hba-entry and tls-required: the pg_hba.conf line that would admit this connection. */
  hbaLine: string | null;
}

export type CatalogueEntry = (c: EntryFacts) => CauseFix;

export const causeFix = (cause: string, fix: string, hbaLine: string | null = null): CauseFix => ({ cause, fix, hbaLine });

export const q = (s: string): string => `"${s}"`;

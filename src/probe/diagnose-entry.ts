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

/** The names libpq chose by itself, said with where they came from (issue 15: "root" is the OS user). */
export function nameOrigins(f: DiagnosisFacts): string[] {
  const out: string[] = [];
  if (f.userSource === 'default') out.push(`user ${q(f.user)} is the OS user name (no -U, PGUSER or user= was given)`);
  else if (f.userSource === 'env') out.push(`user ${q(f.user)} came from PGUSER`);
  if (f.dbnameSource === 'default') out.push(`database ${q(f.dbname)} is the user name (no -d, PGDATABASE or dbname= was given, so libpq uses the user name)`);
  else if (f.dbnameSource === 'env') out.push(`database ${q(f.dbname)} came from PGDATABASE`);
  return out;
}

/** " (user ... is the OS user name ...; database ...)" or "". */
export function originsNote(f: DiagnosisFacts): string {
  const o = nameOrigins(f);
  return o.length ? ` (${o.join('; ')})` : '';
}

/**
 * What admits a login without any challenge: on a Unix socket trust or peer
 * (Debian's default for local lines), over TCP trust or ident, and with TLS
 * also a client certificate (cert).
 */
export function noChallengeMethods(unix: boolean, tls: boolean): string {
  if (unix) return 'trust, or peer: the OS user matched, as with Debian\'s default "local all all peer"';
  return tls ? 'trust, ident, or the TLS client certificate' : 'trust or ident';
}

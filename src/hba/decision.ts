/**
 * What pg_hba.conf matching works on and what it decides: the facts of a
 * connection after its StartupMessage and the chosen method. It lives with
 * hba so that both the server (which runs the decision) and the probe (which
 * asks "which line would match?") depend downward on it, never on each other.
 */

/** Authentication methods the server can run (pg_hba.conf method names). */
export const SERVER_AUTH_METHODS = ['trust', 'reject', 'password', 'md5', 'scram-sha-256', 'cert', 'pam', 'oauth'] as const;
export type ServerAuthMethod = (typeof SERVER_AUTH_METHODS)[number];

/** What is known about a connection when its method is chosen (after StartupMessage). */
export interface ConnectionFacts {
  /** 'unix' for a Unix-domain socket (pg_hba.conf `local`), 'tcp' otherwise. */
  transport: 'tcp' | 'unix';
  /** Client IP address for TCP (IPv4 dotted or IPv6, no brackets, no ::ffff: prefix); null for Unix. */
  remoteAddress: string | null;
  /** TLS is in use on this connection. */
  ssl: boolean;
  /** GSSAPI encryption is in use (pgauth never offers it; kept for hostgssenc rules). */
  gssenc: boolean;
  /** StartupMessage `user`. */
  user: string;
  /** StartupMessage `database` (defaults to the user name, as PostgreSQL does). */
  database: string;
  /** StartupMessage `replication` was true/database (matches the `replication` keyword). */
  replication: boolean;
}

/** The outcome of choosing a method for a connection. */
export type AuthDecision =
  | {
      kind: 'method';
      method: ServerAuthMethod | (string & {});
      /** key=value options from the hba line (e.g. clientcert, pamservice). */
      options: Readonly<Record<string, string>>;
      /** Where the deciding rule came from, for logs. */
      file?: string;
      line?: number;
    }
  /** No rule matched: PostgreSQL's `no pg_hba.conf entry for host ...` (28000). */
  | { kind: 'no-entry' }
  /** A `reject` line matched: `pg_hba.conf rejects connection for host ...` (28000). */
  | { kind: 'reject'; file?: string; line?: number };

/** Chooses the method per connection: a constant for --auth, the hba engine for --hba. */
export type MethodSelector = (facts: ConnectionFacts) => AuthDecision;

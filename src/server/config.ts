/**
 * What `pgauth serve` is started with (ServeConfig), what it reports
 * (ServerEvent), and the error for a configuration it cannot start with.
 */
import type { ServerAuthMethod } from '../hba/decision.js';
import type { AttemptLog, ServerSettings, SleepLog } from './context.js';
import type { ScenarioName, ScenarioOutcome } from './scenarios/index.js';

/** Events besides attempts: reloads and warnings. */
export type ServerEvent =
  | AttemptLog
  | SleepLog
  | { event: 'reload'; time: string; file: string; ok: boolean; error: string | null; roles?: number }
  | { event: 'warning'; time: string; message: string }
  | ScenarioOutcome;

export interface ServeConfig {
  host: string;
  port: number;
  socketDir?: string;
  /** A constant method for every connection (--auth), unless hbaPath is given. */
  auth: ServerAuthMethod;
  /** --hba FILE: per-connection rules (src/hba). */
  hbaPath?: string;
  /** Role file; null serves without one (trust, cert and pam then accept any name). */
  rolesPath: string | null;
  /** --allow-unsafe-path: serve a role file whose path another user could change (with a warning). */
  allowUnsafeRolesPath?: boolean;
  requireTls: boolean;
  tls?: { certPath?: string; keyPath?: string; caPath?: string; selfSigned?: boolean };
  settings: ServerSettings;
  /** --ident FILE: the pg_ident.conf that hba map= options read (reloaded with the hba file). */
  identPath?: string;
  /** --auth oauth / hba oauth lines: issuer and scope (hba options win), and the JWKS that signs valid tokens. */
  oauth?: { issuer?: string; scope?: string; jwksPath: string; audience?: string; claim: string };
  /** --scenario: hostile scenarios every connection runs instead of --auth/--hba (SPEC §10). */
  scenarios?: ScenarioName[];
  /** Watch the role and hba files and reload on change (SIGHUP is wired by the caller). */
  watchFiles?: boolean;
  onEvent(event: ServerEvent): void;
}

export interface RunningServer {
  host: string;
  port: number;
  tls: boolean;
  socketPath: string | null;
  /** Re-reads the role file and the hba file; a broken file keeps the old contents. */
  reload(): Promise<{ ok: boolean; errors: string[] }>;
  /** FATAL 57P01 to every session, stop listening. */
  shutdown(): Promise<void>;
}

/** Raised for configuration the server cannot start with (exit 3 in the CLI). */
export class ServeConfigError extends Error {
  override readonly name = 'ServeConfigError';
  readonly code = 'serve-config';
}

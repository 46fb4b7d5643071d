/**
 * What every session shares: settings, the current roles and method
 * selector (swapped on reload), counters, and the attempt log.
 */
import type { RoleRecord } from '../roles/index.js';
import type { CancelRegistry } from './cancel.js';
import type { SleepEnd } from './sleep.js';
import type { ScenarioName, ScenarioOutcome } from './scenarios/index.js';
import type { MethodSelector } from '../hba/decision.js';
import type { OAuthSettings } from './auth/index.js';

export interface ServerSettings {
  authTimeoutMs: number;
  authDelayMs: number;
  maxConnections: number;
  /** server_version reported to clients, e.g. "16.0". */
  serverVersion: string;
  /** Iterations of mock SCRAM (unknown roles) and of SCRAM over plaintext secrets. */
  iterations: number;
  pamService: string;
  pamConfdir: string | undefined;
}

/** One line per connection attempt (SPEC §3 Operations). Never a password, proof or secret. */
export interface AttemptLog {
  event: 'attempt';
  time: string;
  /** `ip:port` for TCP, `[local]` for a Unix socket. */
  peer: string;
  user: string | null;
  database: string | null;
  /** The method that ran (md5 may become scram-sha-256), or null before one was chosen. */
  method: string | null;
  /** SASL mechanism when SCRAM ran. */
  mechanism: string | null;
  /** The protocol version the session speaks ("3.0", "3.2"), once its StartupMessage was accepted. */
  protocol: string | null;
  tls: boolean;
  result: 'ok' | 'rejected' | 'protocol-error' | 'disconnected' | 'timeout' | 'cancel' | 'shutdown';
  sqlstate: string | null;
  /** The message the client got (never a secret). */
  message: string | null;
  /** Server-log-only detail (why: "Role "x" does not exist.", a PAM result...). */
  detail: string | null;
  /** The hba rule that decided, as file:line. */
  rule: string | null;
  ms: number;
}

/**
 * A `SELECT pg_sleep(N)` starting and ending, so scripts and tests can wait
 * until a statement is running before they cancel it.
 */
export interface SleepLog {
  event: 'sleep';
  time: string;
  /** The session's process ID (BackendKeyData, pg_backend_pid()). */
  pid: number;
  user: string;
  seconds: number;
  /** started, then finished, canceled (CancelRequest) or abandoned (the client left, or shutdown). */
  state: 'started' | SleepEnd;
}

export interface ServerContext {
  settings: ServerSettings;
  /** Current role file contents, or null when serving without a role file. */
  roles: Map<string, RoleRecord> | null;
  selector: MethodSelector;
  /** TLS can be negotiated (certificate configured); Unix sockets never use it. */
  tlsEnabled: boolean;
  /** tls-server-end-point of our certificate. */
  channelBinding: Buffer | null;
  /** --tls-ca was given: client certificates are requested and verified. */
  haveClientCa: boolean;
  mockNonce: Buffer;
  /** Sessions past the max_connections check and not yet closed. */
  admitted: number;
  /** Authenticated sessions per role (conn-limit). */
  perRole: Map<string, number>;
  nextProcessId: number;
  /** Authenticated sessions by process ID, for CancelRequest. */
  cancelTargets: CancelRegistry;
  log(entry: AttemptLog | SleepLog): void;
  /** --scenario: the hostile scenarios every connection runs (instead of --auth/--hba), or null. */
  scenarios?: readonly ScenarioName[] | null;
  /** --ident FILE: map= checks, or null. */
  usermap?: ((map: string, pgUser: string, systemUser: string) => { ok: true } | { ok: false; reason: string }) | null;
  /** The built-in OAuth validator (--oauth-jwks), or null. */
  oauth?: OAuthSettings | null;
  /** What a scenario connection's client did, when it closes. */
  report?(outcome: ScenarioOutcome): void;
}

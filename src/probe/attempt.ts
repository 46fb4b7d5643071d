/**
 * One connection attempt's record and options: what was asked, what the
 * server said, the failure; plus the typed failure the attempt's steps throw.
 * Pure data, shared by the attempt's steps (handshake.ts and its helpers).
 */
import type { BackendMessage } from '../protocol/index.js';
import type { TlsInfo } from './connect.js';
import type { AuthMethodName, ConnParams, HostSpec } from './conninfo.js';
import type { ClientFailureReason, DiagnosisCode, Failure, ServerError } from './diagnose.js';
import type { ProtocolSummary } from './protocol-version.js';

export interface Step {
  /** Attempt number (1-based) the step belongs to; 0 for steps before any attempt (resolve). */
  attempt: number;
  step: string;
  ms: number;
  ok: boolean;
  detail: string;
}

export interface TraceEntry {
  attempt: number;
  /** Milliseconds since the probe started. */
  ms: number;
  dir: 'C->S' | 'S->C';
  type: string;
  /** Printable summary with every secret redacted. */
  detail: string;
}

export type Encryption = 'plain' | 'ssl' | 'direct';

export interface AuthInfo {
  /** libpq require_auth name of the method the server asked for. */
  method: AuthMethodName | null;
  /** Authentication requests in order (AuthenticationSASL, ...). */
  requests: string[];
  mechanismsOffered: string[] | null;
  mechanism: string | null;
  channelBinding: 'tls-server-end-point' | null;
  /** GS2 flag sent: n (no binding), y (client supports, server did not offer), p (bound). */
  gs2Flag: 'n' | 'y' | 'p' | null;
  iterations: number | null;
  saltBytes: number | null;
  serverSignature: 'verified' | null;
  passwordSent: boolean;
  passwordSource: string | null;
  /** OAUTHBEARER: what the server advertised and what was sent (never the token). */
  oauth: OAuthInfo | null;
}

export interface OAuthInfo {
  /** A bearer token was sent (false: the discovery round). */
  tokenSent: boolean;
  tokenSource: string | null;
  /** From the server's error body, when it sent one. */
  status: string | null;
  discoveryUrl: string | null;
  /** The issuer the discovery URL names (the URL without its /.well-known/ part). */
  issuer: string | null;
  scope: string | null;
  /** What libpq 18 itself would have stopped with (issuer mismatch, missing oauth_issuer/oauth_client_id), or null. */
  libpqError: string | null;
}

export interface AttemptResult {
  index: number;
  host: string;
  address: string | null;
  port: number;
  unix: boolean;
  /** What was asked for. */
  encryption: Encryption;
  /** What the session ended up using. */
  tlsUsed: boolean;
  sslResponse: 'S' | 'N' | null;
  /** Local address of our socket (the client address the server sees). */
  clientAddress: string | null;
  /** Local port of our socket (the client port the server logs; `probe --server-log` matches by it). */
  clientPort: number | null;
  /** Epoch ms when the attempt started and ended (the time window of `probe --server-log`). */
  startedAt: number;
  endedAt: number | null;
  tls: TlsInfo | null;
  auth: AuthInfo;
  parameters: Record<string, string>;
  parameterOrder: string[];
  backendKey: { processId: number; keyLength: number } | null;
  negotiateProtocol: { version: number; unrecognizedOptions: string[] } | null;
  /** Protocol version asked for and in use, cancel-key length, NegotiateProtocolVersion seen. */
  protocol: ProtocolSummary | null;
  /**
   * A failure libpq would have had where the probe went on to learn more
   * (channel_binding=prefer with a certificate that has no binding hash).
   */
  libpqFailure: Extract<Failure, { origin: 'client' }> | null;
  /** The server's ErrorResponse to a protocol version or _pq_ option it would not negotiate. */
  startupRefusal: ServerError | null;
  notices: string[];
  authOk: boolean;
  ready: boolean;
  currentUser: string | null;
  versionText: string | null;
  failure: Failure | null;
  /** A side attempt made only to diagnose (e.g. would TLS be admitted?). */
  diagnostic: boolean;
  /** The server asked for a password there was none of, and a person will be asked: closed to ask (psql's first try). */
  passwordNeeded: boolean;
  /** The ErrorResponse came with PostgreSQL's file/line/routine fields. */
  errorHadRoutine: boolean;
  /** Results of AttemptOptions.queries, in order. */
  queryResults: QueryResult[];
}

export interface QueryResult {
  sql: string;
  rows: Array<Array<string | null>>;
  error: ServerError | null;
}

/** NoticeResponse messages accepted before ReadyForQuery (bounded input). */
export const MAX_LOGIN_NOTICES = 100;

/** Rows kept per extra query (bounded input). */
export const MAX_QUERY_ROWS = 200_000;
/** Bytes of row data kept per extra query (bounded input: rows alone may each be 256 KiB). */
export const MAX_QUERY_BYTES = 64 * 1024 * 1024;

export interface PasswordAnswer {
  value: string;
  source: string;
}

export interface AttemptOptions {
  index: number;
  params: ConnParams;
  host: HostSpec;
  /** Resolved address (TCP), undefined for Unix sockets. */
  address?: string;
  encryption: Encryption;
  deadline: number | undefined;
  /** Gets the password from its sources (never prompts); undefined when there is none. */
  getPassword: () => Promise<PasswordAnswer | undefined>;
  /** Without a password, a person will be asked once this attempt has closed (ProbeOptions.prompt). */
  askWhenNeeded?: boolean;
  /** The OAuth bearer token (--oauth-token-env/--oauth-token-stdin); without one, OAUTHBEARER runs discovery. */
  oauthToken?: PasswordAnswer;
  /** --discover: send no secret, stop at the first authentication request. */
  discover: boolean;
  /** Stop at the first authentication request (diagnostic side attempts). */
  discoverOnly?: boolean;
  tls: {
    ca?: Buffer | Buffer[];
    cert?: Buffer;
    key?: Buffer;
    verifyChain: boolean;
    verifyHost: boolean;
  };
  /** verify-ca/verify-full without a root certificate file: libpq's error, raised when TLS starts. */
  rootError?: string;
  maxIterations: number;
  /** Ask for protocol 3.9999 with `_pq_.test_protocol_negotiation`, as PostgreSQL 19's libpq does. */
  grease?: boolean;
  /** Injectable SCRAM client nonce (tests). */
  nonce?: string;
  /** Extra queries to run after login (the live role import); their rows are kept. */
  queries?: string[];
  startedAt: number;
  steps: Step[];
  trace: TraceEntry[] | null;
}

/** How a step ends the attempt: the failure it found. */
export class AttemptFailed extends Error {
  constructor(readonly failure: Failure) {
    super('attempt failed');
  }
}

export const clientFailure = (code: DiagnosisCode, message: string, reason?: ClientFailureReason): AttemptFailed =>
  new AttemptFailed(reason ? { origin: 'client', code, message, reason } : { origin: 'client', code, message });

export function serverErrorOf(msg: Extract<BackendMessage, { type: 'ErrorResponse' }>): ServerError {
  const f = msg.fields;
  return {
    severity: f.severity ?? null,
    code: f.code ?? null,
    message: f.message ?? '(no message)',
    detail: f.detail ?? null,
    hint: f.hint ?? null,
    routine: f.routine ?? null,
  };
}

/** A fresh attempt record: nothing sent, nothing learnt yet. */
export function newAttempt(index: number, host: HostSpec, encryption: Encryption, address: string | null): AttemptResult {
  return {
    index,
    host: host.host,
    address,
    port: host.port,
    unix: host.unix,
    encryption,
    tlsUsed: false,
    sslResponse: null,
    clientAddress: null,
    clientPort: null,
    startedAt: Date.now(),
    endedAt: null,
    tls: null,
    auth: {
      method: null,
      requests: [],
      mechanismsOffered: null,
      mechanism: null,
      channelBinding: null,
      gs2Flag: null,
      iterations: null,
      saltBytes: null,
      serverSignature: null,
      passwordSent: false,
      passwordSource: null,
      oauth: null,
    },
    parameters: {},
    parameterOrder: [],
    backendKey: null,
    negotiateProtocol: null,
    protocol: null,
    libpqFailure: null,
    startupRefusal: null,
    notices: [],
    authOk: false,
    ready: false,
    currentUser: null,
    versionText: null,
    failure: null,
    diagnostic: false,
    passwordNeeded: false,
    errorHadRoutine: false,
    queryResults: [],
  };
}

/**
 * The probe's report, pure: the attempts and the diagnosis in, the
 * documented result (`--json`) out, with the exit reason and the
 * `--expect-*` checks. Field names are stable (README "--json").
 */
import type { AttemptResult, Encryption, QueryResult, Step, TraceEntry } from './attempt.js';
import type { Weakness } from './weaknesses.js';
import type { OAuthInfo } from './attempt.js';
import type { AuthMethodName, ConnParams } from './conninfo.js';
import type { Diagnosis, DiagnosisCode, Failure, NameSource, ServerKind } from './diagnose.js';
import { PROTOCOL_GREASE, protocolText } from './protocol-version.js';
import type { PassThroughDiagnosis } from './pass-through.js';
import type { ServerLogReport } from './server-log/probe-result.js';

export interface Expectations {
  auth?: AuthMethodName[];
  tls?: boolean;
  channelBinding?: boolean;
  failure?: boolean;
  /** --expect-protocol: the version the session must use ("3.0" or "3.2"). */
  protocol?: string;
}


export type ExitKind = 'ok' | 'rejected' | 'unreachable' | 'expectation';

export interface ProbeResult {
  ok: boolean;
  target: {
    hosts: Array<{ host: string; port: number; hostaddr: string | null }>;
    user: string;
    /** Where the user name came from: flag (-U), target, env (PGUSER), or default (the OS user name). */
    userSource: NameSource;
    database: string;
    /** Where the database name came from: flag (-d), target, env (PGDATABASE), or default (the user name). */
    databaseSource: NameSource;
    sslmode: string;
    sslnegotiation: string;
    channelBinding: string;
    requireAuth: string | null;
  };
  server: { kind: ServerKind; kindEvidence: string; version: string | null; host: string | null; address: string | null; port: number | null; parameters: Record<string, string> };
  auth: {
    method: AuthMethodName | null;
    mechanism: string | null;
    mechanismsOffered: string[] | null;
    channelBinding: 'tls-server-end-point' | null;
    iterations: number | null;
    saltBytes: number | null;
    serverSignature: 'verified' | null;
    passwordSource: string | null;
    currentUser: string | null;
    /** OAUTHBEARER: token sent (and from where), the server's status, discovery URL, issuer and scope; never the token. */
    oauth: OAuthInfo | null;
  };
  /** The protocol version of the decisive attempt (SPEC §7): null fields when the login ended before it was settled. */
  protocol: { version: string | null; cancelKeyBytes: number | null; negotiated: boolean; requested: string; grease: boolean; unrecognizedOptions: string[] };
  tls: {
    version: string | null;
    cipher: string | null;
    alpn: string | null;
    subject: string | null;
    issuer: string | null;
    validTo: string | null;
    chainVerified: boolean | null;
    clientCertificate: string | null;
  };
  error: { severity: string | null; code: string | null; message: string | null; detail: string | null; hint: string | null };
  diagnosis: Diagnosis;
  attempts: Array<{
    attempt: number;
    host: string;
    address: string | null;
    port: number;
    /** The probe socket's local port (what the server logs as the client port), null on a Unix socket. */
    clientPort: number | null;
    /** When the attempt started and ended (ISO 8601). */
    startedAt: string;
    endedAt: string | null;
    encryption: Encryption;
    tls: boolean;
    sslResponse: 'S' | 'N' | null;
    diagnostic: boolean;
    /** 'password-needed': the server wanted a password nobody had given; closed to ask for one, then tried again. */
    result: 'ok' | 'discovered' | 'password-needed' | 'failed';
    errorCode: string | null;
    /** The client's own failure code when the client ended the attempt (timeout, other for a closed connection ...), else null. */
    clientFailure: DiagnosisCode | null;
    message: string | null;
    cause: boolean;
  }>;
  steps: Step[];
  expectations: Array<{ name: string; met: boolean; detail: string }>;
  warnings: string[];
  /** After a login: how the server's authentication was weaker than it could be (also in warnings). */
  weaknesses: Weakness[];
  trace?: TraceEntry[];
  /** SCRAM pass-through behind a pooler (pass-through.ts): the tiers' verifiers differ; null when not diagnosed. */
  passThrough: PassThroughDiagnosis | null;
  /** `--server-log`: what the server's log says about this connection (null after a login); absent without the flag. */
  serverLog?: ServerLogReport | null;
  exit: ExitKind;
  /** Rows of ProbeOptions.queries (not printed; used by the live role import). */
  queryResults?: QueryResult[];
}

/** Diagnosis codes that mean "no response" (exit 2) when found by the client. */
const UNREACHABLE: ReadonlySet<DiagnosisCode> = new Set([
  'connection-refused',
  'timeout',
  'dns-failure',
  'not-postgres',
  'tls-unsupported',
  'tls-verify-failed',
  'tls-client-cert',
  'protocol-error',
  'protocol-negotiation-failed',
  'protocol-version-unsupported',
  'other',
]);


/** Everything runProbe learnt, for the report. */
export interface ReportInput {
  opts: { params: ConnParams; grease?: boolean; expect?: Expectations; queries?: string[] };
  attempts: AttemptResult[];
  success: AttemptResult | undefined;
  cause: AttemptResult | undefined;
  discoveredAttempt: AttemptResult | undefined;
  decisive: AttemptResult | undefined;
  decisiveForAuth: AttemptResult | undefined;
  kind: { kind: ServerKind; why: string };
  diagnosis: Diagnosis;
  /** A failure libpq would have had on a login the probe completed. */
  libpqFailure: Extract<Failure, { origin: 'client' }> | null;
  steps: Step[];
  warnings: string[];
  weaknesses: Weakness[];
  trace: TraceEntry[] | null;
}

export function buildReport(i: ReportInput): ProbeResult {
  const p = i.opts.params;
  const ok = i.diagnosis.code === 'ok';
  const shown = i.success ?? i.discoveredAttempt ?? i.cause;
  const result: ProbeResult = {
    ok,
    target: {
      hosts: p.hosts.map((h) => ({ host: h.host, port: h.port, hostaddr: h.hostaddr ?? null })),
      user: p.user,
      userSource: p.sources.user ?? 'default',
      database: p.dbname,
      databaseSource: p.sources.dbname ?? 'default',
      sslmode: p.sslmode,
      sslnegotiation: p.sslnegotiation,
      channelBinding: p.channelBinding,
      requireAuth: p.requireAuth?.text ?? null,
    },
    server: {
      kind: i.kind.kind,
      kindEvidence: i.kind.why,
      version: i.decisive?.parameters.server_version ?? null,
      host: i.decisive?.host ?? null,
      address: i.decisive?.address ?? null,
      port: i.decisive?.port ?? null,
      parameters: i.decisive?.parameters ?? {},
    },
    auth: authReport(i.decisiveForAuth, i.success),
    protocol: shown?.protocol ?? {
      version: null,
      cancelKeyBytes: null,
      negotiated: false,
      requested: protocolText(i.opts.grease ? PROTOCOL_GREASE : p.protocol.max),
      grease: i.opts.grease === true,
      unrecognizedOptions: [],
    },
    tls: tlsReport(shown),
    error: errorReport(ok, i.cause, i.libpqFailure),
    diagnosis: i.diagnosis,
    attempts: i.attempts.map((a) => attemptReport(a, a === i.cause)),
    steps: i.steps,
    expectations: [],
    warnings: i.warnings,
    weaknesses: i.weaknesses,
    passThrough: null,
    exit: 'ok',
  };
  if (i.trace) result.trace = i.trace;
  if (i.opts.queries && i.success) result.queryResults = i.success.queryResults;

  const failureExit: ExitKind = ok
    ? 'ok'
    : i.cause?.failure?.origin === 'client' && UNREACHABLE.has(i.cause.failure.code)
      ? 'unreachable'
      : 'rejected';
  settleExit(result, i.opts.expect ?? {}, failureExit);
  return result;
}

/** The --expect-* checks and the exit, for a failure of kind `failureExit` (again when a later diagnosis changes it). */
export function settleExit(result: ProbeResult, expect: Expectations, failureExit: ExitKind): void {
  result.expectations = evaluateExpectations(expect, result, failureExit);
  if (result.expectations.some((e) => !e.met)) result.exit = 'expectation';
  else if (expect.failure) result.exit = 'ok';
  else result.exit = failureExit;
}

function authReport(a: AttemptResult | undefined, success: AttemptResult | undefined): ProbeResult['auth'] {
  const auth = a?.auth;
  return {
    method: auth?.method ?? null,
    mechanism: auth?.mechanism ?? null,
    mechanismsOffered: auth?.mechanismsOffered ?? null,
    channelBinding: auth?.channelBinding ?? null,
    iterations: auth?.iterations ?? null,
    saltBytes: auth?.saltBytes ?? null,
    serverSignature: auth?.serverSignature ?? null,
    passwordSource: auth?.passwordSource ?? null,
    currentUser: success?.currentUser ?? null,
    oauth: auth?.oauth ?? null,
  };
}

function tlsReport(a: AttemptResult | undefined): ProbeResult['tls'] {
  const t = a?.tls ?? null;
  const used = a?.tlsUsed === true;
  return {
    version: used ? (t?.version ?? null) : null,
    cipher: used ? (t?.cipher ?? null) : null,
    alpn: used ? (t?.alpn ?? null) : null,
    subject: t?.subject ?? null,
    issuer: t?.issuer ?? null,
    validTo: t?.validTo ?? null,
    chainVerified: t?.chainVerified ?? null,
    clientCertificate: t?.clientCertificate ?? null,
  };
}

/** The server's error fields (a refused protocol request is the server's own error too), else the client's message. */
function errorReport(ok: boolean, cause: AttemptResult | undefined, libpqFailure: ReportInput['libpqFailure']): ProbeResult['error'] {
  const serverError = ok ? null : cause?.failure?.origin === 'server' ? cause.failure.error : (cause?.startupRefusal ?? null);
  const clientMessage = libpqFailure ? libpqFailure.message : !ok && cause?.failure?.origin === 'client' ? cause.failure.message : null;
  return {
    severity: serverError?.severity ?? null,
    code: serverError?.code ?? null,
    message: serverError?.message ?? clientMessage,
    detail: serverError?.detail ?? null,
    hint: serverError?.hint ?? null,
  };
}

function attemptReport(a: AttemptResult, cause: boolean): ProbeResult['attempts'][number] {
  return {
    attempt: a.index,
    host: a.host,
    address: a.address,
    port: a.port,
    clientPort: a.clientPort,
    startedAt: new Date(a.startedAt).toISOString(),
    endedAt: a.endedAt === null ? null : new Date(a.endedAt).toISOString(),
    encryption: a.encryption,
    tls: a.tlsUsed,
    sslResponse: a.sslResponse,
    diagnostic: a.diagnostic,
    result: a.passwordNeeded ? 'password-needed' : a.failure ? 'failed' : a.authOk ? 'ok' : 'discovered',
    errorCode: a.failure?.origin === 'server' ? a.failure.error.code : null,
    clientFailure: a.failure?.origin === 'client' ? a.failure.code : null,
    message: a.failure ? (a.failure.origin === 'server' ? a.failure.error.message : a.failure.message) : null,
    cause,
  };
}

export function evaluateExpectations(e: Expectations, r: ProbeResult, failureExit: ExitKind): ProbeResult['expectations'] {
  const out: ProbeResult['expectations'] = [];
  if (e.auth) {
    const met = r.auth.method !== null && e.auth.includes(r.auth.method);
    out.push({ name: `auth ${e.auth.join(',')}`, met, detail: `the server asked for ${r.auth.method ?? 'nothing (no authentication request seen)'}` });
  }
  if (e.tls) out.push({ name: 'tls', met: r.tls.version !== null, detail: r.tls.version ? `TLS ${r.tls.version}` : 'the session did not use TLS' });
  if (e.channelBinding) {
    out.push({
      name: 'channel-binding',
      met: r.auth.channelBinding !== null,
      detail: r.auth.channelBinding ? `SCRAM-SHA-256-PLUS with ${r.auth.channelBinding}` : 'no channel binding was used',
    });
  }
  if (e.protocol) {
    out.push({
      name: `protocol ${e.protocol}`,
      met: r.protocol.version === e.protocol,
      detail: r.protocol.version ? `the session used protocol ${r.protocol.version}${r.protocol.negotiated ? ' (negotiated by the server)' : ''}` : 'no protocol version was settled',
    });
  }
  if (e.failure) {
    const met = failureExit === 'rejected';
    out.push({
      name: 'failure',
      met,
      detail: met ? `the login was refused (${r.diagnosis.code})` : r.ok ? 'the login succeeded' : `the server did not refuse the login; it could not be reached (${r.diagnosis.code})`,
    });
  }
  return out;
}

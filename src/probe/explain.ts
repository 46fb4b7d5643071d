/**
 * What explains a probe's walk over its hosts: which attempt is the cause,
 * the server's kind, the diagnosis, the weaknesses of a login, and the
 * report with its expectations. Loaded by probe.ts while the first attempt
 * waits on the network: none of it is needed before the walk ends.
 */
import type { ConnectionFacts } from '../hba/decision.js';
import type { AttemptResult } from './attempt.js';
import { classifyServerError, diagnose, type ServerKind } from './diagnose.js';
import type { ProbeOptions } from './probe.js';
import type { ProbeRun } from './probe-run.js';
import { detectServerKind } from './server-kind.js';
import { buildReport, type ProbeResult } from './report.js';
import { loginWeaknesses } from './weaknesses.js';
import { withPassThrough } from './pass-through.js';

/** What the diagnostic side attempts found (probe.ts). */
export interface SideFindings {
  tlsWouldBeAdmitted: boolean;
  sslRequestAnswer?: 'S' | 'N' | null;
}

const isHbaMiss = (a: AttemptResult) =>
  a.failure?.origin === 'server' && ['no-hba-entry', 'tls-required'].includes(classifyServerError(a.failure.error, a.failure.afterAuthOk));

/**
 * The attempt that explains the failure. Only the last address tried counts
 * (earlier hosts were down, refused or starting up, and libpq moved on); on
 * it, libpq's retry stacks a second error and the first real one is the cause.
 */
export function pickCause(attempts: AttemptResult[]): AttemptResult | undefined {
  const real = attempts.filter((a) => !a.diagnostic && !a.passwordNeeded && a.failure);
  const last = real.at(-1);
  if (!last) return undefined;
  const group = real.filter((a) => a.host === last.host && a.port === last.port && a.address === last.address);
  return group.find((a) => !isHbaMiss(a)) ?? group[0];
}

function addressFromHbaMessage(message: string): string | null {
  return /host "([^"]+)"/.exec(message)?.[1] ?? null;
}

/** The report of a walk: `success` is the login, if any; `cause` the attempt that explains a failure; `side` the side attempts' findings. */
export async function explain(run: ProbeRun, success: AttemptResult | undefined, cause: AttemptResult | undefined, side: SideFindings): Promise<ProbeResult> {
  const { opts, p } = run;
  const { attempts } = run;
  const decisive = success ?? cause ?? attempts[attempts.length - 1];
  const kind = detectServerKind({
    parameters: decisive?.parameters ?? {},
    versionText: decisive?.versionText ?? null,
    errorMessages: attempts.flatMap((a) => (a.failure?.origin === 'server' ? [a.failure.error.message] : a.startupRefusal ? [a.startupRefusal.message] : [])),
    errorCodes: attempts.flatMap((a) => (a.failure?.origin === 'server' ? [a.failure.error.code] : a.startupRefusal ? [a.startupRefusal.code] : [])),
    errorHadRoutine: attempts.some((a) => a.errorHadRoutine),
    backendKeyPid: decisive?.backendKey?.processId ?? null,
    parameterOrder: decisive?.parameterOrder ?? [],
    spoke: attempts.some((a) => a.auth.requests.length > 0 || a.failure?.origin === 'server'),
  });
  const hbaLine = await proposedHbaLine(opts, cause);
  const discovery = !!(success === undefined && !cause && opts.discover);
  const discoveredAttempt = attempts.find((a) => !a.diagnostic && !a.failure && !a.authOk && a.auth.method);
  const decisiveForAuth = success ?? discoveredAttempt ?? cause;
  // A login libpq itself would have failed (channel_binding=prefer, Ed25519 certificate) is reported as that failure.
  const libpqFailure = success?.libpqFailure ?? null;
  const diagnosis = diagnose({
    failure: libpqFailure ?? (success || discoveredAttempt ? null : (cause?.failure ?? null)),
    serverKind: kind.kind,
    user: p.user,
    dbname: p.dbname,
    host: decisive?.host ?? p.hosts[0]!.host,
    port: decisive?.port ?? p.hosts[0]!.port,
    unix: decisive?.unix ?? false,
    tls: cause?.tlsUsed ?? false,
    sslmode: p.sslmode,
    authMethod: decisiveForAuth?.auth.method ?? null,
    passwordSource: decisiveForAuth?.auth.passwordSource ?? null,
    passfile: p.passfile,
    ...(run.pgpassIgnored !== undefined ? { pgpassIgnored: run.pgpassIgnored } : {}),
    userSource: p.sources.user ?? 'default',
    dbnameSource: p.sources.dbname ?? 'default',
    ...side,
    hbaLine,
    discoveryOnly: discovery || !!discoveredAttempt,
    channelBindingMode: p.channelBinding,
    loggedInWithoutBinding: libpqFailure !== null,
    oauth: decisiveForAuth?.auth.oauth ?? null,
    serverVersion: decisive?.parameters.server_version ?? null,
    ...(p.requireAuth ? { requireAuthText: p.requireAuth.text } : {}),
  });
  const weaknesses = success ? weaknessesOf(run, success, kind.kind) : [];
  const { steps, warnings, trace } = run;
  const report = buildReport({ opts, attempts, success, cause, discoveredAttempt, decisive, decisiveForAuth, kind, diagnosis, libpqFailure, steps, warnings, weaknesses, trace });
  withPassThrough(report, opts.expect ?? {});
  if (opts.serverLog) {
    // The log reader and its parsers load only for --server-log.
    const { refineWithServerLog } = await import('./server-log/probe-result.js');
    await refineWithServerLog(report, opts.serverLog, opts.expect ?? {});
  }
  return report;
}

/**
 * The hba line that would admit this connection as it was made (the hba
 * engine's proposeHbaLine): for no-hba-entry the fix, for tls-required the
 * alternative to connecting with TLS.
 */
async function proposedHbaLine(opts: ProbeOptions, cause: AttemptResult | undefined): Promise<string | null> {
  if (cause?.failure?.origin !== 'server' || !/^no pg_hba\.conf entry/.test(cause.failure.error.message)) return null;
  const propose = opts.proposeHbaLine ?? (await loadProposer());
  const facts: ConnectionFacts = {
    transport: cause.unix ? 'unix' : 'tcp',
    remoteAddress: cause.unix ? null : (addressFromHbaMessage(cause.failure.error.message) ?? cause.clientAddress),
    ssl: cause.tlsUsed,
    gssenc: false,
    user: opts.params.user,
    database: opts.params.dbname,
    replication: false,
  };
  try {
    return propose(facts, 'scram-sha-256');
  } catch {
    return null;
  }
}

/** What libpq accepts without a word (SPEC §10): said after a login, also as warnings. */
function weaknessesOf(run: ProbeRun, success: AttemptResult, serverKind: ServerKind): ReturnType<typeof loginWeaknesses> {
  const weaknesses = loginWeaknesses({
    method: success.auth.method,
    mechanism: success.auth.mechanism,
    tlsUsed: success.tlsUsed,
    unix: success.unix,
    sslmode: run.p.sslmode,
    clientCertificate: (success.tls?.clientCertificate ?? null) !== null,
    serverKind,
  });
  for (const w of weaknesses) run.warn(w.message);
  return weaknesses;
}

async function loadProposer(): Promise<(facts: ConnectionFacts, method: string) => string> {
  return (await import('../hba/index.js')).proposeHbaLine;
}

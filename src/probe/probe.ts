/**
 * The probe: every host (and every address of it) in order, each with
 * libpq's encryption attempts (sslmode prefer: TLS then plaintext; allow:
 * plaintext then TLS), stopping at the first login. Then the diagnosis of
 * the attempt that caused the failure, the server kind, expectations.
 */
import { existsSync, statSync } from 'node:fs';
import { readFileBounded } from '../files/read-bounded.js';
import type { ConnectionFacts } from '../hba/decision.js';
import type { ConnParams, HostSpec } from './conninfo.js';
import { ConninfoError } from './conninfo.js';
import { defaultLookup, resolveHost, TransportError, type LookupFunction } from './connect.js';
import { classifyServerError, diagnose } from './diagnose.js';
import { newAttempt, type AttemptResult, type Encryption, type PasswordAnswer, type Step, type TraceEntry } from './attempt.js';
import { runAttempt } from './handshake.js';
import { encryptionPlan, nextAfterFailure } from './policy/sslmode.js';
import { passwordFromFile, pgpassHost } from './pgpass.js';
import { detectServerKind } from './server-kind.js';
import { buildReport, type Expectations, type ProbeResult } from './report.js';
import { loginWeaknesses } from './weaknesses.js';

export type { Expectations, ExitKind, ProbeResult } from './report.js';

export interface ProbeOptions {
  params: ConnParams;
  /** A password from pgauth's own flags (--password-stdin, --password-env, --password). */
  password?: PasswordAnswer;
  /** An OAuth bearer token (--oauth-token-env, --oauth-token-stdin). */
  oauthToken?: PasswordAnswer;
  /** Asks a person (TTY only); undefined when prompting is not possible. */
  prompt?: () => Promise<string>;
  noPassword?: boolean;
  trace?: boolean;
  /** --grease: ask for 3.9999 with _pq_.test_protocol_negotiation (PostgreSQL 19 libpq's default). */
  grease?: boolean;
  lookup?: LookupFunction;
  maxIterations?: number;
  expect?: Expectations;
  /** SCRAM client nonce (tests). */
  nonce?: string;
  /** Called for libpq-style warnings (e.g. an unsafe .pgpass), as they happen. */
  warn?: (message: string) => void;
  /** Called as each attempt starts (the CLI shows it on a terminal). */
  onProgress?: (text: string) => void;
  /** Extra queries to run after a successful login (their rows are in `queryResults`). */
  queries?: string[];
  /** pg_hba.conf line proposer (helper E's proposeHbaLine); loaded lazily when absent. */
  proposeHbaLine?: (facts: ConnectionFacts, method: string) => string;
}

/** Without connect_timeout libpq waits forever; a probe that never returns diagnoses nothing. */
export const DEFAULT_CONNECT_TIMEOUT_S = 30;
/** SCRAM iteration cap against hostile servers (PBKDF2 cost). */
export const DEFAULT_MAX_ITERATIONS = 10_000_000;

interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  verifyChain: boolean;
  verifyHost: boolean;
  rootError?: string;
}

/** Certificates and keys are a few KiB; a CA bundle may be a few hundred. */
const MAX_TLS_FILE_BYTES = 4 * 1024 * 1024;

function readBounded(path: string, what: string): Buffer {
  try {
    return readFileBounded(path, MAX_TLS_FILE_BYTES);
  } catch (err) {
    throw new ConninfoError(`could not read ${what} "${path}": ${(err as Error).message}`);
  }
}

/** Loads sslrootcert/sslcert/sslkey with libpq's rules. */
export function loadTlsMaterial(p: ConnParams, env: NodeJS.ProcessEnv = process.env): TlsMaterial {
  const m: TlsMaterial = { verifyChain: false, verifyHost: p.sslmode === 'verify-full' };
  const strict = p.sslmode === 'verify-ca' || p.sslmode === 'verify-full';
  if (p.sslrootcert === 'system') {
    const file = env.SSL_CERT_FILE ?? '/etc/ssl/certs/ca-certificates.crt';
    if (!existsSync(file)) throw new ConninfoError(`sslrootcert=system: the system CA bundle "${file}" does not exist (set SSL_CERT_FILE)`);
    m.ca = readBounded(file, 'system CA bundle');
    m.verifyChain = true;
  } else if (p.sslrootcert && existsSync(p.sslrootcert)) {
    // libpq: a root file that exists switches on verification even for require/prefer/allow.
    m.ca = readBounded(p.sslrootcert, 'root certificate file');
    m.verifyChain = p.sslmode !== 'disable';
  } else if (strict) {
    m.verifyChain = true;
    m.rootError = `root certificate file "${p.sslrootcert}" does not exist\nEither provide the file, use the system's trusted roots with sslrootcert=system, or change sslmode to disable server certificate verification.`;
  }
  if (p.sslcert && existsSync(p.sslcert)) {
    m.cert = readBounded(p.sslcert, 'client certificate file');
    if (!p.sslkey || !existsSync(p.sslkey)) throw new ConninfoError(`certificate present, but not private key file "${p.sslkey}"`);
    const st = statSync(p.sslkey);
    if (!st.isFile()) throw new ConninfoError(`private key file "${p.sslkey}" is not a regular file`);
    // fe-secure-openssl.c initialize_SSL: a root-owned key 0640 or less, any other key 0600 or less,
    // whoever owns it and whoever runs (checked against libpq 15: as root, a root-owned 0640 key loads).
    const tooOpen = st.uid === 0 ? (st.mode & 0o037) !== 0 : (st.mode & 0o077) !== 0;
    if (process.platform !== 'win32' && tooOpen) {
      throw new ConninfoError(
        `private key file "${p.sslkey}" has group or world access; file must have permissions u=rw (0600) or less if owned by the current user, or permissions u=rw,g=r (0640) or less if owned by root`,
      );
    }
    m.key = readBounded(p.sslkey, 'private key file');
  }
  return m;
}

const isHbaMiss = (a: AttemptResult) =>
  a.failure?.origin === 'server' && ['no-hba-entry', 'tls-required'].includes(classifyServerError(a.failure.error, a.failure.afterAuthOk));

/**
 * The attempt that explains the failure. Only the last address tried counts
 * (earlier hosts were down, refused or starting up, and libpq moved on); on
 * it, libpq's retry stacks a second error and the first real one is the cause.
 */
export function pickCause(attempts: AttemptResult[]): AttemptResult | undefined {
  const real = attempts.filter((a) => !a.diagnostic && a.failure);
  const last = real.at(-1);
  if (!last) return undefined;
  const group = real.filter((a) => a.host === last.host && a.port === last.port && a.address === last.address);
  return group.find((a) => !isHbaMiss(a)) ?? group[0];
}

function addressFromHbaMessage(message: string): string | null {
  return /host "([^"]+)"/.exec(message)?.[1] ?? null;
}

export async function runProbe(opts: ProbeOptions): Promise<ProbeResult> {
  const p = opts.params;
  const startedAt = Date.now();
  const steps: Step[] = [];
  const trace: TraceEntry[] | null = opts.trace ? [] : null;
  for (const o of p.ignoredOptions) {
    trace?.push({ attempt: 0, ms: 0, dir: 'C->S', type: 'ignored option', detail: `${o.keyword}=${o.value} (a libpq keyword accepted and ignored: it does not change authentication)` });
  }
  const warnings: string[] = [];
  const warn = (m: string) => {
    if (warnings.includes(m)) return;
    warnings.push(m);
    opts.warn?.(m);
  };
  const lookup = opts.lookup ?? defaultLookup;
  const tlsMaterial = loadTlsMaterial(p);
  const attempts: AttemptResult[] = [];
  let prompted: string | undefined;
  let index = 0;
  let success: AttemptResult | undefined;
  const timeoutS = p.connectTimeout > 0 ? p.connectTimeout : DEFAULT_CONNECT_TIMEOUT_S;

  const passwordFor = (host: HostSpec): (() => Promise<PasswordAnswer | undefined>) => {
    let fromFile: PasswordAnswer | undefined;
    if (!opts.password && !p.password) {
      const r = passwordFromFile(p.passfile, { host: pgpassHost(host.hostaddr && !host.host ? '' : host.host, host.hostaddr), port: String(host.port), dbname: p.dbname, user: p.user });
      for (const w of r.warnings) warn(w);
      if (r.password !== undefined) fromFile = { value: r.password, source: 'pgpass' };
    }
    return async () => {
      if (opts.password) return opts.password;
      if (p.password) return { value: p.password.value, source: p.password.source };
      if (fromFile) return fromFile;
      if (opts.prompt) {
        if (prompted === undefined) prompted = await opts.prompt();
        return { value: prompted, source: 'prompt' };
      }
      return undefined;
    };
  };

  const attempt = async (host: HostSpec, address: string | undefined, encryption: Encryption, extra: { discoverOnly?: boolean; noVerify?: boolean } = {}) => {
    index++;
    opts.onProgress?.(
      `attempt ${index}: ${host.unix ? `${host.host} (socket)` : `${address}:${host.port}`}${encryption === 'plain' ? '' : encryption === 'direct' ? ' direct TLS' : ' TLS'}${extra.discoverOnly ? ' (diagnostic)' : ''}...`,
    );
    const r = await runAttempt({
      index,
      params: p,
      host,
      ...(address !== undefined ? { address } : {}),
      encryption,
      deadline: Date.now() + timeoutS * 1000,
      getPassword: passwordFor(host),
      ...(opts.oauthToken ? { oauthToken: opts.oauthToken } : {}),
      noPassword: opts.noPassword === true,
      discoverOnly: extra.discoverOnly === true,
      tls: extra.noVerify
        ? { verifyChain: false, verifyHost: false }
        : {
            ...(tlsMaterial.ca ? { ca: tlsMaterial.ca } : {}),
            ...(tlsMaterial.cert ? { cert: tlsMaterial.cert } : {}),
            ...(tlsMaterial.key ? { key: tlsMaterial.key } : {}),
            verifyChain: tlsMaterial.verifyChain,
            verifyHost: tlsMaterial.verifyHost,
          },
      maxIterations: opts.maxIterations ?? DEFAULT_MAX_ITERATIONS,
      grease: opts.grease === true,
      ...(opts.nonce ? { nonce: opts.nonce } : {}),
      ...(opts.queries ? { queries: opts.queries } : {}),
      startedAt,
      steps,
      trace,
      ...(tlsMaterial.rootError && !extra.noVerify ? { rootError: tlsMaterial.rootError } : {}),
    });
    attempts.push(r);
    return r;
  };

  hosts: for (const host of p.hosts) {
    let addresses: Array<string | undefined>;
    if (host.unix) addresses = [undefined];
    else if (host.hostaddr) addresses = [host.hostaddr];
    else {
      const t0 = Date.now();
      try {
        const list = await resolveHost(host.host, lookup);
        addresses = list.map((a) => a.address);
        steps.push({ attempt: 0, step: 'resolve', ms: Date.now() - t0, ok: true, detail: `${host.host} -> ${addresses.join(', ')}` });
      } catch (err) {
        if (!(err instanceof TransportError)) throw err;
        steps.push({ attempt: 0, step: 'resolve', ms: Date.now() - t0, ok: false, detail: err.message });
        index++;
        attempts.push(unreachableAttempt(index, host, err.message));
        continue;
      }
    }
    for (const address of addresses) {
      const plan = encryptionPlan(p, host);
      for (let i = 0; i < plan.length; i++) {
        const r = await attempt(host, address, plan[i]!);
        if (!r.failure) {
          success = r;
          break hosts;
        }
        const next = nextAfterFailure(r);
        if (next === 'next-address') break;
        if (next === 'next-host') continue hosts;
        if (next === 'other-encryption' && i + 1 < plan.length) continue;
        break hosts; // libpq gives up: no other address or host after this
      }
    }
  }

  // A diagnostic side attempt: "no pg_hba.conf entry ... no encryption" -- would TLS be admitted?
  const cause = success ? undefined : pickCause(attempts);
  let tlsWouldBeAdmitted = false;
  if (cause && cause.failure?.origin === 'server' && !cause.unix && !cause.tlsUsed && /^no pg_hba\.conf entry.*no encryption$/.test(cause.failure.error.message)) {
    const triedTls = attempts.some((a) => a.host === cause.host && a.port === cause.port && (a.tlsUsed || a.sslResponse === 'N'));
    if (!triedTls) {
      const host = p.hosts.find((h) => h.host === cause.host && h.port === cause.port)!;
      const side = await attempt(host, cause.address ?? undefined, 'ssl', { discoverOnly: true, noVerify: true });
      tlsWouldBeAdmitted = side.tlsUsed && side.auth.requests.length > 0;
    }
  }

  // A diagnostic side attempt: direct TLS was closed on -- does the server take an SSLRequest ('S': no direct TLS, e.g. PostgreSQL 16 and older; 'N': no TLS at all)?
  let sslRequestAnswer: 'S' | 'N' | null | undefined;
  if (cause && cause.encryption === 'direct' && !cause.unix && cause.failure?.origin === 'client' && cause.failure.code === 'tls-unsupported') {
    const host = p.hosts.find((h) => h.host === cause.host && h.port === cause.port)!;
    const side = await attempt(host, cause.address ?? undefined, 'ssl', { discoverOnly: true, noVerify: true });
    sslRequestAnswer = side.sslResponse;
  }

  const decisive = success ?? cause ?? attempts[attempts.length - 1];
  const kind = detectServerKind({
    parameters: decisive?.parameters ?? {},
    versionText: decisive?.versionText ?? null,
    errorMessages: attempts.flatMap((a) => (a.failure?.origin === 'server' ? [a.failure.error.message] : a.startupRefusal ? [a.startupRefusal.message] : [])),
    errorHadRoutine: attempts.some((a) => a.errorHadRoutine),
    backendKeyPid: decisive?.backendKey?.processId ?? null,
    parameterOrder: decisive?.parameterOrder ?? [],
    spoke: attempts.some((a) => a.auth.requests.length > 0 || a.failure?.origin === 'server'),
  });

  // The hba line that would admit this connection as it was made (the hba
  // engine's proposeHbaLine): for no-hba-entry the fix, for tls-required the
  // alternative to connecting with TLS.
  let hbaLine: string | null = null;
  if (cause?.failure?.origin === 'server' && /^no pg_hba\.conf entry/.test(cause.failure.error.message)) {
    const propose = opts.proposeHbaLine ?? (await loadProposer());
    if (propose) {
      const facts: ConnectionFacts = {
        transport: cause.unix ? 'unix' : 'tcp',
        remoteAddress: cause.unix ? null : (addressFromHbaMessage(cause.failure.error.message) ?? cause.clientAddress),
        ssl: cause.tlsUsed,
        gssenc: false,
        user: p.user,
        database: p.dbname,
        replication: false,
      };
      try {
        hbaLine = propose(facts, 'scram-sha-256');
      } catch {
        hbaLine = null;
      }
    }
  }

  const discovery = !!(success === undefined && !cause && opts.noPassword);
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
    tlsWouldBeAdmitted,
    ...(sslRequestAnswer !== undefined ? { sslRequestAnswer } : {}),
    hbaLine,
    discoveryOnly: discovery || !!discoveredAttempt,
    channelBindingMode: p.channelBinding,
    loggedInWithoutBinding: libpqFailure !== null,
    oauth: decisiveForAuth?.auth.oauth ?? null,
    serverVersion: decisive?.parameters.server_version ?? null,
    ...(p.requireAuth ? { requireAuthText: p.requireAuth.text } : {}),
  });

  // What libpq accepts without a word (SPEC §10): said after a login, also as warnings.
  const weaknesses = success
    ? loginWeaknesses({
        method: success.auth.method,
        mechanism: success.auth.mechanism,
        tlsUsed: success.tlsUsed,
        unix: success.unix,
        sslmode: p.sslmode,
        clientCertificate: (success.tls?.clientCertificate ?? null) !== null,
        serverKind: kind.kind,
      })
    : [];
  for (const w of weaknesses) warn(w.message);
  return buildReport({ opts, attempts, success, cause, discoveredAttempt, decisive, decisiveForAuth, kind, diagnosis, libpqFailure, steps, warnings, weaknesses, trace });
}

function unreachableAttempt(index: number, host: HostSpec, message: string): AttemptResult {
  const attempt = newAttempt(index, host, 'plain', null);
  attempt.failure = { origin: 'client', code: 'dns-failure', message };
  return attempt;
}

async function loadProposer(): Promise<(facts: ConnectionFacts, method: string) => string> {
  return (await import('../hba/index.js')).proposeHbaLine;
}

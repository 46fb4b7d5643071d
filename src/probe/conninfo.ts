/**
 * libpq's connection parameters, pure: `key=value` conninfo strings,
 * `postgresql://` URIs, pgauth's `host[:port]` shorthand, psql's -h/-p/-U/-d
 * flags and the PG* environment, merged with libpq's precedence
 * (explicit > environment > compiled default; `fe-connect.c conninfo_add_defaults`).
 *
 * Error texts follow libpq's own (`fe-connect.c conninfo_parse`,
 * `conninfo_uri_parse_options`) so a person recognises them.
 */
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { CONNINFO_KEYWORDS, ConninfoError, type ConninfoKeyword, type ConninfoValues } from './conninfo-keywords.js';
import { isConninfoString, parseTarget } from './conninfo-string.js';
import { checkIgnoredOptions, checkTargetSessionAttrs, type IgnoredOption } from './libpq-options.js';
import { parseRequireAuth, type RequireAuth } from './policy/require-auth.js';
import { tlsRequired } from './policy/sslmode.js';
import { resolveProtocolRange, type ProtocolRange } from './protocol-version.js';

export { CONNINFO_KEYWORDS, ConninfoError, MAX_CONNINFO_LENGTH, type ConninfoKeyword, type ConninfoValues } from './conninfo-keywords.js';
export { isConninfoString, parseKeyValueConninfo, parseTarget } from './conninfo-string.js';
export { parseUriConninfo, redactUri } from './conninfo-uri.js';
export { AUTH_METHOD_NAMES, parseRequireAuth, type AuthMethodName, type RequireAuth } from './policy/require-auth.js';

/** psql's connection flags. */
export interface PsqlFlags {
  host?: string;
  port?: string;
  user?: string;
  dbname?: string;
}

export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
export const SSL_MODES: readonly SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];
export type ChannelBindingMode = 'disable' | 'prefer' | 'require';
export type SslNegotiation = 'postgres' | 'direct';

/** One host to try, with everything needed to connect to it. */
export interface HostSpec {
  /** The `host` entry: a name, an IP, or a socket directory (absolute path). */
  host: string;
  /** `hostaddr` for this entry, when given (skips name resolution). */
  hostaddr?: string;
  port: number;
  /** True when `host` is a Unix-socket directory. */
  unix: boolean;
}

/** Everything a probe needs, resolved. Secrets (password) are kept out of here on purpose. */
export interface ConnParams {
  hosts: HostSpec[];
  user: string;
  dbname: string;
  sslmode: SslMode;
  /** sslmode was set explicitly (sslrootcert=system forbids weak explicit modes). */
  sslmodeExplicit: boolean;
  sslrootcert?: string;
  sslcert?: string;
  sslkey?: string;
  sslnegotiation: SslNegotiation;
  sslsni: boolean;
  channelBinding: ChannelBindingMode;
  requireAuth?: RequireAuth;
  /** Seconds; 0 = wait forever (libpq). */
  connectTimeout: number;
  applicationName?: string;
  options?: string;
  clientEncoding?: string;
  passfile: string;
  /** The password from the conninfo/URI or PGPASSWORD, with where it came from. */
  password?: { value: string; source: 'conninfo' | 'PGPASSWORD' };
  /** min_protocol_version / max_protocol_version as protocol codes (libpq 18 defaults: 3.0 / 3.0). */
  protocol: ProtocolRange;
  /** libpq keywords given that the probe accepts and does not act on (listed in --trace). */
  ignoredOptions: IgnoredOption[];
  /** oauth_issuer / oauth_client_id (libpq 18): needed by libpq for OAUTHBEARER; the issuer is checked against the server's. */
  oauthIssuer?: string;
  oauthClientId?: string;
  /** `replication`, sent in the startup packet as libpq does (it changes pg_hba.conf matching). */
  replication?: string;
  /** Where each parameter came from, for the report. */
  sources: Partial<Record<ConninfoKeyword, 'target' | 'flag' | 'env' | 'default'>>;
}

/** libpq's compiled-in socket directory on Debian. */
export const DEFAULT_SOCKET_DIR = '/var/run/postgresql';

function oneOf<T extends string>(key: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new ConninfoError(`invalid ${key} value: "${value}"`);
  return value as T;
}

function parsePort(p: string): number {
  if (!/^\d+$/.test(p)) throw new ConninfoError(`invalid port number: "${p}"`);
  const n = Number(p);
  if (n < 1 || n > 65535) throw new ConninfoError(`invalid port number: "${p}"`);
  return n;
}

export interface ResolveInput {
  target?: string;
  flags?: PsqlFlags;
  env?: NodeJS.ProcessEnv;
  /** For tests: the OS user name and home directory. */
  osUser?: string;
  home?: string;
}

type Sources = ConnParams['sources'];
/** A keyword's value: explicit (target or flag) first, then its environment variable; '' counts as unset. */
type Lookup = (k: ConninfoKeyword) => string | undefined;

/**
 * Merges target, psql flags, environment and defaults the way psql + libpq
 * do: psql passes -h/-p/-U/-d first and the positional conninfo last, so a
 * value inside the target wins over a flag; the environment fills gaps.
 */
export function resolveConnParams(input: ResolveInput): ConnParams {
  const env = input.env ?? process.env;
  const { explicit, sources } = explicitValues(input);
  const get: Lookup = (k) => {
    const v = explicit[k];
    if (v !== undefined && v !== '') return v;
    const envName = CONNINFO_KEYWORDS[k];
    const e = envName ? env[envName] : undefined;
    if (e === undefined || e === '') return undefined;
    sources[k] = 'env';
    return e;
  };
  if (get('service') !== undefined) throw new ConninfoError('service files (service=/PGSERVICE) are not supported by pgauth probe; give the parameters directly');

  const home = input.home ?? env.HOME ?? homedir();
  const user = get('user') ?? input.osUser ?? userInfo().username;
  if (sources.user === undefined) sources.user = 'default';
  const dbname = get('dbname') ?? user;
  if (sources.dbname === undefined) sources.dbname = 'default';
  const hosts = resolveHosts(get, sources);
  const tls = resolveTls(get);
  const channelBinding = oneOf('channel_binding', get('channel_binding') ?? 'prefer', ['disable', 'prefer', 'require'] as const);
  checkGssEncMode(get('gssencmode'));
  checkTargetSessionAttrs(get('target_session_attrs'));
  // An explicit empty value is a value to libpq here (refused), not "unset".
  const protocol = resolveProtocolRange(explicit.min_protocol_version ?? get('min_protocol_version'), explicit.max_protocol_version ?? get('max_protocol_version'));
  if (typeof protocol === 'string') throw new ConninfoError(protocol);
  const ignoredOptions = checkIgnoredOptions(get);
  const replication = get('replication');
  const sni = get('sslsni');

  const params: ConnParams = {
    hosts,
    user,
    dbname,
    ...tls,
    // libpq uses SNI when sslsni starts with '1' (any other value turns it off, no error).
    sslsni: sni === undefined || sni.startsWith('1'),
    protocol,
    ignoredOptions,
    ...(replication !== undefined ? { replication } : {}),
    ...(get('oauth_issuer') ? { oauthIssuer: get('oauth_issuer')! } : {}),
    ...(get('oauth_client_id') ? { oauthClientId: get('oauth_client_id')! } : {}),
    channelBinding,
    connectTimeout: connectTimeoutOf(get('connect_timeout')),
    passfile: get('passfile') ?? join(home, '.pgpass'),
    sources,
  };
  setFileDefaults(params, get, home);
  setOptional(params, get, explicit.password, env.PGPASSWORD);
  return params;
}

/** psql's -h/-p/-U/-d (a -d that is itself a conninfo counts as one), then the target over them. */
function explicitValues(input: ResolveInput): { explicit: ConninfoValues; sources: Sources } {
  const explicit: ConninfoValues = {};
  const sources: Sources = {};
  const set = (values: ConninfoValues, source: 'flag' | 'target') => {
    for (const [k, v] of Object.entries(values) as [ConninfoKeyword, string][]) {
      explicit[k] = v;
      sources[k] = source;
    }
  };
  for (const [k, v] of Object.entries(input.flags ?? {}) as [keyof PsqlFlags, string | undefined][]) {
    if (v === undefined) continue;
    set(k === 'dbname' && isConninfoString(v) ? parseTarget(v) : { [k]: v }, 'flag');
  }
  if (input.target !== undefined) set(parseTarget(input.target), 'target');
  return { explicit, sources };
}

/** Hosts: parallel comma lists of host, hostaddr and port (fe-connect.c). */
function resolveHosts(get: Lookup, sources: Sources): HostSpec[] {
  const hostText = get('host');
  const hostaddrText = get('hostaddr');
  let hostList = hostText !== undefined ? hostText.split(',') : [];
  const hostaddrList = hostaddrText !== undefined ? hostaddrText.split(',') : [];
  if (hostList.length === 0) hostList = hostaddrList.length > 0 ? hostaddrList.map(() => '') : [DEFAULT_SOCKET_DIR];
  if (hostText === undefined && hostaddrText === undefined) sources.host = 'default';
  if (hostaddrList.length > 0 && hostaddrList.length !== hostList.length) {
    throw new ConninfoError(`could not match ${hostList.length} host names to ${hostaddrList.length} hostaddr values`);
  }
  const portText = get('port');
  const portList = portText !== undefined ? portText.split(',') : ['5432'];
  if (portList.length !== 1 && portList.length !== hostList.length) {
    throw new ConninfoError(`could not match ${portList.length} port numbers to ${hostList.length} hosts`);
  }
  const hosts: HostSpec[] = hostList.map((h, i) => {
    const rawPort = portList.length === 1 ? portList[0]! : portList[i]!;
    const port = parsePort(rawPort === '' ? '5432' : rawPort);
    const hostaddr = hostaddrList[i];
    const host = h === '' && !hostaddr ? DEFAULT_SOCKET_DIR : h;
    const unix = !hostaddr && (host.startsWith('/') || host.startsWith('@'));
    return { host, port, unix, ...(hostaddr ? { hostaddr } : {}) };
  });
  if (hosts.length > 64) throw new ConninfoError('too many hosts (at most 64)');
  return hosts;
}

/** sslmode with its libpq cross-checks: sslrootcert=system defaults it to verify-full, direct negotiation needs a mode that requires TLS. */
function resolveTls(get: Lookup): Pick<ConnParams, 'sslmode' | 'sslmodeExplicit' | 'sslnegotiation'> {
  const sslmodeText = get('sslmode');
  const sslmodeExplicit = sslmodeText !== undefined;
  let sslmode: SslMode = sslmodeText !== undefined ? oneOf('sslmode', sslmodeText, SSL_MODES) : 'prefer';
  if (get('sslrootcert') === 'system') {
    if (!sslmodeExplicit) sslmode = 'verify-full';
    else if (sslmode !== 'verify-full') throw new ConninfoError(`weak sslmode "${sslmode}" may not be used with sslrootcert=system (use "verify-full")`);
  }
  const sslnegotiation = oneOf('sslnegotiation', get('sslnegotiation') ?? 'postgres', ['postgres', 'direct'] as const);
  if (sslnegotiation === 'direct' && !tlsRequired(sslmode)) {
    throw new ConninfoError(`weak sslmode "${sslmode}" may not be used with sslnegotiation=direct (use "require", "verify-ca", or "verify-full")`);
  }
  return { sslmode, sslmodeExplicit, sslnegotiation };
}

/** gssencmode: pgauth has no GSSAPI, so `prefer` is what libpq without a credential cache does and `require` cannot be met. */
function checkGssEncMode(gss: string | undefined): void {
  if (gss === undefined) return;
  oneOf('gssencmode', gss, ['disable', 'prefer', 'require'] as const);
  if (gss === 'require') throw new ConninfoError('gssencmode=require: GSSAPI encryption is not supported by pgauth probe');
}

/** Seconds; 0 (libpq: wait forever) when unset, negative values count as 0. */
function connectTimeoutOf(text: string | undefined): number {
  if (text === undefined) return 0;
  if (!/^-?\d+$/.test(text.trim())) throw new ConninfoError(`invalid integer value "${text}" for connection option "connect_timeout"`);
  return Math.max(0, Number(text.trim()));
}

/** sslrootcert/sslcert/sslkey default to ~/.postgresql/ files (used only when they exist). */
function setFileDefaults(params: ConnParams, get: Lookup, home: string): void {
  const { sources } = params;
  const sslrootcertRaw = get('sslrootcert');
  params.sslrootcert = sslrootcertRaw ?? join(home, '.postgresql', 'root.crt');
  params.sslcert = get('sslcert') ?? join(home, '.postgresql', 'postgresql.crt');
  params.sslkey = get('sslkey') ?? join(home, '.postgresql', 'postgresql.key');
  if (sslrootcertRaw === undefined) sources.sslrootcert = 'default';
  if (sources.sslcert === undefined) sources.sslcert = 'default';
  if (sources.sslkey === undefined) sources.sslkey = 'default';
}

/** The parameters set only when given; the password from the conninfo wins over PGPASSWORD. */
function setOptional(params: ConnParams, get: Lookup, conninfoPassword: string | undefined, envPassword: string | undefined): void {
  const ra = get('require_auth');
  if (ra !== undefined) params.requireAuth = parseRequireAuth(ra);
  const app = get('application_name') ?? get('fallback_application_name');
  if (app !== undefined) params.applicationName = app;
  const opts = get('options');
  if (opts !== undefined) params.options = opts;
  const enc = get('client_encoding');
  if (enc !== undefined) params.clientEncoding = enc;
  if (conninfoPassword !== undefined && conninfoPassword !== '') params.password = { value: conninfoPassword, source: 'conninfo' };
  else if (envPassword !== undefined && envPassword !== '') params.password = { value: envPassword, source: 'PGPASSWORD' };
}

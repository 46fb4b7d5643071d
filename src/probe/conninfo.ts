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

/**
 * Merges target, psql flags, environment and defaults the way psql + libpq
 * do: psql passes -h/-p/-U/-d first and the positional conninfo last, so a
 * value inside the target wins over a flag; the environment fills gaps.
 */
export function resolveConnParams(input: ResolveInput): ConnParams {
  const env = input.env ?? process.env;
  const explicit: ConninfoValues = {};
  const sources: ConnParams['sources'] = {};
  const flags = input.flags ?? {};
  for (const [k, v] of Object.entries(flags) as [keyof PsqlFlags, string | undefined][]) {
    if (v === undefined) continue;
    if (k === 'dbname' && isConninfoString(v)) {
      for (const [kk, vv] of Object.entries(parseTarget(v))) {
        explicit[kk as ConninfoKeyword] = vv;
        sources[kk as ConninfoKeyword] = 'flag';
      }
      continue;
    }
    explicit[k] = v;
    sources[k] = 'flag';
  }
  if (input.target !== undefined) {
    for (const [k, v] of Object.entries(parseTarget(input.target))) {
      explicit[k as ConninfoKeyword] = v;
      sources[k as ConninfoKeyword] = 'target';
    }
  }
  const get = (k: ConninfoKeyword): string | undefined => {
    const v = explicit[k];
    if (v !== undefined && v !== '') return v;
    const envName = CONNINFO_KEYWORDS[k];
    const e = envName ? env[envName] : undefined;
    if (e !== undefined && e !== '') {
      sources[k] = 'env';
      return e;
    }
    return undefined;
  };
  if (get('service') !== undefined) throw new ConninfoError('service files (service=/PGSERVICE) are not supported by pgauth probe; give the parameters directly');

  const home = input.home ?? env.HOME ?? homedir();
  const osUser = input.osUser ?? userInfo().username;
  const user = get('user') ?? osUser;
  if (sources.user === undefined) sources.user = 'default';
  const dbname = get('dbname') ?? user;
  if (sources.dbname === undefined) sources.dbname = 'default';

  // Hosts: parallel comma lists of host, hostaddr and port (fe-connect.c).
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

  const sslrootcertRaw = get('sslrootcert');
  const sslmodeText = get('sslmode');
  const sslmodeExplicit = sslmodeText !== undefined;
  let sslmode: SslMode = sslmodeText !== undefined ? oneOf('sslmode', sslmodeText, SSL_MODES) : 'prefer';
  if (sslrootcertRaw === 'system') {
    if (!sslmodeExplicit) sslmode = 'verify-full';
    else if (sslmode !== 'verify-full') throw new ConninfoError(`weak sslmode "${sslmode}" may not be used with sslrootcert=system (use "verify-full")`);
  }
  const sslnegotiation = oneOf('sslnegotiation', get('sslnegotiation') ?? 'postgres', ['postgres', 'direct'] as const);
  if (sslnegotiation === 'direct' && !['require', 'verify-ca', 'verify-full'].includes(sslmode)) {
    throw new ConninfoError(`weak sslmode "${sslmode}" may not be used with sslnegotiation=direct (use "require", "verify-ca", or "verify-full")`);
  }
  const channelBinding = oneOf('channel_binding', get('channel_binding') ?? 'prefer', ['disable', 'prefer', 'require'] as const);
  const gss = get('gssencmode');
  if (gss !== undefined) {
    oneOf('gssencmode', gss, ['disable', 'prefer', 'require'] as const);
    if (gss === 'require') throw new ConninfoError('gssencmode=require: GSSAPI encryption is not supported by pgauth probe');
  }
  checkTargetSessionAttrs(get('target_session_attrs'));
  // libpq uses SNI when sslsni starts with '1' (any other value turns it off, no error).
  const sni = get('sslsni');
  // An explicit empty value is a value to libpq here (refused), not "unset".
  const protocol = resolveProtocolRange(explicit.min_protocol_version ?? get('min_protocol_version'), explicit.max_protocol_version ?? get('max_protocol_version'));
  if (typeof protocol === 'string') throw new ConninfoError(protocol);
  const ignoredOptions = checkIgnoredOptions(get);
  const replication = get('replication');
  const timeoutText = get('connect_timeout');
  let connectTimeout = 0;
  if (timeoutText !== undefined) {
    if (!/^-?\d+$/.test(timeoutText.trim())) throw new ConninfoError(`invalid integer value "${timeoutText}" for connection option "connect_timeout"`);
    connectTimeout = Math.max(0, Number(timeoutText.trim()));
  }
  const ra = get('require_auth');
  const passwordText = explicit.password !== undefined && explicit.password !== '' ? explicit.password : undefined;
  const envPassword = env.PGPASSWORD !== undefined && env.PGPASSWORD !== '' ? env.PGPASSWORD : undefined;

  const params: ConnParams = {
    hosts,
    user,
    dbname,
    sslmode,
    sslmodeExplicit,
    sslnegotiation,
    sslsni: sni === undefined || sni.startsWith('1'),
    protocol,
    ignoredOptions,
    ...(replication !== undefined ? { replication } : {}),
    ...(get('oauth_issuer') ? { oauthIssuer: get('oauth_issuer')! } : {}),
    ...(get('oauth_client_id') ? { oauthClientId: get('oauth_client_id')! } : {}),
    channelBinding,
    connectTimeout,
    passfile: get('passfile') ?? join(home, '.pgpass'),
    sources,
  };
  const defaultIfExists = (explicitValue: string | undefined, file: string): string | undefined => explicitValue ?? file;
  params.sslrootcert = defaultIfExists(sslrootcertRaw, join(home, '.postgresql', 'root.crt'));
  params.sslcert = defaultIfExists(get('sslcert'), join(home, '.postgresql', 'postgresql.crt'));
  params.sslkey = defaultIfExists(get('sslkey'), join(home, '.postgresql', 'postgresql.key'));
  if (sslrootcertRaw === undefined) sources.sslrootcert = 'default';
  if (sources.sslcert === undefined) sources.sslcert = 'default';
  if (sources.sslkey === undefined) sources.sslkey = 'default';
  if (ra !== undefined) params.requireAuth = parseRequireAuth(ra);
  const app = get('application_name') ?? get('fallback_application_name');
  if (app !== undefined) params.applicationName = app;
  const opts = get('options');
  if (opts !== undefined) params.options = opts;
  const enc = get('client_encoding');
  if (enc !== undefined) params.clientEncoding = enc;
  if (passwordText !== undefined) params.password = { value: passwordText, source: 'conninfo' };
  else if (envPassword !== undefined) params.password = { value: envPassword, source: 'PGPASSWORD' };
  return params;
}

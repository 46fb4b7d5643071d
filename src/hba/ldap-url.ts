/** An `ldapurl=` option as PostgreSQL reads it through OpenLDAP (parse_hba_auth_opt). */
import type { HbaSettings } from './auth-options.js';

/** OpenLDAP's ldap_pvt_hex_unescape: %XX to the byte, anything else kept. */
function hexUnescape(s: string): string {
  return Buffer.from(s.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
}

/**
 * An ldapurl as OpenLDAP's ldap_url_parse reads it (scheme://host:port/dn?attrs?scope?filter,
 * default port 389 or 636, no default scope), stored as parse_hba_auth_opt does.
 * Its failures are reported with ldap_err2string of the URL error code, as PostgreSQL does.
 */
export function applyLdapUrl(h: HbaSettings, url: string): string | undefined {
  const bad = (code: 'scheme' | 'url' | 'scope') =>
    `could not parse LDAP URL "${url}": ${code === 'scheme' ? 'Time limit exceeded' : code === 'url' ? 'Compare False' : 'Strong(er) authentication required'}`;
  let rest = url.trim();
  if (rest.startsWith('<') && rest.endsWith('>')) rest = rest.slice(1, -1);
  if (/^URL:/i.test(rest)) rest = rest.slice(4);
  const m = /^(ldap|ldaps|ldapi|cldap):\/\//i.exec(rest);
  if (!m) return bad('scheme');
  const scheme = m[1]!.toLowerCase();
  rest = rest.slice(m[0].length);
  const hostEnd = rest.search(/[/?]/);
  const hostport = hostEnd < 0 ? rest : rest.slice(0, hostEnd);
  const afterHost = hostEnd < 0 ? null : rest.slice(hostEnd);
  let host = hostport;
  let port = 0;
  const pm = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(hostport);
  if (pm) {
    host = pm[1]!.replace(/^\[(.*)\]$/, '$1');
    if (pm[2] !== undefined && pm[2] !== '') {
      if (!/^\d+$/.test(pm[2])) return bad('url');
      port = Number(pm[2]);
    }
  }
  let dn: string | undefined;
  let attrs: string | undefined;
  let scope: string | undefined;
  let filter: string | undefined;
  if (afterHost !== null && afterHost.startsWith('/')) {
    const parts = afterHost.slice(1).split('?');
    dn = hexUnescape(parts[0]!);
    attrs = parts[1];
    scope = parts[2];
    filter = parts[3];
  }
  let scopeValue = 0; // no scope in the URL: LDAP_SCOPE_BASE
  if (scope !== undefined && scope !== '') {
    const scopes: Record<string, number> = { base: 0, one: 1, onelevel: 1, sub: 2, subtree: 2, children: 3, subordinate: 3 };
    const v = scopes[hexUnescape(scope).toLowerCase()];
    if (v === undefined) return bad('scope');
    scopeValue = v;
  }
  if (scheme !== 'ldap' && scheme !== 'ldaps') return `unsupported LDAP URL scheme: ${scheme}`;
  h.ldapscheme = scheme;
  if (host !== '') h.ldapserver = hexUnescape(host);
  h.ldapport = port !== 0 ? port : scheme === 'ldaps' ? 636 : 389;
  if (dn !== undefined) h.ldapbasedn = dn;
  const firstAttr = attrs?.split(',').find((a) => a !== '');
  if (firstAttr !== undefined) h.ldapsearchattribute = hexUnescape(firstAttr);
  h.ldapscope = scopeValue;
  if (filter !== undefined && filter !== '') h.ldapsearchfilter = hexUnescape(filter);
  return undefined;
}


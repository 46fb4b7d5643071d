/**
 * `postgresql://` URIs as libpq reads them (`fe-connect.c
 * conninfo_uri_parse_options`), pure, with libpq's error texts and the
 * password kept out of them.
 */
import { checkLength, ConninfoError, isKeyword, type ConninfoValues } from './conninfo-keywords.js';

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
  const parts = splitUri(uri.slice(m[0].length));
  const out: ConninfoValues = {};
  if (parts.userinfo !== undefined) Object.assign(out, parseUserinfo(parts.userinfo, uri));
  if (parts.authority !== '') Object.assign(out, parseAuthority(parts.authority, uri));
  if (parts.path !== undefined && parts.path !== '') out.dbname = percentDecode(parts.path, uri);
  if (parts.query !== '') Object.assign(out, parseQuery(parts.query, uri));
  return out;
}

interface UriParts {
  userinfo: string | undefined;
  authority: string;
  path: string | undefined;
  query: string;
}

/** The URI after its scheme, cut into user info, authority (host list), path (dbname) and query. */
function splitUri(afterScheme: string): UriParts {
  let rest = afterScheme;
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
  // The authority ends at the first '/' outside brackets.
  let depth = 0;
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '[') depth++;
    else if (rest[i] === ']') depth--;
    else if (rest[i] === '/' && depth === 0) return { userinfo, authority: rest.slice(0, i), path: rest.slice(i + 1), query };
  }
  return { userinfo, authority: rest, path: undefined, query };
}

/** `user[:password]`, percent-decoded; the password never appears in an error. */
function parseUserinfo(userinfo: string, uri: string): ConninfoValues {
  const out: ConninfoValues = {};
  const colon = userinfo.indexOf(':');
  const user = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
  if (user !== '') out.user = percentDecode(user, uri);
  if (colon >= 0) out.password = percentDecode(userinfo.slice(colon + 1), uri, '(the password)');
  return out;
}

/** `host[:port][,host[:port]...]`, IPv6 addresses in brackets, into libpq's parallel host and port lists. */
function parseAuthority(authority: string, uri: string): ConninfoValues {
  const out: ConninfoValues = {};
  const hosts: string[] = [];
  const ports: string[] = [];
  for (const part of authority.split(',')) {
    const { host, port } = hostAndPort(part, uri);
    hosts.push(host);
    ports.push(percentDecode(port, uri));
  }
  if (hosts.some((h) => h !== '')) out.host = hosts.join(',');
  if (ports.some((p) => p !== '')) out.port = ports.join(',');
  return out;
}

/** One `host[:port]` or `[v6addr][:port]` of the list; a bracketed address is taken as written, a name is percent-decoded. */
function hostAndPort(part: string, uri: string): { host: string; port: string } {
  if (part.startsWith('[')) {
    const close = part.indexOf(']');
    if (close < 0) throw new ConninfoError(`end of string reached when looking for matching "]" in IPv6 host address in URI: "${redactUri(uri)}"`);
    const host = part.slice(1, close);
    if (host === '') throw new ConninfoError(`IPv6 host address may not be empty in URI: "${redactUri(uri)}"`);
    const after = part.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) {
      throw new ConninfoError(`unexpected character "${after[0]}" at position ${close + 1} in URI (expected ":" or "/"): "${redactUri(uri)}"`);
    }
    return { host, port: after.slice(1) };
  }
  const colon = part.lastIndexOf(':');
  if (colon < 0) return { host: percentDecode(part, uri), port: '' };
  return { host: percentDecode(part.slice(0, colon), uri), port: part.slice(colon + 1) };
}

/** `k=v&...`: libpq keywords only (and JDBC's `ssl=true`, which means sslmode=require). */
function parseQuery(query: string, uri: string): ConninfoValues {
  const out: ConninfoValues = {};
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
  return out;
}

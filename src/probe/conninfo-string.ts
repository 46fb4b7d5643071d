/**
 * libpq's `key = value` conninfo strings and pgauth's TARGET (a URI, a
 * conninfo, or `host[:port]`), pure. Error texts follow libpq's
 * (`fe-connect.c conninfo_parse`) so a person recognises them.
 */
import { checkLength, ConninfoError, isKeyword, type ConninfoValues } from './conninfo-keywords.js';
import { parseUriConninfo } from './conninfo-uri.js';

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

/**
 * libpq 18 keywords the probe accepts without acting on them (they do not
 * change how a login is authenticated), validated with libpq 18's own error
 * texts (compared with libpq 18's PQconnectdb: test/probe/units.test.ts), so
 * a conninfo that libpq refuses is refused here too, exit 3.
 */
import { ConninfoError, type ConninfoKeyword } from './conninfo-keywords.js';

/** Accepted and ignored: listed in --trace with where they came from. */
export const IGNORED_KEYWORDS = [
  'fallback_application_name',
  'keepalives',
  'keepalives_idle',
  'keepalives_interval',
  'keepalives_count',
  'tcp_user_timeout',
  'sslcompression',
  'sslcertmode',
  'sslpassword',
  'sslcrl',
  'sslcrldir',
  'requirepeer',
  'ssl_min_protocol_version',
  'ssl_max_protocol_version',
  'krbsrvname',
  'gsslib',
  'gssdelegation',
  'load_balance_hosts',
  'oauth_client_secret',
  'oauth_scope',
  'sslkeylogfile',
] as const satisfies readonly ConninfoKeyword[];

/** Values never shown, even in --trace. */
const SECRET_KEYWORDS: ReadonlySet<string> = new Set(['sslpassword', 'oauth_client_secret', 'scram_client_key', 'scram_server_key']);

export interface IgnoredOption {
  keyword: string;
  /** The value, or "[redacted]" for a secret. */
  value: string;
}

const INTEGER_KEYWORDS: ReadonlySet<string> = new Set(['keepalives', 'keepalives_idle', 'keepalives_interval', 'keepalives_count', 'tcp_user_timeout']);
const TLS_VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

function oneOf(keyword: string, value: string, allowed: readonly string[]): void {
  if (!allowed.includes(value)) throw new ConninfoError(`invalid ${keyword} value: "${value}"`);
}

/** libpq's pqParseIntParam: optional spaces, a sign, digits, optional trailing spaces. */
function checkInteger(keyword: string, value: string): void {
  if (!/^\s*[-+]?\d+\s*$/.test(value) || !Number.isSafeInteger(Number(value.trim()))) {
    throw new ConninfoError(`invalid integer value "${value}" for connection option "${keyword}"`);
  }
}

/** SCRAM pass-through keys (PostgreSQL 18): base64 of a 32-byte key, else libpq's error. */
function checkScramKey(keyword: 'scram_client_key' | 'scram_server_key', value: string): void {
  const ok = /^[A-Za-z0-9+/]*={0,2}$/.test(value) && value.length % 4 === 0 && Buffer.from(value, 'base64').length === 32;
  if (!ok) throw new ConninfoError(`invalid SCRAM ${keyword === 'scram_client_key' ? 'client' : 'server'} key`);
}

/**
 * Validates the keywords the probe does not act on and returns them for the
 * trace. `get` gives the effective value (conninfo, then environment).
 */
export function checkIgnoredOptions(get: (k: ConninfoKeyword) => string | undefined): IgnoredOption[] {
  const ignored: IgnoredOption[] = [];
  for (const k of IGNORED_KEYWORDS) {
    const v = get(k);
    if (v === undefined) continue;
    if (INTEGER_KEYWORDS.has(k)) checkInteger(k, v);
    ignored.push({ keyword: k, value: SECRET_KEYWORDS.has(k) ? '[redacted]' : v });
  }
  const value = (k: ConninfoKeyword) => ignored.find((o) => o.keyword === k)?.value;
  const certmode = value('sslcertmode');
  if (certmode !== undefined) oneOf('sslcertmode', certmode, ['disable', 'allow', 'require']);
  const balance = value('load_balance_hosts');
  if (balance !== undefined) oneOf('load_balance_hosts', balance, ['disable', 'random']);
  const tlsMin = value('ssl_min_protocol_version');
  const tlsMax = value('ssl_max_protocol_version');
  for (const [k, v] of [['ssl_min_protocol_version', tlsMin], ['ssl_max_protocol_version', tlsMax]] as const) {
    if (v !== undefined && v !== '' && !TLS_VERSIONS.includes(v)) throw new ConninfoError(`invalid "${k}" value: "${v}"`);
  }
  if (tlsMin && tlsMax && TLS_VERSIONS.indexOf(tlsMin) > TLS_VERSIONS.indexOf(tlsMax)) throw new ConninfoError('invalid SSL protocol version range');
  for (const k of ['scram_client_key', 'scram_server_key'] as const) {
    const v = get(k);
    if (v === undefined) continue;
    checkScramKey(k, v);
    // With these keys libpq logs in without the password (SCRAM pass-through): not something to ignore.
    throw new ConninfoError(`${k} (SCRAM pass-through) is not supported by pgauth probe; give the password instead`);
  }
  return ignored;
}

/** target_session_attrs: libpq's values; the probe itself handles only "any". */
export function checkTargetSessionAttrs(value: string | undefined): void {
  if (value === undefined) return;
  oneOf('target_session_attrs', value, ['any', 'read-write', 'read-only', 'primary', 'standby', 'prefer-standby']);
  if (value !== 'any') throw new ConninfoError(`target_session_attrs=${value} is not supported by pgauth probe (only "any")`);
}

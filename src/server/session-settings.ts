/**
 * A session's run-time settings at login: the parameters PostgreSQL reports
 * with ParameterStatus (GUC_REPORT) for the --server-version, and the
 * settings a StartupMessage carries (as GUCs and in libpq's `options`).
 */
import type { ServerSettings } from './context.js';
import { settingKey } from './queries.js';

/** Parameters PostgreSQL reports with ParameterStatus (GUC_REPORT), in PG 15's order; search_path from 18 on. */
const REPORTED = [
  'application_name',
  'client_encoding',
  'DateStyle',
  'default_transaction_read_only',
  'in_hot_standby',
  'integer_datetimes',
  'IntervalStyle',
  'is_superuser',
  'scram_iterations',
  'search_path',
  'server_encoding',
  'server_version',
  'session_authorization',
  'standard_conforming_strings',
  'TimeZone',
] as const;

/** The reported parameters of a server version: scram_iterations from 16, search_path from 18. */
export function reportedFor(serverVersion: string): Set<string> {
  const major = Number.parseInt(serverVersion, 10);
  return new Set(REPORTED.filter((r) => (r !== 'scram_iterations' || major >= 16) && (r !== 'search_path' || major >= 18)).map((r) => r.toLowerCase()));
}

/** The reported parameters of a session, in REPORTED's order, with their values. */
export function reportedValues(settings: Map<string, string>, reported: Set<string>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const name of REPORTED) {
    const value = settings.get(name);
    if (value !== undefined && reported.has(name.toLowerCase())) out.push([name, value]);
  }
  return out;
}

/** The settings a session starts with: PostgreSQL's defaults for the version, then the StartupMessage's. */
export function initialSettings(s: ServerSettings, user: string, startupParams: ReadonlyArray<[string, string]>): Map<string, string> {
  const m = new Map<string, string>([
    ['application_name', ''],
    ['client_encoding', 'UTF8'],
    ['DateStyle', 'ISO, MDY'],
    ['default_transaction_read_only', 'off'],
    ['in_hot_standby', 'off'],
    ['integer_datetimes', 'on'],
    ['IntervalStyle', 'postgres'],
    ['is_superuser', 'off'],
    ['server_encoding', 'UTF8'],
    ['server_version', s.serverVersion],
    ['session_authorization', user],
    ['standard_conforming_strings', 'on'],
    ['TimeZone', 'UTC'],
  ]);
  if (Number.parseInt(s.serverVersion, 10) >= 16) m.set('scram_iterations', String(s.iterations));
  if (Number.parseInt(s.serverVersion, 10) >= 18) m.set('search_path', '"$user", public');
  for (const [name, value] of startupParams) {
    if (name === 'options') {
      // libpq's `options`: -c name=value or --name=value switches.
      for (const m2 of value.matchAll(/(?:-c\s*|--)([A-Za-z_][\w.]*)=(\S*)/g)) applyStartupSetting(m, m2[1]!, m2[2]!);
    } else applyStartupSetting(m, name, value);
  }
  return m;
}

/** One setting from the StartupMessage; the fixed ones are not changed, and the map stays bounded. */
function applyStartupSetting(m: Map<string, string>, name: string, value: string): void {
  const key = settingKey(m, name);
  if (key.toLowerCase() === 'client_encoding' && /^(utf-?8|unicode)$/i.test(value)) value = 'UTF8';
  if (['server_version', 'server_encoding', 'session_authorization', 'is_superuser', 'integer_datetimes', 'in_hot_standby', 'scram_iterations'].includes(key)) return;
  if (m.size >= 200 && !m.has(key)) return; // bounded
  m.set(key, value);
}

/**
 * A session's run-time settings (GUCs), all in one place: the parameters
 * PostgreSQL reports with ParameterStatus (GUC_REPORT) for the
 * --server-version, the settings a StartupMessage carries (as GUCs and in
 * libpq's `options`), SET and RESET, and what SHOW and current_setting() read.
 */
import { PG_MAX_NAME_BYTES } from '../roles/name.js';
import type { ServerSettings } from './context.js';
import { sqlError } from './errors.js';

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
const REPORTED_LOWER = REPORTED.map((r) => r.toLowerCase());

/** Settings nobody changes in a session (PGC_INTERNAL and the like): SET is ERROR 55P02, a StartupMessage's is ignored. */
const FIXED = ['server_version', 'server_encoding', 'integer_datetimes', 'in_hot_standby', 'is_superuser', 'scram_iterations'];

/** Settings kept per session; more are refused (SET) or dropped (StartupMessage). */
const MAX_SETTINGS = 200;

/** Settings SHOW answers that are the same for every session (not reported). */
const STATIC_SETTINGS: Record<string, string> = {
  transaction_isolation: 'read committed',
  default_transaction_isolation: 'read committed',
  transaction_read_only: 'off',
  max_identifier_length: String(PG_MAX_NAME_BYTES),
  search_path: '"$user", public',
  lc_collate: 'C',
  lc_ctype: 'C',
  password_encryption: 'scram-sha-256',
  ssl: 'off',
};

/** reportedFor's answers, one per --server-version (a server has one). */
const reportedByVersion = new Map<string, ReadonlySet<string>>();

/** The reported parameters of a server version: scram_iterations from 16, search_path from 18 (lower-cased; made once per version). */
export function reportedFor(serverVersion: string): ReadonlySet<string> {
  let set = reportedByVersion.get(serverVersion);
  if (!set) {
    const major = Number.parseInt(serverVersion, 10);
    set = new Set(REPORTED.filter((r) => (r !== 'scram_iterations' || major >= 16) && (r !== 'search_path' || major >= 18)).map((r) => r.toLowerCase()));
    reportedByVersion.set(serverVersion, set);
  }
  return set;
}

/** The reported parameters of a session, in REPORTED's order, with their values. */
export function reportedValues(settings: Map<string, string>, reported: ReadonlySet<string>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < REPORTED.length; i++) {
    const name = REPORTED[i]!;
    const value = settings.get(name);
    if (value !== undefined && reported.has(REPORTED_LOWER[i]!)) out.push([name, value]);
  }
  return out;
}

/** The stored spelling of a setting name (DateStyle, TimeZone...), or the name as given, lower-cased. */
export function settingKey(settings: Map<string, string>, name: string): string {
  const lower = name.toLowerCase();
  for (const k of settings.keys()) if (k.toLowerCase() === lower) return k;
  return lower;
}

/** Case-insensitive look-up, as PostgreSQL's GUC names are. */
export function lookupSetting(settings: Map<string, string>, name: string): string | undefined {
  const direct = settings.get(name);
  if (direct !== undefined) return direct;
  const lower = name.toLowerCase();
  for (const [k, v] of settings) if (k.toLowerCase() === lower) return v;
  if (lower === 'server_version_num') {
    const [major, minor] = (settings.get('server_version') ?? '16.0').split('.');
    return String(Number(major) * 10000 + Number(minor ?? 0));
  }
  return STATIC_SETTINGS[lower];
}

/** SHOW ALL's rows: the session's settings and the static ones, sorted by name. */
export function allSettings(settings: Map<string, string>): Array<[string, string]> {
  const all = new Map<string, string>(Object.entries(STATIC_SETTINGS));
  for (const [k, v] of settings) all.set(k, v);
  return [...all].sort(([a], [b]) => a.toLowerCase().localeCompare(b.toLowerCase()));
}

/** client_encoding's spellings of UTF8 are stored as PostgreSQL shows them. */
function canonicalValue(key: string, value: string): string {
  return key.toLowerCase() === 'client_encoding' && /^(utf-?8|unicode)$/i.test(value) ? 'UTF8' : value;
}

/** PostgreSQL's defaults per server version and iteration count, made once; each session copies them. */
const defaultsFor = new Map<string, ReadonlyMap<string, string>>();

function versionDefaults(s: ServerSettings): ReadonlyMap<string, string> {
  const key = `${s.serverVersion}\0${s.iterations}`;
  let m = defaultsFor.get(key);
  if (!m) {
    const d = new Map<string, string>([
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
      ['session_authorization', ''],
      ['standard_conforming_strings', 'on'],
      ['TimeZone', 'UTC'],
    ]);
    if (Number.parseInt(s.serverVersion, 10) >= 16) d.set('scram_iterations', String(s.iterations));
    if (Number.parseInt(s.serverVersion, 10) >= 18) d.set('search_path', '"$user", public');
    defaultsFor.set(key, (m = d));
  }
  return m;
}

/** The settings a session starts with: PostgreSQL's defaults for the version, then the StartupMessage's. */
export function initialSettings(s: ServerSettings, user: string, startupParams: ReadonlyArray<[string, string]>): Map<string, string> {
  const m = new Map(versionDefaults(s));
  m.set('session_authorization', user);
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
  if (FIXED.includes(key) || key === 'session_authorization') return;
  if (m.size >= MAX_SETTINGS && !m.has(key)) return; // bounded
  m.set(key, canonicalValue(key, value));
}

/**
 * SET, RESET and RESET ALL on a session's settings (DISCARD ALL resets them
 * too). A change of a reported parameter goes to the client as ParameterStatus
 * through `report`. RESET goes back to the value at login.
 */
export class SessionSettings {
  /** The values at login, kept from the first change on. */
  private initial: Map<string, string> | null = null;

  constructor(
    readonly values: Map<string, string>,
    private readonly reported: ReadonlySet<string>,
    private readonly report: (name: string, value: string) => void,
  ) {}

  /** SET name = value. */
  set(name: string, value: string): void {
    const settings = this.values;
    const key = settingKey(settings, name);
    if (FIXED.includes(key) || key === 'server_version_num') throw sqlError('55P02', `parameter "${key}" cannot be changed`);
    if (key === 'session_authorization') throw sqlError('0A000', 'SET SESSION AUTHORIZATION is not supported by pgauth serve');
    if (!this.initial) this.initial = new Map(settings);
    const v = canonicalValue(key, value);
    if (settings.size >= MAX_SETTINGS && !settings.has(key)) throw sqlError('54000', 'too many settings in this session');
    settings.set(key, v);
    if (this.reported.has(key.toLowerCase())) this.report(key, v);
  }

  /** RESET name. */
  reset(name: string): void {
    const key = settingKey(this.values, name);
    const initial = (this.initial ?? this.values).get(key);
    if (initial !== undefined) this.set(name, initial);
    else this.values.delete(key);
  }

  /** RESET ALL. */
  resetAll(): void {
    if (!this.initial) return;
    for (const [k, v] of this.initial) if (this.values.get(k) !== v) this.set(k, v);
    for (const k of [...this.values.keys()]) if (!this.initial.has(k)) this.values.delete(k);
  }
}

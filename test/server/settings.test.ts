/** The session's GUCs (src/server/settings.ts) without a socket: startup settings, SET, RESET, SHOW's look-up. */
import { describe, expect, it } from 'vitest';
import { WireError } from '../../src/server/errors.js';
import { initialSettings, lookupSetting, reportedFor, reportedValues, SessionSettings } from '../../src/server/settings.js';

const server = { authTimeoutMs: 1000, authDelayMs: 0, maxConnections: 10, serverVersion: '18.0', iterations: 4096, pamService: 'pgauth', pamConfdir: undefined };

function session(startup: Array<[string, string]> = []) {
  const reports: Array<[string, string]> = [];
  const values = initialSettings(server, 'alice', startup);
  const settings = new SessionSettings(values, reportedFor(server.serverVersion), (name, value) => reports.push([name, value]));
  return { values, settings, reports };
}

const sqlstateOf = (fn: () => void): string | undefined => {
  try {
    fn();
  } catch (e) {
    if (e instanceof WireError) return e.sqlstate;
    throw e;
  }
  return undefined;
};

describe('session settings', () => {
  it('takes the StartupMessage settings and libpq options, but never the fixed ones', () => {
    const { values } = session([
      ['application_name', 'psql'],
      ['client_encoding', 'utf-8'],
      ['options', '-c DateStyle=German --search_path=app'],
      ['server_version', '9.6'],
      ['session_authorization', 'postgres'],
    ]);
    expect(values.get('application_name')).toBe('psql');
    expect(values.get('client_encoding')).toBe('UTF8');
    expect(values.get('DateStyle')).toBe('German');
    expect(values.get('search_path')).toBe('app');
    expect(values.get('server_version')).toBe('18.0');
    expect(values.get('session_authorization')).toBe('alice');
  });

  it('reports the GUC_REPORT parameters of the version, in PostgreSQL order', () => {
    const { values } = session();
    const names = reportedValues(values, reportedFor('18.0')).map(([n]) => n);
    expect(names).toContain('scram_iterations');
    expect(names).toContain('search_path');
    expect(reportedValues(values, reportedFor('15.0')).map(([n]) => n)).not.toContain('scram_iterations');
    expect(names.indexOf('application_name')).toBeLessThan(names.indexOf('TimeZone'));
  });

  it('SET reports a reported parameter with its stored spelling; fixed ones are 55P02, session_authorization 0A000', () => {
    const { settings, reports, values } = session();
    settings.set('datestyle', 'SQL, DMY');
    expect(values.get('DateStyle')).toBe('SQL, DMY');
    expect(reports).toEqual([['DateStyle', 'SQL, DMY']]);
    settings.set('work_mem', '64MB');
    expect(reports).toHaveLength(1);
    expect(sqlstateOf(() => settings.set('server_version', '9.6'))).toBe('55P02');
    expect(sqlstateOf(() => settings.set('server_version_num', '1'))).toBe('55P02');
    expect(sqlstateOf(() => settings.set('session_authorization', 'bob'))).toBe('0A000');
  });

  it('RESET goes back to the login value, RESET ALL drops what SET added', () => {
    const { settings, values } = session([['application_name', 'psql']]);
    settings.set('application_name', 'other');
    settings.set('work_mem', '64MB');
    settings.reset('application_name');
    expect(values.get('application_name')).toBe('psql');
    settings.set('TimeZone', 'Europe/Paris');
    settings.resetAll();
    expect(values.get('TimeZone')).toBe('UTC');
    expect(values.has('work_mem')).toBe(false);
  });

  it('looks names up case-insensitively, with server_version_num and the static settings', () => {
    const { values } = session();
    expect(lookupSetting(values, 'TIMEZONE')).toBe('UTC');
    expect(lookupSetting(values, 'server_version_num')).toBe('180000');
    expect(lookupSetting(values, 'max_identifier_length')).toBe('63');
    expect(lookupSetting(values, 'no_such_setting')).toBeUndefined();
  });
});

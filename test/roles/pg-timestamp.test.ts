/** VALID UNTIL text read like PostgreSQL's timestamptz input (pure; the real server's answers are in sql-import-pg.test.ts). */
import { describe, expect, it } from 'vitest';
import { parsePgTimestamp } from '../../src/roles/pg-timestamp.js';

const now = new Date('2026-12-02T06:03:21.500Z');
const iso = (text: string): string | undefined => {
  const r = parsePgTimestamp(text, now);
  return r?.kind === 'time' ? new Date(r.ms).toISOString() : r?.kind;
};

describe('parsePgTimestamp', () => {
  it.each([
    ['infinity', 'infinity'],
    [' -Infinity ', '-infinity'],
    ['epoch', '1970-01-01T00:00:00.000Z'],
    ['now', '2026-12-02T06:03:21.500Z'],
    ['today', '2026-12-02T00:00:00.000Z'],
    ['tomorrow', '2026-12-03T00:00:00.000Z'],
    ['yesterday', '2026-12-01T00:00:00.000Z'],
    ['2001-01-02 03:04:05.25-08', '2001-01-02T11:04:05.250Z'],
    ['Mon Jan 01 00:00:00 2001 PST', '2001-01-01T08:00:00.000Z'],
    ['01/02/2001', '2001-01-02T00:00:00.000Z'],
    ['0044-03-15', '0044-03-15T00:00:00.000Z'],
    ['2000-02-29 12:00 am', '2000-02-29T00:00:00.000Z'],
    ['2000-02-29 12:00 pm', '2000-02-29T12:00:00.000Z'],
    ['4714-11-24 BC', 'bc'],
    ['0001-12-31 23:59:59 BC', 'bc'],
  ])('%s', (text, want) => expect(iso(text)).toBe(want));

  it.each([
    ['2001-02-29'],
    ['2001-01-01 13:00 pm'],
    ['4714-11-23 BC'],
    [''],
  ])('%s is out of range, as PostgreSQL says', (text) => expect(parsePgTimestamp(text, now)?.kind).toBe('invalid'));

  it.each([
    ['01/02/01', 'a two-digit year'],
    ['2001-01-02 03:04:05 UTC+3', 'a POSIX offset (sign reversed)'],
    ['2026-03-29 02:30 Europe/Paris', 'a local time the DST change skips'],
    ['2026-10-25 02:30 Europe/Paris', 'a local time the DST change repeats'],
    ['2001-01-01 00:00 MSK', 'an abbreviation whose offset changed over the years'],
    ['J2451187', 'a Julian day'],
    ['next tuesday', 'words'],
    ['epoch BC', 'a special value with more words'],
  ])('%s is not read (%s)', (text) => expect(parsePgTimestamp(text, now)).toBeUndefined());

  it('says when the zone was assumed (UTC) or the value is relative', () => {
    expect(parsePgTimestamp('2030-01-01', now)).toMatchObject({ kind: 'time', zoneAssumed: true, relative: false });
    expect(parsePgTimestamp('2030-01-01 00:00 Europe/Paris', now)).toMatchObject({ kind: 'time', zoneAssumed: false });
    expect(parsePgTimestamp('today', now)).toMatchObject({ relative: true });
  });
});

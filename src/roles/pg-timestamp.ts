/**
 * `VALID UNTIL` text read the way PostgreSQL's timestamptz input
 * (DecodeDateTime in src/backend/utils/adt/datetime.c) reads the forms dumps
 * and people write, with PostgreSQL's default DateStyle (`ISO, MDY`):
 * ISO 8601 (`2001-01-02 03:04:05.5+05:30`, `T`, `Z`, `20010102`), the SQL and
 * German styles read month first (`01/02/2001`, `01.02.2001`), the Postgres
 * style (`Mon Jan 01 00:00:00 2001 PST`), month names (`January 2, 2001`),
 * `AM`/`PM`, `BC`/`AD`, numeric offsets up to 15:59:59, the common zone
 * abbreviations of PostgreSQL's `Default` set, IANA zone names
 * (`Europe/Paris`), and the special values `infinity`, `-infinity`, `epoch`,
 * `now`, `today`, `tomorrow`, `yesterday`. Anything else, or anything
 * ambiguous (two-digit years, a local time a DST change skips or repeats,
 * POSIX offsets like `UTC+3`), is not read: undefined, never a guess.
 * A time without a zone is read in UTC (PostgreSQL uses the session TimeZone).
 */

export type PgTimestamp =
  | { kind: 'infinity' }
  | { kind: '-infinity' }
  /** A finite instant; `zoneAssumed` when the text had no zone and UTC was used. */
  | { kind: 'time'; ms: number; zoneAssumed: boolean; relative: boolean }
  /** A date before 0001-01-01 (BC). */
  | { kind: 'bc' }
  /** Read, but out of range: PostgreSQL refuses it too. */
  | { kind: 'invalid'; why: string };

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const FULL_MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const WEEKDAYS = /^(sun|mon|tue|tues|wed|wednes|thu|thur|thurs|fri|sat|satur)(day)?\.?$/;
/** Fixed-offset abbreviations of PostgreSQL's `Default` timezone_abbreviations, in minutes east of UTC. */
const ABBREVIATIONS: Record<string, number> = {
  z: 0, zulu: 0, utc: 0, ut: 0, gmt: 0, wet: 0,
  west: 60, bst: 60, cet: 60, met: 60,
  cest: 120, mest: 120, eet: 120, ist: 120,
  eest: 180,
  jst: 540, hkt: 480, aest: 600, aedt: 660, nzst: 720, nzdt: 780,
  est: -300, edt: -240, cst: -360, cdt: -300, mst: -420, mdt: -360, pst: -480, pdt: -420,
  akst: -540, akdt: -480, hst: -600,
};
const DAY_MS = 86_400_000;

interface Fields {
  year?: number;
  month?: number;
  day?: number;
  hour?: number;
  minute?: number;
  second?: number;
  fractionMs?: number;
  ampm?: 'am' | 'pm';
  bc?: boolean;
  /** Minutes east of UTC, or an IANA zone name. */
  zone?: number | string;
}

const monthOf = (w: string): number | undefined => {
  const s = w.replace(/\.$/, '');
  const i = MONTHS.indexOf(s.slice(0, 3));
  if (i < 0) return undefined;
  return s.length === 3 || (s === 'sept') || FULL_MONTHS[i] === s ? i + 1 : undefined;
};

/** `+05`, `-0800`, `+05:30`, `-08:00:30` as minutes (seconds kept as a fraction); undefined when out of PostgreSQL's range. */
function numericZone(z: string): number | undefined {
  const m = /^([+-])(\d{1,2})(?::?(\d{2}))?(?::(\d{2}))?$/.exec(z);
  if (!m) return undefined;
  const [h, mi, s] = [Number(m[2]), Number(m[3] ?? 0), Number(m[4] ?? 0)];
  if (h > 15 || mi > 59 || s > 59) return undefined;
  return (m[1] === '-' ? -1 : 1) * (h * 60 + mi + s / 60);
}

/** Does this name an IANA zone PostgreSQL would know (Region/City, or POSIX-style PST8PDT)? */
function ianaZone(w: string): string | undefined {
  if (!/^[a-z_]+(\/[a-z0-9_+-]+)+$/.test(w) && !/^[a-z]{3,4}\d[a-z]{3,4}$/.test(w)) return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: w }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

function setDate(f: Fields, y: number, mo: number, d: number): boolean {
  if (f.year !== undefined) return false;
  Object.assign(f, { year: y, month: mo, day: d });
  return true;
}

/** A time `hh:mm[:ss[.frac]]`, maybe with a glued zone (`03:04:05z`, `00:00:00-08`). */
function readTime(f: Fields, w: string): boolean {
  const m = /^(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d+))?)?(z|[+-][\d:]+)?$/.exec(w);
  if (!m || f.hour !== undefined) return false;
  Object.assign(f, { hour: Number(m[1]), minute: Number(m[2]), second: Number(m[3] ?? 0), fractionMs: m[4] ? Number(`0.${m[4]}`) * 1000 : 0 });
  if (m[5] === undefined) return true;
  return readZone(f, m[5]);
}

function readZone(f: Fields, w: string): boolean {
  if (f.zone !== undefined) return false;
  const z = w.startsWith('+') || w.startsWith('-') ? numericZone(w) : (ABBREVIATIONS[w] ?? ianaZone(w));
  if (z === undefined) return false;
  f.zone = z;
  return true;
}

/** A date of three numbers: year first when it has 4+ digits, else month/day/year (DateStyle MDY). */
function readNumericDate(f: Fields, w: string): boolean {
  const m = /^(\d+)([-/.])(\d+)\2(\d+)$/.exec(w);
  if (!m) return false;
  const [a, b, c] = [m[1]!, m[3]!, m[4]!];
  if (a.length >= 4 && b.length <= 2 && c.length <= 2) return setDate(f, Number(a), Number(b), Number(c));
  if (c.length >= 4 && a.length <= 2 && b.length <= 2) return setDate(f, Number(c), Number(a), Number(b));
  return false; // two-digit years and other orders are not read
}

function readField(f: Fields, w: string): boolean {
  const iso = /^(\d+-\d+-\d+)t(.+)$/.exec(w);
  if (iso) return readNumericDate(f, iso[1]!) && readTime(f, iso[2]!);
  if (readNumericDate(f, w)) return true;
  if (/^\d{8}$/.test(w)) return setDate(f, Number(w.slice(0, 4)), Number(w.slice(4, 6)), Number(w.slice(6)));
  if (/^\d{1,2}:/.test(w)) return readTime(f, w);
  if (/^[+-]\d/.test(w)) return f.hour !== undefined && readZone(f, w);
  if (/^\d{1,2}$/.test(w) && f.day === undefined && f.year === undefined) return (f.day = Number(w)), true;
  if (/^\d{4,}$/.test(w) && f.year === undefined && f.day !== undefined) return (f.year = Number(w)), true;
  const month = monthOf(w);
  if (month !== undefined) return f.month === undefined && f.year === undefined ? ((f.month = month), true) : false;
  if (WEEKDAYS.test(w)) return true;
  if (w === 'bc' || w === 'ad') return f.bc === undefined ? ((f.bc = w === 'bc'), true) : false;
  if (w === 'am' || w === 'pm') return f.ampm === undefined && f.hour !== undefined ? ((f.ampm = w), true) : false;
  return readZone(f, w);
}

const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const daysIn = (y: number, m: number): number => [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;

/** The offset (ms) of an IANA zone at an instant. */
function zoneOffsetMs(zone: string, utc: number): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(utc);
  const get = (t: string) => Number(parts.find((p) => p.type === t)!.value);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) - Math.floor(utc / 1000) * 1000;
}

/** The one instant a wall-clock time has in a zone; undefined in a DST gap or overlap. */
function fromZone(zone: string, wall: number): number | undefined {
  const found = new Set<number>();
  for (const probe of [wall - DAY_MS / 2, wall + DAY_MS / 2]) {
    const t = wall - zoneOffsetMs(zone, probe);
    if (t - wall + zoneOffsetMs(zone, t) === 0) found.add(t);
  }
  return found.size === 1 ? [...found][0] : undefined;
}

function special(v: string, now: Date): PgTimestamp | undefined {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const rel = (ms: number): PgTimestamp => ({ kind: 'time', ms, zoneAssumed: v !== 'now', relative: true });
  switch (v) {
    case 'infinity':
      return { kind: 'infinity' };
    case '-infinity':
      return { kind: '-infinity' };
    case 'epoch':
      return { kind: 'time', ms: 0, zoneAssumed: false, relative: false };
    case 'now':
      return rel(now.getTime());
    case 'today':
      return rel(midnight);
    case 'tomorrow':
      return rel(midnight + DAY_MS);
    case 'yesterday':
      return rel(midnight - DAY_MS);
    default:
      return undefined;
  }
}

/** Reads a timestamptz the way PostgreSQL does for the forms above; undefined when it cannot be read exactly. */
export function parsePgTimestamp(text: string, now: Date = new Date()): PgTimestamp | undefined {
  const v = text.trim().toLowerCase();
  const sp = special(v, now);
  if (sp) return sp;
  if (v === '') return { kind: 'invalid', why: 'invalid input syntax for type timestamp with time zone: ""' };
  if (v.length > 128) return undefined;
  const f: Fields = {};
  for (const w of v.split(/[\s,]+/)) if (w !== '' && !readField(f, w)) return undefined;
  const { year, month, day } = f;
  if (year === undefined || month === undefined || day === undefined) return undefined;
  let hour = f.hour ?? 0;
  const [minute, second, frac] = [f.minute ?? 0, f.second ?? 0, f.fractionMs ?? 0];
  const outOfRange: PgTimestamp = { kind: 'invalid', why: `date/time field value out of range: "${text}"` };
  if (f.ampm) {
    if (hour < 1 || hour > 12) return outOfRange;
    hour = (hour % 12) + (f.ampm === 'pm' ? 12 : 0);
  }
  const astroYear = f.bc ? 1 - year : year;
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(astroYear, month)) return outOfRange;
  if (hour > 24 || minute > 59 || second > 60 || (hour === 24 && (minute > 0 || second > 0 || frac > 0))) return outOfRange;
  if (f.bc) return year < 4714 || (year === 4714 && (month > 11 || (month === 11 && day >= 24))) ? { kind: 'bc' } : { kind: 'invalid', why: `timestamp out of range: "${text}"` };
  if (year > 294276) return undefined;
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day); // not Date.UTC: it reads years 0-99 as 1900-1999
  const wall = d.getTime() + ((hour * 60 + minute) * 60 + second) * 1000 + Math.floor(frac);
  if (typeof f.zone === 'string') {
    const ms = fromZone(f.zone, wall);
    return ms === undefined ? undefined : { kind: 'time', ms, zoneAssumed: false, relative: false };
  }
  return { kind: 'time', ms: wall - (f.zone ?? 0) * 60_000, zoneAssumed: f.zone === undefined, relative: false };
}

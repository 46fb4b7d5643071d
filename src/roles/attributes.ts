/**
 * pgauth's attribute words after the two quoted fields of a role-file line
 * (`valid-until=`, `nologin`, `conn-limit=`, `member-of=`), text <-> data,
 * named after the pg_authid columns they stand for. PgBouncer ignores them.
 */

export interface RoleAttributes {
  /** `rolvaliduntil`: ISO-8601 UTC (`2027-01-01T00:00:00Z`) or `infinity`. */
  validUntil?: string;
  /** `NOT rolcanlogin`. */
  nologin?: boolean;
  /** `rolconnlimit` (absent = no limit, PostgreSQL's -1). */
  connLimit?: number;
  /** Roles this role is a member of (for `+group` in pg_hba.conf). */
  memberOf?: string[];
}

/** Attribute-word problems reported per line; more are summed up in one more problem. */
const MAX_PROBLEMS_PER_LINE = 3;

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Normalises a `VALID UNTIL` value to ISO-8601 UTC without milliseconds, or
 * `infinity`. Accepts `YYYY-MM-DD[ HH:MM[:SS[.frac]]][Z|±HH[:MM]]` (what
 * pg_dumpall prints with DateStyle ISO); a value without a zone is UTC.
 * Returns undefined for anything else.
 */
export function normalizeValidUntil(value: string): string | undefined {
  const v = value.trim();
  if (v.toLowerCase() === 'infinity') return 'infinity';
  const m = ISO_RE.exec(v);
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac, zone] = m;
  // The calendar date itself must exist, whatever the zone: Date.parse rolls
  // 2027-02-31 over to March. Year 0 does not exist for PostgreSQL either.
  const daysInMonth = new Date(Date.UTC(Number(y), Number(mo), 0)).getUTCDate();
  if (Number(y) < 1 || Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > daysInMonth) return undefined;
  let z = (zone ?? 'Z').toUpperCase();
  if (z !== 'Z') {
    const zm = /^([+-]\d{2}):?(\d{2})?$/.exec(z)!;
    z = `${zm[1]}:${zm[2] ?? '00'}`;
  }
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}${frac ? '.' + frac.padEnd(3, '0').slice(0, 3) : ''}${z}`;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return undefined;
  // Reject dates Date.parse silently rolls over (2027-02-31).
  if (z === 'Z' && new Date(t).toISOString().slice(0, 10) !== `${y}-${mo}-${d}`) return undefined;
  return new Date(t).toISOString().replace('.000Z', 'Z');
}

/** A role name usable in `member-of=` (no separators of the attribute syntax). */
export function memberNameProblem(name: string): string | undefined {
  if (name === '') return 'an empty role name';
  if (/[\s,;"=\0]/.test(name)) return `role name ${JSON.stringify(name)} has a space, comma, semicolon, quote or '=' (not representable in member-of=)`;
  return undefined;
}

/** Parses the words after the secret (text, not bytes). Problems are returned, not thrown. */
export function parseAttributeWords(rest: string): {
  attrs: RoleAttributes;
  comment?: string;
  /** The unknown words, space-separated (kept on rewrite). */
  extra?: string;
  problems: Array<{ severity: 'error' | 'warning'; code: 'bad-attribute' | 'unknown-attribute'; message: string }>;
} {
  const attrs: RoleAttributes = {};
  const problems: Array<{ severity: 'error' | 'warning'; code: 'bad-attribute' | 'unknown-attribute'; message: string }> = [];
  let text = rest.endsWith('\r') ? rest.slice(0, -1) : rest;
  let comment: string | undefined;
  const semi = text.indexOf(';');
  if (semi >= 0) {
    comment = text.slice(semi).trimEnd();
    text = text.slice(0, semi);
  }
  // A line may hold millions of words: report at most a few per line (every input is bounded).
  const unknown: string[] = [];
  const extra: string[] = [];
  let unknownCount = 0;
  let badCount = 0;
  for (const word of text.split(/[ \t\v\f\r]+/).filter((w) => w !== '')) {
    const eq = word.indexOf('=');
    const key = eq >= 0 ? word.slice(0, eq) : word;
    const value = eq >= 0 ? word.slice(eq + 1) : undefined;
    const bad = (message: string) => {
      if (++badCount <= MAX_PROBLEMS_PER_LINE) problems.push({ severity: 'error', code: 'bad-attribute', message });
    };
    if (word === '""') continue; // the empty third field old mkauth.py wrote (pgbouncer#1351)
    if (key === 'valid-until' && value !== undefined) {
      const v = normalizeValidUntil(value);
      if (v === undefined) bad(`valid-until=${value} is not an ISO-8601 timestamp or 'infinity'`);
      else attrs.validUntil = v;
    } else if (word === 'nologin') {
      attrs.nologin = true;
    } else if (word === 'login') {
      delete attrs.nologin;
    } else if (key === 'conn-limit' && value !== undefined) {
      if (!/^-?\d{1,10}$/.test(value) || Number(value) < -1 || Number(value) > 2147483647) bad(`conn-limit=${value} is not an integer >= -1`);
      else if (Number(value) === -1) delete attrs.connLimit;
      else attrs.connLimit = Number(value);
    } else if (key === 'member-of' && value !== undefined) {
      const names = value.split(',');
      const problem = names.map(memberNameProblem).find((p) => p !== undefined);
      if (problem) bad(`member-of=${value}: ${problem}`);
      else attrs.memberOf = [...new Set(names)];
    } else {
      extra.push(word);
      if (++unknownCount <= MAX_PROBLEMS_PER_LINE) unknown.push(JSON.stringify(word.length > 60 ? `${word.slice(0, 60)}...` : word));
    }
  }
  if (badCount > MAX_PROBLEMS_PER_LINE) {
    problems.push({ severity: 'error', code: 'bad-attribute', message: `${badCount - MAX_PROBLEMS_PER_LINE} more unreadable attribute words on this line` });
  }
  if (unknownCount > 0) {
    const more = unknownCount > unknown.length ? ` (and ${unknownCount - unknown.length} more)` : '';
    problems.push({
      severity: 'warning',
      code: 'unknown-attribute',
      message: `unknown word${unknownCount === 1 ? '' : 's'} ${unknown.join(', ')}${more} after the secret (PgBouncer ignores ${unknownCount === 1 ? 'it' : 'them'}; pgauth knows valid-until=, nologin, conn-limit=, member-of=)`,
    });
  }
  return {
    attrs,
    ...(comment !== undefined ? { comment } : {}),
    ...(extra.length > 0 ? { extra: extra.join(' ') } : {}),
    problems,
  };
}

/** The attribute words pgauth writes, in a fixed order. */
export function formatAttributes(attrs: RoleAttributes): string[] {
  const words: string[] = [];
  if (attrs.validUntil !== undefined) words.push(`valid-until=${attrs.validUntil}`);
  if (attrs.nologin) words.push('nologin');
  if (attrs.connLimit !== undefined && attrs.connLimit >= 0) words.push(`conn-limit=${attrs.connLimit}`);
  if (attrs.memberOf && attrs.memberOf.length > 0) words.push(`member-of=${attrs.memberOf.join(',')}`);
  return words;
}


/**
 * Scanning the role file's text (a latin1 string, one char per byte) in
 * linear time: where each line starts, and PgBouncer's find_quote over the
 * whole file with remembered indexOf answers (never a rescan).
 */

/** C's isspace() in the C locale, as PgBouncer uses it (by char code). */
export function isCSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/** `s.indexOf(ch, from)`, remembering the answer so a scan never repeats (-1: none). */
function nextOf(s: string, ch: string): (from: number) => number {
  let askedFrom = Infinity;
  let found = -1;
  return (from) => {
    if (!(askedFrom <= from && (found === -1 || from <= found))) {
      askedFrom = from;
      found = s.indexOf(ch, from);
    }
    return found;
  };
}

/**
 * PgBouncer's find_quote over the whole file: the next `"` (or NUL, or the
 * end); inside a field (start=false) a doubled `""` is skipped. The next
 * quote and NUL are found with indexOf and remembered, so the parse stays
 * linear even when many lines break with an unclosed quote.
 */
export function quoteFinder(s: string): (from: number, start: boolean) => number {
  const quote = nextOf(s, '"');
  const nul = nextOf(s, '\0');
  return (from, start) => {
    let p = from;
    for (;;) {
      const q = quote(p);
      const z = nul(p);
      const stop = q === -1 ? s.length : q;
      if (z !== -1 && z < stop) return z;
      if (stop === s.length || start || s.charCodeAt(stop + 1) !== 34) return stop;
      p = stop + 2;
    }
  };
}

/**
 * The file's lines without splitting it: the line (1-based) of a byte offset
 * by binary search over line starts, the number of lines (text after the last
 * LF, if any, is a line), and the text of lines first..last joined by LF.
 */
export function lineIndex(s: string): { lineOf: (pos: number) => number; count: number; text: (first: number, last: number) => string } {
  const starts = [0];
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) starts.push(i + 1);
  const count = s === '' ? 0 : s.endsWith('\n') ? starts.length - 1 : starts.length;
  const lineOf = (pos: number) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  const text = (first: number, last: number) => s.slice(starts[first - 1], last < starts.length ? starts[last]! - 1 : s.length);
  return { lineOf, count, text };
}

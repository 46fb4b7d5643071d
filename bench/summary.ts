/**
 * The issue 16 table: every figure as a ratio to what it is measured next
 * to in the same run, with its bar and whether the bar is met. Rows are
 * added as the bench measures; the table is printed once at the end.
 */

export interface SummaryRow {
  measure: string;
  /** pgauth's figure, with its unit. */
  pgauth: string;
  /** What it is compared with, and that figure. */
  nextTo: string;
  ratio: number;
  /** The bar on the ratio. */
  bar: { op: '<=' | '>='; value: number };
}

const rows: SummaryRow[] = [];
const missing: string[] = [];

export function addRow(row: SummaryRow): void {
  rows.push(row);
}

/** A measure this run could not take, and why (shown under the table). */
export function notMeasured(measure: string, why: string): void {
  missing.push(`${measure}: not available (${why})`);
}

const met = (r: SummaryRow) => (r.bar.op === '<=' ? r.ratio <= r.bar.value : r.ratio >= r.bar.value);

/** The table in Markdown, ready for bench/README.md. */
export function summaryLines(): string[] {
  const out = ['## Summary (issue 16 bars, all from this run)', '| measure | pgauth | next to | ratio | bar | met |', '|---|---|---|---|---|---|'];
  for (const r of rows) {
    const ratio = Number.isFinite(r.ratio) ? `${r.ratio.toFixed(2)}x` : 'n/a';
    out.push(`| ${r.measure} | ${r.pgauth} | ${r.nextTo} | ${ratio} | ${r.bar.op} ${Number.isInteger(r.bar.value) ? r.bar.value.toFixed(1) : r.bar.value}x | ${Number.isFinite(r.ratio) ? (met(r) ? 'yes' : 'no') : '-'} |`);
  }
  for (const m of missing) out.push('', m);
  return out;
}

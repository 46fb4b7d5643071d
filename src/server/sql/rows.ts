/**
 * Running a SELECT or SHOW plan: its RowDescription columns and its rows.
 * Pure: a session's facts in, rows and a command tag out; the commands that
 * change session state (SET, BEGIN...) are applied by the session.
 */
import { TYPE_OID } from '../../protocol/index.js';
import { sqlError } from '../errors.js';
import { allSettings, lookupSetting, settingKey } from '../settings.js';
import type { Plan, SessionView } from './parser.js';

export interface Rows {
  columns: Array<{ name: string; typeOid: number }>;
  rows: Array<Array<string | null>>;
  tag: string;
}

const SHOW_ALL_COLUMNS = [
  { name: 'name', typeOid: TYPE_OID.text },
  { name: 'setting', typeOid: TYPE_OID.text },
  { name: 'description', typeOid: TYPE_OID.text },
];

/** SHOW's column is named like the parameter (PostgreSQL uses the GUC's own spelling, e.g. DateStyle). */
const showColumn = (settings: Map<string, string>, name: string) => ({ name: settingKey(settings, name), typeOid: TYPE_OID.text });

/** Columns a plan returns (RowDescription), or null for NoData. */
export function describePlan(plan: Plan, settings: Map<string, string>): Array<{ name: string; typeOid: number }> | null {
  if (plan.kind === 'select') return plan.columns.map((c) => ({ name: c.name, typeOid: c.typeOid }));
  if (plan.kind === 'show' && plan.name === 'all') return SHOW_ALL_COLUMNS;
  if (plan.kind === 'show') return [showColumn(settings, plan.name)];
  return null;
}

/** Runs a SELECT or SHOW (the commands that change session state are applied by the session). */
export function runPlan(plan: Plan, params: Array<string | null>, s: SessionView): Rows {
  if (plan.kind === 'select') {
    const row = plan.columns.map((c) => c.value(params, s));
    return { columns: plan.columns.map((c) => ({ name: c.name, typeOid: c.typeOid })), rows: [row], tag: 'SELECT 1' };
  }
  if (plan.kind === 'show' && plan.name === 'all') {
    return { columns: SHOW_ALL_COLUMNS, rows: allSettings(s.settings).map(([k, v]) => [k, v, '']), tag: 'SHOW' };
  }
  if (plan.kind === 'show') {
    const v = lookupSetting(s.settings, plan.name);
    if (v === undefined) throw sqlError('42704', `unrecognized configuration parameter "${plan.name}"`);
    return { columns: [showColumn(s.settings, plan.name)], rows: [[v]], tag: 'SHOW' };
  }
  throw new Error(`runPlan: ${plan.kind} is a command`);
}

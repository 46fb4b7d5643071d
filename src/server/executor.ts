/**
 * Running a planned statement in a session, for the simple Query and for
 * Execute: the transaction status ReadyForQuery reports, the commands that
 * change session state (SET, RESET, BEGIN, COMMIT, ROLLBACK, DISCARD ALL),
 * the rows of SELECT and SHOW in the result formats asked for, and a
 * cancellable pg_sleep during which input is not read.
 */
import type { BackendMessage, TransactionStatus } from '../protocol/index.js';
import type { Connection } from './connection.js';
import type { SleepLog } from './context.js';
import { WireError, sqlError } from './errors.js';
import type { SessionSettings } from './settings.js';
import { StatementSleep } from './sleep.js';
import type { Plan, SessionView } from './sql/parser.js';
import { runPlan, type Rows } from './sql/rows.js';
import { encodeValue, formatOf, typeLength } from './sql/values.js';

/** A statement waiting in pg_sleep: what goes out first whatever the outcome (RowDescription), then the rest. */
export interface Pending {
  ms: number;
  first: BackendMessage[];
  then(): void;
}

/** A Bind's result: a plan with its parameters, and how far an Execute with a row limit got. */
export interface Portal {
  plan: Plan;
  params: Array<string | null>;
  formats: number[];
  /** Rows of a SELECT/SHOW portal, computed at its first Execute, and how many were sent. */
  rows?: Rows;
  sent: number;
  /** A pg_sleep portal has had its wait. */
  slept?: boolean;
}

/** An ERROR ends the statement (and fails a transaction block); a FATAL, or anything else, ends the session. */
export function statementError(e: unknown): WireError {
  if (!(e instanceof WireError) || e.severity === 'FATAL') throw e;
  return e;
}

const abortedTransaction = () => sqlError('25P02', 'current transaction is aborted, commands ignored until end of transaction block');

export class Executor {
  private txn: TransactionStatus = 'I';
  private sleep: StatementSleep | null = null;

  constructor(
    private readonly conn: Connection,
    readonly settings: SessionSettings,
    readonly view: SessionView,
    /** DISCARD ALL: the prepared statements and portals go. */
    private readonly discardStatements: () => void,
  ) {}

  /** A CancelRequest for this session: ends a running pg_sleep; false when nothing runs. */
  cancelStatement(): boolean {
    return this.sleep?.cancel() ?? false;
  }

  readyForQuery(): void {
    this.conn.send({ type: 'ReadyForQuery', status: this.txn });
  }

  /** ErrorResponse for a statement's ERROR; inside a transaction block the block is failed. */
  sendError(e: WireError): void {
    if (this.txn === 'T') this.txn = 'E';
    this.conn.send({ type: 'ErrorResponse', fields: e.fields() });
  }

  /** Runs a plan: rows for SELECT/SHOW, effects and a tag for commands; a pg_sleep returns what it still has to do. */
  execute(plan: Plan, params: Array<string | null>, formats: number[], describe: boolean): Pending | null {
    if (this.txn === 'E' && plan.kind !== 'commit' && plan.kind !== 'rollback') throw abortedTransaction();
    switch (plan.kind) {
      case 'empty':
        this.conn.send({ type: 'EmptyQueryResponse' });
        return null;
      case 'select':
      case 'show':
        return this.rows(plan, params, formats, describe);
      case 'set':
        this.settings.set(plan.name, plan.value);
        return this.complete('SET');
      case 'reset':
        if (plan.name === null) this.settings.resetAll();
        else this.settings.reset(plan.name);
        return this.complete('RESET');
      case 'discard-all':
        if (this.txn !== 'I') throw sqlError('25001', 'DISCARD ALL cannot run inside a transaction block');
        this.discardStatements();
        this.settings.resetAll();
        return this.complete('DISCARD ALL');
      default:
        return this.transactionCommand(plan.kind);
    }
  }

  private complete(tag: string): null {
    this.conn.send({ type: 'CommandComplete', tag });
    return null;
  }

  /** BEGIN, COMMIT and ROLLBACK, with PostgreSQL's warnings where there is (or is not) a block. */
  private transactionCommand(kind: 'begin' | 'commit' | 'rollback'): null {
    const warning = (code: string, message: string) =>
      this.conn.send({ type: 'NoticeResponse', fields: { severity: 'WARNING', severityNonLocalized: 'WARNING', code, message } });
    if (kind === 'begin') {
      if (this.txn !== 'I') warning('25001', 'there is already a transaction in progress');
      this.txn = 'T';
      return this.complete('BEGIN');
    }
    if (this.txn === 'I') warning('25P01', 'there is no transaction in progress');
    const tag = kind === 'commit' && this.txn !== 'E' ? 'COMMIT' : 'ROLLBACK';
    this.txn = 'I';
    return this.complete(tag);
  }

  /** SELECT or SHOW: RowDescription (when describing), the rows, CommandComplete. */
  private rows(plan: Plan, params: Array<string | null>, formats: number[], describe: boolean): Pending | null {
    const rows = runPlan(plan, params, this.view);
    const description = describe ? [this.rowDescription(rows.columns, formats)] : [];
    const rest = () => {
      this.sendRows(rows, formats, 0, rows.rows.length);
      this.complete(rows.tag);
    };
    // PostgreSQL sends nothing while pg_sleep runs; the RowDescription goes out with the outcome.
    if (plan.kind === 'select' && plan.sleepMs) return { ms: plan.sleepMs(params, this.view), first: description, then: rest };
    for (const m of description) this.conn.send(m);
    rest();
    return null;
  }

  /**
   * Execute of a SELECT/SHOW portal, with PostgreSQL's row limit: at most
   * maxRows rows (0 = all); reaching the limit answers PortalSuspended and
   * the next Execute goes on from there; a finished portal gives `SELECT 0`.
   */
  executePortalRows(portal: Portal, maxRows: number): Pending | null {
    if (this.txn === 'E') throw abortedTransaction();
    portal.rows ??= runPlan(portal.plan, portal.params, this.view);
    if (portal.plan.kind === 'select' && portal.plan.sleepMs && !portal.slept) {
      portal.slept = true;
      const ms = portal.plan.sleepMs(portal.params, this.view);
      return { ms, first: [], then: () => void this.executePortalRows(portal, maxRows) };
    }
    const rows = portal.rows;
    const from = portal.sent;
    const to = maxRows > 0 ? Math.min(rows.rows.length, from + maxRows) : rows.rows.length;
    this.sendRows(rows, portal.formats, from, to);
    portal.sent = to;
    if (maxRows > 0 && to - from === maxRows) this.conn.send({ type: 'PortalSuspended' });
    else this.complete(portal.plan.kind === 'select' ? `SELECT ${to - from}` : rows.tag);
    return null;
  }

  private sendRows(rows: Rows, formats: number[], from: number, to: number): void {
    for (const row of rows.rows.slice(from, to)) {
      this.conn.send({
        type: 'DataRow',
        values: row.map((v, i) => (v === null ? null : encodeValue(v, rows.columns[i]!.typeOid, formatOf(formats, i)))),
      });
    }
  }

  rowDescription(columns: Array<{ name: string; typeOid: number }>, formats: number[]): BackendMessage {
    return {
      type: 'RowDescription',
      fields: columns.map((c, i) => ({
        name: c.name,
        tableOid: 0,
        columnAttrNumber: 0,
        typeOid: c.typeOid,
        typeSize: typeLength(c.typeOid),
        typeModifier: -1,
        format: formatOf(formats, i),
      })),
    };
  }

  /**
   * A pg_sleep: input is not read meanwhile (a backend busy in a statement
   * does not read either). When it ends, `first` goes out, then the rows
   * (finished) or ERROR 57014 (a CancelRequest); `after` continues the
   * simple or extended flow. When the client leaves, nothing more happens.
   */
  sleepThen(pending: Pending, after: (err: WireError | null) => void): void {
    const conn = this.conn;
    conn.busy = true;
    const log = (state: SleepLog['state']) =>
      conn.ctx.log({ event: 'sleep', time: new Date().toISOString(), pid: this.view.processId, user: this.view.user, seconds: pending.ms / 1000, state });
    log('started');
    this.sleep = new StatementSleep(pending.ms, conn.lifetime, (end) => {
      this.sleep = null;
      conn.busy = false;
      log(end);
      if (end === 'abandoned' || conn.state !== 'ready') return;
      conn.safely(() => {
        for (const m of pending.first) conn.send(m);
        if (end === 'canceled') after(sqlError('57014', 'canceling statement due to user request'));
        else {
          pending.then();
          after(null);
        }
        conn.resume();
      });
    });
  }
}

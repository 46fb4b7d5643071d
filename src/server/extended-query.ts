/**
 * The session after login: one handler per frontend message, named as the
 * protocol docs name them. Query is the simple protocol; Parse, Bind,
 * Describe, Execute, Close, Sync and Flush the extended one, where an ERROR
 * skips every message up to the next Sync (postgres.c). Prepared statements
 * and portals live here; executor.ts runs them.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY
 */
import { parseFrontend, TYPE_OID, type RegularFrontendMessage } from '../protocol/index.js';
import type { Connection } from './connection.js';
import { fatal, sqlError, WireError } from './errors.js';
import { Executor, statementError, type Pending, type Portal } from './executor.js';
import type { SessionSettings } from './settings.js';
import { planQueries, planQuery, type Plan, type SessionView } from './sql/parser.js';
import { describePlan } from './sql/rows.js';
import { checkFormats, decodeParam, formatOf } from './sql/values.js';

/** Prepared statements and portals kept per session. */
const MAX_STATEMENTS = 1000;

/** A Parse's result: the plan and its parameter types (given, inferred, or text). */
interface Prepared {
  plan: Plan;
  paramTypes: number[];
}

type Msg<T extends RegularFrontendMessage['type']> = Extract<RegularFrontendMessage, { type: T }>;

export class QueryProtocol {
  private statements: Map<string, Prepared> | null = null;
  private portals: Map<string, Portal> | null = null;
  private skipUntilSync = false;
  private readonly executor: Executor;

  constructor(
    private readonly conn: Connection,
    settings: SessionSettings,
    view: SessionView,
  ) {
    const discard = () => {
      this.statements = null;
      this.portals = null;
    };
    this.executor = new Executor(conn, settings, view, discard);
    conn.onFinish(discard);
  }

  /** A CancelRequest for this session. */
  cancelStatement(): boolean {
    return this.executor.cancelStatement();
  }

  /** One message after login. */
  message(code: number, body: Buffer): void {
    const msg = parseFrontend(code, body);
    if (this.skipUntilSync && msg.type !== 'Sync' && msg.type !== 'Terminate') return;
    switch (msg.type) {
      case 'Query':
        return this.Query(msg);
      case 'Parse':
        return this.extended(() => this.Parse(msg));
      case 'Bind':
        return this.extended(() => this.Bind(msg));
      case 'Describe':
        return this.extended(() => this.Describe(msg));
      case 'Execute':
        return this.extended(() => this.Execute(msg));
      case 'Close':
        return this.extended(() => this.Close(msg));
      case 'Sync':
        return this.Sync();
      case 'Flush':
        return this.Flush();
      case 'Terminate':
        return this.Terminate();
      default:
        throw fatal('08P01', `unexpected message type "${String.fromCharCode(code)}" after authentication`);
    }
  }

  /** An extended-protocol message: an ERROR skips messages until Sync; an Execute of pg_sleep finishes later. */
  private extended(handle: () => Pending | null): void {
    const failed = (e: WireError) => {
      this.executor.sendError(e);
      this.skipUntilSync = true;
    };
    try {
      const pending = handle();
      if (pending) {
        this.executor.sleepThen(pending, (err) => {
          if (err) failed(err);
        });
      }
    } catch (e) {
      failed(statementError(e));
    }
  }

  /** The simple protocol: each statement of the string in turn, then ReadyForQuery. */
  private Query(msg: Msg<'Query'>): void {
    this.runStatements(planQueries(msg.sql), 0);
  }

  /** Runs a simple Query's statements from `from` on; a pg_sleep pauses the run until it ends. */
  private runStatements(plans: Array<Plan | WireError>, from: number): void {
    const ex = this.executor;
    for (let i = from; i < plans.length; i++) {
      const plan = plans[i]!;
      if (plan instanceof WireError) {
        ex.sendError(plan);
        break;
      }
      if (plan.kind === 'empty') {
        this.conn.send({ type: 'EmptyQueryResponse' });
        continue;
      }
      try {
        const pending = ex.execute(plan, [], [], true);
        if (pending) {
          ex.sleepThen(pending, (err) => {
            if (!err) return this.runStatements(plans, i + 1);
            ex.sendError(err);
            ex.readyForQuery();
          });
          return;
        }
      } catch (e) {
        ex.sendError(statementError(e));
        break;
      }
    }
    ex.readyForQuery();
  }

  private Parse(msg: Msg<'Parse'>): null {
    const plan = planQuery(msg.sql);
    if (plan instanceof WireError) throw plan;
    this.statements ??= new Map();
    if (msg.name !== '' && this.statements.has(msg.name)) throw sqlError('42P05', `prepared statement "${msg.name}" already exists`);
    if (this.statements.size >= MAX_STATEMENTS && !this.statements.has(msg.name)) throw sqlError('54000', 'too many prepared statements in this session');
    const inferred = plan.kind === 'select' ? plan.paramTypes : [];
    const n = Math.max(inferred.length, msg.paramTypes.length);
    const paramTypes: number[] = [];
    for (let i = 0; i < n; i++) paramTypes.push(msg.paramTypes[i] || inferred[i] || TYPE_OID.text);
    this.statements.set(msg.name, { plan, paramTypes });
    this.conn.send({ type: 'ParseComplete' });
    return null;
  }

  private Bind(msg: Msg<'Bind'>): null {
    const st = this.statement(msg.statement);
    // Both are ERRORs in PostgreSQL (exec_bind_message): the session goes on after Sync.
    if (msg.params.length !== st.paramTypes.length) {
      throw sqlError('08P01', `bind message supplies ${msg.params.length} parameters, but prepared statement "${msg.statement}" requires ${st.paramTypes.length}`);
    }
    const pf = msg.paramFormats;
    if (pf.length > 1 && pf.length !== msg.params.length) {
      throw sqlError('08P01', `bind message has ${pf.length} parameter formats but ${msg.params.length} parameters`);
    }
    checkFormats(pf);
    const params = msg.params.map((p, i) => (p === null ? null : decodeParam(p, st.paramTypes[i]!, formatOf(pf, i), i + 1)));
    this.portals ??= new Map();
    if (this.portals.size >= MAX_STATEMENTS && !this.portals.has(msg.portal)) throw sqlError('54000', 'too many portals in this session');
    this.portals.set(msg.portal, { plan: st.plan, params, formats: msg.resultFormats, sent: 0 });
    this.conn.send({ type: 'BindComplete' });
    return null;
  }

  private Describe(msg: Msg<'Describe'>): null {
    const ex = this.executor;
    if (msg.kind === 'S') {
      const st = this.statement(msg.name);
      this.conn.send({ type: 'ParameterDescription', typeOids: st.paramTypes });
      const cols = describePlan(st.plan, ex.settings.values);
      this.conn.send(cols ? ex.rowDescription(cols, []) : { type: 'NoData' });
    } else {
      const portal = this.portal(msg.name);
      checkFormats(portal.formats);
      const cols = describePlan(portal.plan, ex.settings.values);
      this.conn.send(cols ? ex.rowDescription(cols, portal.formats) : { type: 'NoData' });
    }
    return null;
  }

  private Execute(msg: Msg<'Execute'>): Pending | null {
    const portal = this.portal(msg.portal);
    checkFormats(portal.formats); // result formats are checked when rows are about to be sent, as PostgreSQL
    if (portal.plan.kind === 'select' || portal.plan.kind === 'show') return this.executor.executePortalRows(portal, msg.maxRows);
    return this.executor.execute(portal.plan, portal.params, portal.formats, false);
  }

  private Close(msg: Msg<'Close'>): null {
    if (msg.kind === 'S') this.statements?.delete(msg.name);
    else this.portals?.delete(msg.name);
    this.conn.send({ type: 'CloseComplete' });
    return null;
  }

  /** The end of an extended batch: errors stop being skipped, the unnamed portal goes, ReadyForQuery. */
  private Sync(): void {
    this.skipUntilSync = false;
    this.portals?.delete('');
    this.executor.readyForQuery();
  }

  /** Every batch is flushed when it has been read, so Flush has nothing left to do. */
  private Flush(): void {}

  private Terminate(): void {
    this.conn.terminate();
  }

  private statement(name: string): Prepared {
    const st = this.statements?.get(name);
    if (!st) throw sqlError('26000', `prepared statement "${name}" does not exist`);
    return st;
  }

  private portal(name: string): Portal {
    const portal = this.portals?.get(name);
    if (!portal) throw sqlError('34000', `portal "${name}" does not exist`);
    return portal;
  }
}

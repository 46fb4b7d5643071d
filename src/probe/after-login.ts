/**
 * After AuthenticationOk: ParameterStatus, BackendKeyData (its key length
 * checked for the protocol in use), ReadyForQuery or a FATAL; then the
 * post-login queries (`SELECT current_user`, `version()`, extra ones) in the
 * simple query protocol, with bounded rows.
 */
import type { BackendMessage } from '../protocol/index.js';
import { clientFailure, MAX_QUERY_BYTES, MAX_QUERY_ROWS, serverErrorOf } from './attempt.js';
import type { AttemptSession } from './attempt-session.js';
import type { ServerError } from './diagnose.js';
import { ErrorResponse, NoticeResponse } from './error-notice.js';
import type { ProtocolNegotiation } from './protocol-version.js';
import { protocolCheck } from './startup-step.js';

type Msg<T extends BackendMessage['type']> = Extract<BackendMessage, { type: T }>;

/** Reads ParameterStatus, BackendKeyData and notices up to ReadyForQuery, one handler per message. */
export async function readUntilReady(s: AttemptSession, protocol: ProtocolNegotiation): Promise<void> {
  for (;;) {
    const msg = await s.read();
    switch (msg.type) {
      case 'ParameterStatus':
        ParameterStatus(s, msg);
        break;
      case 'BackendKeyData':
        BackendKeyData(s, protocol, msg);
        break;
      case 'NoticeResponse':
        NoticeResponse(s, msg);
        break;
      case 'NegotiateProtocolVersion':
        return NegotiateProtocolVersion(s, msg);
      case 'ErrorResponse':
        return ErrorResponse(s, msg, true);
      case 'ReadyForQuery':
        return ReadyForQuery(s);
      default:
        throw clientFailure('protocol-error', `unexpected ${msg.type} before ReadyForQuery`);
    }
  }
}

/** At most 256 distinct parameters (bounded input); their order is kept (it tells servers apart). */
function ParameterStatus(s: AttemptSession, msg: Msg<'ParameterStatus'>): void {
  const { result } = s;
  if (!(msg.name in result.parameters)) result.parameterOrder.push(msg.name);
  result.parameters[msg.name] = msg.value;
  if (Object.keys(result.parameters).length > 256) throw clientFailure('protocol-error', 'more than 256 ParameterStatus messages');
}

/** The cancel key, its length checked against the protocol version in use. */
function BackendKeyData(s: AttemptSession, protocol: ProtocolNegotiation, msg: Msg<'BackendKeyData'>): void {
  s.result.backendKey = { processId: msg.processId, keyLength: msg.secretKey.length };
  protocolCheck(s, protocol, protocol.onBackendKey(msg.secretKey.length));
}

/** libpq 18 reads 'v' only while it awaits the authentication request. */
function NegotiateProtocolVersion(s: AttemptSession, msg: Msg<'NegotiateProtocolVersion'>): never {
  s.result.negotiateProtocol = { version: msg.version, unrecognizedOptions: msg.unrecognizedOptions };
  throw clientFailure('protocol-error', 'received NegotiateProtocolVersion after AuthenticationOk');
}

function ReadyForQuery(s: AttemptSession): void {
  const { result } = s;
  result.ready = true;
  const sv = result.parameters.server_version;
  const p = result.protocol;
  s.step(
    'parameters',
    `${result.parameterOrder.length} parameters${sv ? `, server_version ${sv}` : ''}; protocol ${p?.version ?? '?'}${p?.negotiated ? ' (negotiated)' : ''}${result.backendKey ? `, BackendKeyData ${result.backendKey.keyLength}-byte key` : ', no BackendKeyData'}; ReadyForQuery`,
  );
}

interface QueryAnswer {
  value: string | null;
  error: ServerError | null;
  rows: Array<Array<string | null>>;
}

async function simpleQuery(s: AttemptSession, sql: string): Promise<QueryAnswer> {
  s.send({ type: 'Query', sql });
  return queryAnswer(s);
}

/** Reads one Query's answer, up to its ReadyForQuery. */
async function queryAnswer(s: AttemptSession): Promise<QueryAnswer> {
  let value: string | null = null;
  let error: ServerError | null = null;
  const rows: Array<Array<string | null>> = [];
  let bytes = 0;
  for (;;) {
    const msg = await s.read();
    if (msg.type === 'DataRow') {
      if (value === null) value = msg.values[0]?.toString('utf8') ?? null;
      if (rows.length >= MAX_QUERY_ROWS) throw clientFailure('protocol-error', `more than ${MAX_QUERY_ROWS} rows`);
      for (const v of msg.values) bytes += v?.length ?? 0;
      if (bytes > MAX_QUERY_BYTES) throw clientFailure('protocol-error', `more than ${MAX_QUERY_BYTES} bytes of rows`);
      rows.push(msg.values.map((v) => (v === null ? null : v.toString('utf8'))));
    } else if (msg.type === 'ErrorResponse') {
      // A FATAL ends the session (PgBouncer's "server login has been failing ..." after its cached
      // AuthenticationOk, an administrator's pg_terminate_backend): the server's own words are the failure.
      if ((msg.fields.severityNonLocalized ?? msg.fields.severity) === 'FATAL') ErrorResponse(s, msg, true);
      error = serverErrorOf(msg);
    } else if (msg.type === 'ReadyForQuery') break;
  }
  return { value, error, rows };
}

/**
 * `SELECT current_user` and `SELECT version()` (sent together: one round
 * trip, each still its own Query and answer), then the caller's queries.
 */
export async function postLoginQueries(s: AttemptSession): Promise<void> {
  const { result } = s;
  s.send({ type: 'Query', sql: 'SELECT current_user' });
  s.send({ type: 'Query', sql: 'SELECT version()' });
  const who = await queryAnswer(s);
  if (who.error) s.step('query', `SELECT current_user: ${who.error.code} ${who.error.message}`, false);
  else {
    result.currentUser = who.value;
    s.step('query', `SELECT current_user = ${who.value}`);
  }
  result.versionText = (await queryAnswer(s)).value;
  for (const sql of s.o.queries ?? []) {
    const q = await simpleQuery(s, sql);
    result.queryResults.push({ sql, rows: q.rows, error: q.error });
  }
}

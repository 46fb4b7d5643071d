/**
 * One connection attempt, driven like libpq: (SSLRequest | direct TLS),
 * StartupMessage, the authentication exchange with libpq's client-side
 * checks (require_auth, channel_binding, SCRAM strictness), the messages up
 * to ReadyForQuery, and a post-login `SELECT current_user`. Every step is
 * timed; with tracing every message both ways is recorded, secrets redacted.
 */
import { serializeFrontend } from '../protocol/index.js';
import { AttemptFailed, clientFailure, type AttemptOptions, type AttemptResult } from './attempt.js';
import { AttemptSession } from './attempt-session.js';
import { authenticate } from './auth-exchange.js';
import { postLoginQueries, readUntilReady } from './after-login.js';
import { CLOSED_UNEXPECTEDLY, TransportError, WireConnection } from './connect.js';
import type { DiagnosisCode } from './diagnose.js';
import { sendStartup } from './startup-step.js';
import { negotiateEncryption, tlsFailureCode } from './tls-step.js';

/** Runs one attempt; never throws for connection/auth problems (they go in `failure`). */
export async function runAttempt(o: AttemptOptions): Promise<AttemptResult> {
  const s = new AttemptSession(o);
  try {
    await connect(s);
    await negotiateEncryption(s);
    const protocol = sendStartup(s);
    await authenticate(s, protocol);
    if (!s.result.authOk) {
      // Discovery stops here: say goodbye without sending a secret (the server sees EOF, as with psql's first try).
      s.conn!.end(serializeFrontend({ type: 'Terminate' }));
      return s.result;
    }
    await readUntilReady(s, protocol);
    await postLoginQueries(s);
    s.send({ type: 'Terminate' });
    s.conn!.end(Buffer.alloc(0));
    return s.result;
  } catch (err) {
    s.conn?.close();
    s.result.failure = failureOf(s, err);
    return s.result;
  } finally {
    s.result.endedAt = Date.now();
  }
}

/** TCP or Unix-socket connect, with libpq 14+'s "connection to server at ..." prefix on failure. */
async function connect(s: AttemptSession): Promise<void> {
  const { host, address, deadline } = s.o;
  try {
    s.conn = await WireConnection.open(host.unix ? { unixDir: host.host, port: host.port } : { address: address!, port: host.port }, deadline);
  } catch (err) {
    if (!(err instanceof TransportError)) throw err;
    s.step('connect', `${s.where}: ${err.message.split('\n')[0]}`, false);
    const who = host.unix
      ? `connection to server on socket "${host.host}/.s.PGSQL.${host.port}" failed: `
      : `connection to server at "${host.host}"${host.host !== address ? ` (${address})` : ''}, port ${host.port} failed: `;
    throw clientFailure(err.code === 'timeout' ? 'timeout' : 'connection-refused', who + err.message);
  }
  s.result.clientAddress = s.conn.localAddress;
  s.result.clientPort = s.conn.localPort;
  s.step('connect', host.unix ? `Unix socket ${host.host}/.s.PGSQL.${host.port}` : `TCP ${s.where}${s.conn.localAddress ? ` from ${s.conn.localAddress}` : ''}`);
}

/** Whatever ended the attempt, as a failure: nothing escapes an attempt (a TLS library error, a malformed certificate). */
function failureOf(s: AttemptSession, err: unknown): NonNullable<AttemptResult['failure']> {
  const { o, result } = s;
  if (err instanceof AttemptFailed) {
    if (err.failure.origin === 'client' && !o.steps.some((x) => x.attempt === o.index && !x.ok)) s.step('failed', err.failure.message.split('\n')[0]!, false);
    return err.failure;
  }
  if (err instanceof TransportError) {
    const code: DiagnosisCode =
      err.code === 'timeout'
        ? 'timeout'
        : err.code === 'tls'
          ? tlsFailureCode(err, !!o.tls.cert)
          : err.code === 'closed'
            ? 'other'
            : err.code === 'not-postgres' || err.code === 'dns-failure' || err.code === 'connection-refused'
              ? err.code
              : 'protocol-error';
    // After ReadyForQuery the peer did speak: say the first query went unanswered (a pooler holding it).
    const held = result.ready && err.code === 'timeout' ? ' (after AuthenticationOk and ReadyForQuery: no answer to the first query)' : '';
    const message = (err.code === 'closed' ? CLOSED_UNEXPECTEDLY : err.message) + held;
    s.step('failed', message.split('\n')[0]!, false);
    // A target that hangs up on a grease request instead of negotiating (as some poolers do).
    if (o.grease === true && s.startupSent && result.protocol?.version === null && err.code === 'closed') {
      return { origin: 'client', code: 'protocol-negotiation-failed', message: `${message}\n(after a protocol ${result.protocol.requested} request)` };
    }
    return held ? { origin: 'client', code, message, reason: 'after-login' } : { origin: 'client', code, message };
  }
  const message = err instanceof Error ? err.message : String(err);
  s.step('failed', `unexpected: ${message.split('\n')[0]}`, false);
  return { origin: 'client', code: 'other', message };
}

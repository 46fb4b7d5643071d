/**
 * The two backend messages of every phase, one handler each: ErrorResponse
 * ends the attempt with the server's error (before or after
 * AuthenticationOk), NoticeResponse is kept (bounded).
 */
import type { BackendMessage } from '../protocol/index.js';
import { AttemptFailed, serverErrorOf } from './attempt.js';
import type { AttemptSession } from './attempt-session.js';

type Msg<T extends BackendMessage['type']> = Extract<BackendMessage, { type: T }>;

/** ErrorResponse: the attempt ends with the server's error, recorded as a step. */
export function ErrorResponse(s: AttemptSession, msg: Msg<'ErrorResponse'>, afterAuthOk: boolean): never {
  const e = serverErrorOf(msg);
  s.result.errorHadRoutine = e.routine !== null;
  s.step('error', `${afterAuthOk ? 'after AuthenticationOk: ' : ''}${e.severity ?? 'ERROR'} ${e.code ?? ''} ${e.message}`.replace(/\s+/g, ' '), false);
  throw new AttemptFailed({ origin: 'server', error: e, afterAuthOk });
}

/** NoticeResponse: kept for the report (at most MAX_LOGIN_NOTICES). */
export function NoticeResponse(s: AttemptSession, msg: Msg<'NoticeResponse'>): void {
  s.keepNotice(msg.fields.message ?? '');
}

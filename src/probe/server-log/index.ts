/**
 * `probe --server-log FILE` (SPEC §11): the server log, read bounded, this
 * connection's lines found and the 28P01 refined to its cause.
 */
export { refineFromServerLog, refineFromLogText, causeOfDetail, parseHbaDetail, parseServerLog, logFormatOfPath } from './refine.js';
export { CAUSE_DETAILS, passwordAuthFailed, hbaMatchedDetail, connectionReceived, patternOf } from './wording.js';
export type { PasswordFailureCause, ServerLogRefinement, RefineOptions, HbaLineRef, DetailVerdict } from './refine.js';
export { matchConnection, DEFAULT_SLACK_MS, type ProbeFacts, type ConnectionMatch, type MatchedBy } from './match.js';
export { readLogTail, DEFAULT_LOG_TAIL_BYTES, type LogTail } from './reader.js';
export { DEBIAN_LOG_LINE_PREFIX, compilePrefix, parseStderrLog } from './stderr-log.js';
export { parseCsvLog, parseJsonLog } from './structured-log.js';
export type { LogFormat, LogRecord, LogCapabilities, ParsedLog } from './record.js';

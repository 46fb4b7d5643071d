/**
 * `probe --server-log FILE`: the flags checked before the probe connects
 * (a file that cannot be read is a usage error, exit 3), and the log's
 * findings rendered after the probe's report.
 */
import { statSync } from 'node:fs';
import { usageError } from '../errors.js';
import { print, style } from '../render.js';
import type { LogFormat } from '../../probe/server-log/record.js';
import type { ServerLogOptions, ServerLogReport } from '../../probe/server-log/probe-result.js';

export interface ServerLogFlags {
  serverLog?: string;
  serverLogFormat?: LogFormat;
  logLinePrefix?: string;
}

export function serverLogOptions(flags: ServerLogFlags): ServerLogOptions | undefined {
  if (flags.serverLog === undefined) {
    if (flags.serverLogFormat !== undefined) throw usageError('--server-log-format needs --server-log FILE');
    if (flags.logLinePrefix !== undefined) throw usageError('--log-line-prefix needs --server-log FILE');
    return undefined;
  }
  const file = flags.serverLog;
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch (err) {
    throw usageError(`--server-log ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (!isFile) throw usageError(`--server-log ${file}: not a regular file`);
  if (flags.logLinePrefix !== undefined && flags.serverLogFormat !== undefined && flags.serverLogFormat !== 'stderr') {
    throw usageError(`--log-line-prefix applies to a stderr log, not ${flags.serverLogFormat}`);
  }
  if (flags.logLinePrefix === '') throw usageError('--log-line-prefix: empty (give the server\'s log_line_prefix, e.g. "%m [%p] ")');
  return {
    file,
    ...(flags.serverLogFormat !== undefined ? { format: flags.serverLogFormat } : {}),
    ...(flags.logLinePrefix !== undefined ? { prefix: flags.logLinePrefix } : {}),
  };
}

/** The log's verdict under the probe's report: the cause, the hba line, this connection's lines, what is missing. */
export function renderServerLog(log: ServerLogReport): void {
  const out = [`${style.head('server log')} ${log.file} (${log.format}${log.truncated ? ', last 16 MiB' : ''})`];
  const how = log.matchedBy === 'none' ? 'no connection matched' : `matched by ${log.matchedBy}${log.ambiguous ? ', ambiguous' : ''}`;
  out.push(`  cause: ${log.code === 'undetermined' ? style.warn('undetermined') : style.strong(log.code)} ${style.dim(`(${how}: ${log.reason})`)}`);
  if (log.detail) out.push(`  DETAIL: ${log.detail}`);
  if (log.hbaLine) out.push(`  pg_hba.conf: ${log.hbaLine.file ?? 'pg_hba.conf'} line ${log.hbaLine.line}: ${style.strong(log.hbaLine.text)}`);
  if (log.evidence.length) out.push('  this connection\'s lines:', ...log.evidence.map((l) => `    ${l}`));
  if (log.missingSettings.length) out.push(`  ${style.warn('the log would tell more with')}: ${log.missingSettings.join('; ')}`);
  print(out.join('\n'));
}

/**
 * Helpers of the from-class-to-cause tests: a failing login made by the real
 * probe, with the facts the server-log matcher needs (the attempt's client
 * port and time window, as the probe's result carries them).
 */
import { resolveConnParams } from '../../src/probe/conninfo.js';
import { runProbe, type ProbeResult } from '../../src/probe/probe.js';
import type { ProbeFacts } from '../../src/probe/server-log/match.js';
import { probeFactsOf } from '../../src/probe/server-log/probe-result.js';
import { waitFor } from '../helpers/pg.js';

export interface ProbeLogin {
  result: ProbeResult;
  facts: ProbeFacts;
}

/** Runs the probe once and returns its result plus the facts the server-log matcher needs. */
export async function probeLogin(target: { host: string; port: number }, user: string, password: string, opts: { dbname?: string; connectTimeout?: number } = {}): Promise<ProbeLogin> {
  const dbname = opts.dbname ?? 'postgres';
  const params = resolveConnParams({
    target: `host=${target.host} port=${target.port} user=${user} dbname=${dbname} sslmode=disable connect_timeout=${opts.connectTimeout ?? 10}`,
    env: {},
    osUser: 'nobody',
    home: '/nonexistent',
  });
  const result = await runProbe({ params, password: { value: password, source: 'test' } });
  const facts = probeFactsOf(result);
  if (!facts) throw new Error('the probe made no attempt');
  return { result, facts };
}

/** Waits until the log file holds a line (the logging collector writes after the client has its error). */
export async function waitForLogLine(read: () => string, needle: string): Promise<void> {
  await waitFor(() => read().includes(needle), `the server log to hold ${JSON.stringify(needle)}`);
}

/**
 * Helpers of the from-class-to-cause tests: a failing login made by the real
 * probe, with the facts the server-log matcher needs (the attempt's client
 * port and time window, as the probe's result carries them).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolveConnParams } from '../../src/probe/conninfo.js';
import { runProbe, type ProbeResult } from '../../src/probe/probe.js';
import type { ProbeFacts } from '../../src/probe/server-log/match.js';
import { probeFactsOf } from '../../src/probe/server-log/probe-result.js';
import type { PasswordFailureCause } from '../../src/probe/server-log/refine.js';
import { startCluster, waitFor, type Cluster } from '../helpers/pg.js';

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

/** pg_hba.conf of the five-causes clusters: erin by md5 (where "Password does not match" is logged), the rest by SCRAM. */
export const HBA = 'host all erin 127.0.0.1/32 md5\nhost all all 127.0.0.1/32 scram-sha-256\n';
const DEBIAN_PREFIX = "'%m [%p] %q%u@%d '";

/** One role per cause. */
export const SETUP = `CREATE ROLE alice LOGIN PASSWORD 'right';
CREATE ROLE bob LOGIN PASSWORD 'right' VALID UNTIL '2001-01-01';
CREATE ROLE carl LOGIN;
SET password_encryption = 'md5';
CREATE ROLE dora LOGIN PASSWORD 'right';
CREATE ROLE erin LOGIN PASSWORD 'right';`;

/** user, password sent, the cause PostgreSQL logs for it. */
export const CASES: Array<[string, string, PasswordFailureCause]> = [
  ['alice', 'wrong', 'password-mismatch'], // SCRAM: no cause DETAIL
  ['erin', 'wrong', 'password-mismatch'], // md5: "Password does not match"
  ['nobody', 'right', 'role-missing'],
  ['bob', 'right', 'password-expired'],
  ['carl', 'right', 'no-password-set'],
  ['dora', 'right', 'secret-not-scram'],
];

export const read = (path: string) => (): string => (existsSync(path) ? readFileSync(path, 'utf8') : '');

/** A cluster whose logging collector writes `destinations` (stderr, csvlog, jsonlog) under data/log/server.*, with Debian's prefix. */
export function collectorCluster(version: number, destinations: string): Promise<Cluster> {
  return startCluster({
    version,
    hba: HBA,
    conf: { logging_collector: 'on', log_destination: `'${destinations}'`, log_directory: "'log'", log_filename: "'server.log'", log_line_prefix: DEBIAN_PREFIX },
  });
}

/** log_line_prefix of a log that cannot tie lines to a client port: no %p, no %r. */
export const QUIET_PREFIX = '%m %q%u@%d ';

/** PostgreSQL 15 with log_connections off and QUIET_PREFIX (stderr to Cluster.logFile), the five roles made. */
export async function quietCluster(): Promise<Cluster> {
  const c = await startCluster({ version: 15, hba: HBA, conf: { log_connections: 'off', log_line_prefix: `'${QUIET_PREFIX}'` } });
  await c.sql(SETUP);
  return c;
}

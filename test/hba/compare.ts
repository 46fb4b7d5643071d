/**
 * The comparisons the differential tests make against a real PostgreSQL of
 * any version: login decisions over the connection matrix (matchHba,
 * `hba check` and the server), and the pg_hba_file_rules view row by row.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeCerts } from '../helpers/certs.js';
import { startCluster, type Cluster } from '../helpers/pg.js';
import { writeServerFile } from '../helpers/tmp.js';
import { hbaFileRules, loadHbaFile, matchHba, type HbaFile, type LoadOptions } from '../../src/hba/index.js';
import { hbaCheck } from '../../src/cli/commands/hba/check-connection.js';
import type { ConnectionFacts } from '../../src/hba/decision.js';
import { observeAuth, type Observed } from './wire.js';
import { ADMIN_LINE, CONNECTIONS, DATABASES, GROUPS, ROLE_FILE, ROLE_SQL, USERS, type Conn } from './cases.js';

export const groupsOf = (r: string): string[] => GROUPS[r] ?? [];
const EXISTING = new Set(['postgres', ...USERS.filter((u) => u !== 'dave'), ...Object.values(GROUPS).flat()]);
export const roleExists = (r: string) => EXISTING.has(r);
export const matrixKey = (c: Conn, user: string, db: string) => `${c.name} user=${user} db=${db}`;

export function factsOf(c: Conn, user: string, database: string): ConnectionFacts {
  return {
    transport: c.kind === 'unix' ? 'unix' : 'tcp',
    remoteAddress: c.kind === 'unix' ? null : c.address,
    ssl: c.ssl,
    gssenc: false,
    user,
    database,
    replication: false,
  };
}

/**
 * The differential tests' cluster: TLS, password_encryption md5 and the
 * roles of ROLE_SQL; the same roles written as a role file for `hba check`.
 */
export async function startDiffCluster(dir: string, checkRoles: string, version?: number, conf: Record<string, string> = {}): Promise<Cluster> {
  const certDir = join(dir, 'certs');
  mkdirSync(certDir);
  const certs = makeCerts(certDir);
  const cluster = await startCluster({
    ...(version !== undefined ? { version } : {}),
    ssl: { cert: certs.serverCert, key: certs.serverKey, ca: certs.caCert },
    conf: { password_encryption: "'md5'", ...conf },
  });
  await cluster.sql(ROLE_SQL);
  writeFileSync(checkRoles, ROLE_FILE, { mode: 0o600 });
  return cluster;
}

/** Writes pg_hba.conf (after the admin line) and its side files into `dir` and loads it with the engine. */
export async function engineCopy(dir: string, hba: string, files: Record<string, string> = {}, opts: LoadOptions = {}): Promise<HbaFile> {
  mkdirSync(dir, { recursive: true });
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), body);
  }
  writeFileSync(join(dir, 'pg_hba.conf'), ADMIN_LINE + hba);
  return loadHbaFile(join(dir, 'pg_hba.conf'), opts);
}

/** The same side files in the cluster's data directory (readable by the server). */
export function serverCopy(cluster: Cluster, files: Record<string, string> = {}): void {
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(join(cluster.dataDir, name, '..'), { recursive: true });
    writeServerFile(join(cluster.dataDir, name), body, 0o644);
  }
}

/**
 * Every connection of the matrix against the cluster's current pg_hba.conf:
 * PostgreSQL's decision, matchHba's and `hba check`'s. Returns the
 * disagreements and PostgreSQL's decisions.
 */
export async function compareLogins(cluster: Cluster, file: HbaFile, checkRoles: string): Promise<{ disagreements: string[]; observed: Map<string, Observed> }> {
  const disagreements: string[] = [];
  const observed = new Map<string, Observed>();
  const jobs: Array<() => Promise<void>> = [];
  for (const c of CONNECTIONS) {
    for (const user of USERS) {
      for (const db of DATABASES) {
        jobs.push(async () => {
          const d = matchHba(file, factsOf(c, user, db), groupsOf, { roleExists });
          const ours: Observed = d.kind === 'method' ? (d.method as Observed) : d.kind;
          // And what `pgauth hba check` says, membership from the role file, host names from the system resolver.
          const check = await hbaCheck({
            file: file.path, user, database: db, local: c.kind === 'unix', ...(c.kind === 'tcp' ? { addr: c.address } : {}),
            ssl: c.ssl, replication: false, roles: checkRoles, method: 'scram-sha-256',
          });
          const checked: Observed = check.decision === 'method' ? (check.method as Observed) : check.decision;
          const target = c.kind === 'unix' ? { port: cluster.port, socketDir: cluster.socketDir } : { host: c.address, port: cluster.port };
          const pg = await observeAuth(target, user, db, c.ssl);
          observed.set(matrixKey(c, user, db), pg.observed);
          if (pg.observed !== ours || pg.observed !== checked) {
            disagreements.push(`${c.name} user=${user} db=${db}: PostgreSQL ${pg.observed}${pg.message ? ` (${pg.message})` : ''}, pgauth ${ours}${d.kind !== 'no-entry' ? ` (line ${d.line})` : ''}, hba check ${checked}`);
          }
        });
      }
    }
  }
  // A few at a time: the cluster allows 30 connections.
  for (let i = 0; i < jobs.length; i += 8) await Promise.all(jobs.slice(i, i + 8).map((j) => j()));
  return { disagreements, observed };
}

/** Columns of pg_hba_file_rules to compare; file_name and rule_number exist from PostgreSQL 16 on. */
export function viewColumns(version: number, extra: string[] = []): string[] {
  const base = ['line_number', 'type', 'database', 'user_name', 'address', 'netmask', 'auth_method', 'options', 'error', ...extra];
  return version >= 16 ? ['rule_number', 'file_name', ...base] : base;
}

/** pg_hba_file_rules as PostgreSQL reads the file now (the view parses the file on every query). */
export async function pgView(cluster: Cluster, columns: string[]): Promise<Array<Record<string, unknown>>> {
  const order = columns.includes('rule_number') ? '' : ' order by line_number';
  const text = await cluster.sql(`select coalesce(json_agg(t), '[]') from (select ${columns.join(', ')} from pg_hba_file_rules${order}) t`);
  return JSON.parse(text || '[]') as Array<Record<string, unknown>>;
}

/** The engine's rows with the same columns, its folder's paths written as the cluster's data directory. */
export function engineView(file: HbaFile, columns: string[], engineDir: string, cluster: Cluster): Array<Record<string, unknown>> {
  return hbaFileRules(file).map((r) => {
    const row: Record<string, unknown> = {};
    for (const c of columns) {
      const v = (r as unknown as Record<string, unknown>)[c];
      row[c] = typeof v === 'string' ? v.split(engineDir).join(cluster.dataDir) : v;
    }
    return row;
  });
}

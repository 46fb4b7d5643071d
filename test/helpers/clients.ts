/**
 * The two clients tests log in with: psql (libpq, as a child process) and
 * node-postgres (in process). One copy of each, shared by every test file.
 */
import pg from 'pg';
import { which } from './env.js';
import { run, type RunResult } from './proc.js';

/** The psql on PATH (Debian's wrapper: its newest libpq), or undefined. */
export const PSQL = which('psql');

export function psqlMissing(): string | undefined {
  return PSQL ? undefined : 'psql not installed (apt-get install postgresql-client)';
}

export interface PsqlOptions {
  /** PGPASSWORD (none by default). */
  password?: string;
  /** Extra environment (PGSSLMODE, HOME, a libpq's LD_LIBRARY_PATH...). */
  env?: NodeJS.ProcessEnv;
  /** Another psql binary (a libpq of another version). */
  bin?: string;
  /** -v ON_ERROR_STOP=1: an SQL error is exit 3 instead of 1. */
  onErrorStop?: boolean;
}

/** `psql -X -At -c SQL CONNINFO` with PGCONNECT_TIMEOUT set, so a hung server is a failure, not a hang. */
export function runPsql(conninfo: string, sql: string, opts: PsqlOptions = {}): Promise<RunResult> {
  const bin = opts.bin ?? PSQL;
  if (!bin) throw new Error(psqlMissing());
  return run(bin, ['-X', '-At', ...(opts.onErrorStop ? ['-v', 'ON_ERROR_STOP=1'] : []), '-c', sql, conninfo], {
    env: { ...process.env, PGCONNECT_TIMEOUT: '20', ...(opts.password !== undefined ? { PGPASSWORD: opts.password } : {}), ...opts.env },
  });
}

export interface LoginTarget {
  port: number;
  user: string;
  password?: string;
  /** Default 'postgres'. */
  database?: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** node-postgres's ssl option (default: no TLS). */
  ssl?: pg.ClientConfig['ssl'];
}

/** The row of the query after a login, or the server's SQLSTATE and message. */
export type LoginResult = { ok: true; row: Record<string, unknown> } | { ok: false; code: string; message: string };

/** A connected node-postgres client (the caller ends it); throws the login error. */
export async function connectPg(t: LoginTarget): Promise<pg.Client> {
  const client = new pg.Client({
    host: t.host ?? '127.0.0.1',
    port: t.port,
    user: t.user,
    database: t.database ?? 'postgres',
    ssl: t.ssl ?? false,
    connectionTimeoutMillis: 20_000,
    ...(t.password !== undefined ? { password: t.password } : {}),
  });
  client.on('error', () => {}); // a server that closes after the login must not crash the test run
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    throw err;
  }
  return client;
}

/** Logs in with node-postgres, runs `sql` (default `SELECT current_user`) and disconnects. */
export async function login(t: LoginTarget, sql = 'SELECT current_user'): Promise<LoginResult> {
  let client: pg.Client | undefined;
  try {
    client = await connectPg(t);
    const r = await client.query(sql);
    return { ok: true, row: (r.rows[0] ?? {}) as Record<string, unknown> };
  } catch (err) {
    const e = err as { code?: string; message?: string };
    return { ok: false, code: e.code ?? 'none', message: e.message ?? '' };
  } finally {
    await client?.end().catch(() => {});
  }
}

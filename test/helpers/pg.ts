/**
 * A throwaway PostgreSQL cluster for one test file: initdb into a temp dir
 * owned by the postgres user, a free port, its own socket folder, stopped and
 * removed afterwards. Never touches a system cluster or /etc/postgresql.
 */
import { readFileSync, existsSync, chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { pgBinDir } from './env.js';
import { pgInstall } from './versions.js';
import { run, type RunResult } from './proc.js';
import { asServerUser, chownToPostgres, tempDir } from './tmp.js';

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Waits for a condition by polling (a condition, never a fixed sleep). */
export async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface ClusterOptions {
  /** Server major (14–18, SPEC §7); Debian's newest when left out. */
  version?: number;
  /** pg_hba.conf body (the admin line `local all postgres trust` is put first unless adminLine=false). */
  hba?: string;
  adminLine?: boolean;
  /** Extra postgresql.conf settings. */
  conf?: Record<string, string | number | boolean>;
  /** Server TLS files (copied into the data directory). */
  ssl?: { cert: string; key: string; ca?: string };
  /** The port to listen on (freePort() picked in advance), for a cluster a test starts later. */
  port?: number;
  /** false: initdb only; the test calls `start()` when it wants the server up (default true). */
  start?: boolean;
  /** Start as a standby (`standby.signal`, no primary_conninfo): with `hot_standby = off` it answers 57P03 until `promote()`. */
  standby?: boolean;
}

export interface Cluster {
  port: number;
  host: string;
  socketDir: string;
  dataDir: string;
  logFile: string;
  /** Server binaries (initdb, pg_ctl, postgres) of this cluster's version. */
  binDir: string;
  version: number;
  /** Runs SQL as the superuser over the Unix socket; returns psql's -At output. */
  sql(query: string): Promise<string>;
  /** Replaces pg_hba.conf and waits until the postmaster has reloaded it. */
  setHba(body: string, opts?: { adminLine?: boolean }): Promise<void>;
  /** pg_ctl reload, then wait for the postmaster to log that it reloaded. */
  reload(): Promise<void>;
  /** Runs a PostgreSQL client binary (psql, pgbench, pg_dumpall...): Debian's, on its own libpq. */
  client(name: string, args: string[], opts?: { env?: NodeJS.ProcessEnv; input?: string }): Promise<RunResult>;
  log(): string;
  /** pg_ctl start -w (called by startCluster unless `start: false`). */
  start(): Promise<void>;
  /** pg_ctl promote -w: a standby becomes a primary and accepts connections. */
  promote(): Promise<void>;
  stop(): Promise<void>;
}

const ADMIN_LINE = 'local all postgres trust\n';

export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const clientDir = pgBinDir();
  if (!clientDir) throw new Error('PostgreSQL is not installed');
  const version = opts.version ?? Number(clientDir.split('/').at(-2));
  const install = pgInstall(version);
  if (!install) throw new Error(`PostgreSQL ${version} is not installed`);
  const binDir = install.binDir;
  const tmp = tempDir('pgauth-pg-');
  chmodSync(tmp.path, 0o755);
  chownToPostgres(tmp.path);
  const dataDir = join(tmp.path, 'data');
  const socketDir = join(tmp.path, 'sock');
  mkdirSync(socketDir);
  chownToPostgres(socketDir);
  const logFile = join(tmp.path, 'server.log');
  const port = opts.port ?? (await freePort());

  const server = async (name: string, args: string[]): Promise<RunResult> => {
    const [cmd, argv] = asServerUser(join(binDir, name), args);
    const r = await run(cmd, argv, { env: { ...process.env, LC_ALL: 'C', LANG: 'C', ...install.env } });
    if (r.code !== 0) throw new Error(`${name} failed (${r.code}): ${r.stderr}${r.stdout}`);
    return r;
  };

  await server('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions']);

  const conf: Record<string, string | number | boolean> = {
    port,
    listen_addresses: "'127.0.0.1,::1'",
    unix_socket_directories: `'${socketDir}'`,
    fsync: 'off',
    max_connections: 30,
    shared_buffers: "'16MB'",
    log_connections: 'on',
    logging_collector: 'off',
    password_encryption: "'scram-sha-256'",
    ...opts.conf,
  };
  if (opts.ssl) {
    const copy = (src: string, name: string) => {
      const dst = join(dataDir, name);
      writeFileSync(dst, readFileSync(src));
      chmodSync(dst, 0o600);
      chownToPostgres(dst);
      return name;
    };
    conf.ssl = 'on';
    conf.ssl_cert_file = `'${copy(opts.ssl.cert, 'server.crt')}'`;
    conf.ssl_key_file = `'${copy(opts.ssl.key, 'server.key')}'`;
    if (opts.ssl.ca) conf.ssl_ca_file = `'${copy(opts.ssl.ca, 'root.crt')}'`;
  }
  const confText = Object.entries(conf).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n';
  writeFileSync(join(dataDir, 'postgresql.auto.conf'), confText);
  chownToPostgres(join(dataDir, 'postgresql.auto.conf'));
  const hbaPath = join(dataDir, 'pg_hba.conf');
  const writeHba = (body: string, adminLine: boolean) => {
    writeFileSync(hbaPath, (adminLine ? ADMIN_LINE : '') + body);
    chownToPostgres(hbaPath);
  };
  writeHba(opts.hba ?? 'host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\nlocal all all trust\n', opts.adminLine ?? true);
  if (opts.standby) {
    writeFileSync(join(dataDir, 'standby.signal'), '');
    chownToPostgres(join(dataDir, 'standby.signal'));
  }

  const readLog = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const count = (s: string, needle: string) => s.split(needle).length - 1;

  const client = (name: string, args: string[], o: { env?: NodeJS.ProcessEnv; input?: string } = {}) =>
    run(join(clientDir, name), args, {
      env: { ...process.env, PGCONNECT_TIMEOUT: '10', ...o.env },
      ...(o.input !== undefined ? { input: o.input } : {}),
    });

  let started = false;
  const cluster: Cluster = {
    port,
    host: '127.0.0.1',
    socketDir,
    dataDir,
    logFile,
    binDir,
    version,
    async sql(query) {
      const r = await client('psql', ['-X', '-At', '-v', 'ON_ERROR_STOP=1', '-h', socketDir, '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-c', query]);
      if (r.code !== 0) throw new Error(`psql failed: ${r.stderr}`);
      return r.stdout.trim();
    },
    async reload() {
      const before = count(readLog(), 'received SIGHUP, reloading configuration files');
      await server('pg_ctl', ['reload', '-D', dataDir]);
      await waitFor(() => count(readLog(), 'received SIGHUP, reloading configuration files') > before, 'the postmaster to reload');
    },
    async setHba(body, o = {}) {
      writeHba(body, o.adminLine ?? opts.adminLine ?? true);
      await cluster.reload();
    },
    client,
    log: readLog,
    async start() {
      started = true;
      await server('pg_ctl', ['start', '-w', '-t', '60', '-D', dataDir, '-l', logFile]);
    },
    async promote() {
      await server('pg_ctl', ['promote', '-w', '-t', '60', '-D', dataDir]);
    },
    async stop() {
      try {
        if (started) await server('pg_ctl', ['stop', '-m', 'immediate', '-w', '-D', dataDir]);
      } finally {
        tmp.remove();
      }
    },
  };
  if (opts.start !== false) await cluster.start();
  return cluster;
}

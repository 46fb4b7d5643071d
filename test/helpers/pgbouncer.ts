/** A real PgBouncer for one test file, run as the postgres user in a temp dir. */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync, existsSync, copyFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { which } from './env.js';
import { freePort, waitFor } from './pg.js';
import { asServerUser, chownToPostgres, tempDir } from './tmp.js';

export interface Bouncer {
  port: number;
  dir: string;
  logFile: string;
  /** Path of the auth_file PgBouncer reads (a copy owned by the server user). */
  authFile: string;
  /** Copies a role file into place as PgBouncer's auth_file and reloads. */
  setAuthFile(src: string): Promise<void>;
  reload(): Promise<void>;
  log(): string;
  stop(): Promise<void>;
}

export interface BouncerOptions {
  /** [databases] section lines, e.g. `postgres = host=127.0.0.1 port=5432 dbname=postgres`. */
  databases: string[];
  /** Role file to copy as auth_file. */
  authFile: string;
  authType: 'scram-sha-256' | 'md5' | 'plain' | 'trust' | 'cert' | 'hba';
  /** Extra [pgbouncer] settings. */
  settings?: Record<string, string | number>;
}

function tcpReady(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function startPgBouncer(opts: BouncerOptions): Promise<Bouncer> {
  const bin = which('pgbouncer');
  if (!bin) throw new Error('pgbouncer is not installed');
  const tmp = tempDir('pgauth-bouncer-');
  chmodSync(tmp.path, 0o755);
  chownToPostgres(tmp.path);
  const port = await freePort();
  const logFile = join(tmp.path, 'pgbouncer.log');
  const authFile = join(tmp.path, 'userlist.txt');
  const copyAuth = (src: string) => {
    copyFileSync(src, authFile);
    chmodSync(authFile, 0o600);
    chownToPostgres(authFile);
  };
  copyAuth(opts.authFile);
  const settings: Record<string, string | number> = {
    listen_addr: '127.0.0.1',
    listen_port: port,
    unix_socket_dir: tmp.path,
    auth_type: opts.authType,
    auth_file: authFile,
    logfile: logFile,
    pidfile: join(tmp.path, 'pgbouncer.pid'),
    pool_mode: 'session',
    admin_users: 'postgres',
    ...opts.settings,
  };
  const ini = `[databases]\n${opts.databases.join('\n')}\n\n[pgbouncer]\n${Object.entries(settings).map(([k, v]) => `${k} = ${v}`).join('\n')}\n`;
  const iniPath = join(tmp.path, 'pgbouncer.ini');
  writeFileSync(iniPath, ini);
  chownToPostgres(iniPath);
  const [cmd, args] = asServerUser(bin, [iniPath]);
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  let exited = false;
  child.on('exit', () => (exited = true));
  await waitFor(async () => {
    if (exited) throw new Error(`pgbouncer exited: ${stderr}`);
    return tcpReady(port);
  }, 'pgbouncer to listen');
  const readLog = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const pid = () => Number(readFileSync(join(tmp.path, 'pgbouncer.pid'), 'utf8').trim());
  const bouncer: Bouncer = {
    port,
    dir: tmp.path,
    logFile,
    authFile,
    async reload() {
      const before = readLog().split('got SIGHUP').length;
      process.kill(pid(), 'SIGHUP');
      await waitFor(() => readLog().split('got SIGHUP').length > before, 'pgbouncer to reload');
    },
    async setAuthFile(src) {
      copyAuth(src);
      await bouncer.reload();
    },
    log: readLog,
    async stop() {
      if (!exited) {
        const done = new Promise((r) => child.once('exit', r));
        try {
          process.kill(pid(), 'SIGTERM');
        } catch {
          child.kill('SIGTERM');
        }
        await done;
      }
      tmp.remove();
    },
  };
  return bouncer;
}

/**
 * `npm run bench`: pgauth measured side by side with PostgreSQL, PgBouncer,
 * psql and bare Node in the same run, reported as ratios. Not a test: it
 * prints a report (also written to .bench/report.md).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, it } from 'vitest';
import { pgBinDir, pgMissing, pgbouncerMissing } from '../test/helpers/env.js';
import { startCluster, waitFor, type Cluster } from '../test/helpers/pg.js';
import { startPgBouncer, type Bouncer } from '../test/helpers/pgbouncer.js';
import { PGAUTH_BIN, pgauth, run } from '../test/helpers/proc.js';
import { tempDir } from '../test/helpers/tmp.js';
import { childPids, cpuSeconds, interleavedMedians, median, pssKiB, ratio, rssKiB, timeOnce } from './measure.js';
import { addRow, notMeasured, summaryLines } from './summary.js';

const lines: string[] = [];
function out(line = ''): void {
  lines.push(line);
  process.stdout.write(line + '\n');
}
afterAll(() => {
  out();
  for (const line of summaryLines()) out(line);
  mkdirSync('.bench', { recursive: true });
  writeFileSync('.bench/report.md', lines.join('\n') + '\n');
});

const node = process.execPath;
const PASSWORD = 'bench-password-1';
const psqlBin = () => join(pgBinDir() ?? '/usr/bin', 'psql');
const pgbenchBin = () => join(pgBinDir() ?? '/usr/bin', 'pgbench');

async function commandExists(name: string): Promise<boolean> {
  const r = await pgauth([name, '--help']);
  return r.code === 0;
}

describe('CLI start-up (median wall ms)', () => {
  it('pgauth --version and verifier next to node -e 0 and psql --version', async () => {
    const [bare = NaN, version = NaN, verifier = NaN, psql] = await interleavedMedians([
      { cmd: node, args: ['-e', '0'] },
      { cmd: node, args: [PGAUTH_BIN, '--version'] },
      { cmd: node, args: [PGAUTH_BIN, 'verifier', '--password-stdin'], opts: { input: 'pencil\n' } },
      ...(pgBinDir() ? [{ cmd: psqlBin(), args: ['--version'] }] : []),
    ]);
    out('## CLI start-up (median of 15 interleaved rounds, wall ms)');
    out('| command | ms | vs node -e 0 |');
    out('|---|---|---|');
    out(`| node -e 0 (floor) | ${bare.toFixed(1)} | 1.00x |`);
    out(`| pgauth --version | ${version.toFixed(1)} | ${ratio(version, bare)} (target <= 1.5x) |`);
    out(`| pgauth verifier (4096 iterations) | ${verifier.toFixed(1)} | ${ratio(verifier, bare)} (target <= 1.5x) |`);
    out(`| psql --version | ${psql?.toFixed(1) ?? 'n/a'} | ${psql === undefined ? 'n/a' : ratio(psql, bare)} |`);
    out();
    const floor = `node -e 0 ${bare.toFixed(0)} ms`;
    addRow({ measure: '`pgauth --version` wall time', pgauth: `${version.toFixed(0)} ms`, nextTo: floor, ratio: version / bare, bar: { op: '<=', value: 1.5 } });
    addRow({ measure: '`pgauth verifier` wall time', pgauth: `${verifier.toFixed(0)} ms`, nextTo: floor, ratio: verifier / bare, bar: { op: '<=', value: 1.5 } });
  });
});

/** Starts `pgauth serve` and returns its pid, port and a stop function. */
async function startServe(args: string[], logFile: string, env: NodeJS.ProcessEnv = process.env): Promise<{ child: ChildProcess; port: number; stop: () => Promise<void> }> {
  // The per-connection log goes to a file, as PostgreSQL's and PgBouncer's do
  // here: a pipe read by this process would take CPU from pgbench.
  const fd = openSync(logFile, 'w');
  const child = spawn('bash', ['-c', 'ulimit -n 16384 2>/dev/null; exec "$0" "$@"', node, PGAUTH_BIN, 'serve', '--port', '0', '--log-format', 'json', ...args], {
    stdio: ['ignore', fd, 'ignore'],
    env,
  });
  closeSync(fd);
  let exited: number | null | undefined;
  child.once('exit', (c) => (exited = c));
  const port = await waitFor(() => {
    if (exited !== undefined) throw new Error(`serve exited ${exited}`);
    const first = readFileSync(logFile, 'utf8').split('\n')[0];
    return first ? (JSON.parse(first) as { port: number }).port : undefined;
  }, 'pgauth serve to listen');
  return {
    child,
    port,
    stop: () =>
      new Promise((r) => {
        if (exited !== undefined) return r();
        child.once('exit', () => r());
        child.kill('SIGTERM');
      }),
  };
}

interface PgbenchResult {
  tps: number;
  failed: number;
  transactions: number;
  clientCpu: number;
}

/** pgbench -n -C: every transaction is a new connection + SCRAM login + SELECT 1. */
async function pgbenchLogins(port: number, dir: string, seconds: number, rate?: number): Promise<PgbenchResult> {
  const script = join(dir, 'select1.sql');
  writeFileSync(script, 'SELECT 1;\n');
  const cmd = `"${pgbenchBin()}" -n -C -c 2 -j 2 -T ${seconds}${rate ? ` -R ${rate}` : ''} -f "${script}" -h 127.0.0.1 -p ${port} -U bench postgres; times`;
  const r = await run('bash', ['-c', cmd], { env: { ...process.env, PGPASSWORD: PASSWORD, PGSSLMODE: 'disable' }, timeoutMs: (seconds + 60) * 1000 });
  const tps = Number(/tps = ([\d.]+)/.exec(r.stdout)?.[1] ?? NaN);
  const transactions = Number(/number of transactions actually processed: (\d+)/.exec(r.stdout)?.[1] ?? NaN);
  const failed = Number(/number of failed transactions: (\d+)/.exec(r.stdout)?.[1] ?? 0);
  // `times` prints two lines: the shell's, then its children's user and system time.
  const t = r.stdout.trim().split('\n').slice(-1)[0] ?? '';
  const secs = [...t.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  const clientCpu = (secs[0] ?? NaN) + (secs[1] ?? NaN);
  if (!Number.isFinite(tps)) throw new Error(`pgbench failed: ${r.stdout}\n${r.stderr}`);
  return { tps, failed, transactions, clientCpu };
}

const skipServers = pgMissing() ?? pgbouncerMissing();

interface Target {
  name: string;
  port: number;
  pid: number;
  withChildren: boolean;
}
interface LoginResult {
  name: string;
  tps: number;
  failed: number;
  cpuPerLoginMs: number;
  clientPerLoginMs: number;
}

/** The servers take turns in short rounds, so a slower or busier stretch of this shared machine falls on all of them alike. */
async function interleavedLogins(targets: Target[], dir: string, seconds: number, rate?: number): Promise<{ results: LoginResult[]; rounds: number; roundSeconds: number }> {
  const sums = targets.map(() => ({ transactions: 0, failed: 0, serverCpu: 0, clientCpu: 0, secs: 0 }));
  const rounds = 3;
  const roundSeconds = Math.max(2, Math.round(seconds / rounds));
  for (let round = 0; round < rounds; round++) {
    for (const [i, t] of targets.entries()) {
      const sum = sums[i]!;
      const cpu0 = cpuSeconds(t.pid, t.withChildren);
      const r = await pgbenchLogins(t.port, dir, roundSeconds, rate);
      sum.serverCpu += cpuSeconds(t.pid, t.withChildren) - cpu0;
      sum.transactions += r.transactions;
      sum.failed += r.failed;
      sum.clientCpu += r.clientCpu;
      sum.secs += r.transactions / r.tps;
    }
  }
  const results = targets.map((t, i) => {
    const s = sums[i]!;
    return { name: t.name, tps: s.transactions / s.secs, failed: s.failed, cpuPerLoginMs: (s.serverCpu / s.transactions) * 1000, clientPerLoginMs: (s.clientCpu / s.transactions) * 1000 };
  });
  return { results, rounds, roundSeconds };
}

/** The client ceiling: logins/s if pgbench (libpq's SCRAM included) had both cores to itself, from the client CPU it spent per login in the same run. */
const ceiling = (r: LoginResult) => 2 / (r.clientPerLoginMs / 1000);

function reportLogins(results: LoginResult[], rounds: number, roundSeconds: number): void {
  const [pgResult, bouncerResult, serveResult] = results as [LoginResult, LoginResult, LoginResult | undefined];
  out(`## Connection + SCRAM + SELECT 1 (pgbench -n -C -c 2 -j 2, ${rounds} interleaved rounds of ${roundSeconds} s each)`);
  out('| server | logins/s | failed | server CPU ms/login | client CPU ms/login | client ceiling (share reached) |');
  out('|---|---|---|---|---|---|');
  for (const r of results) {
    out(`| ${r.name} | ${r.tps.toFixed(1)} | ${r.failed} | ${r.cpuPerLoginMs.toFixed(2)} | ${r.clientPerLoginMs.toFixed(2)} | ${ceiling(r).toFixed(0)} (${((r.tps / ceiling(r)) * 100).toFixed(0)}%) |`);
  }
  out();
  if (!serveResult) {
    out('pgauth serve: not available in this build');
    notMeasured('pgauth serve', 'no serve command in this build');
    return;
  }
  out(`pgauth serve vs PgBouncer: ${ratio(serveResult.tps, bouncerResult.tps)} logins/s (target >= 1.0x)`);
  out(`pgauth serve vs PostgreSQL: ${ratio(serveResult.tps, pgResult.tps)} logins/s`);
  out(`pgauth serve vs its client ceiling: ${((serveResult.tps / ceiling(serveResult)) * 100).toFixed(0)}% (target >= 90%)`);
  out(`server CPU per login, pgauth serve vs PgBouncer: ${ratio(serveResult.cpuPerLoginMs, bouncerResult.cpuPerLoginMs)} (target <= 1.0x)`);
  out();
  addRow({
    measure: 'server CPU per SCRAM login',
    pgauth: `${serveResult.cpuPerLoginMs.toFixed(2)} ms`,
    nextTo: `PgBouncer ${bouncerResult.cpuPerLoginMs.toFixed(2)} ms`,
    ratio: serveResult.cpuPerLoginMs / bouncerResult.cpuPerLoginMs,
    bar: { op: '<=', value: 1.0 },
  });
  addRow({ measure: 'logins/s', pgauth: serveResult.tps.toFixed(0), nextTo: `PgBouncer ${bouncerResult.tps.toFixed(0)} (PostgreSQL ${pgResult.tps.toFixed(0)})`, ratio: serveResult.tps / bouncerResult.tps, bar: { op: '>=', value: 1.0 } });
  addRow({ measure: 'logins/s vs the client ceiling', pgauth: serveResult.tps.toFixed(0), nextTo: `pgbench's ceiling ${ceiling(serveResult).toFixed(0)}`, ratio: serveResult.tps / ceiling(serveResult), bar: { op: '>=', value: 0.9 } });
}

/**
 * What a Node server costs per login at pgauth's own SCRAM login rate, with
 * no SCRAM and no parsing: pgauth serve --auth trust, and bench/floor-server.mjs
 * (canned bytes). pgbench -R holds the rate: at a few hundred logins a
 * second every login pays Node's per-event costs with its code barely warm.
 */
async function measureFloor(bouncer: LoginResult, scram: LoginResult, trust: { port: number; child: ChildProcess }, floor: { port: number; pid: number }, dir: string, seconds: number): Promise<void> {
  const rate = Math.max(1, Math.round(scram.tps));
  const { results } = await interleavedLogins(
    [
      { name: 'pgauth serve --auth trust', port: trust.port, pid: trust.child.pid!, withChildren: false },
      { name: 'floor', port: floor.port, pid: floor.pid, withChildren: false },
    ],
    dir,
    seconds,
    rate,
  );
  const [t, f] = results as [LoginResult, LoginResult];
  out(`## The floor at pgauth's SCRAM rate (${rate} logins/s, pgbench -R, trust: no SCRAM)`);
  out('| server | server CPU ms/login | vs PgBouncer (SCRAM) |');
  out('|---|---|---|');
  out(`| pgauth serve, SCRAM (above) | ${scram.cpuPerLoginMs.toFixed(2)} | ${ratio(scram.cpuPerLoginMs, bouncer.cpuPerLoginMs)} |`);
  out(`| pgauth serve --auth trust | ${t.cpuPerLoginMs.toFixed(2)} | ${ratio(t.cpuPerLoginMs, bouncer.cpuPerLoginMs)} |`);
  out(`| Node's floor: canned bytes (bench/floor-server.mjs) | ${f.cpuPerLoginMs.toFixed(2)} | ${ratio(f.cpuPerLoginMs, bouncer.cpuPerLoginMs)} |`);
  out();
}

/** bench/floor-server.mjs: Node answering every login with canned bytes (what no code of ours can remove). */
async function startFloorServer(): Promise<{ port: number; pid: number; stop: () => void }> {
  const child = spawn(node, [join('bench', 'floor-server.mjs'), '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (c) => reject(new Error(`floor server exited ${c}`)));
  });
  return { port: Number(/listening (\d+)/.exec(line)?.[1]), pid: child.pid!, stop: () => void child.kill() };
}

/** Opens `count` authenticated connections with node-postgres and holds them until the returned function is called. */
async function hold(port: number, count: number): Promise<() => Promise<void>> {
  const child = spawn('bash', ['-c', 'ulimit -n 16384 2>/dev/null; exec "$0" "$@"', node, join('bench', 'hold-connections.mjs'), '127.0.0.1', String(port), 'bench', 'postgres', String(count)], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, PGPASSWORD: PASSWORD },
  });
  const rl = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    rl.once('line', (l) => (l.startsWith('ready') ? resolve() : reject(new Error(l))));
    child.once('exit', (c) => reject(new Error(`holder exited ${c}`)));
  });
  return () =>
    new Promise<void>((r) => {
      child.once('exit', () => r());
      child.stdin!.end();
    });
}

/** PSS of PostgreSQL's idle backends, and the RSS serve grows by per held connection. */
async function measureMemory(pg: Cluster, pgPid: number, serve: { port: number; pid: number } | undefined): Promise<void> {
  out('## Memory per idle authenticated connection');
  const releasePg = await hold(pg.port, 50);
  const backends = childPids(pgPid).filter((p) => {
    try {
      return /postgres: bench postgres/.test(readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' '));
    } catch {
      return false;
    }
  });
  const pgPss = backends.reduce((s, p) => s + pssKiB(p), 0) / Math.max(1, backends.length);
  await releasePg();
  out(`PostgreSQL: ${pgPss.toFixed(0)} KiB PSS per backend (${backends.length} idle backends)`);
  if (serve) {
    const n = Number(process.env.BENCH_CONNECTIONS ?? 2000);
    const before = rssKiB(serve.pid);
    const release = await hold(serve.port, n);
    const after = rssKiB(serve.pid);
    await release();
    const perKiB = (after - before) / n;
    out(`pgauth serve: ${perKiB.toFixed(1)} KiB RSS per connection (${n} held; RSS ${before} -> ${after} KiB) (target <= 20 KB)`);
    out(`ratio pgauth serve / PostgreSQL per connection: ${ratio(perKiB, pgPss)}`);
    const perKB = (perKiB * 1024) / 1000;
    addRow({ measure: `memory per idle connection (${n} held)`, pgauth: `${perKB.toFixed(1)} kB`, nextTo: `the 20 kB bar (PostgreSQL ${((pgPss * 1024) / 1000).toFixed(0)} kB)`, ratio: perKB / 20, bar: { op: '<=', value: 1.0 } });
  }
  out();
}

/** Probe wall time next to psql and bare node against the same PostgreSQL. */
async function measureProbe(pg: Cluster): Promise<void> {
  const env = { ...process.env, PGPASSWORD: PASSWORD, PGSSLMODE: 'disable' };
  const conninfo = `host=127.0.0.1 port=${pg.port} user=bench dbname=postgres`;
  const [bare, probe, psql, floor] = (await interleavedMedians([
    { cmd: node, args: ['-e', '0'] },
    { cmd: node, args: [PGAUTH_BIN, 'probe', conninfo], opts: { env } },
    { cmd: psqlBin(), args: ['-X', '-c', 'select 1', conninfo], opts: { env } },
    // Node's floor for a login client: one SCRAM login with node:net and node:crypto only.
    { cmd: node, args: [join('bench', 'probe-floor.cjs'), '127.0.0.1', String(pg.port), 'bench', 'postgres'], opts: { env } },
  ])) as [number, number, number, number];
  out('## Probe wall time (median of 15 interleaved rounds, against the same PostgreSQL, SCRAM)');
  out(`node -e 0: ${bare.toFixed(1)} ms; pgauth probe: ${probe.toFixed(1)} ms; psql -c 'select 1': ${psql.toFixed(1)} ms`);
  out(`probe minus the bare-node floor vs psql: ${ratio(probe - bare, psql)} (target <= 1.5x)`);
  out(`Node's floor for a login client (bench/probe-floor.cjs: SCRAM + SELECT 1, node:net and node:crypto only): ${floor.toFixed(1)} ms, minus node -e 0 vs psql: ${ratio(floor - bare, psql)}`);
  out();
  addRow({ measure: '`pgauth probe` (minus `node -e 0`)', pgauth: `${(probe - bare).toFixed(0)} ms (${probe.toFixed(0)} - ${bare.toFixed(0)})`, nextTo: `psql -c 'select 1' ${psql.toFixed(0)} ms (Node's floor: ${(floor - bare).toFixed(0)} ms)`, ratio: (probe - bare) / psql, bar: { op: '<=', value: 1.5 } });
}

/** 100 targets in one `pgauth probe --targets` run against 100 sequential psql runs (once the flag exists). */
async function measureTargets(pg: Cluster, dir: string): Promise<void> {
  const measure = '100 targets in one `probe --targets` run';
  const help = await pgauth(['probe', '--help']);
  if (!help.stdout.includes('--targets')) {
    out(`## ${measure}: not available (this build's probe has no --targets)`);
    out();
    notMeasured(measure, "this build's probe has no --targets");
    return;
  }
  const env = { ...process.env, PGPASSWORD: PASSWORD, PGSSLMODE: 'disable' };
  const lines = Array.from({ length: 100 }, (_, i) => `host=127.0.0.1 port=${pg.port} user=bench dbname=postgres application_name=bench${i}`);
  const file = join(dir, 'targets.txt');
  writeFileSync(file, lines.join('\n') + '\n');
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) runs.push(await timeOnce(node, [PGAUTH_BIN, 'probe', '--targets', file], { env }));
  const probeMs = median(runs);
  const t0 = process.hrtime.bigint();
  for (const conninfo of lines) await timeOnce(psqlBin(), ['-X', '-q', '-c', 'select 1', conninfo], { env });
  const psqlMs = Number(process.hrtime.bigint() - t0) / 1e6;
  out(`## ${measure}`);
  out(`pgauth probe --targets (100 lines, median of 3 runs): ${probeMs.toFixed(0)} ms; 100 sequential psql -c 'select 1': ${psqlMs.toFixed(0)} ms; ratio ${ratio(probeMs, psqlMs)} (target <= 0.25x)`);
  out();
  addRow({ measure, pgauth: `${probeMs.toFixed(0)} ms`, nextTo: `100 sequential psql runs ${psqlMs.toFixed(0)} ms`, ratio: probeMs / psqlMs, bar: { op: '<=', value: 0.25 } });
}

describe.skipIf(skipServers !== undefined)(`servers side by side${skipServers ? ` [skipped: ${skipServers}]` : ''}`, () => {
  let pg: Cluster;
  let bouncer: Bouncer | undefined;
  let serve: Awaited<ReturnType<typeof startServe>> | undefined;
  let trustServe: Awaited<ReturnType<typeof startServe>> | undefined;
  let floor: Awaited<ReturnType<typeof startFloorServer>> | undefined;
  const tmp = tempDir('pgauth-bench-');
  const roles = join(tmp.path, 'userlist.txt');

  afterAll(async () => {
    await serve?.stop();
    await trustServe?.stop();
    floor?.stop();
    await bouncer?.stop();
    await pg?.stop();
    tmp.remove();
  });

  it('logins per second, server CPU per login, memory per idle connection, probe wall time, many targets', async () => {
    pg = await startCluster({ hba: 'host all all 127.0.0.1/32 scram-sha-256\n', conf: { max_connections: 120 } });
    const add = await pgauth(['add-role', 'bench', '--roles', roles, '--password-stdin'], { input: PASSWORD + '\n' });
    if (add.code !== 0) throw new Error(`add-role failed: ${add.stderr}`);
    const sql = await pgauth(['export', '--format', 'sql', '--roles', roles]);
    await pg.client('psql', ['-X', '-q', '-h', pg.socketDir, '-p', String(pg.port), '-U', 'postgres', '-d', 'postgres'], { input: sql.stdout });
    // startPgBouncer gives PgBouncer its own copy; pgauth serve (root) refuses a role file owned by another user.
    const seconds = Number(process.env.BENCH_SECONDS ?? 15); // per server, split into rounds
    const pgPid = Number(readFileSync(join(pg.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);

    bouncer = await startPgBouncer({
      databases: [`postgres = host=127.0.0.1 port=${pg.port} dbname=postgres`],
      authFile: roles,
      authType: 'scram-sha-256',
      settings: { max_client_conn: 500, default_pool_size: 4 },
    });
    const bouncerPid = Number(readFileSync(join(bouncer.dir, 'pgbouncer.pid'), 'utf8').trim());
    await pgbenchLogins(bouncer.port, tmp.path, 2); // warm the pool
    if (await commandExists('serve')) {
      serve = await startServe(['--auth', 'scram-sha-256', '--roles', roles, '--max-connections', String(Number(process.env.BENCH_CONNECTIONS ?? 2000) + 100)], join(tmp.path, 'serve.log'));
    }
    // For the explanation, not a bar: the same logins without SCRAM, from pgauth and from a Node server of canned bytes.
    trustServe = serve ? await startServe(['--auth', 'trust', '--roles', roles], join(tmp.path, 'serve-trust.log')) : undefined;
    floor = serve ? await startFloorServer() : undefined;
    const targets: Target[] = [
      { name: 'PostgreSQL ' + pg.version, port: pg.port, pid: pgPid, withChildren: true },
      { name: 'PgBouncer (pool warmed)', port: bouncer.port, pid: bouncerPid, withChildren: false },
      ...(serve ? [{ name: 'pgauth serve', port: serve.port, pid: serve.child.pid!, withChildren: false }] : []),
    ];
    const { results, rounds, roundSeconds } = await interleavedLogins(targets, tmp.path, seconds);
    reportLogins(results, rounds, roundSeconds);
    if (trustServe && floor && results[2]) await measureFloor(results[1]!, results[2], trustServe, floor, tmp.path, seconds);
    await measureMemory(pg, pgPid, serve ? { port: serve.port, pid: serve.child.pid! } : undefined);
    if (await commandExists('probe')) {
      await measureProbe(pg);
      await measureTargets(pg, tmp.path);
    } else {
      notMeasured('pgauth probe', 'no probe command in this build');
    }
  });
});

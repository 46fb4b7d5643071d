#!/usr/bin/env node
// CPU profiles of `pgauth serve` under `pgbench -n -C` (SCRAM logins) and of
// one `pgauth probe`, summarised as where the time goes: the top frames by
// self time and the split between Node's own code, dependencies and ours.
// Writes bench/PROFILE.md (regenerate: `npm run profile`); the raw
// .cpuprofile files stay in a temp folder printed at the end.
//
// Needs pgbench (Debian's postgresql package) and a built dist/.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { SourceMap } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = new URL('..', import.meta.url).pathname;
const BIN = join(ROOT, 'bin', 'pgauth.cjs');
const SECONDS = Number(process.env.PROFILE_SECONDS ?? 10);
const PASSWORD = 'profile-password';
const tmp = mkdtempSync(join(tmpdir(), 'pgauth-profile-'));

function pgbench() {
  for (const v of ['18', '17', '16', '15']) {
    const p = `/usr/lib/postgresql/${v}/bin/pgbench`;
    if (existsSync(p)) return p;
  }
  return 'pgbench';
}

/**
 * Starts serve (optionally profiled); resolves with its port once its first
 * JSON line says so. The log goes to a file, as in the bench: a pipe would
 * not be read while spawnSync(pgbench) blocks this process, and serve's
 * synchronous stdout writes would block once the pipe is full.
 */
async function startServe(profileDir, name) {
  const log = join(tmp, `${name}.log`);
  const fd = openSync(log, 'w');
  const args = [...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []), BIN, 'serve', '--port', '0', '--json', '--roles', join(tmp, 'userlist.txt')];
  const child = spawn(process.execPath, args, { stdio: ['ignore', fd, 'ignore'] });
  closeSync(fd);
  let exited;
  child.once('exit', (code) => (exited = code));
  for (;;) {
    if (exited !== undefined) throw new Error(`serve exited ${exited}`);
    const first = readFileSync(log, 'utf8').split('\n')[0];
    if (first) return { child, port: JSON.parse(first).port };
    await new Promise((r) => setTimeout(r, 20)); // polling a file: no event to wait on
  }
}

const stop = (child) => new Promise((r) => { child.once('exit', r); child.kill('SIGTERM'); });

function newestProfile(dir) {
  const f = readdirSync(dir).filter((n) => n.endsWith('.cpuprofile')).sort().at(-1);
  if (!f) throw new Error(`no .cpuprofile in ${dir}`);
  return JSON.parse(readFileSync(join(dir, f), 'utf8'));
}

function category(url) {
  if (url === '') return 'v8';
  if (url.startsWith('node:')) return 'node';
  if (url.includes('/node_modules/')) return 'dependencies';
  if (url.includes('/dist/') || url.includes('/bin/')) return 'pgauth';
  return 'other';
}

/** Index of the first sample whose stack holds `fn` (node:net's onconnection: the first client), or 0. */
function firstSampleIn(profile, fn) {
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const i = profile.samples.findIndex((id) => {
    for (let n = id; n !== undefined; n = parent.get(n)) if (byId.get(n).callFrame.functionName === fn) return true;
    return false;
  });
  return Math.max(0, i);
}

const sourceMaps = new Map();

/**
 * The bundle is minified: a frame in dist/bundle/ is named and placed by its
 * source map (the src/*.ts file and line, the original name where the map
 * has one).
 */
function originalFrame(cf) {
  if (!cf.url.startsWith('file://') || !cf.url.includes('/dist/bundle/')) return null;
  const file = fileURLToPath(cf.url);
  if (!sourceMaps.has(file)) sourceMaps.set(file, existsSync(`${file}.map`) ? new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8'))) : null);
  const entry = sourceMaps.get(file)?.findEntry(cf.lineNumber, cf.columnNumber);
  if (!entry?.originalSource) return null;
  const source = entry.originalSource.startsWith('file://') ? fileURLToPath(entry.originalSource) : join(file, '..', entry.originalSource);
  return { fn: entry.name ?? cf.functionName, where: `${relative(ROOT, source)}:${entry.originalLine + 1}` };
}

/** Self time per frame and per category from a V8 .cpuprofile, from sample `from` (and before it: `beforeMs`). */
function summarise(profile, from = 0) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const deltas = profile.timeDeltas;
  let beforeUs = 0;
  profile.samples.forEach((id, i) => {
    const us = deltas[i + 1] ?? deltas[i] ?? 0;
    if (i < from) beforeUs += us;
    else self.set(id, (self.get(id) ?? 0) + us);
  });
  const frames = new Map();
  const cats = new Map();
  let total = 0;
  for (const [id, us] of self) {
    const cf = byId.get(id).callFrame;
    const special = cf.functionName.startsWith('(') && cf.url === '';
    const mapped = originalFrame(cf);
    // A bundled library is still a dependency: its source map names node_modules/.
    const cat = special ? cf.functionName : mapped?.where.startsWith('node_modules/') ? 'dependencies' : category(cf.url);
    const where = mapped?.where ?? (cf.url ? `${cf.url.startsWith('file://') ? relative(ROOT, new URL(cf.url).pathname) : cf.url}:${cf.lineNumber + 1}` : '');
    const key = `${mapped?.fn || cf.functionName || '(anonymous)'}\t${where}\t${cat}`;
    frames.set(key, (frames.get(key) ?? 0) + us);
    cats.set(cat, (cats.get(cat) ?? 0) + us);
    total += us;
  }
  const top = [...frames].sort((a, b) => b[1] - a[1]).slice(0, 20).map(([k, us]) => {
    const [fn, where, cat] = k.split('\t');
    return { fn, where, cat, ms: us / 1000, share: us / total };
  });
  const idleUs = cats.get('(idle)') ?? 0;
  return { beforeMs: beforeUs / 1000, totalMs: total / 1000, busyMs: (total - idleUs) / 1000, categories: [...cats].sort((a, b) => b[1] - a[1]).map(([c, us]) => ({ c, ms: us / 1000, share: us / total })), top };
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime (fields 14, 15) in clock ticks
}

function markdown(title, s, note) {
  const pct = (x) => `${(x * 100).toFixed(1)}%`;
  const out = [`## ${title}`, '', note, '', `Sampled ${s.totalMs.toFixed(0)} ms.`, '', '| where the time went | ms | share |', '|---|---:|---:|'];
  for (const c of s.categories) out.push(`| ${c.c} | ${c.ms.toFixed(1)} | ${pct(c.share)} |`);
  out.push('', '| top frames (self time) | location | kind | ms | share |', '|---|---|---|---:|---:|');
  for (const f of s.top) out.push(`| \`${f.fn}\` | ${f.where} | ${f.cat} | ${f.ms.toFixed(1)} | ${pct(f.share)} |`);
  return out.join('\n');
}

async function main() {
  const add = spawnSync(process.execPath, [BIN, 'add-role', 'bench', '--roles', join(tmp, 'userlist.txt'), '--password-env', 'PW'], { env: { ...process.env, PW: PASSWORD } });
  if (add.status !== 0) throw new Error(`add-role: ${add.stderr}`);
  writeFileSync(join(tmp, 'select1.sql'), 'SELECT 1;\n');

  const serveDir = join(tmp, 'serve');
  const serve = await startServe(serveDir, 'serve');
  const cpu0 = cpuSeconds(serve.child.pid);
  const bench = spawnSync(pgbench(), ['-n', '-C', '-c', '2', '-j', '2', '-T', String(SECONDS), '-f', join(tmp, 'select1.sql'), '-h', '127.0.0.1', '-p', String(serve.port), '-U', 'bench', 'postgres'], {
    env: { ...process.env, PGPASSWORD: PASSWORD, PGSSLMODE: 'disable' },
    encoding: 'utf8',
  });
  const serveCpu = cpuSeconds(serve.child.pid) - cpu0;
  await stop(serve.child);
  const logins = Number(/number of transactions actually processed: (\d+)/.exec(bench.stdout)?.[1] ?? NaN);
  const serveProfile = newestProfile(serveDir);
  const serveSummary = summarise(serveProfile, firstSampleIn(serveProfile, 'onconnection'));

  const probeDir = join(tmp, 'probe');
  const target = await startServe(null, 'target');
  const probe = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', probeDir, '--cpu-prof-interval', '100', BIN, 'probe', `127.0.0.1:${target.port}`, '-U', 'bench', '--password-env', 'PW'], {
    env: { ...process.env, PW: PASSWORD },
    encoding: 'utf8',
  });
  await stop(target.child);
  if (probe.status !== 0) throw new Error(`probe exited ${probe.status}: ${probe.stderr}`);
  const probeProfile = newestProfile(probeDir);
  const probeSummary = summarise(probeProfile);
  // Everything sampled before the probe's connect() is start-up: Node, module loading, argument parsing.
  const beforeConnect = summarise(probeProfile, firstSampleIn(probeProfile, 'internalConnect')).beforeMs;

  const doc = [
    '# Where the time goes (generated by `npm run profile`; do not edit)',
    '',
    `Node ${process.version}, ${new Date().toISOString().slice(0, 10)}. Kinds: \`pgauth\` is our code (dist/; in the bundle, what its source maps place in src/), \`dependencies\` node_modules (also when bundled), \`node\` Node's own JavaScript (node:*), \`v8\` native frames; \`(program)\` is V8/Node native work outside JavaScript (parsing, compiling, syscalls), \`(garbage collector)\` GC, \`(idle)\` waiting in the event loop.`,
    '',
    markdown(
      'serve under pgbench -C (SCRAM-SHA-256 login + SELECT 1)',
      serveSummary,
      [
        `${SECONDS} s of \`pgbench -n -C -c 2 -j 2\`: ${logins} logins. From the first connection on (start-up, ${serveSummary.beforeMs.toFixed(0)} ms sampled before it, is left out).`,
        `Process CPU (/proc utime + stime) during the run: ${((serveCpu / Math.max(1, logins)) * 1000).toFixed(3)} ms per login, with the profiler on;`,
        `samples not idle: ${(serveSummary.busyMs / Math.max(1, logins)).toFixed(3)} ms per login. The profile samples wall time: a frame that enters the kernel (\`writeBuffer\`, \`close\`) also`,
        'collects the time this process waited while the kernel ran the client it woke (2 cores, 3 busy processes), so its share overstates its CPU.',
      ].join('\n'),
    ),
    '',
    markdown('one probe (SCRAM login to serve)', probeSummary, `A whole \`pgauth probe\` process from start to exit, sampled every 100 µs; ${beforeConnect.toFixed(0)} ms of it before the first connect() (Node's own start, module loading, argument parsing).`),
    '',
  ].join('\n');
  writeFileSync(join(ROOT, 'bench', 'PROFILE.md'), doc);
  process.stdout.write(`${doc}\nprofiles kept in ${tmp}\n`);
}

main().catch((err) => {
  process.stderr.write(`profile: ${err.message}\n`);
  process.exitCode = 1;
});

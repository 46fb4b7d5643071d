#!/usr/bin/env node
// CPU profiles of `pgauth serve` under `pgbench -n -C` (SCRAM logins) and of
// one `pgauth probe`, summarised as where the time goes: the top frames by
// self time and the split between Node's own code, dependencies and ours.
// Writes bench/PROFILE.md (regenerate: `npm run profile`); the raw
// .cpuprofile files stay in a temp folder printed at the end.
//
// Needs pgbench (Debian's postgresql package) and a built dist/.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = new URL('..', import.meta.url).pathname;
const BIN = join(ROOT, 'bin', 'pgauth.js');
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

/** Starts serve (optionally profiled); resolves with its port once its first JSON line says so. */
function startServe(profileDir) {
  const args = [...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []), BIN, 'serve', '--port', '0', '--json', '--roles', join(tmp, 'userlist.txt')];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  const lines = createInterface({ input: child.stdout });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
    lines.once('line', (line) => {
      lines.on('line', () => {}); // keep draining the per-connection log
      resolve({ child, port: JSON.parse(line).port });
    });
  });
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

/** Self time per frame and per category from a V8 .cpuprofile. */
function summarise(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const deltas = profile.timeDeltas;
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (deltas[i + 1] ?? deltas[i] ?? 0)));
  const frames = new Map();
  const cats = new Map();
  let total = 0;
  for (const [id, us] of self) {
    const cf = byId.get(id).callFrame;
    const special = cf.functionName.startsWith('(') && cf.url === '';
    const cat = special ? cf.functionName : category(cf.url);
    const where = cf.url ? `${cf.url.startsWith('file://') ? relative(ROOT, new URL(cf.url).pathname) : cf.url}:${cf.lineNumber + 1}` : '';
    const key = `${cf.functionName || '(anonymous)'}\t${where}\t${cat}`;
    frames.set(key, (frames.get(key) ?? 0) + us);
    cats.set(cat, (cats.get(cat) ?? 0) + us);
    total += us;
  }
  const top = [...frames].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([k, us]) => {
    const [fn, where, cat] = k.split('\t');
    return { fn, where, cat, ms: us / 1000, share: us / total };
  });
  return { totalMs: total / 1000, categories: [...cats].sort((a, b) => b[1] - a[1]).map(([c, us]) => ({ c, ms: us / 1000, share: us / total })), top };
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
  const serve = await startServe(serveDir);
  const bench = spawnSync(pgbench(), ['-n', '-C', '-c', '2', '-j', '2', '-T', String(SECONDS), '-f', join(tmp, 'select1.sql'), '-h', '127.0.0.1', '-p', String(serve.port), '-U', 'bench', 'postgres'], {
    env: { ...process.env, PGPASSWORD: PASSWORD, PGSSLMODE: 'disable' },
    encoding: 'utf8',
  });
  await stop(serve.child);
  const logins = Number(/number of transactions actually processed: (\d+)/.exec(bench.stdout)?.[1] ?? NaN);
  const serveSummary = summarise(newestProfile(serveDir));

  const probeDir = join(tmp, 'probe');
  const target = await startServe(null);
  const probe = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', probeDir, '--cpu-prof-interval', '100', BIN, 'probe', `127.0.0.1:${target.port}`, '-U', 'bench', '--password-env', 'PW'], {
    env: { ...process.env, PW: PASSWORD },
    encoding: 'utf8',
  });
  await stop(target.child);
  if (probe.status !== 0) throw new Error(`probe exited ${probe.status}: ${probe.stderr}`);
  const probeSummary = summarise(newestProfile(probeDir));

  const doc = [
    '# Where the time goes (generated by `npm run profile`; do not edit)',
    '',
    `Node ${process.version}, ${new Date().toISOString().slice(0, 10)}. Kinds: \`pgauth\` is our code (dist/), \`dependencies\` node_modules, \`node\` Node's own JavaScript (node:*), \`v8\` native frames; \`(program)\` is V8/Node native work outside JavaScript (parsing, compiling, syscalls), \`(garbage collector)\` GC, \`(idle)\` waiting in the event loop.`,
    '',
    markdown('serve under pgbench -C (SCRAM-SHA-256 login + SELECT 1)', serveSummary, `${SECONDS} s of \`pgbench -n -C -c 2 -j 2\`: ${logins} logins, so ${(serveSummary.totalMs / Math.max(1, logins)).toFixed(3)} ms sampled per login (idle included).`),
    '',
    markdown('one probe (SCRAM login to serve)', probeSummary, 'A whole `pgauth probe` process from start to exit, sampled every 100 µs.'),
    '',
  ].join('\n');
  writeFileSync(join(ROOT, 'bench', 'PROFILE.md'), doc);
  process.stdout.write(`${doc}\nprofiles kept in ${tmp}\n`);
}

main().catch((err) => {
  process.stderr.write(`profile: ${err.message}\n`);
  process.exitCode = 1;
});

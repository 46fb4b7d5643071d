/**
 * `npm run bench`: the role commands on a 100,000-role file (about 15 MB):
 * wall time and peak RSS of list-roles (table and --json), check-roles,
 * export, add-role, and of `pgauth serve` loading it. Each should take a few
 * seconds at most, with memory a small multiple of the file. Not a test: it
 * prints a report (also written to .bench/roles-big.md).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, it } from 'vitest';
import { PGAUTH_BIN } from '../test/helpers/proc.js';
import { tempDir } from '../test/helpers/tmp.js';
import { buildMd5Secret, buildScramSecret } from '../src/secrets/index.js';

const ROLES = Number(process.env.BENCH_ROLES ?? 100_000);
const lines: string[] = [];
function out(line = ''): void {
  lines.push(line);
  process.stdout.write(line + '\n');
}
const tmp = tempDir('pgauth-bench-roles-');
afterAll(() => {
  tmp.remove();
  mkdirSync('.bench', { recursive: true });
  writeFileSync('.bench/roles-big.md', lines.join('\n') + '\n');
});

/** Writes the peak RSS (getrusage maxrss, KiB) and CPU µs of the process into $PGAUTH_MAXRSS_FILE at exit. */
const PRELOAD = join(tmp.path, 'maxrss.cjs');
writeFileSync(
  PRELOAD,
  "process.on('exit', () => { const u = process.resourceUsage(); require('node:fs').writeFileSync(process.env.PGAUTH_MAXRSS_FILE, u.maxRSS + ' ' + (u.userCPUTime + u.systemCPUTime)); });\n",
);

interface Measure {
  ms: number;
  /** user + system CPU (the machine is shared: wall time includes waiting for a core). */
  cpuMs?: number;
  rssMiB: number;
}

/** One run of pgauth: wall ms, CPU ms and peak RSS in MiB; stdout is drained and dropped. */
function measured(args: string[], input = ''): Promise<Measure> {
  const rssFile = join(tmp.path, 'maxrss.txt');
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, ['-r', PRELOAD, PGAUTH_BIN, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', PGAUTH_MAXRSS_FILE: rssFile },
    });
    let err = '';
    child.stdout.resume();
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0) return reject(new Error(`pgauth ${args.join(' ')} exited ${code}: ${err}`));
      const [rss, cpu] = readFileSync(rssFile, 'utf8').split(' ').map(Number);
      resolve({ ms, cpuMs: cpu! / 1000, rssMiB: rss! / 1024 });
    });
    child.stdin.end(input);
  });
}

/** `pgauth serve` from spawn to its listening line (the roles are loaded before it), and its RSS then. */
function serveLoad(roles: string): Promise<Measure> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [PGAUTH_BIN, 'serve', '--port', '0', '--log-format', 'json', '--roles', roles, '--no-watch'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => code !== null && code !== 0 && reject(new Error(`serve exited ${code}: ${err}`)));
    createInterface({ input: child.stdout }).once('line', () => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      child.once('exit', () => resolve({ ms, rssMiB: Number(hwm?.[1]) / 1024 }));
      child.kill('SIGTERM');
    });
  });
}

function roleFile(path: string): void {
  const scram = buildScramSecret('pencil');
  const parts: string[] = ['; bench: generated role file'];
  for (let i = 0; i < ROLES; i++) {
    const secret = i % 10 === 0 ? buildMd5Secret('pw', `user${i}`) : scram;
    parts.push(`"user${i}" "${secret}"${i % 7 === 0 ? ' valid-until=2030-01-01T00:00:00Z conn-limit=3 member-of=readers' : ''}`);
  }
  writeFileSync(path, parts.join('\n') + '\n', { mode: 0o600 });
}

describe(`role commands on a ${ROLES}-role file`, () => {
  it('wall time and peak RSS per command', async () => {
    const file = join(tmp.path, 'userlist.txt');
    roleFile(file);
    const mib = statSync(file).size / 1024 / 1024;
    const bare = await measured(['--version']);
    out(`## Role commands on a ${ROLES}-role file (${mib.toFixed(1)} MiB), one run each`);
    out('| command | wall s | CPU s | peak RSS MiB | (RSS - floor) / file size |');
    out('|---|---|---|---|---|');
    const cpu = (m: Measure) => (m.cpuMs === undefined ? 'n/a' : (m.cpuMs / 1000).toFixed(2));
    out(`| pgauth --version (floor) | ${(bare.ms / 1000).toFixed(2)} | ${cpu(bare)} | ${bare.rssMiB.toFixed(0)} | |`);
    const row = (what: string, m: Measure) =>
      out(`| ${what} | ${(m.ms / 1000).toFixed(2)} | ${cpu(m)} | ${m.rssMiB.toFixed(0)} | ${((m.rssMiB - bare.rssMiB) / mib).toFixed(1)}x |`);
    row('list-roles (table)', await measured(['list-roles', '--roles', file]));
    row('list-roles --json', await measured(['list-roles', '--json', '--roles', file]));
    row('check-roles', await measured(['check-roles', '--roles', file]));
    row('export --format userlist', await measured(['export', '--roles', file]));
    const copy = join(tmp.path, 'add.txt');
    copyFileSync(file, copy);
    row('add-role (scram-sha-256)', await measured(['add-role', 'newcomer', '--roles', copy, '--password-stdin'], 'pencil\n'));
    row('serve: start-up to listening (roles loaded)', await serveLoad(file));
    out();
    out('Target: each a few seconds at most (2-core machine), memory a small multiple of the file.');
    out();
  });
});

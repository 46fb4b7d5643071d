/** Small measuring tools for the bench: wall-clock medians, /proc CPU and memory. */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Wall time of one run of a command, in ms (stdin from `input`). */
export function timeOnce(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['pipe', 'ignore', 'ignore'], env: opts.env ?? process.env });
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`));
      else resolve(ms);
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** One command of interleavedMedians. */
export interface Timed {
  cmd: string;
  args: string[];
  opts?: { input?: string; env?: NodeJS.ProcessEnv };
}

/**
 * Median wall time of each command over `runs` rounds, after one warm-up
 * round; each round runs every command once, in turn, so a change in the
 * machine's load touches all of them alike (a shared, noisy machine).
 */
export async function interleavedMedians(commands: readonly Timed[], runs = 15): Promise<number[]> {
  const xs = commands.map((): number[] => []);
  for (let round = -1; round < runs; round++) {
    for (const [i, c] of commands.entries()) {
      const ms = await timeOnce(c.cmd, c.args, c.opts);
      if (round >= 0) xs[i]!.push(ms);
    }
  }
  return xs.map(median);
}

const CLK_TCK = 100; // sysconf(_SC_CLK_TCK) on Linux

/** CPU seconds of a process: utime+stime, plus its reaped children's (cutime+cstime) if asked. */
export function cpuSeconds(pid: number, withChildren = false): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime=14, stime=15, cutime=16, cstime=17 (1-based)
  const at = (n: number) => Number(fields[n - 3]);
  let ticks = at(14) + at(15);
  if (withChildren) ticks += at(16) + at(17);
  return ticks / CLK_TCK;
}

/** Resident set size of a process, in KiB. */
export function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/** Proportional set size of a process, in KiB (shared pages divided among sharers). */
export function pssKiB(pid: number): number {
  const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/** Direct children of a process. */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(d));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

export const ratio = (a: number, b: number) => (b === 0 ? 'n/a' : `${(a / b).toFixed(2)}x`);

/**
 * What the machine has, and the rule for what is missing: a visible skip on a
 * contributor's laptop, a failure under CI=true (a missing dependency in CI
 * must never turn into a green run).
 */
import { existsSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'vitest';

export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

/** The newest installed PostgreSQL server's bin directory, or undefined. */
export function pgBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v) && existsSync(`${root}/${v}/bin/initdb`))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? `${root}/${versions[0]}/bin` : undefined;
}

export function pgMajorVersion(): number | undefined {
  const bin = pgBinDir();
  return bin ? Number(bin.split('/').at(-2)) : undefined;
}

export function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/bin', '/sbin'])) {
    if (dir && existsSync(`${dir}/${cmd}`)) return `${dir}/${cmd}`;
  }
  return undefined;
}

export const IS_ROOT = process.getuid?.() === 0;

/** Why PostgreSQL tests cannot run here, or undefined when they can. */
export function pgMissing(): string | undefined {
  if (!pgBinDir()) return 'PostgreSQL server binaries not found under /usr/lib/postgresql/<ver>/bin (apt-get install postgresql)';
  if (IS_ROOT) {
    try {
      execFileSync('id', ['postgres'], { stdio: 'ignore' });
    } catch {
      return 'running as root but there is no postgres user to run initdb as';
    }
  }
  return undefined;
}

export function pgbouncerMissing(): string | undefined {
  return which('pgbouncer') ? undefined : 'pgbouncer not installed (apt-get install pgbouncer)';
}

/**
 * describe() that skips with a visible reason when a dependency is missing,
 * and fails instead under CI.
 */
export function describeWith(missing: string | undefined, name: string, fn: () => void): void {
  if (missing === undefined) {
    describe(name, fn);
  } else if (IN_CI) {
    describe(name, () => {
      throw new Error(`CI=true but a dependency is missing: ${missing}`);
    });
  } else {
    describe.skip(`${name} [skipped: ${missing}]`, fn);
  }
}

/** it() with describeWith's rule: a visible skip with the reason on a laptop, a failure under CI. */
export function itWith(missing: string | undefined, name: string, fn: () => unknown, timeout?: number): void {
  if (missing === undefined) it(name, fn, timeout);
  else if (IN_CI) it(name, () => {
    throw new Error(`CI=true but a dependency is missing: ${missing}`);
  });
  else it.skip(`${name} [skipped: ${missing}]`, fn);
}

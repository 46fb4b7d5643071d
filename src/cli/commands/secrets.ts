/**
 * `pgauth verifier`: print the SCRAM-SHA-256 verifier (or md5 hash) that
 * PostgreSQL would store for a password (SPEC §2). Commander wiring and flag
 * checks here; the work is in src/secrets, loaded lazily.
 */
import type { Command } from 'commander';
import { globalOptions, printJson, warn } from '../context.js';
import { usageError } from '../errors.js';
import { addPasswordOptions, readPassword, type PasswordFlags } from '../password.js';
import { PG_MAX_NAME_BYTES, nameTooLong } from '../../roles/name.js';

interface VerifierFlags extends PasswordFlags {
  method: string;
  iterations?: string;
  salt?: string;
  user?: string;
  sql?: string;
  json?: boolean;
}

/** Largest count PostgreSQL accepts (scram_iterations is an int). */
const MAX_ITERATIONS = 2147483647;

/** PostgreSQL's default scram_iterations: fewer makes a stolen verifier cheaper to crack. */
export const PG_DEFAULT_ITERATIONS = 4096;

/**
 * --iterations N: a whole number from 1 to PostgreSQL's maximum; below
 * PostgreSQL's default it is allowed (PostgreSQL allows it too) with a warning.
 */
export function parseIterations(value: string): number {
  if (!/^[0-9]+$/.test(value.trim()) || Number(value) < 1 || Number(value) > MAX_ITERATIONS) {
    throw usageError(`--iterations: "${value}" is not a whole number from 1 to ${MAX_ITERATIONS}`);
  }
  const n = Number(value);
  if (n < PG_DEFAULT_ITERATIONS) {
    warn(`--iterations ${n} is below PostgreSQL's default of ${PG_DEFAULT_ITERATIONS}: a stolen verifier is ${Math.round(PG_DEFAULT_ITERATIONS / n)} times cheaper to crack`);
  }
  return n;
}

export interface VerifierOptions {
  method: 'scram-sha-256' | 'md5';
  iterations?: number;
  salt?: Buffer;
  user?: string;
  sqlRole?: string;
}

/** Checks the flags of `verifier`; every problem is a usage error naming the flag. */
export function parseVerifierFlags(flags: VerifierFlags): VerifierOptions {
  const method = flags.method === 'scram' ? 'scram-sha-256' : flags.method;
  if (method !== 'scram-sha-256' && method !== 'md5') {
    throw usageError(`--method: "${flags.method}" is not one of scram-sha-256, md5`);
  }
  const opts: VerifierOptions = { method };
  if (flags.iterations !== undefined) {
    if (method !== 'scram-sha-256') throw usageError('--iterations applies only to --method scram-sha-256');
    opts.iterations = parseIterations(flags.iterations);
  }
  if (flags.salt !== undefined) {
    if (method !== 'scram-sha-256') throw usageError('--salt applies only to --method scram-sha-256');
    if (flags.salt === '' || !/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(flags.salt)) {
      throw usageError(`--salt: "${flags.salt}" is not non-empty standard base64 (with = padding)`);
    }
    opts.salt = Buffer.from(flags.salt, 'base64');
  }
  for (const [flag, value] of [['--user', flags.user], ['--sql', flags.sql]] as const) {
    if (value === undefined) continue;
    if (value === '') throw usageError(`${flag}: the role name is empty`);
    if (value.includes('\0')) throw usageError(`${flag}: the role name contains a NUL character`);
    if (nameTooLong(value)) {
      warn(`${flag}: "${value}" is longer than ${PG_MAX_NAME_BYTES} bytes; PostgreSQL truncates role names to that length`);
    }
  }
  if (method === 'md5') {
    // The md5 hash is bound to the role name: default it to the --sql role, refuse a contradiction.
    const user = flags.user ?? flags.sql;
    if (user === undefined) throw usageError('--method md5 needs --user NAME (the hash includes the role name)');
    if (flags.sql !== undefined && flags.user !== undefined && flags.sql !== flags.user) {
      throw usageError(`--user "${flags.user}" and --sql "${flags.sql}" differ: an md5 hash works only for the role it was made with`);
    }
    opts.user = user;
  } else if (flags.user !== undefined) {
    throw usageError('--user applies only to --method md5 (a SCRAM verifier does not depend on the role name)');
  }
  if (flags.sql !== undefined) opts.sqlRole = flags.sql;
  return opts;
}

/** From this many SCRAM iterations on, a terminal gets a progress line (about half a second and up here). */
export const PROGRESS_ITERATIONS = 1_000_000;

/**
 * Runs slow work with a live "computing ... N s" line on stderr when stderr
 * is a terminal (SPEC §0: progress on a TTY, quiet when piped); the line is
 * erased when the work ends.
 */
export async function withProgress<T>(label: string, work: () => Promise<T>): Promise<T> {
  if (process.stderr.isTTY !== true) return work();
  const started = Date.now();
  const draw = (): void => {
    process.stderr.write(`\r\x1b[Kpgauth: ${label} ${Math.floor((Date.now() - started) / 1000)} s`);
  };
  draw();
  const timer = setInterval(draw, 250);
  try {
    return await work();
  } finally {
    clearInterval(timer);
    process.stderr.write('\r\x1b[K');
  }
}

export function register(program: Command): void {
  const cmd = program
    .command('verifier')
    .description("print the secret PostgreSQL stores for a password (SCRAM-SHA-256 verifier or md5 hash)")
    .option('--method <METHOD>', 'scram-sha-256 or md5', 'scram-sha-256')
    .option('--iterations <N>', 'SCRAM iteration count (default 4096)')
    .option('--salt <BASE64>', 'SCRAM salt, base64 (default 16 random bytes); for reproducible output')
    .option('--user <NAME>', 'role name (md5 only: the hash includes it)')
    .option('--sql <ROLE>', `print ALTER ROLE "ROLE" PASSWORD '...'; instead of the bare secret`);
  addPasswordOptions(cmd);
  cmd.option('--json', 'print {secret, method, iterations, salt, user, sql} as one JSON document');
  cmd.action(async function (this: Command, flags: VerifierFlags) {
    const g = globalOptions(this);
    const opts = parseVerifierFlags(flags);
    const password = await readPassword(flags, { confirm: true, input: g.input, message: 'Password:' });
    if (password === '') throw usageError('the password is empty: PostgreSQL treats PASSWORD \'\' as "no password"');
    // libpq and PostgreSQL handle passwords as C strings: nobody could ever send the bytes after a NUL.
    if (password.includes('\0')) throw usageError('the password contains a NUL byte, which no PostgreSQL client can send');
    const { makeVerifier, makeVerifierAsync } = await import('../../secrets/verifier.js');
    const slow = opts.method === 'scram-sha-256' && (opts.iterations ?? 0) >= PROGRESS_ITERATIONS;
    const result = slow
      ? await withProgress(`computing the SCRAM-SHA-256 verifier (${opts.iterations} iterations)`, () => makeVerifierAsync({ password, ...opts }))
      : makeVerifier({ password, ...opts });
    if (g.json || flags.json) printJson(result);
    else process.stdout.write(`${result.sql ?? result.secret}\n`);
  });
}

/** `pgauth verifier`: flag checks, then the secret from src/secrets. */
import type { Command } from 'commander';
import { globalOptions, printJson, warn } from '../context.js';
import { usageError } from '../errors.js';
import { parseIterations } from '../flags.js';
import { readPassword, type PasswordFlags } from '../password.js';
import { PROGRESS_ITERATIONS, withProgress } from '../progress.js';
import { PG_MAX_NAME_BYTES, nameTooLong } from '../../roles/name.js';
import { makeVerifier, makeVerifierAsync } from '../../secrets/verifier.js';

interface VerifierFlags extends PasswordFlags {
  method: string;
  iterations?: string;
  salt?: string;
  user?: string;
  sql?: string;
  json?: boolean;
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

export async function run(flags: VerifierFlags, cmd: Command): Promise<void> {
  const g = globalOptions(cmd);
  const opts = parseVerifierFlags(flags);
  const password = await readPassword(flags, { confirm: true, input: g.input, message: 'Password:' });
  if (password === '') throw usageError('the password is empty: PostgreSQL treats PASSWORD \'\' as "no password"');
  // libpq and PostgreSQL handle passwords as C strings: nobody could ever send the bytes after a NUL.
  if (password.includes('\0')) throw usageError('the password contains a NUL byte, which no PostgreSQL client can send');
  const slow = opts.method === 'scram-sha-256' && (opts.iterations ?? 0) >= PROGRESS_ITERATIONS;
  const result = slow
    ? await withProgress(`computing the SCRAM-SHA-256 verifier (${opts.iterations} iterations)`, () => makeVerifierAsync({ password, ...opts }))
    : makeVerifier({ password, ...opts });
  if (g.json || flags.json) printJson(result);
  else process.stdout.write(`${result.sql ?? result.secret}\n`);
}

/**
 * The secret add-role and passwd store: a ready one from --secret
 * (validated; checked against the password when one is given too), else
 * built from the password.
 */
import { usageError } from '../../errors.js';
import { warn, type GlobalOptions } from '../../context.js';
import { parseIterations } from '../../flags.js';
import { readPassword, type PasswordFlags } from '../../password.js';
import { PROGRESS_ITERATIONS, withProgress } from '../../progress.js';
import * as secrets from '../../../secrets/index.js';
import type { SecretFlags, SecretMethod } from './options.js';

export const hasPasswordSource = (f: PasswordFlags): boolean => f.passwordStdin === true || f.passwordEnv !== undefined || f.password !== undefined;

const PLAINTEXT_WARNING = 'storing a plaintext password: anyone who reads the role file can log in (prefer scram-sha-256)';

export async function secretFromFlags(name: string, flags: SecretFlags, g: GlobalOptions): Promise<string> {
  const method: SecretMethod = flags.method ?? 'scram-sha-256';
  if (flags.iterations !== undefined && method !== 'scram-sha-256') throw usageError('--iterations: only for --method scram-sha-256');
  const iterations = flags.iterations !== undefined ? parseIterations(flags.iterations) : undefined;
  if (flags.secret !== undefined) {
    if (iterations !== undefined) throw usageError('--iterations: not with --secret (a ready secret keeps its own iteration count)');
    return readySecret(name, flags.secret, flags, g);
  }
  const password = await readPasswordFor(name, flags, g, true);
  switch (method) {
    case 'scram-sha-256': {
      if (iterations === undefined) return secrets.buildScramSecret(password);
      if (iterations < PROGRESS_ITERATIONS) return secrets.buildScramSecret(password, { iterations });
      return withProgress(`computing the SCRAM-SHA-256 verifier (${iterations} iterations)`, () => secrets.buildScramSecretAsync(password, { iterations }));
    }
    case 'md5':
      warn('md5 is deprecated in PostgreSQL; prefer scram-sha-256');
      return secrets.buildMd5Secret(password, name);
    case 'plain':
      warn(PLAINTEXT_WARNING);
      return password;
  }
}

/** --secret S: a well-formed secret of the --method asked for, matching the password when one is given. */
async function readySecret(name: string, s: string, flags: SecretFlags, g: GlobalOptions): Promise<string> {
  const method: SecretMethod = flags.method ?? 'scram-sha-256';
  if (s === '') throw usageError('--secret: empty (a role with an empty secret can never log in)');
  const malformed = secrets.malformedSecretReason(s);
  if (malformed) throw usageError(`--secret: ${malformed}`);
  const parsed = secrets.parseSecret(s);
  if (parsed.kind === 'plain' && method !== 'plain') {
    throw usageError('--secret: not a SCRAM-SHA-256 verifier (SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>) or an md5 hash (md5 + 32 hex); for a plaintext password use --method plain');
  }
  if (flags.method !== undefined && parsed.kind !== method) throw usageError(`--secret: it is a ${parsed.kind} secret, not ${method}`);
  if (parsed.kind === 'plain') warn(PLAINTEXT_WARNING);
  // Like --password: an md5 hash (or a plain password) is enough to log in, and argv is visible to other users.
  if (parsed.kind !== 'scram-sha-256') warn(`--secret puts ${parsed.kind === 'md5' ? 'an md5 hash, which logs in like the password itself under md5 auth,' : 'a password'} on the command line, where other users can see it`);
  if (hasPasswordSource(flags)) {
    const password = await readPasswordFor(name, flags, g, false);
    if (!secrets.verifyPassword(password, parsed, name)) {
      const why = parsed.kind === 'md5' ? ` (md5 is salted with the role name: is it the secret of a renamed role?)` : '';
      throw usageError(`--secret: the secret does not match the given password for role ${JSON.stringify(name)}${why}`);
    }
  }
  return s;
}

async function readPasswordFor(name: string, flags: PasswordFlags, g: GlobalOptions, confirm: boolean): Promise<string> {
  const password = await readPassword(flags, { confirm, input: g.input, message: `Password for ${name}:` });
  if (password === '') throw usageError('empty password: PostgreSQL clients never send one and PgBouncer refuses it');
  if (password.includes('\0')) throw usageError('the password contains a NUL byte, which no PostgreSQL client can send');
  return password;
}

/**
 * `pgauth verifier`: the secret PostgreSQL would store for a password, with
 * an optional ready ALTER ROLE statement. Pure: the CLI reads the password.
 */
import { SCRAM_DEFAULT_ITERATIONS, SCRAM_DEFAULT_SALT_LEN } from '../scram/keys.js';
import { randomBytes } from 'node:crypto';
import { buildMd5Secret, buildScramSecret, buildScramSecretAsync } from './index.js';
import { alterRolePasswordSql } from './sql.js';

export type VerifierMethod = 'scram-sha-256' | 'md5';

export interface VerifierRequest {
  password: string;
  method: VerifierMethod;
  /** scram-sha-256 only; default 4096. */
  iterations?: number;
  /** scram-sha-256 only; default 16 random bytes. */
  salt?: Buffer;
  /** md5 only: the role name the hash is bound to. */
  user?: string;
  /** Also produce `ALTER ROLE "<sqlRole>" PASSWORD '<secret>';`. */
  sqlRole?: string;
}

/** The JSON document of `pgauth verifier --json`. */
export interface VerifierResult {
  secret: string;
  method: VerifierMethod;
  /** null for md5. */
  iterations: number | null;
  /** base64; null for md5. */
  salt: string | null;
  /** The role an md5 hash is bound to; null for scram-sha-256. */
  user: string | null;
  /** The ALTER ROLE statement when asked for, else null. */
  sql: string | null;
}

export function makeVerifier(req: VerifierRequest): VerifierResult {
  return make(req, buildScramSecret);
}

/** makeVerifier with the SCRAM key derivation off the main thread (so a caller can show progress). */
export async function makeVerifierAsync(req: VerifierRequest): Promise<VerifierResult> {
  if (req.method === 'md5') return makeVerifier(req);
  const iterations = req.iterations ?? SCRAM_DEFAULT_ITERATIONS;
  const salt = req.salt ?? randomBytes(SCRAM_DEFAULT_SALT_LEN);
  const secret = await buildScramSecretAsync(req.password, { iterations, salt });
  return make({ ...req, iterations, salt }, () => secret);
}

function make(req: VerifierRequest, scram: (password: string, opts: { iterations: number; salt: Buffer }) => string): VerifierResult {
  let result: Omit<VerifierResult, 'sql'>;
  if (req.method === 'md5') {
    if (req.user === undefined) throw new RangeError('md5 needs the role name');
    result = { secret: buildMd5Secret(req.password, req.user), method: 'md5', iterations: null, salt: null, user: req.user };
  } else {
    const iterations = req.iterations ?? SCRAM_DEFAULT_ITERATIONS;
    const salt = req.salt ?? randomBytes(SCRAM_DEFAULT_SALT_LEN);
    result = {
      secret: scram(req.password, { iterations, salt }),
      method: 'scram-sha-256',
      iterations,
      salt: salt.toString('base64'),
      user: null,
    };
  }
  return { ...result, sql: req.sqlRole === undefined ? null : alterRolePasswordSql(req.sqlRole, result.secret) };
}

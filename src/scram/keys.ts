import { createHash, createHmac, pbkdf2, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import { preparePassword } from './saslprep.js';

/** SCRAM_KEY_LEN (scram-common.h): SHA-256 output. */
export const SCRAM_KEY_LEN = 32;
/** SCRAM_DEFAULT_SALT_LEN. */
export const SCRAM_DEFAULT_SALT_LEN = 16;
/** SCRAM_SHA_256_DEFAULT_ITERATIONS. */
export const SCRAM_DEFAULT_ITERATIONS = 4096;
/** SCRAM_RAW_NONCE_LEN: nonces are base64 of 18 random bytes (24 chars). */
export const SCRAM_RAW_NONCE_LEN = 18;

export const hmac = (key: Buffer, data: string | Buffer): Buffer => createHmac('sha256', key).update(data).digest();
export const sha256 = (data: string | Buffer): Buffer => createHash('sha256').update(data).digest();

export function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** Length-checked constant-time equality. */
export function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

/** SaltedPassword := Hi(Normalize(password), salt, i) = PBKDF2-HMAC-SHA-256 (RFC 5802 §3). */
export function saltedPassword(password: string, salt: Buffer, iterations: number): Buffer {
  return saltedPasswordFromBytes(preparePassword(password), salt, iterations);
}

export function saltedPasswordFromBytes(prepared: Buffer, salt: Buffer, iterations: number): Buffer {
  if (!Number.isSafeInteger(iterations) || iterations < 1) throw new RangeError(`invalid SCRAM iteration count ${iterations}`);
  return pbkdf2Sync(prepared, salt, iterations, SCRAM_KEY_LEN, 'sha256');
}

/**
 * A saltedPassword that derives each (password, salt, iterations) once and
 * remembers the last `limit` results: one run of the probe over many targets
 * that share a server (or a PgBouncer's role file) pays for PBKDF2 once,
 * not once per target. The key is a SHA-256 over the three, so the map holds
 * no password text; a result is as secret as the password and lives only as
 * long as the process.
 */
export function memoizedSaltedPassword(
  limit = 16,
  derive: (password: string, salt: Buffer, iterations: number) => Buffer = saltedPassword,
): (password: string, salt: Buffer, iterations: number) => Buffer {
  const known = new Map<string, Buffer>();
  return (password, salt, iterations) => {
    // Each part length-prefixed: no two triples (the salt is the server's choice) share a key.
    const text = Buffer.from(password, 'utf8');
    const key = createHash('sha256').update(`${text.length}:`).update(text).update(`${salt.length}:`).update(salt).update(`${iterations}`).digest('base64');
    let salted = known.get(key);
    if (!salted) {
      salted = derive(password, salt, iterations);
      if (known.size >= limit) known.delete(known.keys().next().value!);
      known.set(key, salted);
    }
    return salted;
  };
}

/**
 * saltedPassword off the main thread (libuv's pool), for callers that want
 * the event loop free meanwhile, e.g. to show progress for a high count.
 */
export function saltedPasswordAsync(password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  if (!Number.isSafeInteger(iterations) || iterations < 1) return Promise.reject(new RangeError(`invalid SCRAM iteration count ${iterations}`));
  return new Promise((resolve, reject) =>
    pbkdf2(preparePassword(password), salt, iterations, SCRAM_KEY_LEN, 'sha256', (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export const clientKeyOf = (salted: Buffer): Buffer => hmac(salted, 'Client Key');
export const serverKeyOf = (salted: Buffer): Buffer => hmac(salted, 'Server Key');
export const storedKeyOf = (clientKey: Buffer): Buffer => sha256(clientKey);

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

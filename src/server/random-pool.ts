/**
 * Random bytes for the login path (the SCRAM server nonce, the md5 salt, the
 * cancel key) cut from a pool refilled 4 KiB at a time, as Node's own
 * randomUUID() caches: one call into OpenSSL per hundred or so logins instead
 * of two per login. Every byte is handed out once.
 */
import { randomBytes } from 'node:crypto';

const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let used = 0;

/** `n` cryptographically random bytes, never handed out before. */
export function pooledRandomBytes(n: number): Buffer {
  if (n > POOL_BYTES / 8) return randomBytes(n);
  if (used + n > pool.length) {
    pool = randomBytes(POOL_BYTES);
    used = 0;
  }
  const out = pool.subarray(used, used + n);
  used += n;
  return out;
}

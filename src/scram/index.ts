/**
 * SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL implements it: the key
 * math, SASLprep with PostgreSQL's fallback, tls-server-end-point channel
 * binding, and client and server state machines with injectable nonces.
 * Pure: no sockets, no files.
 */
import { SCRAM_DEFAULT_SALT_LEN, SCRAM_KEY_LEN, sha256 } from './keys.js';
import { mockSecrets } from './server.js';
import type { ScramSecret } from './secret.js';

export { ScramError, type ScramErrorCode, type ScramStep } from './errors.js';
export { preparePassword } from './saslprep.js';
export {
  saltedPassword,
  memoizedSaltedPassword,
  clientKeyOf,
  serverKeyOf,
  storedKeyOf,
  SCRAM_KEY_LEN,
  SCRAM_DEFAULT_SALT_LEN,
  SCRAM_DEFAULT_ITERATIONS,
  SCRAM_RAW_NONCE_LEN,
  hmac,
  sha256,
  xor,
  constantTimeEqual,
} from './keys.js';
export { tlsServerEndPoint, certificateSignatureDigest, certificateSignatureAlgorithmName } from './channel-binding.js';
export {
  createScramClient,
  gs2Header,
  channelBindingAttr,
  DEFAULT_MAX_ITERATIONS,
  type ChannelBinding,
  type ScramClient,
  type ScramMechanism,
} from './client.js';
export { createScramServer, type ScramServer, type ScramServerOptions } from './server.js';

/** MOCK_AUTH_NONCE_LEN: PostgreSQL keeps 32 random bytes in pg_control. */
export const MOCK_AUTH_NONCE_LEN = 32;

/**
 * PostgreSQL's mock for an unknown role (scram_mock_salt, mock_scram_secret):
 * salt = first 16 bytes of sha256(user ‖ mockNonce), the given iterations,
 * zero keys; an exchange with it always fails at the proof.
 */
export function mockScramSecret(user: string, mockNonce: Buffer, iterations: number): ScramSecret {
  const salt = sha256(Buffer.concat([Buffer.from(user, 'utf8'), mockNonce])).subarray(0, SCRAM_DEFAULT_SALT_LEN);
  const zero = Buffer.alloc(SCRAM_KEY_LEN);
  const secret: ScramSecret = {
    kind: 'scram-sha-256',
    text: `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${zero.toString('base64')}:${zero.toString('base64')}`,
    iterations,
    salt: Buffer.from(salt),
    storedKey: zero,
    serverKey: Buffer.from(zero),
  };
  mockSecrets.add(secret);
  return secret;
}

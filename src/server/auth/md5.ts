/**
 * md5: AuthenticationMD5Password with a random 4-byte salt when the role's
 * secret is md5 (or plaintext, as PgBouncer allows); SCRAM when it is a
 * SCRAM verifier or there is no usable secret, exactly as PostgreSQL's
 * CheckPWChallengeAuth does with password_encryption = scram-sha-256.
 */
import { timingSafeEqual } from 'node:crypto';
import { buildMd5Secret, md5SaltedResponse } from '../../secrets/index.js';
import { fatal, passwordFailed } from '../errors.js';
import { pooledRandomBytes } from '../random-pool.js';
import { scramExchange } from './scram.js';
import { roleSecret, secretProblem } from './secret.js';
import { type AuthContext, type AuthExchange, type AuthStep } from './types.js';
import { PG_MAX_AUTH_TOKEN_LENGTH } from '../../protocol/limits.js';

export function md5Exchange(ctx: AuthContext): AuthExchange {
  const user = ctx.facts.user;
  if (secretProblem(ctx)) return scramExchange(ctx);
  const secret = roleSecret(ctx.role!);
  if (secret.kind === 'scram-sha-256') return scramExchange(ctx);
  const stored = secret.kind === 'md5' ? secret.text : buildMd5Secret(secret.text, user);
  const salt = pooledRandomBytes(4);
  return {
    method: 'md5',
    start: (): AuthStep => ({ kind: 'continue', send: [{ type: 'AuthenticationMD5Password', salt }], expect: 'password', maxLength: PG_MAX_AUTH_TOKEN_LENGTH + 4 }),
    respond(msg): AuthStep {
      if (msg.type !== 'PasswordMessage') throw new Error('expected PasswordMessage');
      if (msg.password === '') return { kind: 'fail', error: fatal('28P01', 'empty password returned by client') };
      // What the client should answer, compared in constant time.
      const expected = Buffer.from(md5SaltedResponse(stored, salt));
      const got = Buffer.from(msg.password);
      const ok = got.length === expected.length && timingSafeEqual(got, expected);
      if (!ok) return { kind: 'fail', error: passwordFailed(user, `Password does not match for user "${user}".`) };
      return { kind: 'ok', send: [], identity: user };
    },
  };
}

/**
 * password: AuthenticationCleartextPassword, then the stored secret checks
 * the password (CheckPasswordAuth, plain_crypt_verify): SCRAM via ServerKey,
 * md5 via the salted hash, a plaintext secret (PgBouncer's userlist) directly.
 *
 * Unlike PostgreSQL, a role with no usable secret (unknown, no password,
 * expired) is not refused at once: the password is run through a mock SCRAM
 * verifier at the server's iteration count, on the same path (inline or the
 * thread pool) as a real one, so the time of a failure does not tell whether
 * the role exists. PostgreSQL answers an unknown role several times faster.
 */
import { mockScramSecret } from '../../scram/index.js';
import { INLINE_PBKDF2_ITERATIONS, verifyPassword, verifyPasswordAsync, type Secret } from '../../secrets/index.js';
import { fatal, passwordFailed } from '../errors.js';
import { type AuthContext, type AuthExchange, type AuthStep } from './types.js';
import { PG_MAX_AUTH_TOKEN_LENGTH } from '../../protocol/limits.js';
import { roleSecret, secretProblem } from './secret.js';

/** The secret to check the password against, and why it cannot match (log detail) when it is a mock. */
export function passwordSecretFor(ctx: AuthContext): { secret: Secret; doomed?: string } {
  const problem = secretProblem(ctx);
  if (problem) return { secret: mockScramSecret(ctx.facts.user, ctx.mockNonce, ctx.iterations), doomed: problem };
  return { secret: roleSecret(ctx.role!) };
}

export function passwordExchange(ctx: AuthContext, method = 'password'): AuthExchange {
  const user = ctx.facts.user;
  return {
    method,
    start: (): AuthStep => ({ kind: 'continue', send: [{ type: 'AuthenticationCleartextPassword' }], expect: 'password', maxLength: PG_MAX_AUTH_TOKEN_LENGTH + 4 }),
    respond(msg): AuthStep | Promise<AuthStep> {
      if (msg.type !== 'PasswordMessage') throw new Error('expected PasswordMessage');
      if (msg.password === '') return { kind: 'fail', error: fatal('28P01', 'empty password returned by client') };
      const { secret, doomed } = passwordSecretFor(ctx);
      // A mock verifier never matches (its keys are zeros); the work is done anyway.
      const answer = (ok: boolean): AuthStep =>
        ok && doomed === undefined
          ? { kind: 'ok', send: [], identity: user }
          : { kind: 'fail', error: passwordFailed(user, doomed ?? `Password does not match for user "${user}".`) };
      // A costly SCRAM secret is checked off the event loop; everything else inline.
      if (secret.kind === 'scram-sha-256' && secret.iterations > INLINE_PBKDF2_ITERATIONS) {
        return verifyPasswordAsync(msg.password, secret, user).then(answer);
      }
      return answer(verifyPassword(msg.password, secret, user));
    },
  };
}

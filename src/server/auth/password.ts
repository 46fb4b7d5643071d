/**
 * password: AuthenticationCleartextPassword, then the stored secret checks
 * the password (CheckPasswordAuth, plain_crypt_verify): SCRAM via ServerKey,
 * md5 via the salted hash, a plaintext secret (PgBouncer's userlist) directly.
 */
import { INLINE_PBKDF2_ITERATIONS, parseSecret, verifyPassword, verifyPasswordAsync } from '../../secrets/index.js';
import { fatal, passwordFailed } from '../errors.js';
import { MAX_AUTH_TOKEN_LENGTH, type AuthContext, type AuthExchange, type AuthStep } from './types.js';
import { secretProblem } from './secret.js';

export function passwordExchange(ctx: AuthContext, method = 'password'): AuthExchange {
  const user = ctx.facts.user;
  return {
    method,
    start: (): AuthStep => ({ kind: 'continue', send: [{ type: 'AuthenticationCleartextPassword' }], expect: 'password', maxLength: MAX_AUTH_TOKEN_LENGTH + 4 }),
    respond(msg): AuthStep | Promise<AuthStep> {
      if (msg.type !== 'PasswordMessage') throw new Error('expected PasswordMessage');
      if (msg.password === '') return { kind: 'fail', error: fatal('28P01', 'empty password returned by client') };
      const problem = secretProblem(ctx);
      if (problem) return { kind: 'fail', error: passwordFailed(user, problem) };
      const secret = parseSecret(ctx.role!.secret);
      const answer = (ok: boolean): AuthStep =>
        ok ? { kind: 'ok', send: [], identity: user } : { kind: 'fail', error: passwordFailed(user, `Password does not match for user "${user}".`) };
      // A costly SCRAM secret is checked off the event loop; everything else inline.
      if (secret.kind === 'scram-sha-256' && secret.iterations > INLINE_PBKDF2_ITERATIONS) {
        return verifyPasswordAsync(msg.password, secret, user).then(answer);
      }
      return answer(verifyPassword(msg.password, secret, user));
    },
  };
}

/**
 * pam: AuthenticationCleartextPassword, then the PAM conversation for the
 * service (hba `pamservice=`, else --pam-service, default postgresql) with
 * pam_authenticate and pam_acct_mgmt, off the event loop (src/pam). The PAM
 * result goes only to the server log; the client sees PostgreSQL's message.
 */
import { fatal } from '../errors.js';
import { type AuthContext, type AuthExchange, type AuthStep } from './types.js';
import { PG_MAX_AUTH_TOKEN_LENGTH } from '../../protocol/limits.js';

export function pamExchange(ctx: AuthContext): AuthExchange {
  const user = ctx.facts.user;
  const failed = (logDetail: string): AuthStep => ({ kind: 'fail', error: fatal('28000', `PAM authentication failed for user "${user}"`, { logDetail }) });
  return {
    method: 'pam',
    start: (): AuthStep => ({ kind: 'continue', send: [{ type: 'AuthenticationCleartextPassword' }], expect: 'password', maxLength: PG_MAX_AUTH_TOKEN_LENGTH + 4 }),
    async respond(msg): Promise<AuthStep> {
      if (msg.type !== 'PasswordMessage') throw new Error('expected PasswordMessage');
      if (msg.password === '') return { kind: 'fail', error: fatal('28P01', 'empty password returned by client') };
      const service = ctx.options.pamservice ?? ctx.pamService;
      const { pamAuthenticate } = await import('../../pam/index.js');
      const out = await pamAuthenticate({
        service,
        user,
        password: msg.password,
        ...(ctx.facts.remoteAddress ? { rhost: ctx.facts.remoteAddress } : {}),
        ...(ctx.pamConfdir ? { confdir: ctx.pamConfdir } : {}),
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      if (!out.ok) {
        // As PostgreSQL logs "error from underlying PAM layer: ..." (PAM_ERROR_MSG only; info is not logged).
        const errors = out.messages
          .filter((m) => m.style === 'error')
          .slice(0, 4)
          .map((m) => `; error from underlying PAM layer: ${m.text.replace(/[\x00-\x1f\x7f]/g, ' ')}`);
        return failed(`service "${service}": ${out.result}: ${out.text}${errors.join('')}`);
      }
      return { kind: 'ok', send: [], identity: user };
    },
  };
}

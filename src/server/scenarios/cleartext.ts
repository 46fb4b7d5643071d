/** cleartext: ask for the password in clear, then let the client in whatever it sends. */
import { PG_MAX_AUTH_TOKEN_LENGTH } from '../../protocol/limits.js';
import type { Scenario } from './types.js';

export const cleartext: Scenario = {
  name: 'cleartext',
  does: 'asks for the password in clear (AuthenticationCleartextPassword) and accepts anything',
  tls: true,
  safe: 'refuses without sending the password (libpq: with require_auth=scram-sha-256 or channel_binding=require)',
  libpq: 'with require_auth=scram-sha-256 or channel_binding=require',
  changes: 'method',
  exchange: (ctx, rec) => ({
    method: 'password',
    start: () => ({ kind: 'continue', send: [{ type: 'AuthenticationCleartextPassword' }], expect: 'password', maxLength: PG_MAX_AUTH_TOKEN_LENGTH + 4 }),
    respond: () => {
      rec.sent('cleartext-password');
      return { kind: 'ok', send: [], identity: ctx.facts.user };
    },
  }),
};

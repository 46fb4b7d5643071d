/** md5-downgrade: ask for an md5 hash where the role has a SCRAM secret, then let the client in. */
import { randomBytes } from 'node:crypto';
import { PG_MAX_AUTH_TOKEN_LENGTH } from '../../protocol/limits.js';
import type { Scenario } from './types.js';

export const md5Downgrade: Scenario = {
  name: 'md5-downgrade',
  does: 'asks for an md5 password hash (a replayable, crackable value) where the role has SCRAM, and accepts it',
  tls: true,
  safe: 'refuses without sending the hash (libpq: with require_auth=scram-sha-256 or channel_binding=require)',
  libpq: 'with require_auth=scram-sha-256 or channel_binding=require',
  changes: 'method',
  exchange: (ctx, rec) => ({
    method: 'md5',
    start: () => ({ kind: 'continue', send: [{ type: 'AuthenticationMD5Password', salt: randomBytes(4) }], expect: 'password', maxLength: PG_MAX_AUTH_TOKEN_LENGTH + 4 }),
    respond: () => {
      rec.sent('md5-hash');
      return { kind: 'ok', send: [], identity: ctx.facts.user };
    },
  }),
};

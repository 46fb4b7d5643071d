/** trust: AuthenticationOk with no challenge (auth.c uaTrust). system_user stays NULL, as PostgreSQL. */
import type { AuthExchange, AuthStep } from './types.js';

export function trustExchange(): AuthExchange {
  return {
    method: 'trust',
    start: (): AuthStep => ({ kind: 'ok', send: [], identity: null }),
    respond: (): AuthStep => {
      throw new Error('trust expects no response');
    },
  };
}

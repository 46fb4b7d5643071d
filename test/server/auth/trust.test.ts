/** trust (auth.c uaTrust): no challenge, AuthenticationOk at once, system_user NULL. */
import { describe, expect, it } from 'vitest';
import { trustExchange } from '../../../src/server/auth/trust.js';
import { NOTHING, passwordMessage, sent, start } from './support.js';

describe('trust', () => {
  it('succeeds at start with nothing sent before AuthenticationOk and no identity', async () => {
    const ex = trustExchange();
    expect(ex.method).toBe('trust');
    const step = await start(ex);
    expect(step).toEqual({ kind: 'ok', send: [], identity: null });
    expect(sent(step)).toEqual(NOTHING);
  });

  it('never reads a client message', () => {
    expect(() => trustExchange().respond(passwordMessage('x'))).toThrow('trust expects no response');
  });
});

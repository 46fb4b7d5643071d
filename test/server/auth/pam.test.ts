/**
 * pam: AuthenticationCleartextPassword, then the PAM conversation (src/pam)
 * with real libpam and a pam_exec stack in a temporary confdir. The client
 * sees PostgreSQL's 28000; the PAM result goes to the server log only.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { pamExchange } from '../../../src/server/auth/pam.js';
import { closePam } from '../../../src/pam/index.js';
import { describeWith } from '../../helpers/env.js';
import { ALICE_PASSWORD, makePamStacks, pamModulesMissing, type PamStacks } from '../../pam/stacks.js';
import { AUTH_CLEARTEXT, authContext, expectFailure, passwordMessage, respond, sent, start } from './support.js';

describeWith(pamModulesMissing(), 'pam', () => {
  let stacks: PamStacks;
  beforeAll(() => {
    stacks = makePamStacks();
  });
  afterAll(async () => {
    await closePam();
    stacks.remove();
  });
  const exchange = (user: string, options: Record<string, string> = {}) => pamExchange(authContext(user, { pamService: 'svc-ok', pamConfdir: stacks.dir, options }));

  it('asks with AuthenticationCleartextPassword', async () => {
    const step = await start(exchange('alice'));
    expect(sent(step)).toEqual(AUTH_CLEARTEXT);
    expect(step).toMatchObject({ kind: 'continue', expect: 'password', maxLength: 65535 + 4 });
  });

  it('the right password: ok as the user', async () => {
    expect(await respond(exchange('alice'), passwordMessage(ALICE_PASSWORD))).toEqual({ kind: 'ok', send: [], identity: 'alice' });
  });

  it('a wrong password: 28000, the service and PAM result in the log', async () => {
    const step = await respond(exchange('alice'), passwordMessage('wrong'));
    expectFailure(step, '28000', 'PAM authentication failed for user "alice"', 'service "svc-ok": PAM_AUTH_ERR: Authentication failure');
  });

  it("the hba line's pamservice= wins over --pam-service", async () => {
    const step = await respond(exchange('alice', { pamservice: 'svc-acct-deny' }), passwordMessage(ALICE_PASSWORD));
    expect(step.kind === 'fail' && step.error.logDetail).toMatch(/^service "svc-acct-deny": PAM_USER_UNKNOWN: /);
  });

  it('an empty password never reaches PAM: 28P01 as PostgreSQL', async () => {
    expectFailure(await respond(exchange('alice'), passwordMessage('')), '28P01', 'empty password returned by client');
  });
});

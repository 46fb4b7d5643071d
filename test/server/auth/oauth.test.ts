/**
 * oauth (auth-oauth.c, PostgreSQL 18): SASL OAUTHBEARER. Discovery and a
 * refused token both get the JSON error body, the client answers with a
 * kvsep, and only then the login fails with 28000. The validator is a stub:
 * what is tested is the exchange, not JWT checking (test/oauth).
 */
import { describe, expect, it } from 'vitest';
import { oauthExchange } from '../../../src/server/auth/oauth.js';
import type { AuthContext, OAuthSettings } from '../../../src/server/auth/index.js';
import { i32, msg, raw, str } from '../../protocol/bytes.js';
import { authContext, expectFailure, respond, saslInitialResponse, saslResponse, sent, start } from './support.js';

const ISSUER = 'https://issuer.example';
const TOKENS: Record<string, string> = { 'tok-alice': 'alice', 'tok-bob': 'bob' };
const settings: OAuthSettings = {
  issuer: ISSUER,
  scope: 'openid pg',
  verify: async (token) => (TOKENS[token] ? { ok: true, identity: TOKENS[token]! } : { ok: false, reason: 'unknown token' }),
};
const ctx = (over: Partial<AuthContext> = {}) => authContext('alice', { oauth: settings, ...over });
/** The client's initial response: gs2 header "n,,", then kvpairs separated by \x01. */
const initial = (auth: string) => saslInitialResponse('OAUTHBEARER', `n,,\x01auth=${auth}\x01\x01`);
const KVSEP = saslResponse('\x01');
const ERROR_BODY = `{ "status": "invalid_token", "openid-configuration": "${ISSUER}/.well-known/openid-configuration", "scope": "openid pg" }`;
const FAILED = 'OAuth bearer authentication failed for user "alice"';

async function started(c = ctx()) {
  const ex = oauthExchange(c);
  const first = await start(ex);
  return { ex, first };
}

describe('oauth', () => {
  it('offers OAUTHBEARER only', async () => {
    const { first } = await started();
    expect(sent(first)).toEqual(msg('R', i32(10), str('OAUTHBEARER'), [0]));
  });

  it("a token the validator accepts for the user: ok without SASLFinal, the token's identity", async () => {
    const { ex } = await started();
    expect(await respond(ex, initial('Bearer tok-alice'))).toEqual({ kind: 'ok', send: [], identity: 'alice', mechanism: 'OAUTHBEARER' });
  });

  it('discovery (an empty auth): the error body, then 28000 after the kvsep with nothing for the log', async () => {
    const { ex } = await started();
    const body = await respond(ex, initial(''));
    expect(sent(body)).toEqual(msg('R', i32(11), raw(ERROR_BODY)));
    expectFailure(await respond(ex, KVSEP), '28000', FAILED);
  });

  it.each([
    ['a token the validator refuses', 'Bearer tok-nobody', 'Validator failed to authorize the provided token: unknown token.'],
    ["another user's token", 'Bearer tok-bob', 'provided user name (alice) and authenticated user name (bob) do not match'],
    ['another scheme', 'Basic abc', 'malformed OAuth bearer token: Client response indicated a non-Bearer authentication scheme.'],
  ])('%s: the error body, then 28000 with the reason in the log', async (_what, auth, detail) => {
    const { ex } = await started();
    expect(sent(await respond(ex, initial(auth)))).toEqual(msg('R', i32(11), raw(ERROR_BODY)));
    expectFailure(await respond(ex, KVSEP), '28000', FAILED, detail);
  });

  it("delegate_ident_mapping=1 takes the validator's word for any identity", async () => {
    const { ex } = await started(ctx({ options: { delegate_ident_mapping: '1' } }));
    expect(await respond(ex, initial('Bearer tok-bob'))).toMatchObject({ kind: 'ok', identity: 'bob' });
  });

  it('map= without serve --ident refuses, naming the flag', async () => {
    const { ex } = await started(ctx({ options: { map: 'm' } }));
    await respond(ex, initial('Bearer tok-alice'));
    expectFailure(await respond(ex, KVSEP), '28000', FAILED, 'map=m needs serve --ident FILE (the pg_ident.conf to read it from)');
  });

  it('anything but a kvsep after the error body: 08P01', async () => {
    const { ex } = await started();
    await respond(ex, initial(''));
    const step = await respond(ex, saslResponse('x'));
    expect(step).toMatchObject({ kind: 'fail', error: { sqlstate: '08P01' } });
  });

  it('another mechanism: 08P01', async () => {
    const { ex } = await started();
    expectFailure(await respond(ex, saslInitialResponse('SCRAM-SHA-256', 'n,,n=,r=x')), '08P01', 'client selected an invalid SASL authentication mechanism');
  });

  it('without issuer and scope (or a validator): XX000 at start, as PostgreSQL', async () => {
    const { first } = await started(authContext('alice', { oauth: null }));
    expectFailure(first, 'XX000', 'OAuth is not properly configured for this user', 'The options "issuer" and "scope" must be set, and serve needs --oauth-jwks.');
  });
});

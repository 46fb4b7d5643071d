/**
 * scram-sha-256 (CheckSASLAuth, auth-scram.c) from the stored verifier: the
 * bytes of AuthenticationSASL / SASLContinue / SASLFinal, with the client's
 * side computed here from RFC 5802's formulas (not by src/scram) against a
 * verifier PostgreSQL made (shared/vectors/pg-verifiers.tsv).
 */
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { scramExchange } from '../../../src/server/auth/scram.js';
import type { AuthContext } from '../../../src/server/auth/index.js';
import { i32, msg, raw, str } from '../../protocol/bytes.js';
import { pgVerifiers } from '../../secrets/vectors.js';
import { authContext, errorBytes, expectFailure, fatalBytes, respond, role, saslInitialResponse, saslResponse, sent, start } from './support.js';

const vectors = pgVerifiers();
const alice = vectors.find((r) => r.role === 'alice')!; // pencil, SCRAM-SHA-256$4096:BR5ZSTt+Zs/zxpi+xCjBYg==$...
const carol = vectors.find((r) => r.secret.startsWith('md5'))!;
const CLIENT_NONCE = 'rOprNGfwEbeRWgbNEkqO';
const CB_DATA = Buffer.alloc(32, 0xab); // tls-server-end-point of "our" certificate

const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();

/** The client's final message and the ServerSignature it expects, from RFC 5802 §3. */
function clientFinal(password: string, clientFirstBare: string, serverFirst: string, gs2Header: string, cbData = Buffer.alloc(0)) {
  const attrs = Object.fromEntries(serverFirst.split(',').map((a) => [a[0], a.slice(2)]));
  const salted = pbkdf2Sync(password, Buffer.from(attrs.s!, 'base64'), Number(attrs.i), 32, 'sha256');
  const withoutProof = `c=${Buffer.concat([Buffer.from(gs2Header), cbData]).toString('base64')},r=${attrs.r}`;
  const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
  const clientKey = hmac(salted, 'Client Key');
  const signature = hmac(createHash('sha256').update(clientKey).digest(), authMessage);
  const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!)).toString('base64');
  return { final: `${withoutProof},p=${proof}`, serverSignature: hmac(hmac(salted, 'Server Key'), authMessage).toString('base64') };
}

/** Runs an exchange to its end: start, client-first, client-final; returns every step and the server-first text. */
async function exchange(ctx: AuthContext, password: string, mechanism = 'SCRAM-SHA-256') {
  const ex = scramExchange(ctx);
  const first = await start(ex);
  const gs2 = mechanism === 'SCRAM-SHA-256-PLUS' ? 'p=tls-server-end-point,,' : 'n,,';
  const bare = `n=,r=${CLIENT_NONCE}`;
  const cont = await respond(ex, saslInitialResponse(mechanism, gs2 + bare));
  const serverFirst = sent(cont).subarray(9).toString();
  const { final, serverSignature } = clientFinal(password, bare, serverFirst, gs2, mechanism === 'SCRAM-SHA-256-PLUS' ? CB_DATA : undefined);
  const last = await respond(ex, saslResponse(final));
  return { first, cont, serverFirst, last, serverSignature };
}

const aliceCtx = (over: Partial<AuthContext> = {}) => authContext('alice', { role: role('alice', alice.secret), ...over });

describe('scram-sha-256', () => {
  it('offers SCRAM-SHA-256 without TLS: R, Int32(10), each name NUL-terminated, a final NUL', async () => {
    const { first } = await exchange(aliceCtx(), alice.password);
    expect(sent(first)).toEqual(msg('R', i32(10), str('SCRAM-SHA-256'), [0]));
    expect(first).toMatchObject({ kind: 'continue', expect: 'sasl-initial', maxLength: 1024 + 4 });
  });

  it("logs in against PostgreSQL's verifier: the verifier's salt and count, our nonce after the client's, SASLFinal with the ServerSignature", async () => {
    const r = await exchange(aliceCtx(), alice.password);
    expect(r.serverFirst).toMatch(new RegExp(`^r=${CLIENT_NONCE}[!-+--~]{24},s=BR5ZSTt\\+Zs/zxpi\\+xCjBYg==,i=4096$`));
    expect(sent(r.cont)).toEqual(msg('R', i32(11), raw(r.serverFirst)));
    expect(r.cont).toMatchObject({ kind: 'continue', expect: 'sasl' });
    expect(r.last).toMatchObject({ kind: 'ok', identity: 'alice', mechanism: 'SCRAM-SHA-256' });
    expect(sent(r.last)).toEqual(msg('R', i32(12), raw(`v=${r.serverSignature}`)));
  });

  it('over TLS offers SCRAM-SHA-256-PLUS first, and binds to the tls-server-end-point data', async () => {
    const r = await exchange(aliceCtx({ channelBinding: CB_DATA }), alice.password, 'SCRAM-SHA-256-PLUS');
    expect(sent(r.first)).toEqual(msg('R', i32(10), str('SCRAM-SHA-256-PLUS'), str('SCRAM-SHA-256'), [0]));
    expect(r.last).toMatchObject({ kind: 'ok', identity: 'alice', mechanism: 'SCRAM-SHA-256-PLUS' });
    expect(sent(r.last)).toEqual(msg('R', i32(12), raw(`v=${r.serverSignature}`)));
  });

  it('a wrong password fails at the proof: 28P01, "Password does not match" in the log', async () => {
    const { last } = await exchange(aliceCtx(), 'pencil2');
    expectFailure(last, '28P01', 'password authentication failed for user "alice"', 'Password does not match for user "alice".');
    expect(last).toMatchObject({ mechanism: 'SCRAM-SHA-256' });
  });

  it.each([
    ['an unknown role', authContext('nobody'), 'nobody', 'Role "nobody" does not exist.'],
    ['an md5-only secret', authContext(carol.role, { role: role(carol.role, carol.secret) }), carol.role, `User "${carol.role}" does not have a valid SCRAM secret.`],
    ['an expired password', aliceCtx({ expired: true }), 'alice', 'User "alice" has an expired password.'],
  ])('%s: the mock exchange runs to the proof with a stable salt and the real count, then 28P01', async (_what, ctx, user, detail) => {
    const a = await exchange(ctx, 'any');
    const b = await exchange(ctx, 'any');
    expect(a.serverFirst).toMatch(/,s=[A-Za-z0-9+/]+=*,i=4096$/);
    expect(a.serverFirst.slice(a.serverFirst.indexOf(',s='))).toBe(b.serverFirst.slice(b.serverFirst.indexOf(',s=')));
    expectFailure(a.last, '28P01', `password authentication failed for user "${user}"`, detail);
  });

  it('without an initial response: an empty SASLContinue asks for the client-first-message', async () => {
    const ex = scramExchange(aliceCtx());
    await start(ex);
    const empty = await respond(ex, saslInitialResponse('SCRAM-SHA-256', null));
    expect(sent(empty)).toEqual(msg('R', i32(11)));
    const cont = await respond(ex, saslResponse(`n,,n=,r=${CLIENT_NONCE}`));
    expect(sent(cont).subarray(9).toString()).toMatch(new RegExp(`^r=${CLIENT_NONCE}`));
  });

  it('a mechanism it did not offer (PLUS without TLS): 08P01', async () => {
    const ex = scramExchange(aliceCtx());
    await start(ex);
    expectFailure(await respond(ex, saslInitialResponse('SCRAM-SHA-256-PLUS', 'p=tls-server-end-point,,n=,r=x')), '08P01', 'client selected an invalid SASL authentication mechanism');
  });

  it('a malformed client-first-message: 08P01 "malformed SCRAM message" with the reason as DETAIL', async () => {
    const ex = scramExchange(aliceCtx());
    await start(ex);
    const step = await respond(ex, saslInitialResponse('SCRAM-SHA-256', 'x'));
    expect(errorBytes(step)).toEqual(fatalBytes('08P01', 'malformed SCRAM message', `Unexpected channel-binding flag "'x'".`));
  });
});

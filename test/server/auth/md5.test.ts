/**
 * md5 (CheckPWChallengeAuth with password_encryption = scram-sha-256):
 * AuthenticationMD5Password with a 4-byte salt for an md5 or plaintext
 * secret; SCRAM for a SCRAM verifier or a role without a usable secret.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { md5Exchange } from '../../../src/server/auth/md5.js';
import { buildScramSecret } from '../../../src/secrets/index.js';
import { i32, msg } from '../../protocol/bytes.js';
import { pgVerifiers } from '../../secrets/vectors.js';
import { authContext, expectFailure, passwordMessage, respond, role, sent, start } from './support.js';

const md5hex = (b: Buffer | string) => createHash('md5').update(b).digest('hex');
/** What a client sends: 'md5' + md5hex(md5hex(password || user) || salt), from the protocol docs. */
const md5Response = (password: string, user: string, salt: Buffer) => 'md5' + md5hex(Buffer.concat([Buffer.from(md5hex(password + user)), salt]));

/** The salt the exchange chose, read back from the bytes it sends: 'R', Int32(12), Int32(5), Byte4 salt. */
async function challenge(ex: ReturnType<typeof md5Exchange>): Promise<Buffer> {
  const bytes = sent(await start(ex));
  expect(bytes.subarray(0, 9)).toEqual(msg('R', i32(5), [0, 0, 0, 0]).subarray(0, 9));
  expect(bytes.length).toBe(13);
  return bytes.subarray(9, 13);
}

describe('md5', () => {
  const carolMd5 = pgVerifiers().find((r) => r.secret.startsWith('md5'))!;

  it(`an md5 secret made by PostgreSQL (${carolMd5.role}): the salted hash of the right password logs in`, async () => {
    const ex = md5Exchange(authContext(carolMd5.role, { role: role(carolMd5.role, carolMd5.secret) }));
    expect(ex.method).toBe('md5');
    const salt = await challenge(ex);
    expect(await respond(ex, passwordMessage(md5Response(carolMd5.password, carolMd5.role, salt)))).toEqual({ kind: 'ok', send: [], identity: carolMd5.role });
  });

  it('a plaintext secret is hashed as PgBouncer does, and a new salt is drawn per exchange', async () => {
    const a = md5Exchange(authContext('pat', { role: role('pat', 'plain-pw') }));
    const b = md5Exchange(authContext('pat', { role: role('pat', 'plain-pw') }));
    const salt = await challenge(a);
    expect(await challenge(b)).not.toEqual(salt);
    expect(await respond(a, passwordMessage(md5Response('plain-pw', 'pat', salt)))).toEqual({ kind: 'ok', send: [], identity: 'pat' });
  });

  it('a hash over another salt or password is 28P01, "Password does not match" in the log', async () => {
    const ex = md5Exchange(authContext('pat', { role: role('pat', 'plain-pw') }));
    const salt = await challenge(ex);
    const other = Buffer.from(salt.map((x) => x ^ 0xff));
    expectFailure(await respond(ex, passwordMessage(md5Response('plain-pw', 'pat', other))), '28P01', 'password authentication failed for user "pat"', 'Password does not match for user "pat".');
    expectFailure(await respond(ex, passwordMessage('md5')), '28P01', 'password authentication failed for user "pat"', 'Password does not match for user "pat".');
  });

  it('an empty PasswordMessage: 28P01 "empty password returned by client"', async () => {
    const ex = md5Exchange(authContext('pat', { role: role('pat', 'plain-pw') }));
    expectFailure(await respond(ex, passwordMessage('')), '28P01', 'empty password returned by client');
  });

  it.each([
    ['a SCRAM verifier', authContext('alice', { role: role('alice', buildScramSecret('pw', { iterations: 4096 })) })],
    ['an unknown role', authContext('nobody')],
    ['an expired password', authContext('pat', { role: role('pat', 'plain-pw'), expired: true })],
  ])('%s: SCRAM instead (AuthenticationSASL), as PostgreSQL', async (_what, ctx) => {
    const ex = md5Exchange(ctx);
    expect(ex.method).toBe('scram-sha-256');
    expect(sent(await start(ex))).toEqual(msg('R', i32(10), [...Buffer.from('SCRAM-SHA-256\0')], [0]));
  });
});

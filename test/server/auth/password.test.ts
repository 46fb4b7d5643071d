/**
 * serve --auth password: a role with no usable secret (unknown, no password,
 * expired) costs the same PBKDF2 as a real SCRAM role, on the same path
 * (inline, or libuv's thread pool above INLINE_PBKDF2_ITERATIONS), so the
 * time of a refusal does not say whether the role exists. The timing itself
 * is measured in bench/auth-timing.bench.ts (no timing bars in tests).
 *
 * And the exchange itself, byte by byte: AuthenticationCleartextPassword, then
 * each kind of stored secret checks the PasswordMessage.
 */
import { describe, expect, it } from 'vitest';
import { passwordExchange, passwordSecretFor } from '../../../src/server/auth/password.js';
import type { AuthContext, AuthStep } from '../../../src/server/auth/index.js';
import { INLINE_PBKDF2_ITERATIONS, buildMd5Secret, buildScramSecret } from '../../../src/secrets/index.js';
import type { RoleRecord } from '../../../src/roles/index.js';
import { AUTH_CLEARTEXT, authContext, expectFailure, passwordMessage, respond, role, sent, start } from './support.js';
import { pgVerifiers } from '../../secrets/vectors.js';

const ctx = (user: string, r: RoleRecord | undefined, iterations: number, expired = false): AuthContext => authContext(user, { role: r, iterations, expired });

const costly = INLINE_PBKDF2_ITERATIONS + 1;
const alice = (iterations: number): RoleRecord => ({ name: 'alice', secret: buildScramSecret('right', { iterations }), attrs: {}, line: 1 });

async function refuse(c: AuthContext, password: string): Promise<{ async: boolean; step: AuthStep }> {
  const ex = passwordExchange(c);
  const r = ex.respond({ type: 'PasswordMessage', password });
  return { async: r instanceof Promise, step: await r };
}

describe('password: no timing oracle for unknown roles', () => {
  it.each([
    ['unknown role', ctx('nobody', undefined, 4096), 'Role "nobody" does not exist.'],
    ['no password', ctx('alice', { name: 'alice', secret: '', attrs: {}, line: 1 }, 4096), 'User "alice" has no password assigned.'],
    ['expired', ctx('alice', alice(4096), 4096, true), 'User "alice" has an expired password.'],
  ])('%s: a mock SCRAM verifier at the server iteration count, then the same refusal', async (_what, c, detail) => {
    const { secret, doomed } = passwordSecretFor(c);
    expect(secret.kind).toBe('scram-sha-256');
    expect(secret.kind === 'scram-sha-256' && secret.iterations).toBe(4096);
    expect(doomed).toBe(detail);
    const { step } = await refuse(c, 'right');
    expect(step.kind).toBe('fail');
    if (step.kind === 'fail') {
      expect(step.error.sqlstate).toBe('28P01');
      expect(step.error.message).toBe(`password authentication failed for user "${c.facts.user}"`);
      expect(step.error.logDetail).toBe(detail);
    }
  });

  it('above the inline threshold the unknown role goes to the thread pool like a known costly role', async () => {
    const known = await refuse(ctx('alice', alice(costly), costly), 'wrong');
    const unknown = await refuse(ctx('nobody', undefined, costly), 'wrong');
    expect(known.async).toBe(true);
    expect(unknown.async).toBe(true);
    expect(known.step.kind).toBe('fail');
    expect(unknown.step.kind).toBe('fail');
  });

  it('a known role with the right password still logs in', async () => {
    const { step } = await refuse(ctx('alice', alice(4096), 4096), 'right');
    expect(step).toEqual({ kind: 'ok', send: [], identity: 'alice' });
  });
});

describe('password: the exchange', () => {
  const pencil = pgVerifiers().find((r) => r.role === 'alice')!;

  it('asks with AuthenticationCleartextPassword and reads one PasswordMessage of at most 65535 bytes', async () => {
    const step = await start(passwordExchange(authContext('alice', { role: role('alice', pencil.secret) })));
    expect(sent(step)).toEqual(AUTH_CLEARTEXT);
    expect(step).toMatchObject({ kind: 'continue', expect: 'password', maxLength: 65535 + 4 });
  });

  it.each([
    ['a SCRAM verifier made by PostgreSQL', pencil.secret, pencil.password],
    ['an md5 secret', buildMd5Secret('s3cret', 'alice'), 's3cret'],
    ['a plaintext secret (PgBouncer userlist)', 'plain-pw', 'plain-pw'],
  ])('%s: the right password logs in as the role, nothing sent before AuthenticationOk', async (_what, secret, password) => {
    const ex = passwordExchange(authContext('alice', { role: role('alice', secret) }));
    await start(ex);
    expect(await respond(ex, passwordMessage(password))).toEqual({ kind: 'ok', send: [], identity: 'alice' });
  });

  it('a wrong password is 28P01; the reason goes to the server log only', async () => {
    const ex = passwordExchange(authContext('alice', { role: role('alice', pencil.secret) }));
    expectFailure(await respond(ex, passwordMessage('pencil2')), '28P01', 'password authentication failed for user "alice"', 'Password does not match for user "alice".');
  });

  it('an empty password is refused before any secret is looked at, as PostgreSQL', async () => {
    const ex = passwordExchange(authContext('nobody'));
    expectFailure(await respond(ex, passwordMessage('')), '28P01', 'empty password returned by client');
  });
});

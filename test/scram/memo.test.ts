/**
 * memoizedSaltedPassword: the same bytes as PBKDF2, derived once per
 * (password, salt, iterations), bounded, and keyed so that any of the three
 * differing derives anew. A SCRAM client given it logs in as before.
 */
import { describe, expect, it } from 'vitest';
import { memoizedSaltedPassword, saltedPassword } from '../../src/scram/index.js';

function counting() {
  const calls: Array<[string, string, number]> = [];
  const derive = (password: string, salt: Buffer, iterations: number) => {
    calls.push([password, salt.toString('hex'), iterations]);
    return saltedPassword(password, salt, iterations);
  };
  return { calls, derive };
}

describe('memoizedSaltedPassword', () => {
  const salt = Buffer.from('0123456789abcdef');

  it('returns PBKDF2 bytes and derives a repeated triple once', () => {
    const { calls, derive } = counting();
    const memo = memoizedSaltedPassword(16, derive);
    const first = memo('pencil', salt, 4096);
    expect(first).toEqual(saltedPassword('pencil', salt, 4096));
    expect(memo('pencil', Buffer.from(salt), 4096)).toEqual(first);
    expect(calls).toHaveLength(1);
  });

  it('derives anew when the password, the salt or the iterations differ', () => {
    const { calls, derive } = counting();
    const memo = memoizedSaltedPassword(16, derive);
    memo('pencil', salt, 4096);
    memo('pencil2', salt, 4096);
    memo('pencil', Buffer.from('fedcba9876543210'), 4096);
    memo('pencil', salt, 4097);
    // Parts that would run together without lengths are still another key:
    // the password "a\0" + salt S against the password "a" + salt "\0" + S.
    memo('a\u0000', salt, 4096);
    memo('a', Buffer.concat([Buffer.from([0]), salt]), 4096);
    expect(calls).toHaveLength(6);
  });

  it('keeps at most `limit` results, dropping the oldest', () => {
    const { calls, derive } = counting();
    const memo = memoizedSaltedPassword(2, derive);
    memo('a', salt, 1);
    memo('b', salt, 1);
    memo('c', salt, 1); // drops a
    memo('b', salt, 1); // still known
    memo('a', salt, 1); // derived again
    expect(calls.map((c) => c[0])).toEqual(['a', 'b', 'c', 'a']);
  });
});

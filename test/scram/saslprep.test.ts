/**
 * preparePassword = PostgreSQL's pg_saslprep with its raw-bytes fallback.
 * The expectations here are PostgreSQL's (test/secrets/postgres.test.ts
 * checks the same passwords against a real server).
 */
import { describe, expect, it } from 'vitest';
import { saslprep as librarySaslprep } from '@mongodb-js/saslprep';
import { preparePassword, saltedPassword } from '../../src/scram/index.js';
import { preparePasswordBytes } from '../../src/scram/saslprep.js';

const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex');

describe('preparePassword', () => {
  const prepared: Array<[string, string, string]> = [
    ['pure ASCII is unchanged', 'pencil', 'pencil'],
    ['ASCII control characters stay (ASCII fast path)', 'pa\u0007ss\u007f', 'pa\u0007ss\u007f'],
    ['soft hyphen is mapped to nothing', 'pa\u00adss', 'pass'],
    ['zero-width joiner is mapped to nothing', 'a\u200db\u00e9', 'ab\u00e9'],
    ['no-break space becomes a space', 'a\u00a0b', 'a b'],
    ['ideographic space becomes a space', 'a\u3000b', 'a b'],
    ['ligature fi is NFKC-decomposed', '\ufb01sh', 'fish'],
    ['Roman numeral nine becomes IX', '\u2168', 'IX'],
    ['fullwidth letters become ASCII', '\uff21\uff22', 'AB'],
    ['combining sequences are composed', 'e\u0301', '\u00e9'],
    ['RTL-only strings pass the bidi rules', '\u05d0\u05d1', '\u05d0\u05d1'],
  ];
  for (const [name, input, output] of prepared) {
    it(name, () => expect(preparePassword(input).toString('hex')).toBe(hex(output)));
  }

  const raw: Array<[string, string]> = [
    ['a control character in a non-ASCII password (prohibited)', '\u00e9\u0007'],
    ['U+0340, prohibited before NFKC (PostgreSQL checks the mapped input)', 'a\u0340b'],
    ['U+1D2C, unassigned in Unicode 3.2 though NFKC would make it "A"', 'x\u1d2c'],
    ['an emoji (unassigned in Unicode 3.2)', 'pw\u{1f600}'],
    ['a private-use character', 'a\ue000'],
    ['nothing left after mapping', '\u00ad'],
    ['RandALCat mixed with LCat', '\u05d0a\u05d0'],
    ['RandALCat not at both ends', '\u05d01'],
  ];
  for (const [name, input] of raw) {
    it(`uses the raw bytes for ${name}`, () => expect(preparePassword(input).toString('hex')).toBe(hex(input)));
  }

  it('uses the raw bytes for input that is not UTF-8', () => {
    const latin1 = Buffer.from([0x70, 0xe9, 0x21]);
    expect(preparePasswordBytes(latin1)).toEqual(latin1);
  });

  it('differs from the plain library where PostgreSQL does (why the tables are applied here)', () => {
    expect(librarySaslprep('a\u0340b')).toBe('\u00e0b');
    expect(preparePassword('a\u0340b').toString()).toBe('a\u0340b');
  });

  it('saltedPassword uses the prepared bytes', () => {
    const salt = Buffer.alloc(16, 1);
    expect(saltedPassword('pa\u00adss', salt, 2)).toEqual(saltedPassword('pass', salt, 2));
    expect(saltedPassword('a\u0340b', salt, 2)).not.toEqual(saltedPassword('\u00e0b', salt, 2));
  });
});

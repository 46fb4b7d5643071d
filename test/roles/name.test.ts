/** PostgreSQL's two name cuts, byte by byte (src/roles/name.ts). */
import { describe, expect, it } from 'vitest';
import { PG_MAX_NAME_BYTES, nameTooLong, truncateIdentifier, truncateStartupName } from '../../src/roles/name.js';
import { PG_MAX_NAME_BYTES as PROTOCOL_MAX } from '../../src/protocol/limits.js';

const a = (n: number) => 'a'.repeat(n);
/** Bytes of a string, with the escaped lone surrogates U+DC80..U+DCFF back to the raw bytes they stand for. */
const rawBytes = (s: string): number[] => [...s].flatMap((ch) => {
  const c = ch.charCodeAt(0);
  return c >= 0xdc80 && c <= 0xdcff ? [c - 0xdc00] : [...Buffer.from(ch, 'utf8')];
});

describe('one constant', () => {
  it('63 bytes, the protocol NAMEDATALEN - 1 that the role-file rules use', () => {
    expect(PG_MAX_NAME_BYTES).toBe(63);
    expect(PROTOCOL_MAX).toBe(PG_MAX_NAME_BYTES);
  });
});

describe('truncateStartupName: ProcessStartupPacket cuts at byte 63 exactly', () => {
  it('leaves names of up to 63 bytes alone', () => {
    expect(truncateStartupName(a(63))).toBe(a(63));
    expect(truncateStartupName(a(61) + 'é')).toBe(a(61) + 'é');
  });
  it('cuts ASCII at 63', () => {
    expect(truncateStartupName(a(70))).toBe(a(63));
  });
  it.each([
    ['é (2 bytes)', a(62) + 'é', [...Buffer.from(a(62))], [0xc3]],
    ['€ (3 bytes), 1 kept', a(62) + '€', [...Buffer.from(a(62))], [0xe2]],
    ['€ (3 bytes), 2 kept', a(61) + '€x', [...Buffer.from(a(61))], [0xe2, 0x82]],
    ['😀 (4 bytes), 3 kept', a(60) + '😀', [...Buffer.from(a(60))], [0xf0, 0x9f, 0x98]],
  ])('inside %s: keeps the 63 bytes, the broken tail as bytes no role name can hold', (_w, name, head, tail) => {
    const cut = truncateStartupName(name);
    expect(rawBytes(cut)).toEqual([...head, ...tail]);
    expect(rawBytes(cut)).toHaveLength(63);
    // Never equal to the name cut at a character boundary, nor to a valid UTF-8 name.
    expect(cut).not.toBe(truncateIdentifier(name));
    expect(Buffer.from(Buffer.from(cut, 'utf8').toString('utf8'), 'utf8').toString('utf8')).not.toBe(cut);
  });
  it('a whole character ending at byte 63 stays whole', () => {
    expect(truncateStartupName(a(61) + 'éé')).toBe(a(61) + 'é');
    expect(truncateStartupName(a(59) + '😀x')).toBe(a(59) + '😀');
  });
});

describe('truncateIdentifier: truncate_identifier backs up to a character boundary', () => {
  it.each([
    [a(62) + 'é', a(62)],
    [a(61) + 'éé', a(61) + 'é'],
    [a(60) + '😀', a(60)],
    [a(64), a(63)],
    [a(63), a(63)],
  ])('%s', (name, want) => {
    expect(truncateIdentifier(name)).toBe(want);
  });
  it('nameTooLong counts bytes', () => {
    expect(nameTooLong(a(63))).toBe(false);
    expect(nameTooLong(a(62) + 'é')).toBe(true);
  });
});

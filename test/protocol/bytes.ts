/**
 * An independent byte builder for expected messages, written straight from
 * the protocol docs' field order (never using the Writer under test).
 */
export const i16 = (n: number): number[] => [(n >> 8) & 0xff, n & 0xff];
export const i32 = (n: number): number[] => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
export const str = (s: string): number[] => [...Buffer.from(s, 'utf8'), 0];
export const raw = (s: string): number[] => [...Buffer.from(s, 'utf8')];

/** Byte1(type) Int32(len incl. itself) body */
export function msg(type: string, ...body: number[][]): Buffer {
  const b = body.flat();
  return Buffer.from([type.charCodeAt(0), ...i32(b.length + 4), ...b]);
}

/** Int32(len incl. itself) body — startup-type packets have no type byte */
export function packet(...body: number[][]): Buffer {
  const b = body.flat();
  return Buffer.from([...i32(b.length + 4), ...b]);
}

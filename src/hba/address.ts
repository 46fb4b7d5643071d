/**
 * IP addresses and masks as pg_hba.conf reads them: numeric addresses the way
 * getaddrinfo(AI_NUMERICHOST) accepts them, CIDR masks as
 * pg_sockaddr_cidr_mask builds them, and the range check of
 * pg_range_sockaddr. Bytes in network order.
 */
import { isIPv6 } from 'node:net';

export interface IpAddress {
  family: 4 | 6;
  bytes: Uint8Array;
}

/**
 * IPv4 the way glibc's inet_aton reads it for getaddrinfo(AI_NUMERICHOST):
 * one to four parts, each decimal, octal (leading 0) or hex (0x).
 */
function parseIPv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length < 1 || parts.length > 4) return undefined;
  const nums: number[] = [];
  for (const p of parts) {
    let n: number;
    if (/^0[xX][0-9a-fA-F]*$/.test(p)) n = p.length === 2 ? 0 : parseInt(p.slice(2), 16);
    else if (/^0[0-7]*$/.test(p)) n = parseInt(p, 8);
    else if (/^[1-9][0-9]*$/.test(p)) n = parseInt(p, 10);
    else return undefined;
    if (!Number.isFinite(n)) return undefined;
    nums.push(n);
  }
  const last = nums.pop()!;
  if (nums.some((n) => n > 255)) return undefined;
  const lastMax = 2 ** (8 * (4 - nums.length)) - 1;
  if (last > lastMax) return undefined;
  const out = new Uint8Array(4);
  nums.forEach((n, i) => (out[i] = n));
  for (let i = 3; i >= nums.length; i--) {
    out[i] = Math.floor(last / 2 ** (8 * (3 - i))) % 256;
  }
  return out;
}

function parseIPv6(text: string): Uint8Array | undefined {
  let t = text.replace(/%.*$/, ''); // a zone id does not take part in matching
  if (!isIPv6(t)) return undefined;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex words.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(t);
  if (v4) {
    const b = v4.slice(1, 5).map(Number);
    t = t.slice(0, v4.index) + (((b[0]! << 8) | b[1]!).toString(16)) + ':' + (((b[2]! << 8) | b[3]!).toString(16));
  }
  const halves = t.split('::');
  const words = (s: string | undefined) => (s ? s.split(':').map((w) => parseInt(w, 16)) : []);
  const l = words(halves[0]);
  const r = words(halves[1]);
  const all = halves.length === 2 ? [...l, ...new Array<number>(8 - l.length - r.length).fill(0), ...r] : l;
  if (all.length !== 8 || all.some((w) => !(w >= 0 && w <= 0xffff))) return undefined;
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    out[2 * i] = (w >> 8) & 0xff;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** A numeric address, or undefined when getaddrinfo(AI_NUMERICHOST) would say EAI_NONAME. */
export function parseIpAddress(text: string): IpAddress | undefined {
  if (text.includes(':')) {
    const b = parseIPv6(text);
    return b ? { family: 6, bytes: b } : undefined;
  }
  const b = parseIPv4(text);
  return b ? { family: 4, bytes: b } : undefined;
}

/** pg_sockaddr_cidr_mask: undefined for a bad bit count. */
export function cidrMask(bits: string, family: 4 | 6): Uint8Array | undefined {
  if (!/^\s*[+-]?\d+$/.test(bits)) return undefined;
  const n = Number(bits.trim());
  const len = family === 4 ? 4 : 16;
  if (n < 0 || n > len * 8) return undefined;
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) {
    const take = Math.max(0, Math.min(8, n - 8 * i));
    out[i] = take === 0 ? 0 : (0xff << (8 - take)) & 0xff;
  }
  return out;
}

export function fullMask(family: 4 | 6): Uint8Array {
  return new Uint8Array(family === 4 ? 4 : 16).fill(0xff);
}

/** pg_range_sockaddr: same family and (client ^ net) & mask == 0. */
export function inRange(client: IpAddress, net: IpAddress, mask: Uint8Array): boolean {
  if (client.family !== net.family || mask.length !== client.bytes.length) return false;
  for (let i = 0; i < client.bytes.length; i++) {
    if (((client.bytes[i]! ^ net.bytes[i]!) & mask[i]!) !== 0) return false;
  }
  return true;
}

export function sameAddress(a: IpAddress, b: IpAddress): boolean {
  return a.family === b.family && a.bytes.every((v, i) => v === b.bytes[i]);
}

/** Numeric text as getnameinfo(NI_NUMERICHOST) prints it (inet_ntop). */
export function formatIpAddress(a: IpAddress): string {
  if (a.family === 4) return Array.from(a.bytes).join('.');
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((a.bytes[2 * i]! << 8) | a.bytes[2 * i + 1]!);
  // IPv4-mapped and IPv4-compatible forms, as glibc's inet_ntop prints them.
  if (words.slice(0, 5).every((w) => w === 0) && (words[5] === 0xffff || (words[5] === 0 && (words[6] !== 0 || words[7]! > 1)))) {
    const v4 = Array.from(a.bytes.slice(12)).join('.');
    return words[5] === 0xffff ? `::ffff:${v4}` : `::${v4}`;
  }
  // The longest run of two or more zero words becomes "::" (the first one on a tie).
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(':');
  if (bestLen < 2) return hex(words);
  return `${hex(words.slice(0, best))}::${hex(words.slice(best + bestLen))}`;
}

/**
 * libpq's server-certificate checks, pure (fe-secure-common.c
 * pq_verify_peer_name_matches_certificate): subjectAltName dNSName and
 * iPAddress entries first; the CN only when the certificate has no such
 * entries. A wildcard is a leading `*.` covering exactly one label.
 */
import { isIP } from 'node:net';
import type { TlsVerifyReason } from './diagnose.js';

/** Expands an IPv6 text to 8 groups for comparison; IPv4 stays as is. */
export function canonicalIp(ip: string): string {
  const v = ip.replace(/^\[|\]$/g, '');
  if (isIP(v) !== 6) return v;
  let text = v;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const parts = v4[1]!.split('.').map(Number);
    text = text.slice(0, -v4[1]!.length) + ((parts[0]! << 8) | parts[1]!).toString(16) + ':' + ((parts[2]! << 8) | parts[3]!).toString(16);
  }
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail !== undefined ? new Array(8 - h.length - t.length).fill('0') : [];
  return [...h, ...fill, ...t].map((g) => parseInt(g, 16).toString(16)).join(':');
}

function wildcardMatch(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  if (p === h) return true;
  if (!p.startsWith('*.')) return false;
  const suffix = p.slice(1); // ".example.com"
  if (!h.endsWith(suffix)) return false;
  const label = h.slice(0, h.length - suffix.length);
  return label.length > 0 && !label.includes('.');
}

export interface HostCheck {
  ok: boolean;
  /** libpq's message when it does not match. */
  message?: string;
}

/** Parses Node's `subjectaltname` text ("DNS:a, IP Address:1.2.3.4"). */
export function parseAltNames(text: string | null): { dns: string[]; ip: string[] } {
  const dns: string[] = [];
  const ip: string[] = [];
  for (const part of (text ?? '').split(/,\s*/)) {
    if (part.startsWith('DNS:')) dns.push(part.slice(4));
    else if (part.startsWith('IP Address:')) ip.push(part.slice(11));
  }
  return { dns, ip };
}

/** Does the certificate cover `host`? (verify-full) */
export function checkHostName(host: string, altNames: string | null, subjectCN: string | null): HostCheck {
  const { dns, ip } = parseAltNames(altNames);
  const hostIsIp = isIP(host.replace(/^\[|\]$/g, '')) !== 0;
  const names: string[] = [];
  if (dns.length > 0 || ip.length > 0) {
    for (const d of dns) {
      names.push(d);
      if (!hostIsIp && wildcardMatch(d, host)) return { ok: true };
    }
    for (const a of ip) {
      names.push(a);
      if (hostIsIp && canonicalIp(a) === canonicalIp(host)) return { ok: true };
    }
  } else if (subjectCN) {
    names.push(subjectCN);
    if (hostIsIp ? canonicalIp(subjectCN) === canonicalIp(host) : wildcardMatch(subjectCN, host)) return { ok: true };
  }
  if (names.length === 0) return { ok: false, message: "could not get server's host name from server certificate" };
  const first = names[0]!;
  const more = names.length > 1 ? ` (and ${names.length - 1} other name${names.length > 2 ? 's' : ''})` : '';
  return { ok: false, message: `server certificate for "${first}"${more} does not match host name "${host}"` };
}

/** Maps OpenSSL's verification error code to the probe's reason. */
export function chainErrorReason(code: string): TlsVerifyReason {
  if (/EXPIRED/.test(code)) return 'expired';
  if (/NOT_YET_VALID/.test(code)) return 'not-yet-valid';
  if (/ISSUER|SELF_SIGNED|UNABLE_TO_VERIFY|UNTRUSTED|LOCAL_ISSUER/.test(code)) return 'unknown-ca';
  return 'other';
}

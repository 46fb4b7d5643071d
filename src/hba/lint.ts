/**
 * `hba lint` as a linter: findings with rule ids, line numbers and a fix,
 * over a parsed pg_hba.conf (pure: no I/O). Syntax errors PostgreSQL reports
 * are findings too (severity error, code `syntax`), so one list says all.
 *
 * Shadowing is conservative: an earlier rule shadows a later one only when
 * it provably matches every connection the later one could (see covers*).
 */
import type { HbaFile } from './file.js';
import { addressColumns, type AddressSpec, type HbaRule, type NameToken } from './parse.js';
import { oauthLineWarnings } from './oauth.js';

export interface HbaFinding {
  file: string;
  /** 1-based line number; 0 for the file as a whole (as check-roles' findings). */
  line: number;
  severity: 'error' | 'warning';
  code: string;
  message: string;
  fix: string;
}

export type LintCode = 'syntax' | 'cert-not-hostssl' | 'trust-open' | 'password-open' | 'md5' | 'shadowed' | 'world-weak' | 'ldap-no-tls' | 'oauth-issuer-not-https';

const TCP_TYPES = new Set(['host', 'hostssl', 'hostnossl', 'hostgssenc', 'hostnogssenc']);
/** Methods too weak for a line open to every address. */
const WEAK_METHODS = new Set(['trust', 'password', 'md5', 'ident']);

const bits = (b: Uint8Array): number => b.reduce((n, v) => n + popcount(v), 0);
function popcount(v: number): number {
  let n = 0;
  for (let x = v; x; x >>= 1) n += x & 1;
  return n;
}

/** Every client address (0.0.0.0/0, ::/0, all). */
export function isWorldOpen(a: AddressSpec | null): boolean {
  if (!a) return false;
  return a.kind === 'all' || (a.kind === 'ip' && bits(a.mask.bytes) === 0);
}

/** Provably loopback only: inside 127.0.0.0/8, ::1/128, or the host name localhost. */
export function isLoopbackOnly(a: AddressSpec | null): boolean {
  if (!a) return true;
  if (a.kind === 'hostname') return a.name.toLowerCase() === 'localhost';
  if (a.kind !== 'ip') return false;
  const { address, mask } = a;
  if (address.family === 4) return mask.bytes[0] === 0xff && address.bytes[0] === 127;
  const loop = new Uint8Array(16);
  loop[15] = 1;
  return mask.bytes.every((m) => m === 0xff) && address.bytes.every((b, i) => b === loop[i]);
}

function rawAddress(r: HbaRule): string {
  const { address, netmask } = addressColumns(r);
  return netmask === null ? (address ?? '') : `${address} mask ${netmask}`;
}

/** Findings for one rule on its own. */
export function ruleFindings(r: HbaRule): HbaFinding[] {
  const out: HbaFinding[] = [];
  const at = (code: LintCode, message: string, fix: string) => out.push({ file: r.file, line: r.lineNumber, severity: 'warning', code, message, fix });
  const tcp = TCP_TYPES.has(r.type);
  const world = tcp && isWorldOpen(r.address);
  if (world && WEAK_METHODS.has(r.method)) {
    at('world-weak', `${r.type} line open to every address (${rawAddress(r)}) with the weak method ${r.method}`, 'narrow the address to the networks that need access and use scram-sha-256 (or cert on hostssl)');
  } else if (tcp && !isLoopbackOnly(r.address) && (r.method === 'trust' || r.method === 'password')) {
    const what = r.method === 'trust' ? 'lets anyone from there in without a password' : 'sends the password in clear text';
    at(r.method === 'trust' ? 'trust-open' : 'password-open', `${r.method} on a ${r.type} line open beyond loopback (${rawAddress(r)}) ${what}`, `use scram-sha-256, or limit the line to 127.0.0.1/32 or ::1/128`);
  }
  if (r.method === 'md5') {
    at('md5', 'md5 is deprecated since PostgreSQL 18 (MD5 password hashes are weak and may be removed in a future release)', 'use scram-sha-256 (set password_encryption = scram-sha-256 and reset each role\'s password)');
  }
  if (r.method === 'ldap' && !r.settings.ldaptls && r.settings.ldapscheme !== 'ldaps') {
    at('ldap-no-tls', 'ldap without TLS: the password goes to the LDAP server in clear text', 'add ldaptls=1 (StartTLS) or use ldapscheme=ldaps / an ldaps:// ldapurl');
  }
  if (r.method === 'oauth') {
    for (const message of oauthLineWarnings(r.options)) at('oauth-issuer-not-https', message, 'give an https:// issuer URL');
  }
  return out;
}

const keyword = (t: NameToken, k: string) => !t.quoted && t.string === k;
const isLiteral = (t: NameToken, keywords: readonly string[]) => !t.regex && (t.quoted || !keywords.includes(t.string));

const DB_KEYWORDS = ['all', 'sameuser', 'samegroup', 'samerole', 'replication'] as const;

/** Does earlier token e match every database later token l can match? */
function dbTokenCovers(e: NameToken, l: NameToken): boolean {
  if (keyword(l, 'replication')) return keyword(e, 'replication');
  if (keyword(e, 'all')) return true;
  for (const k of ['sameuser', 'samegroup', 'samerole']) if (keyword(l, k)) return keyword(e, k);
  if (!isLiteral(l, DB_KEYWORDS)) return false;
  if (e.regex) return e.regex.test(l.string);
  return isLiteral(e, DB_KEYWORDS) && e.string === l.string;
}

function userTokenCovers(e: NameToken, l: NameToken): boolean {
  if (keyword(e, 'all')) return true;
  const group = (t: NameToken) => !t.quoted && t.string.startsWith('+');
  if (group(l)) return group(e) && e.string === l.string;
  if (keyword(l, 'all') || l.regex) return false;
  if (e.regex) return e.regex.test(l.string);
  return !group(e) && !keyword(e, 'all') && e.string === l.string;
}

function typeCovers(e: HbaRule, l: HbaRule): boolean {
  if (e.type === l.type) return true;
  return e.type === 'host' && l.type !== 'local';
}

function addressCovers(e: AddressSpec | null, l: AddressSpec | null): boolean {
  if (!e || !l) return e === l; // both local
  if (e.kind === 'all') return true;
  if (e.kind === 'ip' && l.kind === 'ip') {
    if (e.address.family !== l.address.family) return false;
    const em = e.mask.bytes;
    const lm = l.mask.bytes;
    // Every bit e tests, l fixes too, to the same value.
    return em.every((m, i) => (m & lm[i]!) === m && ((e.address.bytes[i]! ^ l.address.bytes[i]!) & m) === 0);
  }
  if (e.kind === 'hostname' && l.kind === 'hostname') return e.name.toLowerCase() === l.name.toLowerCase();
  return (e.kind === 'samehost' || e.kind === 'samenet') && e.kind === l.kind;
}

/** Does rule e (earlier) match every connection rule l (later) could match? */
export function shadows(e: HbaRule, l: HbaRule): boolean {
  return (
    typeCovers(e, l) &&
    addressCovers(e.address, l.address) &&
    l.databases.every((lt) => e.databases.some((et) => dbTokenCovers(et, lt))) &&
    l.users.every((lt) => e.users.some((et) => userTokenCovers(et, lt)))
  );
}

function shadowFindings(rules: readonly HbaRule[]): HbaFinding[] {
  const out: HbaFinding[] = [];
  rules.forEach((l, i) => {
    const e = rules.slice(0, i).find((cand) => shadows(cand, l));
    if (!e) return;
    const where = e.file === l.file ? `line ${e.lineNumber}` : `${e.file}:${e.lineNumber}`;
    out.push({
      file: l.file,
      line: l.lineNumber,
      severity: 'warning',
      code: 'shadowed',
      message: `no connection can reach this line: ${where} (${e.rawLine.trim()}) matches every connection it could, first`,
      fix: `move this line above ${where} if it should apply, or remove it`,
    });
  });
  return out;
}

/** PostgreSQL refuses `cert` on host/hostnossl lines itself: an error with its own code and fix. */
function errorCode(e: HbaFile['errors'][number]): { code: LintCode; fix: string } {
  if (e.line === null) return { code: 'syntax', fix: 'add at least one rule' };
  if (e.message === 'cert authentication is only supported on hostssl connections') {
    return { code: 'cert-not-hostssl', fix: 'make it a hostssl line (cert needs the TLS client certificate)' };
  }
  return { code: 'syntax', fix: 'correct the line: PostgreSQL refuses to load a file with an error' };
}

/** All findings for a parsed file: errors first as PostgreSQL reports them, then the lint rules, ordered by position. */
export function lintHba(file: HbaFile): HbaFinding[] {
  const errors: HbaFinding[] = file.errors.map((e) => ({ file: e.file, line: e.line ?? 0, severity: 'error', message: e.message, ...errorCode(e) }));
  const order = new Map(file.lines.map((l, i) => [`${l.file}\0${l.lineNumber}`, i]));
  const pos = (f: HbaFinding) => order.get(`${f.file}\0${f.line}`) ?? Number.MAX_SAFE_INTEGER;
  const warnings = [...file.rules.flatMap(ruleFindings), ...shadowFindings(file.rules)];
  return [...errors, ...warnings].sort((a, b) => pos(a) - pos(b));
}

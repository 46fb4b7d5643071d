/**
 * First-match selection of a pg_hba.conf rule, as PostgreSQL's check_hba,
 * check_db, check_role, check_hostname and check_same_host_or_net do it.
 */
import { networkInterfaces } from 'node:os';
import type { AuthDecision, ConnectionFacts } from './decision.js';
import { fullMask, inRange, parseIpAddress, sameAddress, type IpAddress } from './address.js';
import type { HbaRule, NameToken } from './parse.js';
import { hostsFileResolver, type HostResolver } from './resolver.js';

/** A network interface address as getifaddrs gives it. */
export interface InterfaceAddress {
  address: string;
  netmask: string;
}

export interface MatchOptions {
  /**
   * Host-name lines: reverse then forward lookup of the client address. Must
   * be synchronous (a MethodSelector is); defaults to /etc/hosts only.
   */
  resolver?: HostResolver;
  /** The server's own addresses for samehost/samenet (default: os.networkInterfaces()). */
  interfaces?: () => InterfaceAddress[];
  /**
   * Does a role exist? PostgreSQL's `+group` and `samerole` never match for a
   * role it does not know. Default: every role exists.
   */
  roleExists?: (role: string) => boolean;
}

/** Why a rule did not match, field by field, in the order check_hba tests them. */
export type MismatchReason = 'connection-type' | 'ssl' | 'gssenc' | 'address' | 'database' | 'user';

export interface RuleVerdict {
  rule: HbaRule;
  matched: boolean;
  reason?: MismatchReason;
}

/** Per-connection state, like PostgreSQL's Port: the host name is looked up at most once. */
interface ClientState {
  ip: IpAddress | undefined;
  hostname?: string | null;
  forwardOk?: boolean;
}

/** All roles `role` belongs to, directly or through other roles (is_member_of_role_nosuper), itself included. */
export function membershipClosure(role: string, groupsOf: (role: string) => string[]): Set<string> {
  const seen = new Set<string>([role]);
  const queue = [role];
  while (queue.length > 0 && seen.size < 10_000) {
    for (const g of groupsOf(queue.shift()!)) {
      if (!seen.has(g)) {
        seen.add(g);
        queue.push(g);
      }
    }
  }
  return seen;
}

/**
 * Walk the rules in order and say, for each one up to the first match, why it
 * did or did not match. The last verdict is the match, if any.
 */
export function explainHba(
  rules: readonly HbaRule[],
  facts: ConnectionFacts,
  groupsOf: (role: string) => string[],
  opts: MatchOptions = {},
): RuleVerdict[] {
  const out: RuleVerdict[] = [];
  let members: Set<string> | undefined;
  const exists = opts.roleExists ?? (() => true);
  const isMember = (group: string): boolean => {
    if (!exists(facts.user) || !exists(group)) return false;
    members ??= membershipClosure(facts.user, groupsOf);
    return members.has(group);
  };
  const client: ClientState = { ip: facts.remoteAddress ? parseIpAddress(facts.remoteAddress) : undefined };
  for (const rule of rules) {
    const reason = mismatch(rule, facts, client, isMember, opts);
    out.push(reason ? { rule, matched: false, reason } : { rule, matched: true });
    if (!reason) break;
  }
  return out;
}

/**
 * Whether `rule` would match if the user were a member of every role it names
 * (`+group`, `samerole`): with memberships unknown, the lines whose only
 * obstacle could be a membership.
 */
export function matchesIfMember(rule: HbaRule, facts: ConnectionFacts, opts: MatchOptions = {}): boolean {
  const client: ClientState = { ip: facts.remoteAddress ? parseIpAddress(facts.remoteAddress) : undefined };
  return mismatch(rule, facts, client, () => true, opts) === undefined;
}

function mismatch(
  rule: HbaRule,
  facts: ConnectionFacts,
  client: ClientState,
  isMember: (group: string) => boolean,
  opts: MatchOptions,
): MismatchReason | undefined {
  if (rule.type === 'local') {
    if (facts.transport !== 'unix') return 'connection-type';
  } else {
    if (facts.transport === 'unix') return 'connection-type';
    if (facts.ssl && rule.type === 'hostnossl') return 'ssl';
    if (!facts.ssl && rule.type === 'hostssl') return 'ssl';
    if (facts.gssenc && rule.type === 'hostnogssenc') return 'gssenc';
    if (!facts.gssenc && rule.type === 'hostgssenc') return 'gssenc';
    if (!addressMatches(rule, client, opts)) return 'address';
  }
  if (!databaseMatches(rule.databases, facts, isMember)) return 'database';
  if (!userMatches(rule.users, facts.user, isMember)) return 'user';
  return undefined;
}

function addressMatches(rule: HbaRule, client: ClientState, opts: MatchOptions): boolean {
  const a = rule.address;
  if (!a || a.kind === 'all') return true;
  const ip = client.ip;
  if (!ip) return false;
  switch (a.kind) {
    case 'ip':
      return inRange(ip, a.address, a.mask.bytes);
    case 'samehost':
    case 'samenet':
      return sameHostOrNet(ip, a.kind, opts);
    case 'hostname':
      return hostnameMatches(a.name, client, opts);
  }
}

function sameHostOrNet(ip: IpAddress, kind: 'samehost' | 'samenet', opts: MatchOptions): boolean {
  const list = (opts.interfaces ?? defaultInterfaces)();
  for (const iface of list) {
    const addr = parseIpAddress(iface.address);
    if (!addr || addr.family !== ip.family) continue;
    const mask = kind === 'samehost' ? fullMask(addr.family) : parseIpAddress(iface.netmask)?.bytes;
    if (mask && inRange(ip, addr, mask)) return true;
  }
  return false;
}

/** The server's addresses now (PostgreSQL enumerates them per connection, too). */
function defaultInterfaces(): InterfaceAddress[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((i): i is NonNullable<typeof i> => !!i)
    .map((i) => ({ address: i.address, netmask: i.netmask }));
}

/** hostname_match: `.suffix` or the whole name, case-insensitive. */
export function hostnameMatch(pattern: string, actual: string): boolean {
  const p = pattern.toLowerCase();
  const a = actual.toLowerCase();
  if (p.startsWith('.')) return a.length >= p.length && a.endsWith(p);
  return p === a;
}

/** check_hostname: reverse lookup, name match, then forward lookup must give the client address back. */
function hostnameMatches(pattern: string, client: ClientState, opts: MatchOptions): boolean {
  const ip = client.ip!;
  const resolver = opts.resolver ?? defaultResolver();
  if (client.hostname === null) return false;
  if (client.hostname === undefined) {
    client.hostname = resolver.reverse(ip) ?? null;
    if (client.hostname === null) return false;
  }
  if (!hostnameMatch(pattern, client.hostname)) return false;
  if (client.forwardOk !== undefined) return client.forwardOk;
  const forward = resolver.forward(client.hostname);
  client.forwardOk = forward.some((f) => sameAddress(f, ip));
  if (!client.forwardOk) client.hostname = null; // PostgreSQL remembers the failure for later lines
  return client.forwardOk;
}

let resolverCache: HostResolver | undefined;
function defaultResolver(): HostResolver {
  resolverCache ??= hostsFileResolver();
  return resolverCache;
}

function databaseMatches(tokens: readonly NameToken[], facts: ConnectionFacts, isMember: (g: string) => boolean): boolean {
  for (const t of tokens) {
    const keyword = (k: string) => !t.quoted && t.string === k;
    if (facts.replication) {
      // Physical replication connections match only the replication keyword.
      if (keyword('replication')) return true;
    } else if (keyword('all')) return true;
    else if (keyword('sameuser')) {
      if (facts.database === facts.user) return true;
    } else if (keyword('samegroup') || keyword('samerole')) {
      if (isMember(facts.database)) return true;
    } else if (keyword('replication')) continue;
    else if (t.regex) {
      if (t.regex.test(facts.database)) return true;
    } else if (t.string === facts.database) return true;
  }
  return false;
}

function userMatches(tokens: readonly NameToken[], user: string, isMember: (g: string) => boolean): boolean {
  for (const t of tokens) {
    if (!t.quoted && t.string.startsWith('+')) {
      if (isMember(t.string.slice(1))) return true;
    } else if (!t.quoted && t.string === 'all') return true;
    else if (t.regex) {
      if (t.regex.test(user)) return true;
    } else if (t.string === user) return true;
  }
  return false;
}

/** The decision for the verdicts of explainHba. */
export function decisionOf(verdicts: readonly RuleVerdict[]): AuthDecision {
  const last = verdicts.at(-1);
  if (!last || !last.matched) return { kind: 'no-entry' };
  const r = last.rule;
  if (r.method === 'reject') return { kind: 'reject', file: r.file, line: r.lineNumber };
  return { kind: 'method', method: r.method, options: Object.fromEntries(r.options), file: r.file, line: r.lineNumber };
}

/**
 * Does the line depend on role memberships: a `+group` user or a
 * `samerole`/`samegroup` database? Without them such a line never matches,
 * so callers that know no memberships can say so instead of "does not match".
 */
export function usesMemberships(rule: Pick<HbaRule, 'users' | 'databases'>): boolean {
  return rule.users.some((t) => !t.quoted && t.string.startsWith('+')) || rule.databases.some((t) => !t.quoted && (t.string === 'samerole' || t.string === 'samegroup'));
}

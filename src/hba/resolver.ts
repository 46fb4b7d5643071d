/**
 * Host-name lookups for pg_hba.conf host-name addresses. PostgreSQL calls
 * getnameinfo(NI_NAMEREQD) on the client address, matches the name, then
 * getaddrinfo on the name and requires the client address among the answers.
 *
 * A MethodSelector is synchronous, so lookups go through this small
 * synchronous interface: the default reads /etc/hosts (the "files" source of
 * nsswitch, which is what answers for loopback names); `prepareSystemResolver`
 * does real lookups ahead of time for `pgauth hba check`; tests inject a map.
 */
import { readFileBounded } from '../files/read-bounded.js';
import { lookup, lookupService } from 'node:dns/promises';
import { formatIpAddress, parseIpAddress, sameAddress, type IpAddress } from './address.js';

export interface HostResolver {
  /** The client address's host name (reverse lookup), or null when there is none. */
  reverse(address: IpAddress): string | null;
  /** The addresses of a name (forward lookup); empty when it does not resolve. */
  forward(name: string): IpAddress[];
}

/** Entries of an /etc/hosts text: address then names, `#` comments. */
export function parseHostsFile(text: string): Array<{ address: IpAddress; names: string[] }> {
  const out: Array<{ address: IpAddress; names: string[] }> = [];
  for (const line of text.split('\n')) {
    const words = line.replace(/#.*/, '').trim().split(/\s+/).filter(Boolean);
    if (words.length < 2) continue;
    const address = parseIpAddress(words[0]!);
    if (address) out.push({ address, names: words.slice(1) });
  }
  return out;
}

/** A resolver that answers from /etc/hosts (or the given text) only: never a DNS query. */
export function hostsFileResolver(text?: string): HostResolver {
  let entries: Array<{ address: IpAddress; names: string[] }>;
  try {
    entries = parseHostsFile(text ?? readFileBounded('/etc/hosts', 1 << 20).toString('utf8'));
  } catch {
    entries = [];
  }
  return {
    // glibc's files backend answers with the canonical name of the first line for the address.
    reverse: (a) => entries.find((e) => sameAddress(e.address, a))?.names[0] ?? null,
    forward: (name) => entries.filter((e) => e.names.some((n) => n.toLowerCase() === name.toLowerCase())).map((e) => e.address),
  };
}

/** A fixed table, for tests: address text -> name, name -> address texts. */
export function staticResolver(reverse: Record<string, string>, forward: Record<string, string[]>): HostResolver {
  const rev = Object.entries(reverse).map(([ip, name]) => ({ ip: parseIpAddress(ip), name }));
  return {
    reverse: (a) => rev.find((r) => r.ip && sameAddress(r.ip, a))?.name ?? null,
    forward: (name) =>
      (Object.entries(forward).find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1] ?? [])
        .map((t) => parseIpAddress(t))
        .filter((x): x is IpAddress => !!x),
  };
}

/**
 * Real lookups (the system resolver, as PostgreSQL uses) done once ahead of a
 * synchronous match, for one client address.
 */
export async function prepareSystemResolver(clientAddress: string): Promise<HostResolver> {
  const ip = parseIpAddress(clientAddress);
  let name: string | null = null;
  let addrs: IpAddress[] = [];
  if (ip) {
    try {
      const r = await lookupService(formatIpAddress(ip), 0);
      // Without NI_NAMEREQD getnameinfo falls back to the numeric form: that is "no name".
      name = parseIpAddress(r.hostname) ? null : r.hostname;
    } catch {
      name = null;
    }
    if (name) {
      try {
        addrs = (await lookup(name, { all: true })).map((a) => parseIpAddress(a.address)).filter((x): x is IpAddress => !!x);
      } catch {
        addrs = [];
      }
    }
  }
  return {
    reverse: (a) => (ip && sameAddress(a, ip) ? name : null),
    forward: (n) => (name && n.toLowerCase() === name.toLowerCase() ? addrs : []),
  };
}

/**
 * Drift between the role file and a live server (`check-roles --against`):
 * per role, whether both sides hold the identical verifier (SCRAM
 * pass-through through PgBouncer or PostgreSQL 18's use_scram_passthrough
 * needs the same salt and iterations, not just the same password), the
 * expiry (rolvaliduntil), LOGIN/NOLOGIN, the connection limit, the
 * memberships, and roles present on one side only. Pure: reading a server
 * is src/probe/drift-live.ts (roles sit below the probe).
 */
import type { RoleRecord } from './index.js';
import { parseSecret, type Secret } from '../secrets/index.js';

/** How two verifiers differ, most telling first ('missing': one side has no password at all). */
export type VerifierDifference = 'missing' | 'kind' | 'iterations' | 'salt' | 'keys' | 'text';

/** A stored secret's kind, or 'none' for a role without a password (rolpassword NULL). */
export type StoredKind = Secret['kind'] | 'none';

export type RoleDifference =
  | { kind: 'verifier'; why: VerifierDifference; file: StoredKind; server: StoredKind }
  | { kind: 'valid-until'; file: string | null; server: string | null }
  | { kind: 'login'; file: boolean; server: boolean }
  | { kind: 'connection-limit'; file: number; server: number }
  | { kind: 'membership'; onlyInFile: string[]; onlyOnServer: string[] };

export interface RoleDrift {
  role: string;
  presence: 'both' | 'file-only' | 'server-only';
  differences: RoleDifference[];
  /** Not drift, still worth saying: an md5 secret still stored (PostgreSQL 18 deprecates md5). */
  md5StoredOn: Array<'file' | 'server'>;
}

/** Why two stored secrets are not the identical verifier, or null when they are. */
export function verifierDifference(file: string, server: string): VerifierDifference | null {
  if (file === server) return null;
  if (file === '' || server === '') return 'missing';
  const a = parseSecret(file);
  const b = parseSecret(server);
  if (a.kind !== b.kind) return 'kind';
  if (a.kind === 'scram-sha-256' && b.kind === 'scram-sha-256') {
    if (a.iterations !== b.iterations) return 'iterations';
    if (!a.salt.equals(b.salt)) return 'salt';
    if (!a.storedKey.equals(b.storedKey) || !a.serverKey.equals(b.serverKey)) return 'keys';
  }
  return a.kind === 'md5' ? 'keys' : 'text';
}

const storedKind = (secret: string): StoredKind => (secret === '' ? 'none' : parseSecret(secret).kind);

/**
 * No valid-until and 'infinity' both mean "never expires" (PostgreSQL: NULL or
 * infinity). Whole seconds: the live read gives rolvaliduntil to the second,
 * the file may hold milliseconds.
 */
function expiryInstant(v: string | undefined): number | null {
  if (v === undefined || v === 'infinity') return null;
  const t = Date.parse(v);
  return Number.isNaN(t) ? Number.NaN : Math.floor(t / 1000);
}

function sameExpiry(a: string | undefined, b: string | undefined): boolean {
  const x = expiryInstant(a);
  const y = expiryInstant(b);
  return x === y || (x !== null && y !== null && Number.isNaN(x) && Number.isNaN(y) && a === b);
}

function membershipDifference(file: RoleRecord, server: RoleRecord): RoleDifference | null {
  const f = new Set(file.attrs.memberOf ?? []);
  const s = new Set(server.attrs.memberOf ?? []);
  const onlyInFile = [...f].filter((g) => !s.has(g)).sort();
  const onlyOnServer = [...s].filter((g) => !f.has(g)).sort();
  return onlyInFile.length || onlyOnServer.length ? { kind: 'membership', onlyInFile, onlyOnServer } : null;
}

function differencesOf(file: RoleRecord, server: RoleRecord): RoleDifference[] {
  const out: RoleDifference[] = [];
  const why = verifierDifference(file.secret, server.secret);
  if (why) out.push({ kind: 'verifier', why, file: storedKind(file.secret), server: storedKind(server.secret) });
  if (!sameExpiry(file.attrs.validUntil, server.attrs.validUntil)) {
    out.push({ kind: 'valid-until', file: file.attrs.validUntil ?? null, server: server.attrs.validUntil ?? null });
  }
  if (!!file.attrs.nologin !== !!server.attrs.nologin) out.push({ kind: 'login', file: !file.attrs.nologin, server: !server.attrs.nologin });
  if ((file.attrs.connLimit ?? -1) !== (server.attrs.connLimit ?? -1)) {
    out.push({ kind: 'connection-limit', file: file.attrs.connLimit ?? -1, server: server.attrs.connLimit ?? -1 });
  }
  const members = membershipDifference(file, server);
  if (members) out.push(members);
  return out;
}

const isMd5 = (secret: string): boolean => storedKind(secret) === 'md5';

/** Per-role drift, sorted by role name. Pure. */
export function compareRoles(fileRoles: Iterable<RoleRecord>, serverRoles: Iterable<RoleRecord>): RoleDrift[] {
  const file = new Map([...fileRoles].map((r) => [r.name, r]));
  const server = new Map([...serverRoles].map((r) => [r.name, r]));
  const names = [...new Set([...file.keys(), ...server.keys()])].sort();
  return names.map((role) => {
    const f = file.get(role);
    const s = server.get(role);
    const md5StoredOn = [f && isMd5(f.secret) ? ('file' as const) : null, s && isMd5(s.secret) ? ('server' as const) : null].filter((x) => x !== null);
    if (f && s) return { role, presence: 'both', differences: differencesOf(f, s), md5StoredOn };
    return { role, presence: f ? 'file-only' : 'server-only', differences: [], md5StoredOn };
  });
}

export const hasDrift = (d: RoleDrift): boolean => d.presence !== 'both' || d.differences.length > 0;

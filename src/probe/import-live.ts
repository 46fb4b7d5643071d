/**
 * `pgauth import postgresql://...`: read roles and their secrets from a live
 * server's pg_authid over the probe's own client (simple query protocol).
 * Needs a superuser: pg_authid is not readable by others.
 */
import type { RoleRecord } from '../roles/index.js';
import { ConninfoError, redactUri, resolveConnParams } from './conninfo.js';
import { runProbe, type ProbeOptions } from './probe.js';

/**
 * rolvaliduntil as ISO-8601 UTC or 'infinity', whatever the session's DateStyle;
 * '-infinity' and BC dates (to_char gives NULL and a year without its era) as
 * the earliest instant the role file holds, so the role stays expired.
 */
export const ROLES_QUERY = `SELECT rolname, rolpassword,
  CASE WHEN rolvaliduntil IS NULL THEN NULL
       WHEN rolvaliduntil = 'infinity' THEN 'infinity'
       WHEN rolvaliduntil < '0001-01-01 00:00:00+00' THEN '0001-01-01T00:00:00Z'
       ELSE to_char(rolvaliduntil AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') END,
  rolcanlogin, rolconnlimit
FROM pg_catalog.pg_authid ORDER BY rolname`;

export const MEMBERS_QUERY = `SELECT m.rolname, g.rolname
FROM pg_catalog.pg_auth_members am
JOIN pg_catalog.pg_roles m ON m.oid = am.member
JOIN pg_catalog.pg_roles g ON g.oid = am.roleid
ORDER BY 1, 2`;

/**
 * Rows (text values) to role records; roles without a password are left out
 * (nothing to import), except those `keepWithoutPassword` names (the drift
 * needs to see a file role that has no password on the server): their secret is ''.
 */
export function rolesFromRows(
  roleRows: Array<Array<string | null>>,
  memberRows: Array<Array<string | null>>,
  keepWithoutPassword: (name: string) => boolean = () => false,
): RoleRecord[] {
  const memberOf = new Map<string, string[]>();
  for (const [member, group] of memberRows) {
    if (member === null || member === undefined || group === null || group === undefined) continue;
    memberOf.set(member, [...(memberOf.get(member) ?? []), group]);
  }
  const out: RoleRecord[] = [];
  for (const [name, secret, validUntil, canLogin, connLimit] of roleRows) {
    if (!name) continue;
    const noPassword = secret === null || secret === undefined || secret === '';
    if (noPassword && !keepWithoutPassword(name)) continue;
    const attrs: RoleRecord['attrs'] = {};
    if (validUntil) attrs.validUntil = validUntil;
    if (canLogin === 'f') attrs.nologin = true;
    if (connLimit !== null && connLimit !== undefined && connLimit !== '-1') attrs.connLimit = Number(connLimit);
    const groups = memberOf.get(name);
    if (groups?.length) attrs.memberOf = groups;
    out.push({ name, secret: noPassword ? '' : secret, attrs, line: 0 });
  }
  return out;
}

/** The live import could not log in ('unreachable': no answer) or read pg_authid ('rejected'). */
export class LiveImportError extends Error {
  override readonly name = 'LiveImportError';
  constructor(
    readonly kind: 'rejected' | 'unreachable',
    message: string,
  ) {
    super(message);
  }
}

/** The URI carries a password, as user:password@ or ?password= (which then sits on argv). */
export function uriHasPassword(uri: string): boolean {
  return redactUri(uri) !== uri;
}

export { redactUri };

export interface LiveOptions {
  password?: string;
  /** Asks for the password (hidden) when the server wants one and none was given: only on a terminal. */
  prompt?: (user: string) => Promise<string>;
  probe?: Partial<ProbeOptions>;
  /** Also keep these roles when they have no password on the server (drift needs them; import does not). */
  keepWithoutPassword?: (name: string) => boolean;
}

/** Every role name, for samerole and +group (pg_roles is readable by any role). */
export const ROLE_NAMES_QUERY = 'SELECT rolname FROM pg_catalog.pg_roles ORDER BY 1';

type Rows = Array<Array<string | null>>;

/** Logs in like the probe (libpq's sources for the password, then the prompt) and runs the queries. */
async function queryLive(uri: string, queries: string[], opts: LiveOptions): Promise<Rows[]> {
  // Not quoted back: a conninfo string here may hold a password.
  if (!/^postgres(ql)?:\/\//.test(uri)) throw new ConninfoError('expected a postgresql:// or postgres:// URI');
  const params = resolveConnParams({ target: uri });
  const prompt = opts.prompt;
  const result = await runProbe({
    params,
    ...(opts.password !== undefined ? { password: { value: opts.password, source: 'import' } } : {}),
    ...(prompt ? { prompt: () => prompt(params.user) } : {}),
    queries,
    ...opts.probe,
  });
  if (!result.ok) {
    const why =
      result.diagnosis.code === 'password-required'
        ? `the server asked for a password (${result.auth.method ?? 'a password method'}) and none was given: use --password-stdin or --password-env VAR, PGPASSWORD or a ~/.pgpass line, or run on a terminal to be asked`
        : `${result.error.message ?? result.diagnosis.code} (${result.diagnosis.code}: ${result.diagnosis.fix})`;
    throw new LiveImportError(result.exit === 'unreachable' ? 'unreachable' : 'rejected', `cannot log in to ${redactUri(uri)}: ${why}`);
  }
  const answers = result.queryResults ?? [];
  if (answers.length < queries.length) throw new LiveImportError('rejected', 'the server did not answer the role queries');
  for (const q of answers) {
    if (q.error) {
      const hint = q.error.code === '42501' ? `; reading pg_authid needs a superuser (logged in as ${result.auth.currentUser ?? params.user})` : '';
      throw new LiveImportError('rejected', `${q.error.message}${hint}`);
    }
  }
  return answers.map((q) => q.rows);
}

export async function fetchRolesFromServer(uri: string, opts: LiveOptions): Promise<RoleRecord[]> {
  const [roles, members] = await queryLive(uri, [ROLES_QUERY, MEMBERS_QUERY], opts);
  return rolesFromRows(roles!, members!, opts.keepWithoutPassword);
}

/** Every role and the groups each is a direct member of, from a live server (no superuser needed). */
export async function fetchMembershipsFromServer(uri: string, opts: LiveOptions): Promise<{ roles: string[]; memberOf: Map<string, string[]> }> {
  const [names, members] = await queryLive(uri, [ROLE_NAMES_QUERY, MEMBERS_QUERY], opts);
  const memberOf = new Map<string, string[]>();
  for (const [member, group] of members!) if (member && group) memberOf.set(member, [...(memberOf.get(member) ?? []), group]);
  return { roles: names!.flatMap(([n]) => (n ? [n] : [])), memberOf };
}

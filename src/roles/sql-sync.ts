/**
 * `export --format sql --sync`: today's export (src/roles/sql.ts) plus what
 * brings a server that already has the roles in line with the file, still
 * offline (no server state needed when generating it):
 * - `VALID UNTIL 'infinity'` for roles the file gives no expiry (the plain
 *   export leaves an old rolvaliduntil in place);
 * - memberships made exactly the file's: a DO block revokes every membership
 *   of a file role that the file no longer lists (per grantor on PostgreSQL
 *   16+, where pg_auth_members has one row per grantor) and grants only the
 *   missing ones (the export's grants, as data); its `GRANT` lines are left out because
 *   a second `GRANT` of a held membership raises a NOTICE (15 and 18, checked).
 * LOGIN/NOLOGIN both ways are already in the export's ALTER ROLE.
 * Run twice, the second run changes nothing and says nothing.
 */
import type { RoleRecord } from './index.js';
import { quoteIdent, quoteLiteral, sqlExportParts, type SqlExport } from './sql.js';

const SYNC_COMMENT = "-- --sync: expiry, LOGIN and memberships are made exactly the file's (memberships the file does not list are revoked).";

const textArray = (values: readonly string[]): string => `ARRAY[${values.map(quoteLiteral).join(', ')}]::text[]`;

/** The DO block that makes the memberships of `members` exactly `grants` (member, group). */
export function membershipSyncSql(members: readonly string[], grants: ReadonlyArray<[member: string, group: string]>): string {
  const want = `unnest(${textArray(grants.map(([m]) => m))}, ${textArray(grants.map(([, g]) => g))}) AS want(member, grp)`;
  const held = `SELECT u.rolname AS member, g.rolname AS grp, gr.rolname AS grantor
      FROM pg_catalog.pg_auth_members am
      JOIN pg_catalog.pg_roles u ON u.oid = am.member
      JOIN pg_catalog.pg_roles g ON g.oid = am.roleid
      LEFT JOIN pg_catalog.pg_roles gr ON gr.oid = am.grantor`;
  const body = `DECLARE m record;
BEGIN
  FOR m IN SELECT * FROM (${held}) AS h
    WHERE h.member = ANY (${textArray(members)})
      AND NOT EXISTS (SELECT FROM ${want} WHERE want.member = h.member AND want.grp = h.grp)
  LOOP
    IF current_setting('server_version_num')::int >= 160000 AND m.grantor IS NOT NULL THEN
      EXECUTE format('REVOKE %I FROM %I GRANTED BY %I', m.grp, m.member, m.grantor);
    ELSE
      EXECUTE format('REVOKE %I FROM %I', m.grp, m.member);
    END IF;
  END LOOP;
  FOR m IN SELECT * FROM ${want}
    WHERE NOT EXISTS (SELECT FROM (${held}) AS h WHERE h.member = want.member AND h.grp = want.grp)
  LOOP
    EXECUTE format('GRANT %I TO %I', m.grp, m.member);
  END LOOP;
END`;
  return `DO ${quoteLiteral(body)};`;
}

export function exportSqlSync(roles: readonly RoleRecord[], source: string): SqlExport {
  const p = sqlExportParts(roles, source);
  const [first, ...rest] = p.header;
  const lines = [first!, SYNC_COMMENT, ...rest, 'BEGIN;', ...p.roleStatements];
  for (const r of p.kept) if (r.attrs.validUntil === undefined) lines.push(`ALTER ROLE ${quoteIdent(r.name)} VALID UNTIL 'infinity';`);
  lines.push(membershipSyncSql(p.kept.map((r) => r.name), p.grants), 'COMMIT;');
  return { sql: lines.join('\n') + '\n', skipped: p.skipped };
}

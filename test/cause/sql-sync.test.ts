import { expect, test } from 'vitest';
import { exportSql } from '../../src/roles/sql.js';
import { exportSqlSync, membershipSyncSql } from '../../src/roles/sql-sync.js';
import type { RoleRecord } from '../../src/roles/index.js';

const role = (name: string, attrs: RoleRecord['attrs'] = {}): RoleRecord => ({ name, secret: 'md5' + 'a'.repeat(32), attrs, line: 1 });

test('the export plus infinity for roles without expiry; GRANT lines become the membership block', () => {
  const roles = [role('a', { memberOf: ['g'] }), role('b', { validUntil: '2030-01-01T00:00:00Z' }), role('pg_x')];
  const plain = exportSql(roles, 'f').sql;
  const sync = exportSqlSync(roles, 'f');
  expect(sync.skipped.map((s) => s.name)).toEqual(['pg_x']);
  expect(sync.sql).not.toMatch(/^GRANT /m);
  expect(sync.sql).toContain(`ALTER ROLE "a" VALID UNTIL 'infinity';`);
  expect(sync.sql).not.toContain(`ALTER ROLE "b" VALID UNTIL 'infinity'`);
  // Everything else of the export is kept, in order.
  for (const line of plain.split('\n').filter((l) => l && !l.startsWith('GRANT '))) expect(sync.sql).toContain(line);
  expect(sync.sql.trimEnd().endsWith('COMMIT;')).toBe(true);
});

test('names with quotes survive both quotings (identifier in the export, literal in the DO body)', () => {
  const sql = membershipSyncSql(["o'neil"], [["o'neil", 'we"ird']]);
  expect(sql.startsWith("DO '")).toBe(true);
  expect(sql).toContain(`ARRAY[''o''''neil'']::text[]`);
  expect(sql).toContain(`ARRAY[''we"ird'']::text[]`);
  const sync = exportSqlSync([role("o'neil", { memberOf: ['we"ird'] })], 'f').sql;
  expect(sync).toContain(`''we"ird''`);
});

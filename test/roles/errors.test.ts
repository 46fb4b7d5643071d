/**
 * The roles layer's errors carry a `code` callers switch on (issue 10: never
 * the message text, never the class name string).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmp.js';
import { RoleExistsError, RoleNotFoundError, addRole, removeRole, rolesFromSource } from '../../src/roles/commands.js';
import { loadRoleFile } from '../../src/roles/index.js';
import { SqlSyntaxError } from '../../src/roles/sql-lexer.js';
import { RoleFileError } from '../../src/roles/store.js';

const tmp = tempDir('pgauth-roles-errors-');
afterAll(() => tmp.remove());

/** The error a promise rejects with. */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => expect.fail('expected a rejection'),
    (err: unknown) => err,
  );
}

describe('role errors carry a code', () => {
  const file = join(tmp.path, 'userlist.txt');
  writeFileSync(file, '"alice" "pw-alice"\n', { mode: 0o600 });

  it('ROLE_EXISTS: add-role of a role already there without replace', async () => {
    const err = await rejection(addRole({ path: file, name: 'alice', secret: 'pw2', attrs: {}, replace: false }));
    expect(err).toBeInstanceOf(RoleExistsError);
    expect(err).toMatchObject({ code: 'ROLE_EXISTS', role: 'alice', line: 1 });
  });

  it('ROLE_NOT_FOUND: remove-role of a role not in the file', async () => {
    const err = await rejection(removeRole({ path: file, name: 'bob' }));
    expect(err).toBeInstanceOf(RoleNotFoundError);
    expect(err).toMatchObject({ code: 'ROLE_NOT_FOUND', role: 'bob' });
  });

  it('ROLE_FILE: a role file that is not there', async () => {
    const missing = join(tmp.path, 'missing.txt');
    const err = await rejection(loadRoleFile(missing));
    expect(err).toBeInstanceOf(RoleFileError);
    expect(err).toMatchObject({ code: 'ROLE_FILE', path: missing });
  });

  it('SQL_SYNTAX: the lexer refuses input PostgreSQL would refuse', () => {
    expect(new SqlSyntaxError(3, 'unterminated quoted string')).toMatchObject({ code: 'SQL_SYNTAX', line: 3 });
  });

  it('an SQL source with a syntax error becomes a ROLE_FILE error naming the line', () => {
    let err: unknown;
    try {
      rolesFromSource(Buffer.from("CREATE ROLE alice PASSWORD 'open\n"), 'dump.sql');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RoleFileError);
    expect(err).toMatchObject({ code: 'ROLE_FILE', path: 'dump.sql', line: 1 });
  });
});

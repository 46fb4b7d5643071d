/**
 * `hba check` on +group and samerole lines (issue 15): without a role file it
 * says memberships are unknown, lists the lines taken as not matching and
 * how to give them, instead of "user does not match"; with --roles FILE the
 * memberships decide.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pgauth } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';
import { GROUP_HBA } from './group-hba.js';

const tmp = tempDir('pgauth-hba-members-');
afterAll(() => tmp.remove());
const file = join(tmp.path, 'pg_hba.conf');
writeFileSync(file, GROUP_HBA);
const env = { PGAUTH_ROLES: '' };
const check = (extra: string[]) => pgauth(['hba', 'check', file, '--user', 'alice', '--db', 'app', '--addr', '10.1.2.3', ...extra], { cwd: tmp.path, env });

describe('hba check with +group and samerole lines', () => {
  it('no role file: memberships unknown, the lines named, and how to give them', async () => {
    const r = await check([]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${file}:2: host all +admins 10.0.0.0/8 scram-sha-256  (memberships unknown: taken as not matching)`);
    expect(r.stdout).not.toContain('+admins 10.0.0.0/8 scram-sha-256  (user does not match)');
    expect(r.stdout).toContain('Memberships unknown: 2 lines use +group or samerole and no role file was given, so they were taken as not matching:');
    expect(r.stdout).toContain('Give the memberships with --roles FILE (a role file with member-of=) or read them from a live server with --roles postgresql://USER@HOST/DB.');
    const json = await check(['--json']);
    expect(JSON.parse(json.stdout).membershipsUnknown.map((u: { lineNumber: number }) => u.lineNumber)).toEqual([2, 3]);
  });

  it('a +group line that the database (or address) rules out anyway is not called unknown', async () => {
    const other = join(tmp.path, 'pg_hba.other.conf');
    writeFileSync(other, ['host otherdb +admins 10.0.0.0/8 md5', 'host app +admins 10.0.0.0/8 scram-sha-256', 'host all all 0.0.0.0/0 reject', ''].join('\n'));
    const r = await pgauth(['hba', 'check', other, '--user', 'carol', '--db', 'app', '--addr', '10.1.1.1', '--json'], { cwd: tmp.path, env });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).membershipsUnknown.map((u: { lineNumber: number }) => u.lineNumber)).toEqual([2]);
  });

  it('with --roles FILE: the membership decides, and nothing is unknown', async () => {
    const roles = join(tmp.path, 'userlist.txt.roles');
    writeFileSync(roles, '"alice" "pw" member-of=admins\n', { mode: 0o600 });
    const r = await check(['--roles', roles, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.line.lineNumber).toBe(2);
    expect(doc.membershipsUnknown).toEqual([]);
  });
});

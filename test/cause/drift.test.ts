import { describe, expect, test } from 'vitest';
import { compareRoles, hasDrift, verifierDifference, type RoleDifference } from '../../src/roles/drift.js';
import type { RoleRecord } from '../../src/roles/index.js';
import { buildMd5Secret, buildScramSecret } from '../../src/secrets/index.js';

const salt = (b: number) => Buffer.alloc(16, b);
const S1 = buildScramSecret('pw', { iterations: 4096, salt: salt(1) });
const role = (name: string, secret: string, attrs: RoleRecord['attrs'] = {}): RoleRecord => ({ name, secret, attrs, line: 0 });

describe('verifierDifference', () => {
  test.each([
    ['identical', S1, S1, null],
    ['same password, other salt', S1, buildScramSecret('pw', { iterations: 4096, salt: salt(2) }), 'salt'],
    ['same password and salt, other iterations', S1, buildScramSecret('pw', { iterations: 8192, salt: salt(1) }), 'iterations'],
    ['other password, same salt and iterations', S1, buildScramSecret('other', { iterations: 4096, salt: salt(1) }), 'keys'],
    ['SCRAM against md5', S1, buildMd5Secret('pw', 'a'), 'kind'],
    ['two md5 secrets', buildMd5Secret('pw', 'a'), buildMd5Secret('pw2', 'a'), 'keys'],
    ['two plain passwords', 'pw', 'pw2', 'text'],
    ['no password on the server (rolpassword NULL)', S1, '', 'missing'],
  ])('%s', (_name, a, b, why) => {
    expect(verifierDifference(a, b)).toBe(why);
  });
});

describe('compareRoles', () => {
  const cases: Array<[string, RoleRecord['attrs'], RoleRecord['attrs'], RoleDifference[]]> = [
    ['no expiry equals infinity', {}, { validUntil: 'infinity' }, []],
    ['expiry in the past on the server', {}, { validUntil: '2001-01-01T00:00:00Z' }, [{ kind: 'valid-until', file: null, server: '2001-01-01T00:00:00Z' }]],
    ['the same instant written two ways', { validUntil: '2030-01-01T00:00:00Z' }, { validUntil: '2030-01-01T00:00:00.000Z' }, []],
    ['milliseconds in the file, seconds from the server', { validUntil: '2030-01-01T00:00:00.500Z' }, { validUntil: '2030-01-01T00:00:00Z' }, []],
    ['NOLOGIN on the server only', {}, { nologin: true }, [{ kind: 'login', file: true, server: false }]],
    ['connection limit', { connLimit: 5 }, {}, [{ kind: 'connection-limit', file: 5, server: -1 }]],
    ['membership dropped from the file', { memberOf: ['a'] }, { memberOf: ['a', 'b'] }, [{ kind: 'membership', onlyInFile: [], onlyOnServer: ['b'] }]],
    ['membership missing on the server', { memberOf: ['b', 'a'] }, {}, [{ kind: 'membership', onlyInFile: ['a', 'b'], onlyOnServer: [] }]],
  ];
  test.each(cases)('%s', (_name, fileAttrs, serverAttrs, differences) => {
    const [d] = compareRoles([role('r', S1, fileAttrs)], [role('r', S1, serverAttrs)]);
    expect(d).toEqual({ role: 'r', presence: 'both', differences, md5StoredOn: [] });
    expect(hasDrift(d!)).toBe(differences.length > 0);
  });

  test('present on one side only; md5 still stored; sorted by name', () => {
    const md5 = buildMd5Secret('pw', 'm');
    const out = compareRoles([role('z', S1), role('m', S1)], [role('a', S1), role('m', md5)]);
    expect(out.map((d) => [d.role, d.presence])).toEqual([
      ['a', 'server-only'],
      ['m', 'both'],
      ['z', 'file-only'],
    ]);
    expect(out[1]).toMatchObject({ differences: [{ kind: 'verifier', why: 'kind', file: 'scram-sha-256', server: 'md5' }], md5StoredOn: ['server'] });
    expect(out.every(hasDrift)).toBe(true);
  });
});

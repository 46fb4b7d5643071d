/**
 * map= on oauth lines: serve with --ident reads a pg_ident.conf as a real
 * PostgreSQL 18 does. Each (identity, role) pair logs in to both or to
 * neither: PostgreSQL through the test validator module, serve through a JWT.
 * (Identities are RFC 6750 b64tokens here: the module reads them from the token.)
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildInitialResponse } from '../../src/oauth/oauthbearer.js';
import { checkUsermap } from '../../src/hba/ident.js';
import { parseIdentFile } from '../../src/hba/ident.js';
import { fileSystemSource } from '../../src/hba/index.js';
import { describeWith, pgMissing } from '../helpers/env.js';
import { buildValidator, testToken, validatorMissing } from '../helpers/oauth-validator.js';
import { startCluster, type Cluster } from '../helpers/pg.js';
import { pgauth } from '../helpers/proc.js';
import { chownToPostgres, tempDir } from '../helpers/tmp.js';
import { pgInstallMissing } from '../helpers/versions.js';
import { startServe, type Served } from '../helpers/serve.js';
import { RawClient } from '../server/wire.js';

const ISSUER = 'https://issuer.example';
const SCOPE = 'openid';
const IDENT = [
  'm1 alice.example.com alice',
  'm1 /^(.*)\\.corp\\.example$ \\1',
  'm1 svc all',
  'm1 /^ops- /^(bob|carol)$',
  'm1 robot +admins',
  'other eve.example.com eve',
].join('\n') + '\n';
const CASES: Array<[identity: string, role: string]> = [
  ['alice.example.com', 'alice'],
  ['alice.example.com', 'bob'],
  ['bob.corp.example', 'bob'],
  ['bob.corp.example', 'alice'],
  ['eve.other.example', 'eve'],
  ['eve.example.com', 'eve'],
  ['svc', 'carol'],
  ['ops-1', 'bob'],
  ['ops-1', 'alice'],
  ['robot', 'dave'],
  ['robot', 'alice'],
];

describeWith(pgMissing() ?? pgInstallMissing(18) ?? validatorMissing(), 'map= with a pg_ident.conf, PostgreSQL 18 next to serve', () => {
  const tmp = tempDir('pgauth-ident-');
  let pg: Cluster;
  let served: Served;
  const jwks = join(tmp.path, 'keys.jwks');
  beforeAll(async () => {
    const so = buildValidator(tmp.path);
    // A database of its own for the line that delegates the mapping to the validator.
    const hbaLine = `host delegated all 127.0.0.1/32 oauth issuer="${ISSUER}" scope="${SCOPE}" delegate_ident_mapping=1\nhost all all 127.0.0.1/32 oauth issuer="${ISSUER}" scope="${SCOPE}" map=m1`;
    pg = await startCluster({ version: 18, conf: { oauth_validator_libraries: `'${so}'` }, hba: `${hbaLine}\nlocal all all trust\n` });
    const identPath = join(pg.dataDir, 'pg_ident.conf');
    writeFileSync(identPath, IDENT);
    chownToPostgres(identPath);
    await pg.reload();
    await pg.sql('CREATE DATABASE delegated');
    await pg.sql('CREATE ROLE admins NOLOGIN; CREATE ROLE alice LOGIN; CREATE ROLE bob LOGIN; CREATE ROLE carol LOGIN; CREATE ROLE eve LOGIN; CREATE ROLE dave LOGIN IN ROLE admins');
    const ident = join(tmp.path, 'pg_ident.conf');
    writeFileSync(ident, IDENT);
    const hba = join(tmp.path, 'pg_hba.conf');
    writeFileSync(hba, hbaLine + '\n');
    const roles = join(tmp.path, 'userlist.txt');
    writeFileSync(roles, '"admins" "" nologin\n"alice" ""\n"bob" ""\n"carol" ""\n"eve" ""\n"dave" "" member-of=admins\n', { mode: 0o600 });
    expect((await pgauth(['oauth-token', '--new-jwks', jwks])).code).toBe(0);
    served = await startServe(['--hba', hba, '--ident', ident, '--oauth-jwks', jwks, '--roles', roles]);
  });
  afterAll(async () => {
    await served?.stop();
    await pg?.stop();
    tmp.remove();
  });

  async function logsIn(port: number, role: string, token: string, database = 'postgres'): Promise<boolean> {
    const c = await RawClient.connect(port);
    c.startup(role, [['database', database]]);
    await c.until('AuthenticationSASL');
    c.write({ type: 'SASLInitialResponse', mechanism: 'OAUTHBEARER', data: buildInitialResponse(token) });
    const answer = await c.next();
    c.end();
    return answer.type === 'AuthenticationOk';
  }

  it('admits the same (identity, role) pairs as PostgreSQL 18', async () => {
    const rows: string[] = [];
    for (const [identity, role, database] of [...CASES.map(([i, r]) => [i, r, 'postgres'] as const), ['bob.corp.example', 'alice', 'delegated'] as const, ['nobody', 'eve', 'delegated'] as const]) {
      const real = await logsIn(pg.port, role, testToken(identity), database);
      const jwt = (await pgauth(['oauth-token', '--jwks', jwks, '--issuer', ISSUER, '--scope', SCOPE, '--subject', identity])).stdout.trim();
      const ours = await logsIn(served.port, role, jwt, database);
      rows.push(`${identity} as ${role} to ${database}: postgresql=${real} serve=${ours}`);
    }
    // delegate_ident_mapping=1: the validator's word is enough, whatever the identity.
    expect(rows.filter((r) => r.includes('to delegated')).every((r) => r.endsWith('postgresql=true serve=true'))).toBe(true);
    expect(rows.filter((r) => r.match(/postgresql=(\w+) serve=(\w+)/)![1] !== r.match(/postgresql=(\w+) serve=(\w+)/)![2])).toEqual([]);
    // Both sides must admit some and refuse some, or the comparison proves nothing.
    expect(rows.filter((r) => r.includes('postgresql=true')).length).toBeGreaterThanOrEqual(4);
    expect(rows.filter((r) => r.includes('postgresql=false')).length).toBeGreaterThanOrEqual(4);
  });
});

it('checkUsermap names the missing match as PostgreSQL logs it', () => {
  const tmp = tempDir('pgauth-ident-unit-');
  try {
    const path = join(tmp.path, 'pg_ident.conf');
    writeFileSync(path, 'm /^x$ \\1\nm a b\n');
    const file = parseIdentFile(path, fileSystemSource);
    if ('error' in file) throw new Error(file.error);
    expect(checkUsermap(file, 'm', 'b', 'a')).toMatchObject({ ok: true });
    expect(checkUsermap(file, 'm', 'b', 'z')).toEqual({ ok: false, reason: 'no match in usermap "m" for user "b" authenticated as "z"' });
    expect(checkUsermap(file, 'm', 'b', 'x')).toEqual({ ok: false, reason: 'regular expression "^x$" has no subexpressions as requested by backreference in "\\1"' });
  } finally {
    tmp.remove();
  }
});

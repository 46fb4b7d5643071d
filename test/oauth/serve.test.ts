/**
 * serve --auth oauth: the built-in JWKS validator with tokens minted by
 * `pgauth oauth-token`, the discovery round, PostgreSQL's texts, and libpq 18
 * reaching its own "no OAuth flows are available" after discovery.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildInitialResponse, errorBody } from '../../src/oauth/oauthbearer.js';
import { describeWith } from '../helpers/env.js';
import { pgauth, run } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';
import { libpq18, libpq18Missing } from '../helpers/versions.js';
import { runPsql } from '../helpers/clients.js';
import { startServe, type Served } from '../helpers/serve.js';
import { RawClient, errorOf } from '../server/wire.js';

const ISSUER = 'https://issuer.example';
const SCOPE = 'openid postgres';
const tmp = tempDir('pgauth-oauth-serve-');
const jwks = join(tmp.path, 'keys.jwks');
const otherJwks = join(tmp.path, 'other.jwks');
const roles = join(tmp.path, 'userlist.txt');
let served: Served;
/** Every token these tests made: none may show up in serve's output. */
const minted: string[] = [];

async function token(args: string[], file = jwks): Promise<string> {
  const r = await pgauth(['oauth-token', '--jwks', file, ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  minted.push(r.stdout.trim());
  return r.stdout.trim();
}

beforeAll(async () => {
  expect((await pgauth(['oauth-token', '--new-jwks', jwks, '--kid', 'k1'])).code).toBe(0);
  expect((await pgauth(['oauth-token', '--new-jwks', otherJwks, '--kid', 'k1'])).code).toBe(0);
  writeFileSync(roles, '"alice" ""\n"bob" ""\n', { mode: 0o600 });
  served = await startServe(['--auth', 'oauth', '--oauth-issuer', ISSUER, '--oauth-scope', SCOPE, '--oauth-jwks', jwks, '--oauth-audience', 'pgauth-test', '--roles', roles]);
});
afterAll(async () => {
  await served?.stop();
  tmp.remove();
});

async function login(user: string, bearer: string | null) {
  const c = await RawClient.connect(served.port);
  c.startup(user, [['database', 'postgres']]);
  expect(await c.next()).toEqual({ type: 'AuthenticationSASL', mechanisms: ['OAUTHBEARER'] });
  c.write({ type: 'SASLInitialResponse', mechanism: 'OAUTHBEARER', data: buildInitialResponse(bearer) });
  return { c, answer: await c.next() };
}

async function refused(user: string, bearer: string | null): Promise<Record<string, unknown>> {
  const from = served.lines.length;
  const { c, answer } = await login(user, bearer);
  expect(answer).toEqual({ type: 'AuthenticationSASLContinue', data: errorBody(ISSUER, SCOPE) });
  c.write({ type: 'SASLResponse', data: Buffer.from([1]) });
  const err = errorOf(await c.drain());
  expect(err?.fields).toMatchObject({ severity: 'FATAL', code: '28000', message: `OAuth bearer authentication failed for user "${user}"` });
  const line = await served.waitForLine((l) => l.event === 'attempt', 'the attempt line', from);
  if (bearer) expect(JSON.stringify(served.lines)).not.toContain(bearer);
  return line;
}

describe('serve --auth oauth', () => {
  const base = ['--issuer', ISSUER, '--scope', SCOPE, '--audience', 'pgauth-test'];

  it('logs in with a valid token: AuthenticationOk, no SASLFinal, system_user oauth:<identity>', async () => {
    const { c, answer } = await login('alice', await token([...base, '--subject', 'alice']));
    expect(answer).toEqual({ type: 'AuthenticationOk' });
    await c.until('ReadyForQuery');
    c.write({ type: 'Query', sql: 'SELECT system_user' });
    const row = await c.until('DataRow');
    expect(row.values.map((v) => v?.toString())).toEqual(['oauth:alice']);
    c.end();
  });

  it('answers discovery with the issuer, discovery URL and scope, then refuses', async () => {
    const line = await refused('alice', null);
    expect(line).toMatchObject({ method: 'oauth', result: 'rejected', sqlstate: '28000' });
  });

  const cases: Array<[string, () => Promise<string>, RegExp]> = [
    ['an expired token', () => token([...base, '--subject', 'alice', '--expired']), /expired/],
    ['another issuer', () => token(['--issuer', 'https://elsewhere.example', '--scope', SCOPE, '--audience', 'pgauth-test', '--subject', 'alice']), /another issuer/],
    ['another audience', () => token(['--issuer', ISSUER, '--scope', SCOPE, '--audience', 'other', '--subject', 'alice']), /another audience/],
    ['a missing scope', () => token(['--issuer', ISSUER, '--scope', 'openid', '--audience', 'pgauth-test', '--subject', 'alice']), /does not grant the scope "postgres"/],
    ['a key not in the JWKS', () => token([...base, '--subject', 'alice'], otherJwks), /signature does not verify|not in the JWKS/],
    ['a token not valid yet', () => token([...base, '--subject', 'alice', '--not-before', '1h']), /not valid yet/],
    ["another user's identity", () => token([...base, '--subject', 'bob']), /provided user name \(alice\) and authenticated user name \(bob\) do not match/],
    ['a malformed token', async () => 'not a token', /malformed OAuth bearer token: Bearer token is not in the correct format/],
  ];
  for (const [what, make, detail] of cases) {
    it(`refuses ${what}, saying why only in its log`, async () => {
      const line = await refused('alice', await make());
      expect(String(line.detail)).toMatch(detail);
    });
  }
});

describe('serve --auth oauth usage errors (exit 3)', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--auth', 'oauth'], /--auth oauth needs --oauth-issuer, --oauth-scope, --oauth-jwks/],
    [['--oauth-issuer', ISSUER], /--oauth-issuer need --oauth-jwks/],
    [['--auth', 'oauth', '--oauth-issuer', 'issuer.example', '--oauth-scope', 'x', '--oauth-jwks', jwks], /--oauth-issuer: expected an http\(s\) URL/],
    [['--auth', 'oauth', '--oauth-issuer', ISSUER, '--oauth-scope', 'x', '--oauth-jwks', roles], /--oauth-jwks .*userlist.txt: not JSON/],
  ];
  for (const [args, message] of cases) {
    it(args.join(' '), async () => {
      const r = await pgauth(['serve', '--port', '0', '--roles', roles, ...args]);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(message);
    });
  }
});

describe('pgauth oauth-token', () => {
  it('writes a private JWKS with mode 0600, and refuses a JWKS with no private key', async () => {
    expect(statSync(jwks).mode & 0o777).toBe(0o600);
    const doc = JSON.parse(readFileSync(jwks, 'utf8')) as { keys: Array<Record<string, string>> };
    expect(doc.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', kid: 'k1', alg: 'ES256' });
    const pub = join(tmp.path, 'public.jwks');
    const { d: _d, ...rest } = doc.keys[0]!;
    writeFileSync(pub, JSON.stringify({ keys: [rest] }));
    const r = await pgauth(['oauth-token', '--jwks', pub, '--issuer', ISSUER, '--subject', 'alice']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('the JWKS holds no private key to sign with');
  });
});

describe('libpq 15 against serve --auth oauth', () => {
  it("does not speak OAUTHBEARER: none of the server's SASL authentication mechanisms are supported", async () => {
    const r = await runPsql(`host=127.0.0.1 port=${served.port} user=alice dbname=postgres`, 'SELECT 1');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("none of the server's SASL authentication mechanisms are supported");
  });
});

describeWith(libpq18Missing(), 'libpq 18 against serve --auth oauth', () => {
  const psql18 = (conninfo: string) => {
    const c = libpq18()!;
    return runPsql(`host=127.0.0.1 port=${served.port} user=alice dbname=postgres ${conninfo}`, 'SELECT 1', { bin: c.psql, env: c.env });
  };
  it('stops before anything without oauth_issuer and oauth_client_id', async () => {
    expect((await psql18('')).stderr).toContain('server requires OAuth authentication, but oauth_issuer and oauth_client_id are not both set');
  });
  it("finds the server's discovery document incompatible with another oauth_issuer", async () => {
    expect((await psql18('oauth_issuer=https://other.example oauth_client_id=x')).stderr).toContain(
      `server's discovery document at ${ISSUER}/.well-known/openid-configuration (issuer "${ISSUER}") is incompatible with oauth_issuer (https://other.example)`,
    );
  });

  it('reaches libpq\'s own "no OAuth flows are available" after the discovery round', async () => {
    const c = libpq18()!;
    const from = served.lines.length;
    const r = await runPsql(`host=127.0.0.1 port=${served.port} user=alice dbname=postgres oauth_issuer=${ISSUER} oauth_client_id=pgauth`, 'SELECT 1', { bin: c.psql, env: c.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no OAuth flows are available');
    // libpq ran the discovery round first: serve saw the empty auth value and refused after the kvsep.
    expect(await served.waitForLine((l) => l.event === 'attempt', 'the attempt line', from)).toMatchObject({ method: 'oauth', sqlstate: '28000' });
  });
});

describe('serve never writes a token', () => {
  it('none of the tokens used above is in its stdout or stderr', () => {
    expect(minted.length).toBeGreaterThan(5);
    const out = served.stdout() + served.stderr();
    expect(minted.filter((t) => out.includes(t) || out.includes(t.split('.')[2]!))).toEqual([]);
  });
});

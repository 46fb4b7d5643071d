/**
 * The probe as an OAuth client (SPEC §9) against pgauth serve --auth oauth:
 * discovery without a token, a valid token, refused tokens, libpq 18's own
 * checks, and no token in any output.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgauth } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';
import { startServe, type Served } from '../helpers/serve.js';

const ISSUER = 'https://issuer.example';
const SCOPE = 'openid postgres';
const tmp = tempDir('pgauth-oauth-probe-');
const jwks = join(tmp.path, 'keys.jwks');
const roles = join(tmp.path, 'userlist.txt');
let served: Served;
let good: string;
let expired: string;

beforeAll(async () => {
  expect((await pgauth(['oauth-token', '--new-jwks', jwks])).code).toBe(0);
  writeFileSync(roles, '"alice" ""\n', { mode: 0o600 });
  served = await startServe(['--auth', 'oauth', '--oauth-issuer', ISSUER, '--oauth-scope', SCOPE, '--oauth-jwks', jwks, '--oauth-audience', 'pgauth-test', '--roles', roles]);
  good = (await pgauth(['oauth-token', '--jwks', jwks, '--issuer', ISSUER, '--scope', SCOPE, '--audience', 'pgauth-test', '--subject', 'alice'])).stdout.trim();
  expired = (await pgauth(['oauth-token', '--jwks', jwks, '--issuer', ISSUER, '--scope', SCOPE, '--subject', 'alice', '--expired'])).stdout.trim();
});
afterAll(async () => {
  await served?.stop();
  tmp.remove();
});

interface Doc {
  ok: boolean;
  diagnosis: { code: string; cause: string; fix: string };
  error: { code: string | null; message: string | null };
  auth: { method: string | null; oauth: { tokenSent: boolean; tokenSource: string | null; status: string | null; discoveryUrl: string | null; issuer: string | null; scope: string | null; libpqError: string | null } | null };
  weaknesses: Array<{ code: string }>;
}

async function probe(extraConninfo: string, args: string[] = [], env: NodeJS.ProcessEnv = {}, input?: string) {
  const r = await pgauth(['probe', '--json', '--trace', ...args, `host=127.0.0.1 port=${served.port} user=alice dbname=postgres ${extraConninfo}`], { env, ...(input !== undefined ? { input } : {}) });
  for (const t of [good, expired]) expect(r.stdout + r.stderr).not.toContain(t);
  return { code: r.code, doc: JSON.parse(r.stdout) as Doc, stdout: r.stdout, stderr: r.stderr };
}

describe('probe against an oauth server', () => {
  it('without a token: runs discovery and reports issuer, discovery URL and scope (oauth-token-required, exit 1)', async () => {
    const r = await probe('');
    expect(r.code).toBe(1);
    expect(r.doc.diagnosis.code).toBe('oauth-token-required');
    expect(r.doc.error).toMatchObject({ code: '28000', message: 'OAuth bearer authentication failed for user "alice"' });
    expect(r.doc.auth.oauth).toEqual({
      tokenSent: false,
      tokenSource: null,
      status: 'invalid_token',
      discoveryUrl: `${ISSUER}/.well-known/openid-configuration`,
      issuer: ISSUER,
      scope: SCOPE,
      libpqError: 'server requires OAuth authentication, but oauth_issuer and oauth_client_id are not both set',
    });
    expect(r.doc.diagnosis.cause).toContain(`the issuer ${ISSUER}`);
  });

  it('with a valid token from the environment: logs in, --expect-auth oauth holds, the token in clear is a weakness', async () => {
    const r = await probe(`oauth_issuer=${ISSUER} oauth_client_id=pgauth`, ['--oauth-token-env', 'TOKEN', '--expect-auth', 'oauth'], { TOKEN: good });
    expect(r.code).toBe(0);
    expect(r.doc.ok).toBe(true);
    expect(r.doc.auth).toMatchObject({ method: 'oauth', oauth: { tokenSent: true, tokenSource: 'env TOKEN', libpqError: null } });
    expect(r.doc.weaknesses.map((w) => w.code)).toContain('token-in-clear');
  });

  it('with a token on stdin that the server refuses: oauth-token-rejected with the server status', async () => {
    const r = await probe('', ['--oauth-token-stdin'], {}, expired + '\n');
    expect(r.code).toBe(1);
    expect(r.doc.diagnosis.code).toBe('oauth-token-rejected');
    expect(r.doc.auth.oauth).toMatchObject({ tokenSent: true, tokenSource: 'stdin', status: 'invalid_token' });
  });

  const refusedKinds: Array<[string, string[]]> = [
    ['wrong issuer', ['--issuer', 'https://elsewhere.example', '--scope', SCOPE, '--audience', 'pgauth-test']],
    ['wrong audience', ['--issuer', ISSUER, '--scope', SCOPE, '--audience', 'another-service']],
    ['missing scope', ['--issuer', ISSUER, '--scope', 'openid', '--audience', 'pgauth-test']],
    ['not valid yet', ['--issuer', ISSUER, '--scope', SCOPE, '--audience', 'pgauth-test', '--not-before', '1h']],
  ];
  for (const [what, args] of refusedKinds) {
    it(`diagnoses a token with a ${what} as oauth-token-rejected`, async () => {
      const token = (await pgauth(['oauth-token', '--jwks', jwks, '--subject', 'alice', ...args])).stdout.trim();
      const r = await probe('', ['--oauth-token-env', 'TOKEN'], { TOKEN: token });
      expect(r.stdout + r.stderr).not.toContain(token);
      expect(r.code).toBe(1);
      expect(r.doc.diagnosis.code).toBe('oauth-token-rejected');
    });
  }

  it('diagnoses a token signed by a key the server does not trust as oauth-token-rejected', async () => {
    const other = join(tmp.path, 'other.jwks');
    expect((await pgauth(['oauth-token', '--new-jwks', other])).code).toBe(0);
    const token = (await pgauth(['oauth-token', '--jwks', other, '--issuer', ISSUER, '--scope', SCOPE, '--audience', 'pgauth-test', '--subject', 'alice'])).stdout.trim();
    const r = await probe('', ['--oauth-token-env', 'TOKEN'], { TOKEN: token });
    expect(r.doc.diagnosis.code).toBe('oauth-token-rejected');
  });

  it("says what libpq 18 would stop with when oauth_issuer is not the server's", async () => {
    const r = await probe('oauth_issuer=https://other.example oauth_client_id=pgauth', ['--oauth-token-env', 'TOKEN'], { TOKEN: expired });
    expect(r.doc.auth.oauth?.libpqError).toBe(
      `server's discovery document at ${ISSUER}/.well-known/openid-configuration (issuer "${ISSUER}") is incompatible with oauth_issuer (https://other.example)`,
    );
  });

  it('refuses OAuth under require_auth=scram-sha-256 before sending anything, with libpq 18\'s text', async () => {
    const r = await probe('require_auth=scram-sha-256', ['--oauth-token-env', 'TOKEN'], { TOKEN: good });
    expect(r.doc.diagnosis.code).toBe('auth-method-refused');
    expect(r.doc.error.message).toBe('authentication method requirement "scram-sha-256" failed: server requested OAUTHBEARER authentication');
  });

  it('takes the token only from the environment or stdin, never both ways at once', async () => {
    const unset = await pgauth(['probe', '--oauth-token-env', 'NOPE_NOT_SET', `host=127.0.0.1 port=${served.port} user=alice`], { env: { NOPE_NOT_SET: '' } });
    expect(unset.code).toBe(3);
    expect(unset.stderr).toContain('--oauth-token-env NOPE_NOT_SET: the variable is not set or empty');
    const both = await pgauth(['probe', '--oauth-token-stdin', '--password-stdin', `host=127.0.0.1 port=${served.port} user=alice`]);
    expect(both.code).toBe(3);
  });
});

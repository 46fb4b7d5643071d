/**
 * OAUTHBEARER against a real PostgreSQL 18 with a validator module: the
 * server's bytes and texts are what src/oauth/oauthbearer.ts produces and
 * expects (the known answers come from the real server, not from us).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { OAuthBearerError, bearerToken, buildInitialResponse, errorBody, parseInitialResponse } from '../../src/oauth/oauthbearer.js';
import { describeWith, pgMissing } from '../helpers/env.js';
import { buildValidator, testToken, validatorMissing } from '../helpers/oauth-validator.js';
import { startCluster, waitFor, type Cluster } from '../helpers/pg.js';
import { tempDir } from '../helpers/tmp.js';
import { pgInstallMissing } from '../helpers/versions.js';
import { RawClient, errorOf } from '../server/wire.js';
import { pgauth } from '../helpers/proc.js';

const ISSUER = 'https://issuer.example/realm';
const SCOPE = 'openid postgres';

describeWith(pgMissing() ?? pgInstallMissing(18) ?? validatorMissing(), 'OAUTHBEARER with PostgreSQL 18', () => {
  let pg: Cluster;
  const tmp = tempDir('pgauth-oauth-');
  beforeAll(async () => {
    const so = buildValidator(tmp.path);
    pg = await startCluster({
      version: 18,
      conf: { oauth_validator_libraries: `'${so}'` },
      hba: `host all all 127.0.0.1/32 oauth issuer="${ISSUER}" scope="${SCOPE}"\nlocal all all trust\n`,
    });
    await pg.sql('CREATE ROLE alice LOGIN');
  });
  afterAll(async () => {
    await pg?.stop();
    tmp.remove();
  });

  /** Starts a login as alice, sends `first` as the SASLInitialResponse, returns the client and the answer. */
  async function begin(first: Buffer) {
    const c = await RawClient.connect(pg.port);
    c.startup('alice', [['database', 'postgres']]);
    expect(await c.next()).toEqual({ type: 'AuthenticationSASL', mechanisms: ['OAUTHBEARER'] });
    c.write({ type: 'SASLInitialResponse', mechanism: 'OAUTHBEARER', data: first });
    return { c, answer: await c.next() };
  }

  it('answers discovery with our error body, byte for byte, and refuses after the kvsep', async () => {
    const { c, answer } = await begin(buildInitialResponse(null));
    expect(answer).toEqual({ type: 'AuthenticationSASLContinue', data: errorBody(ISSUER, SCOPE) });
    c.write({ type: 'SASLResponse', data: Buffer.from([1]) });
    const err = errorOf(await c.drain());
    expect(err?.fields).toMatchObject({ severity: 'FATAL', code: '28000', message: 'OAuth bearer authentication failed for user "alice"' });
  });

  it('logs in with a token the validator trusts: AuthenticationOk with no SASLFinal', async () => {
    const { c, answer } = await begin(buildInitialResponse(testToken('alice')));
    expect(answer).toEqual({ type: 'AuthenticationOk' });
    await c.until('ReadyForQuery');
    c.write({ type: 'Query', sql: 'SELECT system_user' });
    expect((await c.until('DataRow')).values.map((v) => v?.toString())).toEqual(['oauth:alice']);
    c.end();
  });

  it('refuses a token for another identity, a refused token, and a malformed one the same way (error body, then 28000)', async () => {
    for (const token of [testToken('bob'), 'not-trusted', 'has:colon']) {
      const { c, answer } = await begin(buildInitialResponse(token));
      expect(answer).toEqual({ type: 'AuthenticationSASLContinue', data: errorBody(ISSUER, SCOPE) });
      c.write({ type: 'SASLResponse', data: Buffer.from([1]) });
      expect(errorOf(await c.drain())?.fields.message).toBe('OAuth bearer authentication failed for user "alice"');
    }
    // The malformed token is logged with the reason bearerToken() gives, never the token itself.
    const log = await waitFor(() => (pg.log().includes('malformed OAuth bearer token') ? pg.log() : undefined), 'the malformed-token log line');
    expect(log).toContain((bearerToken('Bearer has:colon') as { malformed: string }).malformed.replace(/\.$/, ''));
    expect(log).not.toContain('has:colon');
  });

  const malformed = [
    'p=tls-server-end-point,,\x01auth=\x01\x01',
    'x,,\x01auth=\x01\x01',
    'n,b,\x01auth=\x01\x01',
    'n,,auth=\x01\x01',
    'n,,\x01auth\x01\x01',
    'n,,\x01au1th=x\x01\x01',
    'n,,\x01auth=a\x01auth=b\x01\x01',
    'n,,\x01host=x\x01\x01',
    'n,,\x01auth=x\x01\x01tail',
    'n,a=bob,\x01auth=\x01\x01',
  ];
  it('refuses each malformed message with the SQLSTATE, message and detail our parser gives', async () => {
    for (const text of malformed) {
      const data = Buffer.from(text, 'latin1');
      let ours: OAuthBearerError | undefined;
      try {
        parseInitialResponse(data);
      } catch (e) {
        ours = e as OAuthBearerError;
      }
      expect(ours, text).toBeInstanceOf(OAuthBearerError);
      const { c, answer } = await begin(data);
      const theirs = answer.type === 'ErrorResponse' ? answer : errorOf(await c.drain());
      expect({ text, code: theirs?.fields.code, message: theirs?.fields.message, detail: theirs?.fields.detail }).toEqual({
        text,
        code: ours!.sqlstate,
        message: ours!.message,
        detail: ours!.detail,
      });
      c.end();
    }
  });

  it('the probe: discovery reports the issuer and scope, a trusted token logs in, a refused one is diagnosed', async () => {
    const target = `host=127.0.0.1 port=${pg.port} user=alice dbname=postgres`;
    const none = JSON.parse((await pgauth(['probe', '--json', target])).stdout);
    expect(none.diagnosis.code).toBe('oauth-token-required');
    expect(none.auth.oauth).toMatchObject({ tokenSent: false, issuer: ISSUER, scope: SCOPE, discoveryUrl: `${ISSUER}/.well-known/openid-configuration` });
    const ok = await pgauth(['probe', '--json', '--oauth-token-env', 'T', '--expect-auth', 'oauth', target], { env: { T: testToken('alice') } });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, server: { kind: 'postgresql' }, auth: { method: 'oauth', currentUser: 'alice' } });
    const bad = await pgauth(['probe', '--json', '--oauth-token-env', 'T', target], { env: { T: testToken('bob') } });
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).diagnosis.code).toBe('oauth-token-rejected');
    expect(bad.stdout + bad.stderr).not.toContain(testToken('bob'));
  });
});

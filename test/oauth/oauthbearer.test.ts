/** OAUTHBEARER messages, both sides, byte for byte (src/oauth/oauthbearer.ts). */
import { describe, expect, it } from 'vitest';
import {
  OAuthBearerError,
  bearerToken,
  buildInitialResponse,
  checkKvsepResponse,
  discoveryUrl,
  errorBody,
  parseErrorBody,
  parseInitialResponse,
} from '../../src/oauth/oauthbearer.js';

const b = (s: string) => Buffer.from(s, 'latin1');

describe('the client initial response', () => {
  it('carries the bearer token, or an empty auth value for discovery', () => {
    expect(buildInitialResponse('abc.def')).toEqual(b('n,,\x01auth=Bearer abc.def\x01\x01'));
    expect(buildInitialResponse(null)).toEqual(b('n,,\x01auth=\x01\x01'));
    expect(parseInitialResponse(buildInitialResponse('abc.def'))).toEqual({ auth: 'Bearer abc.def' });
    expect(parseInitialResponse(buildInitialResponse(null))).toEqual({ auth: '' });
  });

  it('ignores other keys, accepts the y flag', () => {
    expect(parseInitialResponse(b('y,,\x01host=db\x01auth=Bearer t\x01port=5432\x01\x01'))).toEqual({ auth: 'Bearer t' });
  });

  const bad: Array<[string, string, string]> = [
    ['', '08P01', 'The message is empty.'],
    ['p=tls-server-end-point,,\x01auth=\x01\x01', '08P01', 'The server does not support channel binding for OAuth, but the client message includes channel binding data.'],
    ['x,,\x01auth=\x01\x01', '08P01', `Unexpected channel-binding flag "'x'".`],
    ['n;,\x01auth=\x01\x01', '08P01', `Comma expected, but found character "';'".`],
    ['n,b,\x01auth=\x01\x01', '08P01', `Unexpected attribute "'b'" in client-first-message.`],
    ['n,,auth=\x01\x01', '08P01', `Key-value separator expected, but found character "'a'".`],
    ['n,,\x01auth=x', '08P01', 'Message contains an unterminated key/value pair.'],
    ['n,,\x01auth\x01\x01', '08P01', 'Message contains a key without a value.'],
    ['n,,\x01=x\x01\x01', '08P01', 'Message contains an empty key name.'],
    ['n,,\x01au1th=x\x01\x01', '08P01', 'Message contains an invalid key name.'],
    ['n,,\x01auth=\x02\x01\x01', '08P01', 'Message contains an invalid value.'],
    ['n,,\x01auth=a\x01auth=b\x01\x01', '08P01', 'Message contains multiple auth values.'],
    ['n,,\x01host=x\x01\x01', '08P01', 'Message does not contain an auth value.'],
    ['n,,\x01auth=x\x01\x01tail', '08P01', 'Message contains additional data after the final terminator.'],
    ['n,,\x01auth=x\x01', '08P01', 'Message did not contain a final terminator.'],
  ];
  for (const [msg, sqlstate, detail] of bad) {
    it(`refuses ${JSON.stringify(msg)}: ${detail}`, () => {
      try {
        parseInitialResponse(b(msg));
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(OAuthBearerError);
        expect(e).toMatchObject({ sqlstate, message: 'malformed OAUTHBEARER message', detail });
      }
    });
  }

  it('refuses an authorization identity as a feature PostgreSQL lacks (0A000)', () => {
    expect(() => parseInitialResponse(b('n,a=bob,\x01auth=\x01\x01'))).toThrow(expect.objectContaining({ sqlstate: '0A000', message: 'client uses authorization identity, but it is not supported' }));
  });
});

describe('the bearer token', () => {
  it('takes "Bearer" case-insensitively, swallows extra spaces, allows trailing =', () => {
    expect(bearerToken('bEaReR   abc-._~+/==')).toEqual({ token: 'abc-._~+/==' });
  });
  it('names each malformation without echoing the token', () => {
    expect(bearerToken('Basic abc')).toEqual({ malformed: 'Client response indicated a non-Bearer authentication scheme.' });
    expect(bearerToken('Bearer    ')).toEqual({ malformed: 'Bearer token is empty.' });
    expect(bearerToken('Bearer a:b')).toEqual({ malformed: 'Bearer token is not in the correct format.' });
    expect(bearerToken('Bearer a=b')).toEqual({ malformed: 'Bearer token is not in the correct format.' });
  });
});

describe('the error body', () => {
  it('is PostgreSQL 18 bytes for an issuer and a scope', () => {
    expect(errorBody('https://issuer.example/realm', 'openid postgres').toString()).toBe(
      '{ "status": "invalid_token", "openid-configuration": "https://issuer.example/realm/.well-known/openid-configuration", "scope": "openid postgres" }',
    );
  });
  it('keeps an issuer that already names a .well-known document', () => {
    expect(discoveryUrl('https://i.example/.well-known/oauth-authorization-server')).toBe('https://i.example/.well-known/oauth-authorization-server');
  });
  it('is read back by the client, bounded', () => {
    expect(parseErrorBody(errorBody('https://i.example', 'a b'))).toEqual({ status: 'invalid_token', openidConfiguration: 'https://i.example/.well-known/openid-configuration', scope: 'a b' });
    expect(() => parseErrorBody(Buffer.alloc(70_000, 0x20))).toThrow(/too large/);
    expect(() => parseErrorBody(b('[1]'))).toThrow(/top-level element must be an object/);
    expect(() => parseErrorBody(b('{}'))).toThrow(/without a status/);
  });
  it('is answered with exactly one kvsep', () => {
    expect(() => checkKvsepResponse(b('\x01'))).not.toThrow();
    expect(() => checkKvsepResponse(b('\x01\x01'))).toThrow(expect.objectContaining({ detail: 'Client did not send a kvsep response.' }));
  });
});

/**
 * libpq's client policy as tables (src/probe/policy/): require_auth,
 * channel_binding, the SASL mechanism choice, sslmode order and the
 * prefer/allow retries. Each row is what libpq 18 does (fe-auth.c
 * check_expected_areq and pg_SASL_init, fe-connect.c PQconnectPoll;
 * reference postgres-auth.md §2.4, §4.5, §5.3, §5.4).
 */
import { describe, expect, it } from 'vitest';
import type { AttemptResult, Encryption } from '../../src/probe/attempt.js';
import { newAttempt } from '../../src/probe/attempt.js';
import type { ChannelBindingMode, SslMode } from '../../src/probe/conninfo.js';
import type { Failure } from '../../src/probe/diagnose.js';
import { channelBindingRefusal } from '../../src/probe/policy/channel-binding.js';
import { parseRequireAuth, requireAuthRefusal, saslMechanismRefusal, type AuthRequestName } from '../../src/probe/policy/require-auth.js';
import { chooseSaslMechanism, offeredMethod } from '../../src/probe/policy/sasl-mechanism.js';
import { encryptionPlan, nextAfterFailure, tlsRequired } from '../../src/probe/policy/sslmode.js';

const failed = (ra: string, reason: string) => `authentication method requirement "${ra}" failed: ${reason}`;

describe('require_auth (check_expected_areq)', () => {
  it.each<[string, AuthRequestName, boolean, string | null]>([
    // require_auth, request, exchange completed before it, libpq's error (null: goes on)
    ['password', 'AuthenticationCleartextPassword', false, null],
    ['md5', 'AuthenticationCleartextPassword', false, failed('md5', 'server requested a cleartext password')],
    ['md5', 'AuthenticationMD5Password', false, null],
    ['scram-sha-256', 'AuthenticationMD5Password', false, failed('scram-sha-256', 'server requested a hashed password')],
    ['scram-sha-256', 'AuthenticationSASL', false, null],
    ['oauth', 'AuthenticationSASL', false, null],
    ['md5', 'AuthenticationSASL', false, failed('md5', 'server requested SASL authentication')],
    ['gss', 'AuthenticationGSS', false, null],
    ['gss', 'AuthenticationGSSContinue', false, null],
    ['sspi', 'AuthenticationGSS', false, failed('sspi', 'server requested GSSAPI authentication')],
    ['sspi', 'AuthenticationSSPI', false, null],
    ['gss', 'AuthenticationSSPI', false, failed('gss', 'server requested SSPI authentication')],
    // AuthenticationOk without an exchange is the method "none".
    ['none', 'AuthenticationOk', false, null],
    ['scram-sha-256', 'AuthenticationOk', false, failed('scram-sha-256', 'server did not complete authentication')],
    ['scram-sha-256', 'AuthenticationOk', true, null],
    ['md5,none', 'AuthenticationOk', false, null],
    // Lists: any listed method passes.
    ['md5,scram-sha-256', 'AuthenticationMD5Password', false, null],
    ['md5,scram-sha-256', 'AuthenticationSASL', false, null],
    ['md5,scram-sha-256', 'AuthenticationCleartextPassword', false, failed('md5,scram-sha-256', 'server requested a cleartext password')],
    // Negation: everything but the listed ones, "none" included.
    ['!password', 'AuthenticationCleartextPassword', false, failed('!password', 'server requested a cleartext password')],
    ['!password', 'AuthenticationMD5Password', false, null],
    ['!password', 'AuthenticationOk', false, null],
    ['!none', 'AuthenticationOk', false, failed('!none', 'server did not complete authentication')],
    ['!none', 'AuthenticationOk', true, null],
    ['!password,!md5', 'AuthenticationMD5Password', false, failed('!password,!md5', 'server requested a hashed password')],
    ['!password,!md5', 'AuthenticationSASL', false, null],
    ['!scram-sha-256', 'AuthenticationSASL', false, null], // oauth is still allowed: the mechanism decides
    ['!scram-sha-256,!oauth', 'AuthenticationSASL', false, failed('!scram-sha-256,!oauth', 'server requested SASL authentication')],
  ])('require_auth=%s, %s (completed %s) -> %s', (ra, request, completed, expected) => {
    expect(requireAuthRefusal(parseRequireAuth(ra), request, completed)).toBe(expected);
  });

  it('no require_auth refuses nothing', () => {
    expect(requireAuthRefusal(undefined, 'AuthenticationCleartextPassword')).toBeNull();
    expect(requireAuthRefusal(undefined, 'AuthenticationOk')).toBeNull();
  });

  it.each<[string, string, string | null]>([
    ['scram-sha-256', 'SCRAM-SHA-256', null],
    ['scram-sha-256', 'SCRAM-SHA-256-PLUS', null],
    ['scram-sha-256', 'OAUTHBEARER', failed('scram-sha-256', 'server requested OAUTHBEARER authentication')],
    ['oauth', 'OAUTHBEARER', null],
    ['oauth', 'SCRAM-SHA-256', failed('oauth', 'server requested SCRAM-SHA-256 authentication')],
    ['!scram-sha-256', 'SCRAM-SHA-256-PLUS', failed('!scram-sha-256', 'server requested SCRAM-SHA-256-PLUS authentication')],
  ])('require_auth=%s, mechanism %s -> %s', (ra, mechanism, expected) => {
    expect(saslMechanismRefusal(parseRequireAuth(ra), mechanism)).toBe(expected);
  });
});

describe('channel_binding outside SASL (check_expected_areq)', () => {
  const notSupported = "channel binding required but not supported by server's authentication request";
  it.each<[ChannelBindingMode, AuthRequestName, boolean, string | null]>([
    // mode, request, a PLUS exchange completed, libpq's error
    ['require', 'AuthenticationCleartextPassword', false, notSupported],
    ['require', 'AuthenticationMD5Password', false, notSupported],
    ['require', 'AuthenticationGSS', false, notSupported],
    ['require', 'AuthenticationSSPI', false, notSupported],
    ['require', 'AuthenticationSASL', false, null],
    ['require', 'AuthenticationOk', false, 'channel binding required, but server authenticated client without channel binding'],
    ['require', 'AuthenticationOk', true, null],
    ['prefer', 'AuthenticationCleartextPassword', false, null],
    ['prefer', 'AuthenticationOk', false, null],
    ['disable', 'AuthenticationMD5Password', false, null],
    ['disable', 'AuthenticationOk', false, null],
  ])('channel_binding=%s, %s (bound %s) -> %s', (mode, request, bound, expected) => {
    const r = channelBindingRefusal(mode, request, bound);
    expect(r === null ? null : r.message).toBe(expected);
    if (r) expect(r.code).toBe('channel-binding-unavailable');
  });
});

describe('SASL mechanism choice (pg_SASL_init)', () => {
  const S = 'SCRAM-SHA-256';
  const P = 'SCRAM-SHA-256-PLUS';
  const O = 'OAUTHBEARER';
  type Row = [ChannelBindingMode, string[], boolean, string, string];
  it.each<Row>([
    // channel_binding, offered, TLS, expected mechanism/gs2 flag or diagnosis code, libpq's words when refused
    ['prefer', [P, S], true, `${P}/p`, ''],
    ['prefer', [S], true, `${S}/y`, ''],
    ['prefer', [S], false, `${S}/n`, ''],
    ['prefer', [P, S], false, 'channel-binding-failed', 'server offered SCRAM-SHA-256-PLUS authentication over a non-SSL connection'],
    ['disable', [P, S], true, `${S}/n`, ''],
    ['disable', [S], true, `${S}/n`, ''],
    ['disable', [S], false, `${S}/n`, ''],
    ['disable', [P, S], false, 'channel-binding-failed', 'server offered SCRAM-SHA-256-PLUS authentication over a non-SSL connection'],
    ['require', [P, S], true, `${P}/p`, ''],
    ['require', [S], true, 'channel-binding-unavailable', 'channel binding is required, but server did not offer an authentication method that supports channel binding'],
    ['require', [P, S], false, 'channel-binding-unavailable', 'channel binding required, but SSL not in use'],
    ['require', [S], false, 'channel-binding-unavailable', 'channel binding required, but SSL not in use'],
    ['prefer', [O], true, `${O}/n`, ''],
    ['prefer', [S, O], true, `${S}/y`, ''],
    ['require', [O], true, 'channel-binding-unavailable', 'channel binding is required, but server did not offer an authentication method that supports channel binding'],
    ['require', [O], false, 'channel-binding-unavailable', 'channel binding required, but SSL not in use'],
    ['prefer', ['SCRAM-SHA-1'], true, 'auth-method-unsupported', "none of the server's SASL authentication mechanisms are supported"],
    ['prefer', [], false, 'auth-method-unsupported', "none of the server's SASL authentication mechanisms are supported"],
  ])('channel_binding=%s, offered %j, TLS %s -> %s', (channelBinding, offered, tls, expected, message) => {
    const c = chooseSaslMechanism({ offered, tls, channelBinding });
    if ('code' in c) expect([c.code, c.message]).toEqual([expected, message]);
    else expect(`${c.mechanism}/${c.gs2}`).toBe(expected);
  });

  it.each<[string, ChannelBindingMode, string[], boolean, string]>([
    // require_auth is checked on the request first, then (after the channel_binding checks) on the mechanism.
    ['md5', 'require', [S], false, failed('md5', 'server requested SASL authentication')],
    // An OAuth-only server is refused at the request too (libpq 18: the AUTH_REQ_SASL bit), not at the mechanism.
    ['md5', 'prefer', [O], true, failed('md5', 'server requested SASL authentication')],
    ['scram-sha-256', 'require', [O], false, 'channel binding required, but SSL not in use'],
    ['scram-sha-256', 'prefer', [O], true, failed('scram-sha-256', 'server requested OAUTHBEARER authentication')],
    ['oauth', 'prefer', [P, S], true, failed('oauth', 'server requested SCRAM-SHA-256-PLUS authentication')],
    ['oauth', 'require', [S], true, failed('oauth', 'server requested SCRAM-SHA-256 authentication')],
  ])('require_auth=%s, channel_binding=%s, offered %j, TLS %s -> %s', (ra, channelBinding, offered, tls, message) => {
    const c = chooseSaslMechanism({ offered, tls, channelBinding, requireAuth: parseRequireAuth(ra) });
    expect(c).toMatchObject({ message });
  });

  it.each<[string[], string]>([
    [[S], 'scram-sha-256'],
    [[P, S], 'scram-sha-256'],
    [[S, O], 'scram-sha-256'],
    [[O], 'oauth'],
    [[], 'scram-sha-256'],
  ])('offered %j is reported as %s', (offered, method) => {
    expect(offeredMethod(offered)).toBe(method);
  });
});

describe('sslmode: encryption order (select_next_encryption_method)', () => {
  it.each<[SslMode, 'postgres' | 'direct', boolean, Encryption[]]>([
    ['disable', 'postgres', false, ['plain']],
    ['allow', 'postgres', false, ['plain', 'ssl']],
    ['prefer', 'postgres', false, ['ssl', 'plain']],
    ['require', 'postgres', false, ['ssl']],
    ['verify-ca', 'postgres', false, ['ssl']],
    ['verify-full', 'postgres', false, ['ssl']],
    ['require', 'direct', false, ['direct']],
    ['verify-full', 'direct', false, ['direct']],
    // Unix sockets never use TLS.
    ['prefer', 'postgres', true, ['plain']],
    ['require', 'postgres', true, ['plain']],
    ['require', 'direct', true, ['plain']],
  ])('sslmode=%s sslnegotiation=%s unix=%s -> %j', (sslmode, sslnegotiation, unix, plan) => {
    expect(encryptionPlan({ sslmode, sslnegotiation }, { unix })).toEqual(plan);
  });

  it.each<[SslMode, boolean]>([
    ['disable', false],
    ['allow', false],
    ['prefer', false],
    ['require', true],
    ['verify-ca', true],
    ['verify-full', true],
  ])("an 'N' to SSLRequest fails sslmode=%s: %s", (sslmode, fails) => {
    expect(tlsRequired(sslmode)).toBe(fails);
  });
});

describe('sslmode: what comes after a failed attempt (PQconnectPoll)', () => {
  const serverError = (code: string, afterAuthOk = false): Failure => ({
    origin: 'server',
    error: { severity: 'FATAL', code, message: 'm', detail: null, hint: null, routine: null },
    afterAuthOk,
  });
  const client = (code: Extract<Failure, { origin: 'client' }>['code']): Failure => ({ origin: 'client', code, message: 'm' });
  const attempt = (encryption: Encryption, failure: Failure | null, sslResponse: 'S' | 'N' | null, tlsUsed: boolean): AttemptResult => {
    const a = newAttempt(1, { host: 'db', port: 5432, unix: false }, encryption, '10.0.0.1');
    return { ...a, failure, sslResponse, tlsUsed };
  };
  it.each<[string, AttemptResult, ReturnType<typeof nextAfterFailure>]>([
    ['no failure', attempt('ssl', null, 'S', true), 'stop'],
    ['connection refused', attempt('ssl', client('connection-refused'), null, false), 'next-address'],
    ['connect_timeout', attempt('plain', client('timeout'), null, false), 'next-address'],
    ['57P03 cannot connect now', attempt('ssl', serverError('57P03'), 'S', true), 'next-host'],
    ['hba miss over TLS', attempt('ssl', serverError('28000'), 'S', true), 'other-encryption'],
    ['wrong password over TLS (libpq retries on any error)', attempt('ssl', serverError('28P01'), 'S', true), 'other-encryption'],
    ['hba miss in plaintext (allow: then TLS)', attempt('plain', serverError('28000'), null, false), 'other-encryption'],
    ['error after AuthenticationOk', attempt('ssl', serverError('3D000', true), 'S', true), 'stop'],
    ["server error after an 'N' (already continued in plaintext)", attempt('ssl', serverError('28000'), 'N', false), 'stop'],
    ['certificate verify failed', attempt('ssl', client('tls-verify-failed'), 'S', true), 'other-encryption'],
    ['TLS handshake failed', attempt('ssl', client('tls-unsupported'), 'S', false), 'other-encryption'],
    ['client certificate refused in the handshake', attempt('ssl', client('tls-client-cert'), 'S', false), 'other-encryption'],
    ['client certificate refused after the handshake (TLS 1.3 alert)', attempt('ssl', client('tls-client-cert'), 'S', true), 'stop'],
    ['no password', attempt('ssl', client('password-required'), 'S', true), 'stop'],
    ['require_auth refusal', attempt('ssl', client('auth-method-refused'), 'S', true), 'stop'],
    ['channel_binding refusal', attempt('plain', client('channel-binding-unavailable'), null, false), 'stop'],
    ['broken protocol', attempt('ssl', client('protocol-error'), 'S', true), 'stop'],
    ['direct TLS closed', attempt('direct', client('tls-unsupported'), null, false), 'stop'],
  ])('%s -> %s', (_what, a, next) => {
    expect(nextAfterFailure(a)).toBe(next);
  });
});

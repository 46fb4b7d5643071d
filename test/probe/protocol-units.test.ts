/**
 * Pure parts of SPEC §7 on the probe side: every libpq 18 keyword accepted,
 * unknown ones refused; option values checked with libpq 18's texts (each
 * expected text below was printed by libpq 18's PQconnectdb, libpq.so.5.18
 * from the pg18 devDependency); the protocol-version options; the
 * NegotiateProtocolVersion and BackendKeyData checks; the new diagnoses; a
 * certificate without a channel-binding digest.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONNINFO_KEYWORDS, parseKeyValueConninfo, parseUriConninfo, resolveConnParams } from '../../src/probe/conninfo.js';
import {
  checkCancelKeyLength,
  checkNegotiateProtocolVersion,
  GREASE_OPTION,
  PROTOCOL_3_0,
  PROTOCOL_3_2,
  PROTOCOL_GREASE,
  ProtocolNegotiation,
  protocolRequest,
  resolveProtocolRange,
} from '../../src/probe/protocol-version.js';
import { diagnose, DIAGNOSIS_CODES, type DiagnosisFacts } from '../../src/probe/diagnose.js';
import { channelBindingData, NO_DIGEST_MESSAGE } from '../../src/probe/channel-binding-support.js';
import { tempDir } from '../helpers/tmp.js';

/** libpq 18's PQconndefaults(), keyword and environment variable, in its order. */
const LIBPQ18: Array<[string, string]> = [
  ['service', 'PGSERVICE'], ['user', 'PGUSER'], ['password', 'PGPASSWORD'], ['passfile', 'PGPASSFILE'], ['channel_binding', 'PGCHANNELBINDING'],
  ['connect_timeout', 'PGCONNECT_TIMEOUT'], ['dbname', 'PGDATABASE'], ['host', 'PGHOST'], ['hostaddr', 'PGHOSTADDR'], ['port', 'PGPORT'],
  ['client_encoding', 'PGCLIENTENCODING'], ['options', 'PGOPTIONS'], ['application_name', 'PGAPPNAME'], ['fallback_application_name', ''],
  ['keepalives', ''], ['keepalives_idle', ''], ['keepalives_interval', ''], ['keepalives_count', ''], ['tcp_user_timeout', ''],
  ['sslmode', 'PGSSLMODE'], ['sslnegotiation', 'PGSSLNEGOTIATION'], ['sslcompression', 'PGSSLCOMPRESSION'], ['sslcert', 'PGSSLCERT'],
  ['sslkey', 'PGSSLKEY'], ['sslcertmode', 'PGSSLCERTMODE'], ['sslpassword', ''], ['sslrootcert', 'PGSSLROOTCERT'], ['sslcrl', 'PGSSLCRL'],
  ['sslcrldir', 'PGSSLCRLDIR'], ['sslsni', 'PGSSLSNI'], ['requirepeer', 'PGREQUIREPEER'], ['require_auth', 'PGREQUIREAUTH'],
  ['min_protocol_version', 'PGMINPROTOCOLVERSION'], ['max_protocol_version', 'PGMAXPROTOCOLVERSION'],
  ['ssl_min_protocol_version', 'PGSSLMINPROTOCOLVERSION'], ['ssl_max_protocol_version', 'PGSSLMAXPROTOCOLVERSION'],
  ['gssencmode', 'PGGSSENCMODE'], ['krbsrvname', 'PGKRBSRVNAME'], ['gsslib', 'PGGSSLIB'], ['gssdelegation', 'PGGSSDELEGATION'],
  ['replication', ''], ['target_session_attrs', 'PGTARGETSESSIONATTRS'], ['load_balance_hosts', 'PGLOADBALANCEHOSTS'],
  ['scram_client_key', ''], ['scram_server_key', ''], ['oauth_issuer', ''], ['oauth_client_id', ''], ['oauth_client_secret', ''],
  ['oauth_scope', ''], ['sslkeylogfile', ''],
];

const resolve = (target: string, env: NodeJS.ProcessEnv = {}) => resolveConnParams({ target, env, osUser: 'u', home: '/nonexistent' });

describe('libpq 18 connection keywords', () => {
  it('the table is libpq 18\'s, keyword for keyword and environment variable for variable', () => {
    expect(Object.entries(CONNINFO_KEYWORDS)).toEqual(LIBPQ18);
  });

  it('every keyword parses in key=value and URI form; anything else is refused as libpq refuses it', () => {
    for (const [k] of LIBPQ18) {
      expect(parseKeyValueConninfo(`${k}=x`)).toEqual({ [k]: 'x' });
      expect(parseUriConninfo(`postgresql://h?${k}=x`)).toMatchObject({ [k]: 'x' });
    }
    expect(() => parseKeyValueConninfo('foo=1')).toThrow('invalid connection option "foo"');
    expect(() => parseKeyValueConninfo('requiressl=1')).toThrow('invalid connection option "requiressl"');
    expect(() => parseUriConninfo('postgresql://h?max_protocol=3.2')).toThrow('invalid URI query parameter: "max_protocol"');
  });

  it('keywords that do not touch authentication are accepted, kept for --trace, secrets redacted', () => {
    const p = resolve('host=h keepalives=1 tcp_user_timeout=0 sslcompression=1 sslpassword=hunter2 oauth_client_secret=s requirepeer=postgres sslkeylogfile=/tmp/k', {
      PGSSLCERTMODE: 'allow',
      PGGSSDELEGATION: '1',
    });
    expect(p.ignoredOptions).toEqual(
      expect.arrayContaining([
        { keyword: 'keepalives', value: '1' },
        { keyword: 'tcp_user_timeout', value: '0' },
        { keyword: 'sslcompression', value: '1' },
        { keyword: 'sslpassword', value: '[redacted]' },
        { keyword: 'oauth_client_secret', value: '[redacted]' },
        { keyword: 'requirepeer', value: 'postgres' },
        { keyword: 'sslkeylogfile', value: '/tmp/k' },
        { keyword: 'sslcertmode', value: 'allow' },
        { keyword: 'gssdelegation', value: '1' },
      ]),
    );
    expect(JSON.stringify(p.ignoredOptions)).not.toContain('hunter2');
    expect(resolve('host=h replication=database').replication).toBe('database');
  });

  it('values libpq 18 refuses are refused with its words', () => {
    const cases: Array<[string, string]> = [
      ['min_protocol_version=3.1', 'invalid min_protocol_version value: "3.1"'],
      ['max_protocol_version=3.3', 'invalid max_protocol_version value: "3.3"'],
      ['max_protocol_version=3', 'invalid max_protocol_version value: "3"'],
      ['max_protocol_version=3.9999', 'invalid max_protocol_version value: "3.9999"'],
      ["max_protocol_version=''", 'invalid max_protocol_version value: ""'],
      ['max_protocol_version=3.0 min_protocol_version=3.2', '"min_protocol_version" is greater than "max_protocol_version"'],
      ['min_protocol_version=latest max_protocol_version=3.0', '"min_protocol_version" is greater than "max_protocol_version"'],
      ['sslcertmode=x', 'invalid sslcertmode value: "x"'],
      ['ssl_min_protocol_version=TLSv9', 'invalid "ssl_min_protocol_version" value: "TLSv9"'],
      ['ssl_min_protocol_version=TLSv1.3 ssl_max_protocol_version=TLSv1.2', 'invalid SSL protocol version range'],
      ['load_balance_hosts=x', 'invalid load_balance_hosts value: "x"'],
      ['keepalives=x', 'invalid integer value "x" for connection option "keepalives"'],
      ['tcp_user_timeout=x', 'invalid integer value "x" for connection option "tcp_user_timeout"'],
      ['target_session_attrs=x', 'invalid target_session_attrs value: "x"'],
      ['scram_client_key=x', 'invalid SCRAM client key'],
      ['scram_server_key=x', 'invalid SCRAM server key'],
    ];
    for (const [conninfo, text] of cases) expect(() => resolve(`host=h ${conninfo}`), conninfo).toThrow(text);
    // libpq 18 takes these without complaint (it reads sslsni's first character only).
    for (const ok of ['sslsni=x', 'replication=x', 'gssdelegation=x', 'requirepeer=x', 'sslcompression=x', 'oauth_issuer=x']) {
      expect(() => resolve(`host=h ${ok}`), ok).not.toThrow();
    }
    expect(resolve('host=h sslsni=x').sslsni).toBe(false);
  });

  it('min/max_protocol_version from the conninfo, else PGMINPROTOCOLVERSION/PGMAXPROTOCOLVERSION', () => {
    expect(resolve('host=h').protocol).toEqual({ min: PROTOCOL_3_0, max: PROTOCOL_3_0 });
    expect(resolve('host=h', { PGMAXPROTOCOLVERSION: '3.2' }).protocol).toEqual({ min: PROTOCOL_3_0, max: PROTOCOL_3_2 });
    expect(resolve('host=h max_protocol_version=3.0', { PGMAXPROTOCOLVERSION: '3.2' }).protocol.max).toBe(PROTOCOL_3_0);
    expect(resolve('host=h', { PGMINPROTOCOLVERSION: '3.2' }).protocol).toEqual({ min: PROTOCOL_3_2, max: PROTOCOL_3_2 });
    expect(() => resolve('host=h', { PGMAXPROTOCOLVERSION: 'newest' })).toThrow('invalid max_protocol_version value: "newest"');
  });
});

describe('protocol versions as libpq 18 negotiates them', () => {
  it('defaults: max is 3.0 unless min is above 3.0, then latest', () => {
    expect(resolveProtocolRange(undefined, undefined)).toEqual({ min: PROTOCOL_3_0, max: PROTOCOL_3_0 });
    expect(resolveProtocolRange('3.2', undefined)).toEqual({ min: PROTOCOL_3_2, max: PROTOCOL_3_2 });
    expect(resolveProtocolRange('latest', 'latest')).toEqual({ min: PROTOCOL_3_2, max: PROTOCOL_3_2 });
    expect(resolveProtocolRange(undefined, 'latest')).toEqual({ min: PROTOCOL_3_0, max: PROTOCOL_3_2 });
  });

  const range32 = { min: PROTOCOL_3_0, max: PROTOCOL_3_2 };
  const ask32 = protocolRequest(range32, false);
  const grease = protocolRequest(range32, true);
  const v = (version: number, unrecognizedOptions: string[] = []) => ({ version, unrecognizedOptions });

  it('NegotiateProtocolVersion: every check of pqGetNegotiateProtocolVersion3, in its order', () => {
    const pre = 'received invalid protocol negotiation message: ';
    expect(checkNegotiateProtocolVersion(v(PROTOCOL_3_0), ask32, range32)).toEqual({ version: PROTOCOL_3_0 });
    expect(checkNegotiateProtocolVersion(v(0x00030003), ask32, range32)).toMatchObject({ message: `${pre}server requested downgrade to a higher-numbered version` });
    expect(checkNegotiateProtocolVersion(v(0), ask32, range32)).toMatchObject({ message: `${pre}server requested downgrade to pre-3.0 protocol version` });
    expect(checkNegotiateProtocolVersion(v(0x00030001), ask32, range32)).toMatchObject({ message: `${pre}server requested downgrade to non-existent 3.1 protocol version` });
    expect(checkNegotiateProtocolVersion(v(PROTOCOL_3_2), ask32, range32)).toMatchObject({ message: `${pre}server negotiated but asks for no changes` });
    expect(checkNegotiateProtocolVersion(v(PROTOCOL_3_0), ask32, { min: PROTOCOL_3_2, max: PROTOCOL_3_2 })).toEqual({
      code: 'protocol-version-unsupported',
      message: 'server only supports protocol version 3.0, but "min_protocol_version" was set to 3.2',
    });
    expect(checkNegotiateProtocolVersion(v(PROTOCOL_3_0, ['x']), ask32, range32)).toMatchObject({ message: `${pre}server reported unsupported parameter name without a "_pq_." prefix ("x")` });
    expect(checkNegotiateProtocolVersion(v(PROTOCOL_3_0, ['_pq_.y']), ask32, range32)).toMatchObject({
      code: 'protocol-negotiation-failed',
      message: `${pre}server reported an unsupported parameter that was not requested ("_pq_.y")`,
    });
  });

  it('grease: 3.9999 with _pq_.test_protocol_negotiation, which the server must report back', () => {
    expect(grease).toEqual({ version: PROTOCOL_GREASE, options: [[GREASE_OPTION, '']], grease: true });
    expect(PROTOCOL_GREASE).toBe(0x0003270f);
    expect(checkNegotiateProtocolVersion(v(PROTOCOL_3_2, [GREASE_OPTION]), grease, range32)).toEqual({ version: PROTOCOL_3_2 });
    expect(checkNegotiateProtocolVersion(v(PROTOCOL_3_0, [GREASE_OPTION]), grease, range32)).toEqual({ version: PROTOCOL_3_0 });
    expect(checkNegotiateProtocolVersion(v(PROTOCOL_3_2), grease, range32)).toMatchObject({ code: 'protocol-negotiation-failed', message: expect.stringContaining('did not report') });
    expect(checkNegotiateProtocolVersion(v(0x00030005, [GREASE_OPTION]), grease, range32)).toMatchObject({ code: 'protocol-negotiation-failed' });
    const n = new ProtocolNegotiation(range32, true);
    expect(n.onOtherMessage()).toMatchObject({ code: 'protocol-negotiation-failed', message: expect.stringContaining('did not send NegotiateProtocolVersion') });
  });

  it('one NegotiateProtocolVersion only; without one the version asked for stands', () => {
    const n = new ProtocolNegotiation(range32, false);
    expect(n.onNegotiate(v(PROTOCOL_3_0))).toBeNull();
    expect(n.onNegotiate(v(PROTOCOL_3_0))).toEqual({ code: 'protocol-negotiation-failed', message: 'received duplicate protocol negotiation message' });
    const quiet = new ProtocolNegotiation(range32, false);
    expect(quiet.onOtherMessage()).toBeNull();
    expect(quiet.onBackendKey(32)).toBeNull();
    expect(quiet.summary()).toEqual({ version: '3.2', requested: '3.2', cancelKeyBytes: 32, negotiated: false, unrecognizedOptions: [], grease: false });
  });

  it('BackendKeyData: 4 bytes under 3.0; 4 to 256 bytes under 3.2 (getBackendKeyData)', () => {
    expect(checkCancelKeyLength(PROTOCOL_3_0, 4)).toBeNull();
    expect(checkCancelKeyLength(PROTOCOL_3_0, 32)?.message).toBe('cancel key with length 32 not allowed in protocol version 3.0 (must be 4 bytes)');
    expect(checkCancelKeyLength(PROTOCOL_3_2, 32)).toBeNull();
    expect(checkCancelKeyLength(PROTOCOL_3_2, 256)).toBeNull();
    expect(checkCancelKeyLength(PROTOCOL_3_2, 3)?.message).toBe('cancel key with length 3 is too short (minimum 4 bytes)');
    expect(checkCancelKeyLength(PROTOCOL_3_2, 257)?.message).toBe('cancel key with length 257 is too long (maximum 256 bytes)');
  });
});

describe('diagnoses for protocol negotiation and channel-binding certificates', () => {
  const facts = (code: string, message: string, extra: Partial<DiagnosisFacts> = {}): DiagnosisFacts => ({
    failure: { origin: 'client', code: code as never, message },
    serverKind: 'pgbouncer',
    user: 'u',
    dbname: 'd',
    host: 'h',
    port: 1,
    unix: false,
    tls: false,
    sslmode: 'prefer',
    authMethod: null,
    passwordSource: null,
    ...extra,
  });
  it('the codes are in the catalogue, each with a cause and a fix', () => {
    for (const code of ['protocol-negotiation-failed', 'protocol-version-unsupported', 'channel-binding-unsupported-certificate'] as const) {
      expect(DIAGNOSIS_CODES).toContain(code);
      const d = diagnose(facts(code, 'x'));
      expect(d.code).toBe(code);
      expect(d.cause.length).toBeGreaterThan(20);
      expect(d.fix.length).toBeGreaterThan(20);
    }
    expect(diagnose(facts('protocol-negotiation-failed', 'server closed the connection')).fix).toMatch(/max_protocol_version=3\.0/);
    const cb = diagnose(facts('channel-binding-unsupported-certificate', NO_DIGEST_MESSAGE, { loggedInWithoutBinding: true, channelBindingMode: 'prefer' }));
    expect(cb.cause).toMatch(/Ed25519/);
    expect(cb.cause).toMatch(/logged in/);
    expect(cb.fix).toMatch(/RSA or ECDSA/);
    expect(cb.fix).toMatch(/channel_binding=disable/);
  });

  it('an Ed25519 certificate has no tls-server-end-point hash: libpq\'s error, no exception', () => {
    const tmp = tempDir('pgauth-ed25519-');
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ed25519', '-nodes', '-keyout', 'k.pem', '-out', 'c.pem', '-days', '1', '-subj', '/CN=localhost'], {
        cwd: tmp.path,
        stdio: 'ignore',
      });
      const der = new X509Certificate(readFileSync(join(tmp.path, 'c.pem'))).raw;
      const r = channelBindingData(der);
      expect(r).toMatchObject({ error: 'could not find digest for NID UNDEF', detail: expect.stringContaining('1.3.101.112') });
      expect(channelBindingData(Buffer.from([0x30, 0x01]))).toMatchObject({ error: NO_DIGEST_MESSAGE });
    } finally {
      tmp.remove();
    }
  });
});

/** The probe's pure parts: conninfo/URI parsing, precedence, .pgpass, require_auth, host-name checks, diagnosis, DNS failure. */
import { chmodSync, chownSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ConninfoError,
  parseKeyValueConninfo,
  parseRequireAuth,
  parseTarget,
  parseUriConninfo,
  resolveConnParams,
} from '../../src/probe/conninfo.js';
import { lookupPgpass, passwordFromFile, pgpassHost } from '../../src/probe/pgpass.js';
import { canonicalIp, checkHostName } from '../../src/probe/tls-verify.js';
import { classifyServerError, diagnose, DIAGNOSIS_CODES, type DiagnosisFacts, type ServerError } from '../../src/probe/diagnose.js';
import { runProbe } from '../../src/probe/probe.js';
import { classifySocketError, TransportError } from '../../src/probe/connect.js';
import { tlsFailureCode } from '../../src/probe/tls-step.js';
import { loadTlsMaterial } from '../../src/probe/tls-material.js';
import { describeBackend, describeFrontend } from '../../src/probe/trace.js';
import { rolesFromRows } from '../../src/probe/import-live.js';
import { detectServerKind } from '../../src/probe/server-kind.js';

const err = (code: string, message: string, routine: string | null = 'x'): ServerError => ({ severity: 'FATAL', code, message, detail: null, hint: null, routine });

describe('conninfo parsing (libpq syntax and error texts)', () => {
  it('key=value with quotes, escapes and spaces around =', () => {
    expect(parseKeyValueConninfo(`host = db1 port=5433 password='it\\'s a pw' dbname=a\\ b user=''`)).toEqual({
      host: 'db1',
      port: '5433',
      password: "it's a pw",
      dbname: 'a b',
      user: '',
    });
  });
  it('rejects what libpq rejects, with its words', () => {
    expect(() => parseKeyValueConninfo('host')).toThrow('missing "=" after "host" in connection info string');
    expect(() => parseKeyValueConninfo("host='x")).toThrow('unterminated quoted string in connection info string');
    expect(() => parseKeyValueConninfo('hots=x')).toThrow('invalid connection option "hots"');
    try {
      parseKeyValueConninfo('nope=1');
    } catch (e) {
      expect((e as Error).name).toBe('ConninfoError');
    }
  });
  it('URIs: user, password, hosts, ports, IPv6, percent-encoding, query parameters', () => {
    expect(parseUriConninfo('postgresql://al%40ice:p%3Aw@h1:5433,[::1]:5434/my%20db?sslmode=require&application_name=x')).toEqual({
      user: 'al@ice',
      password: 'p:w',
      host: 'h1,::1',
      port: '5433,5434',
      dbname: 'my db',
      sslmode: 'require',
      application_name: 'x',
    });
    expect(parseUriConninfo('postgres://%2Fvar%2Frun%2Fpostgresql/db')).toEqual({ host: '/var/run/postgresql', dbname: 'db' });
    expect(parseUriConninfo('postgresql://h?ssl=true')).toEqual({ host: 'h', sslmode: 'require' });
    expect(() => parseUriConninfo('postgresql://h?bogus=1')).toThrow('invalid URI query parameter: "bogus"');
    expect(() => parseUriConninfo('postgresql://h/d%00')).toThrow('forbidden value %00');
    expect(() => parseUriConninfo('postgresql://[::1/db')).toThrow('matching "]"');
    expect(() => parseUriConninfo('postgresql://h?sslmode')).toThrow('missing key/value separator');
    // Compared with libpq 15's PQconninfoParse: the user part ends at the first '@' before any '/'.
    expect(parseUriConninfo('postgresql://u:p@ss@h/db')).toEqual({ user: 'u', password: 'p', host: 'ss@h', dbname: 'db' });
    expect(parseUriConninfo('postgresql://h/x@y')).toEqual({ host: 'h', dbname: 'x@y' });
    expect(() => parseUriConninfo('postgresql://h?a=b=c')).toThrow('extra key/value separator "=" in URI query parameter: "a"');
    // A final backslash in a key=value string is dropped, as libpq does.
    expect(parseKeyValueConninfo('host=a\\')).toEqual({ host: 'a' });
  });
  it('errors about a URI never quote its password (they end up in CI logs)', () => {
    for (const bad of ['postgresql://u:pa ss@h/db', 'postgresql://u:100%@h/db', 'postgresql://u:s3cr3t@[::1/db', 'postgresql://u:s3cr3t@[]/db', 'postgresql://u:s3cr3t@[::1]x/db', 'postgresql://u:s3cr3t@h/d b', 'postgresql://h/d b?password=s3cr3t', 'postgresql://h/d?password=s3cr3t%', 'postgresql://h/d?password=s3cr3t=x']) {
      let message = '';
      try {
        parseUriConninfo(bad);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message, bad).not.toBe('');
      expect(message, bad).not.toMatch(/pa ss|100%|s3cr3t/);
    }
  });

  it('TARGET shorthand: host, host:port, [v6]:port, socket directory', () => {
    expect(parseTarget('db.example:6432')).toEqual({ host: 'db.example', port: '6432' });
    expect(parseTarget('[::1]:5432')).toEqual({ host: '::1', port: '5432' });
    expect(parseTarget('::1')).toEqual({ host: '::1' });
    expect(parseTarget('/tmp')).toEqual({ host: '/tmp' });
    expect(() => parseTarget('h:abc')).toThrow('invalid port number: "abc"');
  });
  it('precedence: target > psql flags > environment > defaults', () => {
    const env = { PGHOST: 'envhost', PGPORT: '7000', PGUSER: 'envuser', PGDATABASE: 'envdb', PGSSLMODE: 'require', PGAPPNAME: 'app' };
    const p = resolveConnParams({ target: 'host=t1', flags: { host: 'flaghost', user: 'flaguser' }, env, osUser: 'os', home: '/h' });
    expect(p.hosts).toEqual([{ host: 't1', port: 7000, unix: false }]);
    expect(p.user).toBe('flaguser');
    expect(p.dbname).toBe('envdb');
    expect(p.sslmode).toBe('require');
    expect(p.applicationName).toBe('app');
    const d = resolveConnParams({ env: {}, osUser: 'os', home: '/h' });
    expect(d.user).toBe('os');
    expect(d.dbname).toBe('os');
    expect(d.hosts[0]).toMatchObject({ host: '/var/run/postgresql', port: 5432, unix: true });
    expect(d.sslmode).toBe('prefer');
    expect(d.channelBinding).toBe('prefer');
    expect(d.passfile).toBe('/h/.pgpass');
  });
  it('several hosts with one port or one port each; hostaddr', () => {
    const p = resolveConnParams({ target: 'host=a,b,/sock port=1,2,3', env: {}, osUser: 'u', home: '/h' });
    expect(p.hosts.map((h) => [h.host, h.port, h.unix])).toEqual([
      ['a', 1, false],
      ['b', 2, false],
      ['/sock', 3, true],
    ]);
    expect(() => resolveConnParams({ target: 'host=a,b port=1,2,3', env: {}, osUser: 'u', home: '/h' })).toThrow('could not match 3 port numbers to 2 hosts');
    const h = resolveConnParams({ target: 'host=name hostaddr=10.0.0.1', env: {}, osUser: 'u', home: '/h' });
    expect(h.hosts[0]).toEqual({ host: 'name', hostaddr: '10.0.0.1', port: 5432, unix: false });
  });
  it('sslmode, sslrootcert=system, sslnegotiation=direct rules', () => {
    const r = (t: string) => resolveConnParams({ target: t, env: {}, osUser: 'u', home: '/h' });
    expect(() => r('sslmode=sometimes')).toThrow('invalid sslmode value: "sometimes"');
    // requiressl / PGREQUIRESSL are gone from libpq 15 and 18 alike (their PQconndefaults lists lack them).
    expect(() => r('requiressl=1')).toThrow('invalid connection option "requiressl"');
    const e = (t: string, env: NodeJS.ProcessEnv) => resolveConnParams({ target: t, env, osUser: 'u', home: '/h' }).sslmode;
    expect(e('host=a', { PGREQUIRESSL: '1' })).toBe('prefer');
    expect(r('sslrootcert=system').sslmode).toBe('verify-full');
    expect(() => r('sslrootcert=system sslmode=require')).toThrow('weak sslmode "require" may not be used with sslrootcert=system (use "verify-full")');
    expect(() => r('sslnegotiation=direct')).toThrow('weak sslmode "prefer" may not be used with sslnegotiation=direct');
    expect(r('sslnegotiation=direct sslmode=require').sslnegotiation).toBe('direct');
    expect(() => r('channel_binding=always')).toThrow('invalid channel_binding value: "always"');
    expect(() => r('connect_timeout=soon')).toThrow('invalid integer value "soon" for connection option "connect_timeout"');
  });
  it('passwords: conninfo before PGPASSWORD', () => {
    const p = resolveConnParams({ target: 'password=a', env: { PGPASSWORD: 'b' }, osUser: 'u', home: '/h' });
    expect(p.password).toEqual({ value: 'a', source: 'conninfo' });
    const e = resolveConnParams({ env: { PGPASSWORD: 'b' }, osUser: 'u', home: '/h' });
    expect(e.password).toEqual({ value: 'b', source: 'PGPASSWORD' });
  });
});

describe('require_auth (PostgreSQL 16)', () => {
  it('lists and negated lists', () => {
    expect([...parseRequireAuth('md5,scram-sha-256').allowed].sort()).toEqual(['md5', 'scram-sha-256']);
    expect([...parseRequireAuth('!password,!md5').allowed].sort()).toEqual(['gss', 'none', 'oauth', 'scram-sha-256', 'sspi']);
  });
  it("libpq's errors", () => {
    expect(() => parseRequireAuth('md5,!password')).toThrow('negative require_auth method "!password" cannot be mixed with non-negative methods');
    expect(() => parseRequireAuth('!md5,password')).toThrow('require_auth method "password" cannot be mixed with negative methods');
    expect(() => parseRequireAuth('md5,md5')).toThrow('require_auth method "md5" is specified more than once');
    expect(() => parseRequireAuth('kerberos')).toThrow('invalid require_auth value: "kerberos"');
    expect(() => parseRequireAuth('x')).toThrow(ConninfoError);
  });
});

describe('.pgpass (libpq matching, escaping, permissions)', () => {
  const text = ['# comment', 'h1:5432:db:alice:first', '*:*:db:alice:second', 'h\\:x:5432:*:bob:p\\:w\\\\d:ignored', '*:*:*:*:fallback'].join('\n');
  it('first match wins, * matches a whole field, escapes', () => {
    expect(lookupPgpass(text, { host: 'h1', port: '5432', dbname: 'db', user: 'alice' })).toBe('first');
    expect(lookupPgpass(text, { host: 'h2', port: '1', dbname: 'db', user: 'alice' })).toBe('second');
    expect(lookupPgpass(text, { host: 'h:x', port: '5432', dbname: 'any', user: 'bob' })).toBe('p:w\\d');
    expect(lookupPgpass(text, { host: 'z', port: '1', dbname: 'z', user: 'z' })).toBe('fallback');
    expect(lookupPgpass(text, { host: 'z', port: '1', dbname: '', user: 'z' })).toBeUndefined();
  });
  it('the default socket directory and an empty host are looked up as localhost', () => {
    expect(pgpassHost('/var/run/postgresql')).toBe('localhost');
    expect(pgpassHost('')).toBe('localhost');
    expect(pgpassHost('/tmp')).toBe('/tmp');
  });
  it('a group/world-readable file is ignored with the warning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgpass-'));
    const f = join(dir, '.pgpass');
    writeFileSync(f, '*:*:*:*:pw\n');
    chmodSync(f, 0o600);
    expect(passwordFromFile(f, { host: 'h', port: '1', dbname: 'd', user: 'u' })).toEqual({ password: 'pw', warnings: [] });
    chmodSync(f, 0o640);
    expect(passwordFromFile(f, { host: 'h', port: '1', dbname: 'd', user: 'u' })).toEqual({
      warnings: [`password file "${f}" has group or world access; permissions should be u=rw (0600) or less`],
      ignored: `${f} has mode 0640: libpq ignores a password file that group or others can read (chmod 0600 ${f})`,
    });
    expect(passwordFromFile(dir, { host: 'h', port: '1', dbname: 'd', user: 'u' }).warnings[0]).toContain('is not a plain file');
  });
});

describe('server certificate host names (libpq rules)', () => {
  it('SAN first, wildcard of one label, IPs, CN only without SANs', () => {
    expect(checkHostName('db.example.com', 'DNS:*.example.com', 'other').ok).toBe(true);
    expect(checkHostName('a.b.example.com', 'DNS:*.example.com', null).ok).toBe(false);
    expect(checkHostName('::1', 'DNS:localhost, IP Address:0:0:0:0:0:0:0:1', null).ok).toBe(true);
    expect(checkHostName('127.0.0.1', 'DNS:localhost, IP Address:127.0.0.1', null).ok).toBe(true);
    expect(checkHostName('db', 'DNS:x', 'db').ok).toBe(false); // CN ignored when SANs exist
    expect(checkHostName('db', null, 'db').ok).toBe(true);
    expect(checkHostName('h', 'DNS:a, DNS:b, DNS:c', null).message).toBe('server certificate for "a" (and 2 other names) does not match host name "h"');
    expect(checkHostName('h', null, null).message).toBe("could not get server's host name from server certificate");
    expect(canonicalIp('::ffff:1.2.3.4')).toBe(canonicalIp('0:0:0:0:0:ffff:102:304'));
  });
});

describe('the diagnosis catalogue', () => {
  const base: DiagnosisFacts = {
    failure: null,
    serverKind: 'postgresql',
    user: 'alice',
    dbname: 'app',
    host: 'db',
    port: 5432,
    unix: false,
    tls: false,
    sslmode: 'prefer',
    authMethod: 'scram-sha-256',
    passwordSource: null,
  };
  it('classifies PostgreSQL and PgBouncer errors', () => {
    expect(classifyServerError(err('28P01', 'password authentication failed for user "alice"'), false)).toBe('auth-failed');
    expect(classifyServerError(err('28000', 'no pg_hba.conf entry for host "1.2.3.4", user "a", database "b", no encryption'), false)).toBe('no-hba-entry');
    expect(classifyServerError(err('28000', 'no pg_hba.conf entry for host "1.2.3.4", user "a", database "b", no encryption'), false, true)).toBe('tls-required');
    expect(classifyServerError(err('57P03', 'the database system is starting up'), false)).toBe('server-starting');
    expect(classifyServerError(err('57P03', 'the database system is shutting down'), false)).toBe('server-shutting-down');
    expect(classifyServerError(err('28000', 'PAM authentication failed for user "a"'), false)).toBe('pam-failed');
    expect(classifyServerError(err('28000', 'Peer authentication failed for user "a"'), false)).toBe('peer-failed');
    expect(classifyServerError(err('28000', 'SCRAM channel binding check failed'), false)).toBe('channel-binding-failed');
    expect(classifyServerError(err('08P01', 'SASL authentication failed', null), false)).toBe('auth-failed');
    expect(classifyServerError(err('08P01', 'login rejected', null), false)).toBe('hba-reject');
    expect(classifyServerError(err('08P01', 'no such database: x', null), false)).toBe('database-missing');
  });
  it('every code has a cause and a fix', () => {
    for (const code of DIAGNOSIS_CODES) {
      if (code === 'ok') continue;
      const d = diagnose({ ...base, failure: { origin: 'client', code, message: 'm' } });
      expect(d.code).toBe(code);
      expect(d.cause.length, code).toBeGreaterThan(10);
      expect(d.fix.length, code).toBeGreaterThan(10);
    }
  });
  it('auth-failed explains how to tell causes apart, and names a .pgpass source', () => {
    const d = diagnose({ ...base, passwordSource: 'pgpass', passfile: '/h/.pgpass', failure: { origin: 'server', afterAuthOk: false, error: err('28P01', 'password authentication failed for user "alice"') } });
    expect(d.cause).toContain('does not have a valid SCRAM secret');
    expect(d.cause).toContain('/h/.pgpass');
    // After an md5 challenge the stored secret is md5 (or the role is missing): no SCRAM-secret cause.
    const md5 = diagnose({ ...base, authMethod: 'md5', failure: { origin: 'server', afterAuthOk: false, error: err('28P01', 'password authentication failed for user "alice"') } });
    expect(md5.cause).toContain('Password does not match');
    expect(md5.cause).toContain('asked for md5');
    expect(md5.cause).not.toContain('SCRAM');
    expect(md5.fix).not.toContain('scram-sha-256');
  });
  it('causes fit the reason behind the code (reference section 6)', () => {
    const client = (failure: DiagnosisFacts['failure']) => diagnose({ ...base, failure });
    expect(client({ origin: 'client', code: 'tls-unsupported', message: 'server does not support SSL, but SSL was required', reason: 'ssl-refused' }).cause).toContain('answered "N"');
    const handshake = client({ origin: 'client', code: 'tls-unsupported', message: 'SSL error: unsupported protocol' });
    expect(handshake.cause).not.toContain('answered "N"');
    expect(handshake.cause).toContain('unsupported protocol');
    expect(client({ origin: 'client', code: 'tls-unsupported', message: 'x\n(direct TLS: ... sslnegotiation=direct)', reason: 'direct-tls-closed' }).fix).toContain('sslnegotiation=postgres');
    expect(client({ origin: 'client', code: 'channel-binding-failed', message: 'server offered SCRAM-SHA-256-PLUS authentication over a non-SSL connection', reason: 'plus-without-tls' }).cause).toContain('SSL stripping');
    expect(client({ origin: 'client', code: 'protocol-error', message: 'direct SSL connection was established without ALPN protocol negotiation extension', reason: 'alpn' }).fix).toContain('sslnegotiation=postgres');
    expect(client({ origin: 'server', afterAuthOk: true, error: err('55000', 'database "template0" is not currently accepting connections') }).fix).toContain('ALLOW_CONNECTIONS');
    expect(client({ origin: 'server', afterAuthOk: true, error: err('42704', 'unrecognized configuration parameter "x"') }).cause).toContain('PGOPTIONS');
    expect(client({ origin: 'server', afterAuthOk: false, error: err('28P01', 'password authentication failed for user "alice"') }).fix).toContain('ALTER ROLE "alice"');
  });
  it('PgBouncer wording gets PgBouncer causes', () => {
    const d = diagnose({ ...base, serverKind: 'pgbouncer', failure: { origin: 'server', afterAuthOk: false, error: err('08P01', 'SASL authentication failed', null) } });
    expect(d.code).toBe('auth-failed');
    expect(d.cause).toContain('md5');
  });
});

describe('server kind', () => {
  const ev = { parameters: {}, versionText: null, errorMessages: [], errorHadRoutine: false, backendKeyPid: null, spoke: true };
  it('from version(), error wording and fields', () => {
    expect(detectServerKind({ ...ev, versionText: 'PostgreSQL 15.4 (Debian) on x86_64' }).kind).toBe('postgresql');
    expect(detectServerKind({ ...ev, errorMessages: ['SASL authentication failed'] }).kind).toBe('pgbouncer');
    expect(detectServerKind({ ...ev, errorMessages: ['password authentication failed for user "a"'], errorHadRoutine: true }).kind).toBe('postgresql');
    expect(detectServerKind({ ...ev, versionText: 'PostgreSQL 16.0 (pgauth serve)' }).kind).toBe('pgauth');
  });
});

describe('trace redaction', () => {
  it('passwords, md5 responses and SCRAM proofs never appear', () => {
    expect(describeFrontend({ type: 'PasswordMessage', password: 'hunter2' }, 'password')).toBe('password [redacted]');
    expect(describeFrontend({ type: 'PasswordMessage', password: 'md5abc' }, 'md5')).toBe('md5 response [redacted]');
    expect(describeFrontend({ type: 'SASLResponse', data: Buffer.from('c=biws,r=abc,p=PROOF==') })).toBe('c=biws,r=abc,p=[redacted]');
    expect(describeBackend({ type: 'ParameterStatus', name: 'a', value: 'b' })).toBe('a=b');
  });
});

describe('live import rows', () => {
  it('maps pg_authid rows and memberships to role records', () => {
    const roles = rolesFromRows(
      [
        ['alice', 'SCRAM-SHA-256$4096:c2FsdA==$a:b', null, 't', '-1'],
        ['bob', 'md5abc', '2030-01-01T00:00:00Z', 'f', '5'],
        ['nopw', null, null, 't', '-1'],
      ],
      [['alice', 'admins'], ['alice', 'readers']],
    );
    expect(roles).toEqual([
      { name: 'alice', secret: 'SCRAM-SHA-256$4096:c2FsdA==$a:b', attrs: { memberOf: ['admins', 'readers'] }, line: 0 },
      { name: 'bob', secret: 'md5abc', attrs: { validUntil: '2030-01-01T00:00:00Z', nologin: true, connLimit: 5 }, line: 0 },
    ]);
  });
});

describe('dns-failure through an injected resolver (no DNS query leaves the machine)', () => {
  it('reports dns-failure, exit kind unreachable', async () => {
    const asked: string[] = [];
    const params = resolveConnParams({ target: 'host=db.invalid port=5432 user=alice dbname=postgres', env: {}, osUser: 'u', home: '/nonexistent' });
    const r = await runProbe({
      params,
      lookup: async (name) => {
        asked.push(name);
        throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
      },
    });
    expect(asked).toEqual(['db.invalid']);
    expect(r.ok).toBe(false);
    expect(r.diagnosis.code).toBe('dns-failure');
    expect(r.error.code).toBeNull();
    expect(r.error.message).toBe('could not translate host name "db.invalid" to address: Name or service not known');
    expect(r.auth.method).toBeNull();
    expect(r.exit).toBe('unreachable');
    expect(r.steps[0]).toMatchObject({ step: 'resolve', ok: false });
  });
});

describe('TLS files like libpq', () => {
  const dir = mkdtempSync(join(tmpdir(), 'probe-tls-'));
  const p = (t: string) => resolveConnParams({ target: t, env: {}, osUser: 'u', home: dir });
  it('verify-* without a root file is an error when TLS starts; an existing root file turns verification on', () => {
    expect(loadTlsMaterial(p('sslmode=verify-ca')).rootError).toMatch(/^root certificate file ".*root\.crt" does not exist\nEither provide the file/);
    expect(loadTlsMaterial(p('sslmode=require')).verifyChain).toBe(false);
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\n');
    expect(loadTlsMaterial(p(`sslmode=require sslrootcert=${ca}`)).verifyChain).toBe(true);
    expect(loadTlsMaterial(p(`sslmode=disable sslrootcert=${ca}`)).verifyChain).toBe(false);
  });
  it('a certificate without its key, or a key others can read, is refused', () => {
    const cert = join(dir, 'c.crt');
    const key = join(dir, 'c.key');
    writeFileSync(cert, 'x');
    expect(() => loadTlsMaterial(p(`sslcert=${cert} sslkey=${key}`))).toThrow(`certificate present, but not private key file "${key}"`);
    writeFileSync(key, 'k');
    chmodSync(key, 0o644);
    expect(() => loadTlsMaterial(p(`sslcert=${cert} sslkey=${key}`))).toThrow('has group or world access');
    // libpq 15 (checked through the real library): a root-owned key may be 0640, any other key 0600,
    // whoever owns it and whoever runs.
    chmodSync(key, 0o640);
    if (process.getuid?.() === 0) {
      expect(loadTlsMaterial(p(`sslcert=${cert} sslkey=${key}`)).key?.toString()).toBe('k');
      chmodSync(key, 0o604);
      expect(() => loadTlsMaterial(p(`sslcert=${cert} sslkey=${key}`))).toThrow('has group or world access');
      chmodSync(key, 0o640);
      chownSync(key, 65534, 65534); // another user's key: 0640 is too open
      expect(() => loadTlsMaterial(p(`sslcert=${cert} sslkey=${key}`))).toThrow('has group or world access');
      chownSync(key, 0, 0);
    } else {
      expect(() => loadTlsMaterial(p(`sslcert=${cert} sslkey=${key}`))).toThrow('has group or world access');
    }
    expect(() => loadTlsMaterial(p(`sslcert=${cert} sslkey=${dir}`))).toThrow('is not a regular file');
    chmodSync(key, 0o600);
    expect(loadTlsMaterial(p(`sslcert=${cert} sslkey=${key}`)).key?.toString()).toBe('k');
  });
});

describe('TLS failures classified by Node error code, not message text', () => {
  const errno = (code: string, message: string, syscall?: string): NodeJS.ErrnoException => Object.assign(new Error(message), { code, ...(syscall ? { syscall } : {}) });
  it.each<[string, NodeJS.ErrnoException, string]>([
    ['an OpenSSL alert', errno('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'x:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required'), 'tls'],
    ['a non-TLS answer', errno('ERR_SSL_WRONG_VERSION_NUMBER', 'x:SSL routines:ssl3_get_record:wrong version number'), 'tls'],
    ['EPROTO', errno('EPROTO', 'write EPROTO'), 'tls'],
    ["Node's disconnect before the TLS handshake ended", errno('ECONNRESET', 'Client network socket disconnected before secure TLS connection was established'), 'tls'],
    ['a TCP reset', errno('ECONNRESET', 'read ECONNRESET', 'read'), 'closed'],
    ['a broken pipe', errno('EPIPE', 'write EPIPE', 'write'), 'closed'],
    ['a message that only mentions TLS', errno('EHOSTUNREACH', 'TLS alert words in a message', 'connect'), 'closed'],
  ])('%s -> %s', (_what, err, code) => {
    expect(classifySocketError(err).code).toBe(code);
  });

  it.each<[string, boolean, string]>([
    ['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', false, 'tls-client-cert'],
    ['ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', true, 'tls-client-cert'],
    ['ERR_SSL_SSL/TLS_ALERT_BAD_CERTIFICATE', false, 'tls-client-cert'],
    ['ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED', false, 'tls-client-cert'],
    ['ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR', false, 'tls-client-cert'],
    ['ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', false, 'tls-unsupported'],
    ['ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', true, 'tls-client-cert'],
    ['ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', false, 'tls-unsupported'],
    ['ECONNRESET', false, 'tls-unsupported'],
  ])('%s (client certificate sent: %s) -> %s', (sysCode, sentCert, code) => {
    expect(tlsFailureCode(new TransportError('tls', 'SSL error: x', sysCode), sentCert)).toBe(code);
  });
});

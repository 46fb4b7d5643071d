/**
 * The engine's reading of PostgreSQL 18's oauth lines and of the file as an
 * older major (serverVersion), without a server: each rule pinned by its own
 * case (the same facts differential-18.test.ts checks against PostgreSQL 18).
 */
import { describe, expect, it } from 'vitest';
import { hbaFileRules, parseHbaFile, type AuthFileSource, type ParseOptions } from '../../src/hba/index.js';

const one = (line: string, opts: ParseOptions = {}) => {
  const source: AuthFileSource = { read: () => ({ ok: true, text: `${line}\n` }), list: () => ({ ok: true, names: [] }) };
  const row = hbaFileRules(parseHbaFile('/x/pg_hba.conf', source, opts))[0]!;
  return row.error ?? row.options;
};

describe('oauth lines (PostgreSQL 18)', () => {
  it('scope is required before issuer; an empty value counts as given', () => {
    expect(one('host all all all oauth')).toBe('authentication method "oauth" requires argument "scope" to be set');
    expect(one('host all all all oauth issuer=https://i')).toBe('authentication method "oauth" requires argument "scope" to be set');
    expect(one('host all all all oauth scope=s')).toBe('authentication method "oauth" requires argument "issuer" to be set');
    expect(one('host all all all oauth issuer= scope=')).toEqual(['issuer=', 'scope=']);
  });

  it('the options column: map and clientcert first, then issuer, scope, validator, delegate_ident_mapping=true (only for "1")', () => {
    expect(one('hostssl all all all oauth delegate_ident_mapping=1 scope="openid email" issuer=https://i clientcert=verify-ca')).toEqual([
      'clientcert=verify-ca', 'issuer=https://i', 'scope=openid email', 'delegate_ident_mapping=true',
    ]);
    expect(one('host all all all oauth issuer=i scope=s delegate_ident_mapping=true map=m')).toEqual(['map=m', 'issuer=i', 'scope=s']);
    expect(one('host all all all oauth issuer=i scope=s delegate_ident_mapping=1 map=m')).toBe('map cannot be used in combination with delegate_ident_mapping');
  });

  it('the validator against oauth_validator_libraries, as 18.4 does it', () => {
    expect(one('host all all all oauth issuer=i scope=s', { oauthValidatorLibraries: 'myval' })).toEqual(['issuer=i', 'scope=s', 'validator=myval']);
    expect(one('host all all all oauth issuer=i scope=s', { oauthValidatorLibraries: 'v1, v2' })).toEqual(['issuer=i', 'scope=s', 'validator=v1, v2']);
    expect(one('host all all all oauth issuer=i scope=s validator=other', { oauthValidatorLibraries: 'myval' })).toBe('validator "other" is not permitted by oauth_validator_libraries');
    expect(one('host all all all oauth issuer=i scope=s validator=v2', { oauthValidatorLibraries: 'v1, v2' })).toBe('validator "v2" is not permitted by oauth_validator_libraries');
    // Unknown setting (hba lint): as written.
    expect(one('host all all all oauth issuer=i scope=s validator=other')).toEqual(['issuer=i', 'scope=s', 'validator=other']);
  });

  it('oauth options elsewhere, and validator.* options', () => {
    for (const name of ['issuer', 'scope', 'validator', 'delegate_ident_mapping']) {
      expect(one(`host all all all trust ${name}=x`)).toBe(`authentication option "${name}" is only valid for authentication methods oauth`);
    }
    expect(one('host all all all trust map=x')).toBe('authentication option "map" is only valid for authentication methods ident, peer, gssapi, sspi, cert, and oauth');
    expect(one('host all all all oauth issuer=i scope=s validator.foo=1')).toBe('unrecognized authentication option name: "validator.foo"');
  });
});

describe('serverVersion and build', () => {
  it('before 18: no oauth method, no oauth options, the older map text', () => {
    expect(one('host all all all oauth issuer=i scope=s', { serverVersion: 17 })).toBe('invalid authentication method "oauth"');
    expect(one('host all all all trust issuer=x', { serverVersion: 17 })).toBe('unrecognized authentication option name: "issuer"');
    expect(one('host all all all trust map=x', { serverVersion: 15 })).toBe('authentication option "map" is only valid for authentication methods ident, peer, gssapi, sspi, and cert');
  });

  it('a build without GSSAPI, PAM and LDAP (the npm builds)', () => {
    const npm: ParseOptions = { build: { gssapi: false, pam: false, ldap: false } };
    for (const m of ['gss', 'pam', 'ldap ldapbasedn=x']) expect(one(`host all all all ${m}`, npm)).toBe(`invalid authentication method "${m.split(' ')[0]}": not supported by this build`);
    expect(one('hostgssenc all all all trust', npm)).toBe('hostgssenc record cannot match because GSSAPI is not supported by this build');
    expect(one('host all all all pam')).toBeNull(); // Debian's build: fine
  });

  it('broken regular expressions get PostgreSQL\'s texts', () => {
    expect(one('host /(a all all trust')).toBe('invalid regular expression "(a": parentheses () not balanced');
    expect(one('host all "/[a" all trust')).toBe('invalid regular expression "[a": brackets [] not balanced');
    expect(one('host all /*a all trust')).toBe('invalid regular expression "*a": quantifier operand invalid');
    expect(one('host all "/a{3" all trust')).toBe('invalid regular expression "a{3": braces {} not balanced');
    expect(one('host all "/a{2}" all trust')).toBeNull();
  });
});

/**
 * tls-server-end-point (RFC 5929) as PostgreSQL computes it: the certificate's
 * signature digest, with MD5/SHA-1 replaced by SHA-256. Certificates are made
 * with openssl; the expected hash is openssl's own fingerprint.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { certificateSignatureAlgorithmName, certificateSignatureDigest, tlsServerEndPoint } from '../../src/scram/index.js';
import { tempDir } from '../helpers/tmp.js';
import { describeWith, which } from '../helpers/env.js';

let dir: { path: string; remove: () => void };

function openssl(args: string[]): string {
  return execFileSync('openssl', args, { cwd: dir.path, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

/** A self-signed certificate; returns its DER. */
function selfSigned(name: string, keyArgs: string[], digestArgs: string[]): Buffer {
  openssl(['req', '-x509', ...keyArgs, '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`, ...digestArgs]);
  openssl(['x509', '-in', `${name}.pem`, '-outform', 'DER', '-out', `${name}.der`]);
  return readFileSync(join(dir.path, `${name}.der`));
}

/** openssl's fingerprint of a certificate with the given digest, as bytes. */
function fingerprint(name: string, digest: string): Buffer {
  const out = openssl(['x509', '-in', `${name}.pem`, '-noout', '-fingerprint', `-${digest}`]);
  return Buffer.from(out.trim().split('=')[1]!.replace(/:/g, ''), 'hex');
}

describeWith(which('openssl') ? undefined : 'openssl not installed', 'tlsServerEndPoint', () => {
  beforeAll(() => {
    dir = tempDir();
  });
  afterAll(() => dir.remove());

  it('hashes a sha256WithRSAEncryption certificate with SHA-256', () => {
    const der = selfSigned('rsa-sha256', ['-newkey', 'rsa:2048'], ['-sha256']);
    expect(certificateSignatureDigest(der)).toBe('sha256');
    expect(tlsServerEndPoint(der)).toEqual(fingerprint('rsa-sha256', 'sha256'));
  });

  it('hashes a sha1WithRSAEncryption certificate with SHA-256, not SHA-1', () => {
    const der = selfSigned('rsa-sha1', ['-newkey', 'rsa:2048'], ['-sha1']);
    expect(certificateSignatureDigest(der)).toBe('sha1');
    expect(tlsServerEndPoint(der)).toEqual(fingerprint('rsa-sha1', 'sha256'));
    expect(tlsServerEndPoint(der)).not.toEqual(fingerprint('rsa-sha1', 'sha1'));
  });

  it('hashes an ecdsa-with-SHA384 certificate with SHA-384', () => {
    const der = selfSigned('ec-sha384', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'], ['-sha384']);
    expect(certificateSignatureDigest(der)).toBe('sha384');
    expect(tlsServerEndPoint(der)).toEqual(fingerprint('ec-sha384', 'sha384'));
  });

  it('hashes an RSASSA-PSS certificate with the digest in its parameters', () => {
    const der = selfSigned('rsa-pss', ['-newkey', 'rsa-pss', '-pkeyopt', 'rsa_keygen_bits:2048'], ['-sha512', '-sigopt', 'rsa_padding_mode:pss']);
    expect(certificateSignatureDigest(der)).toBe('sha512');
    expect(tlsServerEndPoint(der)).toEqual(fingerprint('rsa-pss', 'sha512'));
  });

  it('has no value for an Ed25519 certificate (PostgreSQL: "could not find digest for NID")', () => {
    const der = selfSigned('ed25519', ['-newkey', 'ed25519'], []);
    expect(() => tlsServerEndPoint(der)).toThrow(/could not find digest/);
    expect(certificateSignatureAlgorithmName(der)).toBe('Ed25519');
    expect(certificateSignatureAlgorithmName(selfSigned('ed448', ['-newkey', 'ed448'], []))).toBe('Ed448');
    // A certificate with a digest is named by its OID (sha256WithRSAEncryption).
    expect(certificateSignatureAlgorithmName(selfSigned('rsa-name', ['-newkey', 'rsa:2048'], ['-sha256']))).toBe('1.2.840.113549.1.1.11');
  });

  it('refuses bytes that are not a certificate', () => {
    expect(() => tlsServerEndPoint(Buffer.from('not a certificate'))).toThrow(/malformed certificate DER/);
    expect(() => tlsServerEndPoint(Buffer.from([0x30, 0x82, 0xff]))).toThrow(/malformed certificate DER/);
  });
});

/**
 * --tls-self-signed: a throwaway certificate made in-process at start with
 * @peculiar/x509 over Node's WebCrypto (no openssl child process). ECDSA
 * P-256 signed with SHA-256, so tls-server-end-point hashes with SHA-256.
 * And the channel-binding data of any server certificate.
 *
 * @peculiar/x509 (with reflect-metadata, ~100 ms to load) is imported only
 * when a certificate is made; reading one (its signature algorithm, for
 * channel binding) is our own DER reader in scram/channel-binding.ts.
 */
import { webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import type * as X509 from '@peculiar/x509';
import { certificateSignatureAlgorithmName, tlsServerEndPoint } from '../scram/index.js';

type CryptoKeyPairLike = Parameters<typeof X509.X509CertificateGenerator.createSelfSigned>[0]['keys'];

/** @peculiar/x509, loaded on first use (it needs reflect-metadata loaded first). */
async function loadX509(): Promise<typeof X509> {
  await import('reflect-metadata');
  return import('@peculiar/x509');
}

export interface PemPair {
  cert: string;
  key: string;
}

/** A self-signed server certificate for `localhost`, the loopback addresses and `names`. */
export async function makeSelfSignedCertificate(names: readonly string[] = []): Promise<PemPair> {
  const x509 = await loadX509();
  const crypto = webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0];
  x509.cryptoProvider.set(crypto);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as unknown as CryptoKeyPairLike;
  const all = [...new Set(['localhost', '127.0.0.1', '::1', ...names.filter((n) => n !== '' && n !== '0.0.0.0' && n !== '::')])];
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex').replace(/^[89a-f]/, '1'),
    name: 'CN=localhost, O=pgauth serve (self-signed)',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 30 * 24 * 3600 * 1000),
    signingAlgorithm: alg,
    keys,
    extensions: [
      // Its own trust anchor (as `openssl req -x509` makes one), so a client given it as sslrootcert can verify-full.
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.keyCertSign, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(all.map((n) => (isIP(n) ? { type: 'ip' as const, value: n } : { type: 'dns' as const, value: n }))),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as unknown as webcrypto.CryptoKey);
  const key = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(pkcs8).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
  return { cert: cert.toString('pem') + '\n', key };
}

/** A certificate's tls-server-end-point data, or why it has none. */
export type ChannelBindingOfCertificate = { data: Buffer } | { data: null; algorithm: string };

/**
 * tls-server-end-point hashes the certificate with its signature's digest.
 * Ed25519 and Ed448 signatures have none (PostgreSQL fails at the exchange
 * with "could not find digest for NID UNDEF"): the server then offers
 * SCRAM-SHA-256 without channel binding, and says which algorithm it was.
 */
export async function channelBindingOfCertificate(der: Buffer): Promise<ChannelBindingOfCertificate> {
  try {
    return { data: tlsServerEndPoint(der) };
  } catch {
    // Read with our own DER reader: no X.509 library to load for a name.
    return { data: null, algorithm: certificateSignatureAlgorithmName(der) };
  }
}

import { createHash } from 'node:crypto';

/**
 * RFC 5929 tls-server-end-point channel binding data: the hash of the server
 * certificate (DER) with the digest of its signature algorithm, where MD5 and
 * SHA-1 are replaced by SHA-256. This is what PostgreSQL's
 * be_tls_get_certificate_hash and libpq's pgtls_get_peer_certificate_hash
 * compute (via X509_get_signature_info, which also reads RSASSA-PSS
 * parameters). Certificates without a separate digest (Ed25519, Ed448) have
 * no tls-server-end-point value: PostgreSQL fails with "could not find digest
 * for NID", and so do we (with a plain Error).
 */
export function tlsServerEndPoint(certDer: Buffer): Buffer {
  const digest = certificateSignatureDigest(certDer);
  const hash = digest === 'md5' || digest === 'sha1' ? 'sha256' : digest;
  return createHash(hash).update(certDer).digest();
}

/** Signature algorithm OIDs (dotted) -> the digest they sign with (OpenSSL's names). */
const SIGNATURE_DIGESTS: Record<string, string> = {
  '1.2.840.113549.1.1.4': 'md5', // md5WithRSAEncryption
  '1.2.840.113549.1.1.5': 'sha1', // sha1WithRSAEncryption
  '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha1', // ecdsa-with-SHA1
  '1.2.840.10045.4.3.1': 'sha224',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.10040.4.3': 'sha1', // dsa-with-sha1
  '2.16.840.1.101.3.4.3.1': 'sha224', // dsa-with-sha224
  '2.16.840.1.101.3.4.3.2': 'sha256', // dsa-with-sha256
  '2.16.840.1.101.3.4.3.9': 'sha3-224', // ecdsa-with-SHA3-*
  '2.16.840.1.101.3.4.3.10': 'sha3-256',
  '2.16.840.1.101.3.4.3.11': 'sha3-384',
  '2.16.840.1.101.3.4.3.12': 'sha3-512',
  '2.16.840.1.101.3.4.3.13': 'sha3-224', // RSA PKCS#1 v1.5 with SHA3-*
  '2.16.840.1.101.3.4.3.14': 'sha3-256',
  '2.16.840.1.101.3.4.3.15': 'sha3-384',
  '2.16.840.1.101.3.4.3.16': 'sha3-512',
};
/** Hash algorithm OIDs (inside RSASSA-PSS parameters). */
const HASH_OIDS: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '2.16.840.1.101.3.4.2.7': 'sha3-224',
  '2.16.840.1.101.3.4.2.8': 'sha3-256',
  '2.16.840.1.101.3.4.2.9': 'sha3-384',
  '2.16.840.1.101.3.4.2.10': 'sha3-512',
};
const RSASSA_PSS = '1.2.840.113549.1.1.10';

/** Signature algorithms without a separate digest, by OID (RFC 8410). */
const DIGESTLESS_SIGNATURES: Record<string, string> = { '1.3.101.112': 'Ed25519', '1.3.101.113': 'Ed448' };

/** The certificate's outer signatureAlgorithm: its OID's TLV and the AlgorithmIdentifier around it. */
function signatureAlgorithm(certDer: Buffer): { oid: string; oidTlv: Tlv; algId: Tlv } {
  const cert = readTlv(certDer, 0, 0x30, 'Certificate');
  const tbs = readTlv(certDer, cert.start, 0x30, 'tbsCertificate');
  const algId = readTlv(certDer, tbs.end, 0x30, 'signatureAlgorithm');
  const oidTlv = readTlv(certDer, algId.start, 0x06, 'algorithm');
  return { oid: decodeOid(certDer.subarray(oidTlv.start, oidTlv.end)), oidTlv, algId };
}

/** The name of the certificate's signature algorithm where it has no digest (Ed25519, Ed448), else its OID. */
export function certificateSignatureAlgorithmName(certDer: Buffer): string {
  const { oid } = signatureAlgorithm(certDer);
  return DIGESTLESS_SIGNATURES[oid] ?? oid;
}

/** The digest named by the certificate's outer signatureAlgorithm. */
export function certificateSignatureDigest(certDer: Buffer): string {
  const { oid, oidTlv, algId } = signatureAlgorithm(certDer);
  if (oid === RSASSA_PSS) {
    // RSASSA-PSS-params ::= SEQUENCE { hashAlgorithm [0] AlgorithmIdentifier DEFAULT sha1, ... }
    let hash = 'sha1';
    if (oidTlv.end < algId.end && certDer[oidTlv.end] === 0x30) {
      const params = readTlv(certDer, oidTlv.end, 0x30, 'RSASSA-PSS-params');
      if (params.start < params.end && certDer[params.start] === 0xa0) {
        const tagged = readTlv(certDer, params.start, 0xa0, 'hashAlgorithm');
        const hashAlg = readTlv(certDer, tagged.start, 0x30, 'hashAlgorithm');
        const hashOid = readTlv(certDer, hashAlg.start, 0x06, 'hashAlgorithm OID');
        const name = HASH_OIDS[decodeOid(certDer.subarray(hashOid.start, hashOid.end))];
        if (!name) throw new Error('could not find digest for the RSASSA-PSS hash algorithm of the certificate');
        hash = name;
      }
    }
    return hash;
  }
  const digest = SIGNATURE_DIGESTS[oid];
  if (!digest) throw new Error(`could not find digest for certificate signature algorithm ${oid}`);
  return digest;
}

interface Tlv {
  start: number; // first content byte
  end: number; // one past the last content byte
}

function readTlv(buf: Buffer, offset: number, tag: number, what: string): Tlv {
  const bad = (): never => {
    throw new Error(`malformed certificate DER: ${what}`);
  };
  if (offset + 2 > buf.length || buf[offset] !== tag) bad();
  let len = buf[offset + 1]!;
  let start = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > buf.length) bad();
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!;
    start += n;
  }
  const end = start + len;
  if (end > buf.length) bad();
  return { start, end };
}

function decodeOid(bytes: Buffer): string {
  if (bytes.length === 0) throw new Error('malformed certificate DER: empty OID');
  const first = bytes[0]!;
  const parts: number[] = [Math.min(2, Math.floor(first / 40)), first - Math.min(2, Math.floor(first / 40)) * 40];
  let value = 0;
  for (let i = 1; i < bytes.length; i++) {
    const b = bytes[i]!;
    value = value * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

/**
 * Can libpq compute tls-server-end-point for this server certificate?
 * libpq (pgtls_get_peer_certificate_hash) takes the digest of the
 * certificate's signature algorithm; Ed25519 and Ed448 sign without a
 * separate digest, so OpenSSL names none and libpq fails the login with
 * "could not find digest for NID UNDEF" -- at channel_binding=prefer too,
 * because it picks SCRAM-SHA-256-PLUS whenever the server offers it over TLS.
 * Pure: DER in, binding data or libpq's error out.
 */
import { tlsServerEndPoint } from '../scram/index.js';

/** libpq's words when the certificate's signature has no digest (the NID prints as UNDEF). */
export const NO_DIGEST_MESSAGE = 'could not find digest for NID UNDEF';

export function channelBindingData(certDer: Buffer): { data: Buffer } | { error: string; detail: string } {
  try {
    return { data: tlsServerEndPoint(certDer) };
  } catch (err) {
    return { error: NO_DIGEST_MESSAGE, detail: (err as Error).message };
  }
}

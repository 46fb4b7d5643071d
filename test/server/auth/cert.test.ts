/**
 * cert (CheckCertAuth): no challenge; the certificate verified against
 * --tls-ca must name the user in its CN (clientname=DN: the RFC 2253 subject).
 * The client sees 28000; why goes to the server log only.
 */
import { describe, expect, it } from 'vitest';
import { certExchange } from '../../../src/server/auth/cert.js';
import type { PeerCertificate } from '../../../src/server/auth/index.js';
import { authContext, expectFailure, NOTHING, passwordMessage, sent, start } from './support.js';

const cert = (cn: string | undefined, verified = true): PeerCertificate => ({ verified, cn, dn: cn === undefined ? 'O=pgauth tests' : `CN=${cn},O=pgauth tests` });
const withCert = (user: string, peerCertificate: PeerCertificate | null, options: Record<string, string> = {}) =>
  certExchange(authContext(user, { haveClientCa: true, peerCertificate, options, facts: { ...authContext(user).facts, ssl: true } }));
const FAILED = 'certificate authentication failed for user "alice"';

describe('cert', () => {
  it('a verified certificate whose CN is the user: ok at start, the subject DN as the identity', async () => {
    const step = await start(withCert('alice', cert('alice')));
    expect(step).toEqual({ kind: 'ok', send: [], identity: 'CN=alice,O=pgauth tests' });
    expect(sent(step)).toEqual(NOTHING);
  });

  it('clientname=DN compares the whole subject', async () => {
    expect(await start(withCert('CN=alice,O=pgauth tests', cert('alice'), { clientname: 'DN' }))).toMatchObject({ kind: 'ok', identity: 'CN=alice,O=pgauth tests' });
    expectFailure(await start(withCert('alice', cert('alice'), { clientname: 'DN' })), '28000', FAILED, 'provided user name (alice) and authenticated user name (CN=alice,O=pgauth tests) do not match');
  });

  it('another CN: 28000, the two names in the log', async () => {
    expectFailure(await start(withCert('alice', cert('mallory'))), '28000', FAILED, 'provided user name (alice) and authenticated user name (mallory) do not match');
  });

  it('a certificate without a CN: 28000, "contains no user name" in the log', async () => {
    expectFailure(await start(withCert('alice', cert(undefined))), '28000', FAILED, 'client certificate contains no user name');
  });

  it('no certificate, or one that did not verify: 28000 "connection requires a valid client certificate"', async () => {
    expectFailure(await start(withCert('alice', null)), '28000', 'connection requires a valid client certificate');
    expectFailure(await start(withCert('alice', cert('alice', false))), '28000', 'connection requires a valid client certificate');
  });

  it('without --tls-ca: F0000, as PostgreSQL without ssl_ca_file', async () => {
    const ex = certExchange(authContext('alice', { haveClientCa: false, peerCertificate: cert('alice') }));
    expectFailure(await start(ex), 'F0000', 'client certificates can only be checked if a root certificate store is available');
  });

  it('never reads a client message', () => {
    expect(() => withCert('alice', cert('alice')).respond(passwordMessage('x'))).toThrow('cert expects no response');
  });
});

/** PostgreSQL's mock SCRAM secret for unknown roles (scram_mock_salt, mock_scram_secret). */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createScramClient, createScramServer, mockScramSecret } from '../../src/scram/index.js';
import { buildScramSecret, parseScramSecret } from '../../src/secrets/index.js';

const NONCE = Buffer.alloc(32, 7);

describe('mockScramSecret', () => {
  it('derives the salt as the first 16 bytes of sha256(user || mock nonce)', () => {
    const expected = createHash('sha256').update('nobody').update(NONCE).digest().subarray(0, 16);
    const s = mockScramSecret('nobody', NONCE, 4096);
    expect(s.salt).toEqual(expected);
    expect(s.salt.toString('base64')).toHaveLength(24);
    expect(s.iterations).toBe(4096);
    expect(s.storedKey).toEqual(Buffer.alloc(32));
    expect(s.serverKey).toEqual(Buffer.alloc(32));
  });

  it('is stable per (user, nonce) and differs across users and nonces', () => {
    const a = mockScramSecret('nobody', NONCE, 4096).salt;
    expect(mockScramSecret('nobody', NONCE, 4096).salt).toEqual(a);
    expect(mockScramSecret('somebody', NONCE, 4096).salt).not.toEqual(a);
    expect(mockScramSecret('nobody', Buffer.alloc(32, 8), 4096).salt).not.toEqual(a);
  });

  it('drives a full exchange that looks normal and always fails at the proof', () => {
    const secret = mockScramSecret('nobody', NONCE, 4096);
    const server = createScramServer({ mechanism: 'SCRAM-SHA-256', secret, tlsAvailable: false, nonce: 'S' });
    const client = createScramClient({ password: 'anything', channelBinding: { mode: 'none' }, nonce: 'C' });
    const sf = server.handleClientFirst(client.clientFirstMessage());
    expect(sf).toBe(`r=CS,s=${secret.salt.toString('base64')},i=4096`);
    expect(server.handleClientFinal(client.handleServerFirst(sf)).ok).toBe(false);
  });

  it('a real secret with the same salt succeeds, so only the mock is doomed', () => {
    const secret = mockScramSecret('nobody', NONCE, 1);
    const real = parseScramSecret(buildScramSecret('anything', { salt: secret.salt, iterations: 1 }));
    const server = createScramServer({ mechanism: 'SCRAM-SHA-256', secret: real, tlsAvailable: false, nonce: 'S' });
    const client = createScramClient({ password: 'anything', channelBinding: { mode: 'none' }, nonce: 'C' });
    const sf = server.handleClientFirst(client.clientFirstMessage());
    expect(server.handleClientFinal(client.handleServerFirst(sf)).ok).toBe(true);
  });
});

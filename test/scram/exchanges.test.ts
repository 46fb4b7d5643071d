/**
 * Every exchange of ../shared/vectors/scram-exchanges.tsv, byte for byte, on
 * the client side and on the server side, with the vectors' nonces injected.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ScramError, createScramClient, createScramServer } from '../../src/scram/index.js';
import { buildScramSecret, parseScramSecret } from '../../src/secrets/index.js';
import { SHARED_VECTORS_DIR, VECTORS_DIR, scramExchanges } from '../secrets/vectors.js';

/** Splits "a=1,b=2" into its attributes, independently of the code under test. */
function attrs(msg: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of msg.split(',')) out[part.slice(0, 1)] = part.slice(2);
  return out;
}

const rows = scramExchanges();

describe('SCRAM known-answer exchanges', () => {
  it('has the vectors (and the copy matches shared/ when present)', () => {
    expect(rows.length).toBeGreaterThanOrEqual(2);
    if (existsSync(SHARED_VECTORS_DIR + 'scram-exchanges.tsv')) {
      expect(readFileSync(VECTORS_DIR + 'scram-exchanges.tsv', 'utf8')).toBe(readFileSync(SHARED_VECTORS_DIR + 'scram-exchanges.tsv', 'utf8'));
    }
  });

  for (const row of rows) {
    const first = attrs(row.clientFirstBare);
    const sf = attrs(row.serverFirst);
    const clientNonce = first.r!;
    const serverNonce = sf.r!.slice(clientNonce.length);

    it(`client side: ${row.source}`, () => {
      const client = createScramClient({
        password: row.password,
        channelBinding: { mode: 'none' },
        nonce: clientNonce,
        username: first.n!,
      });
      expect(client.mechanism).toBe('SCRAM-SHA-256');
      expect(client.clientFirstMessage()).toBe(`n,,${row.clientFirstBare}`);
      expect(client.handleServerFirst(row.serverFirst)).toBe(row.clientFinal);
      expect(client.iterations).toBe(Number(sf.i));
      expect(() => client.verifyServerFinal(row.serverFinal)).not.toThrow();
    });

    it(`client side refuses a forged server signature: ${row.source}`, () => {
      const client = createScramClient({ password: row.password, channelBinding: { mode: 'none' }, nonce: clientNonce, username: first.n! });
      client.clientFirstMessage();
      client.handleServerFirst(row.serverFirst);
      const sig = Buffer.from(attrs(row.serverFinal).v!, 'base64');
      sig[0]! ^= 1;
      expect(() => client.verifyServerFinal(`v=${sig.toString('base64')}`)).toThrow(/incorrect server signature/);
    });

    it(`server side: ${row.source}`, () => {
      const secret = parseScramSecret(
        buildScramSecret(row.password, { salt: Buffer.from(sf.s!, 'base64'), iterations: Number(sf.i) }),
      );
      const server = createScramServer({ mechanism: 'SCRAM-SHA-256', secret, tlsAvailable: false, nonce: serverNonce });
      expect(server.handleClientFirst(`n,,${row.clientFirstBare}`)).toBe(row.serverFirst);
      expect(server.handleClientFinal(row.clientFinal)).toEqual({ ok: true, serverFinal: row.serverFinal });
    });

    it(`server side refuses the same exchange for another password: ${row.source}`, () => {
      const secret = parseScramSecret(
        buildScramSecret(row.password + 'x', { salt: Buffer.from(sf.s!, 'base64'), iterations: Number(sf.i) }),
      );
      const server = createScramServer({ mechanism: 'SCRAM-SHA-256', secret, tlsAvailable: false, nonce: serverNonce });
      server.handleClientFirst(`n,,${row.clientFirstBare}`);
      expect(server.handleClientFinal(row.clientFinal)).toEqual({ ok: false, reason: 'invalid proof' });
    });
  }

  it('client and server agree end to end with random nonces (libpq-style n=)', () => {
    const secret = parseScramSecret(buildScramSecret('s3cret'));
    const server = createScramServer({ mechanism: 'SCRAM-SHA-256', secret, tlsAvailable: false });
    const client = createScramClient({ password: 's3cret', channelBinding: { mode: 'none' } });
    const cf = client.clientFirstMessage();
    expect(cf).toMatch(/^n,,n=,r=[A-Za-z0-9+/]{24}$/);
    const sfm = server.handleClientFirst(cf);
    expect(attrs(sfm).r).toMatch(/^[A-Za-z0-9+/]{48}$/);
    const result = server.handleClientFinal(client.handleServerFirst(sfm));
    expect(result.ok).toBe(true);
    if (result.ok) client.verifyServerFinal(result.serverFinal);
  });

  it('ScramError carries the step', () => {
    const client = createScramClient({ password: 'x', channelBinding: { mode: 'none' }, nonce: 'abc' });
    client.clientFirstMessage();
    try {
      client.handleServerFirst('r=zzz,s=AAAA,i=1');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ScramError);
      expect((err as ScramError).step).toBe('server-first');
    }
  });
});

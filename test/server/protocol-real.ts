/**
 * Holds a real PostgreSQL of the matrix to what protocol-observed.ts says it
 * sends, so the expectations `pgauth serve` is tested against
 * (protocol.test.ts) stay true to the server. One cluster per test file:
 * protocol-pg18.test.ts and protocol-pg17.test.ts call this suite.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { serializeFrontend } from '../../src/protocol/index.js';
import { i16, i32, msg, str } from '../protocol/bytes.js';
import { describeWith, pgMissing } from '../helpers/env.js';
import { startCluster, type Cluster } from '../helpers/pg.js';
import { pgInstallMissing } from '../helpers/versions.js';
import { PG_SLEEP_ROW_DESCRIPTION, READY, login, observed, preV3Error, startup } from './protocol-observed.js';
import { exchangeBytes } from './wire.js';

export function realServerSuite(version: 18 | 17): void {
  describeWith(pgMissing() ?? pgInstallMissing(version), `PostgreSQL ${version} sends what protocol-observed.ts says`, () => {
    let c: Cluster;
    beforeAll(async () => {
      c = await startCluster({ version, hba: 'host all all 127.0.0.1/32 trust\n' });
    }, 120_000);
    afterAll(async () => {
      await c?.stop();
    });

    it('NegotiateProtocolVersion and the cancel key length, for each StartupMessage', async () => {
      for (const o of observed('postgres', 'postgres')[version]) {
        const got = await login(c.port, o.bytes);
        expect(got.before.toString('hex'), o.what).toBe(o.before.toString('hex'));
        expect(got.keyBytes, o.what).toBe(o.keyBytes);
      }
    });

    it('protocol 2.0 is refused in its own format; pg_sleep answers with a void column', async () => {
      const range = version === 18 ? '3.0 to 3.2' : '3.0 to 3.0';
      const refused = await exchangeBytes(c.port, startup(2, 0, [], 'postgres', 'postgres'));
      expect(refused.toString('hex')).toBe(preV3Error(`unsupported frontend protocol 2.0: server supports ${range}`).toString('hex'));
      const bytes = await exchangeBytes(c.port, Buffer.concat([startup(3, 0, [], 'postgres', 'postgres'), serializeFrontend({ type: 'Query', sql: 'SELECT pg_sleep(0.01)' })]), 2);
      expect(bytes.subarray(bytes.indexOf(READY) + READY.length).toString('hex')).toBe(
        Buffer.concat([PG_SLEEP_ROW_DESCRIPTION, msg('D', i16(1), i32(0)), msg('C', str('SELECT 1')), READY]).toString('hex'),
      );
    });
  });
}

/**
 * The probe's protocol version against real servers (SPEC §7): PostgreSQL 18
 * speaks 3.2 with a 32-byte cancel key; 15, 16 and 17 negotiate a 3.2
 * request down to 3.0. One cluster per server major, started in turn.
 * libpq 18's own psql is run beside the probe for the texts that must match.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith, pgMissing } from '../helpers/env.js';
import { startCluster, type Cluster } from '../helpers/pg.js';
import { pgauth } from '../helpers/proc.js';
import { runPsql } from '../helpers/clients.js';
import { libpq18, libpq18Missing, pgInstallMissing } from '../helpers/versions.js';
import { cleanEnv, probeJson } from './helpers.js';

const MAJORS = [15, 16, 17, 18] as const;

for (const major of MAJORS) {
  describeWith(pgMissing() ?? pgInstallMissing(major) ?? libpq18Missing(), `pgauth probe protocol versions against PostgreSQL ${major}`, () => {
    let pg: Cluster;
    const target = (extra = '') => `host=127.0.0.1 port=${pg.port} user=postgres dbname=postgres sslmode=disable ${extra}`;
    beforeAll(async () => {
      pg = await startCluster({ version: major, hba: 'host all all 127.0.0.1/32 trust\n' });
    });
    afterAll(async () => pg?.stop());

    it('max_protocol_version=3.2: 3.2 with a 32-byte cancel key on 18, negotiated down to 3.0 before', async () => {
      const r = await probeJson([target('max_protocol_version=3.2')]);
      expect(r.code, r.stdout).toBe(0);
      if (major >= 18) expect(r.json.protocol).toMatchObject({ version: '3.2', cancelKeyBytes: 32, negotiated: false, requested: '3.2' });
      else expect(r.json.protocol).toMatchObject({ version: '3.0', cancelKeyBytes: 4, negotiated: true, requested: '3.2', unrecognizedOptions: [] });
    });

    it('libpq 18 defaults: 3.0 with a 4-byte key, no negotiation (PGMAXPROTOCOLVERSION raises it)', async () => {
      const r = await probeJson([target()]);
      expect(r.json.protocol).toMatchObject({ version: '3.0', cancelKeyBytes: 4, negotiated: false });
      const env = await probeJson([target()], { env: cleanEnv({ PGMAXPROTOCOLVERSION: 'latest' }) });
      expect(env.json.protocol.version).toBe(major >= 18 ? '3.2' : '3.0');
    });

    it('--expect-protocol 3.2: met on 18, exit 4 before', async () => {
      const r = await probeJson([target('max_protocol_version=latest'), '--expect-protocol', '3.2']);
      expect(r.json.expectations).toEqual([expect.objectContaining({ name: 'protocol 3.2', met: major >= 18 })]);
      expect(r.code).toBe(major >= 18 ? 0 : 4);
    });

    it('--grease: the server negotiates 3.9999 down and reports _pq_.test_protocol_negotiation', async () => {
      const r = await probeJson([target(), '--grease']);
      expect(r.code, r.stdout).toBe(0);
      expect(r.json.protocol).toMatchObject({
        version: major >= 18 ? '3.2' : '3.0',
        requested: '3.9999',
        grease: true,
        negotiated: true,
        unrecognizedOptions: ['_pq_.test_protocol_negotiation'],
        cancelKeyBytes: major >= 18 ? 32 : 4,
      });
    });

    if (major === 18) {
      it('human output shows the protocol; --trace lists the ignored keywords, secrets redacted', async () => {
        const r = await pgauth(['probe', target('max_protocol_version=3.2 keepalives=1 sslpassword=hunter2'), '--trace'], { env: cleanEnv() });
        expect(r.code, r.stdout + r.stderr).toBe(0);
        expect(r.stdout).toMatch(/protocol\s+3\.2, 32-byte cancel key \(asked for 3\.2\)/);
        expect(r.stdout).toMatch(/ignored option\s+keepalives=1/);
        expect(r.stdout).toMatch(/ignored option\s+sslpassword=\[redacted\]/);
        expect(r.stdout + r.stderr).not.toContain('hunter2');
      });
    }

    it('min_protocol_version=3.2: libpq 18\'s refusal below 18, with a diagnosis; psql on libpq 18 says the same', async () => {
      const r = await probeJson([target('min_protocol_version=3.2')]);
      const c = libpq18()!;
      const psql = await runPsql(target('min_protocol_version=3.2'), 'SELECT 1', { bin: c.psql, env: c.env });
      if (major >= 18) {
        expect(r.code, r.stdout).toBe(0);
        expect(r.json.protocol).toMatchObject({ version: '3.2', cancelKeyBytes: 32 });
        expect(psql.code, psql.stderr).toBe(0);
        return;
      }
      const text = 'server only supports protocol version 3.0, but "min_protocol_version" was set to 3.2';
      expect(psql.stderr).toContain(text);
      expect(r.code).toBe(2);
      expect(r.json.diagnosis.code).toBe('protocol-version-unsupported');
      expect(r.json.error.message).toBe(text);
      expect(r.json.protocol).toMatchObject({ negotiated: true, version: null });
    });
  });
}

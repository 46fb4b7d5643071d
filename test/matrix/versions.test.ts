/**
 * The version matrix itself (SPEC §7): every server major starts as a
 * throwaway cluster, and Debian's psql on libpq 18 logs in to each.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith, pgMissing } from '../helpers/env.js';
import { startCluster, type Cluster } from '../helpers/pg.js';
import { run } from '../helpers/proc.js';
import { runPsql } from '../helpers/clients.js';
import { SERVER_VERSIONS, libpq18, libpq18Missing, pgInstallMissing } from '../helpers/versions.js';

for (const major of SERVER_VERSIONS) {
  describeWith(pgMissing() ?? pgInstallMissing(major) ?? libpq18Missing(), `PostgreSQL ${major} in the matrix`, () => {
    let pg: Cluster;
    beforeAll(async () => {
      pg = await startCluster({ version: major, hba: 'host all all 127.0.0.1/32 scram-sha-256\nlocal all all trust\n' });
      await pg.sql(`CREATE ROLE alice LOGIN PASSWORD 'pencil'`);
    });
    afterAll(async () => pg?.stop());

    it('runs the server version it was asked for', async () => {
      expect(await pg.sql('SHOW server_version_num')).toMatch(new RegExp(`^${major}\\d{4}$`));
    });

    it('lets libpq 18 psql log in with SCRAM', async () => {
      const c = libpq18()!;
      const r = await runPsql(`host=127.0.0.1 port=${pg.port} user=alice dbname=postgres`, 'SELECT current_user', { bin: c.psql, password: 'pencil', env: c.env });
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('alice');
      const v = await run(c.psql, ['--version'], { env: { ...process.env, ...c.env } });
      expect(v.stdout).toMatch(/psql \(PostgreSQL\) 15/); // Debian's program…
      const lib = await runPsql(`host=127.0.0.1 port=${pg.port} user=alice dbname=postgres`, 'SELECT 1', { bin: c.psql, password: 'pencil', env: { ...c.env, PGMAXPROTOCOLVERSION: '3.2' } });
      // …on libpq 18: only libpq 18 knows PGMAXPROTOCOLVERSION=3.2 (libpq 15 ignores it, so both succeed; see the serve tests for the 3.2 proof).
      expect(lib.code).toBe(0);
    });
  });
}

import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith, pgMissing } from './env.js';
import { startCluster, type Cluster } from './pg.js';

describeWith(pgMissing(), 'the throwaway PostgreSQL helper', () => {
  let pg: Cluster;
  beforeAll(async () => {
    pg = await startCluster();
  });
  afterAll(async () => {
    await pg?.stop();
  });
  it('runs SQL and reloads pg_hba.conf', async () => {
    expect(await pg.sql('select 1')).toBe('1');
    await pg.setHba('host all all 127.0.0.1/32 reject\n');
    const r = await pg.client('psql', ['-X', '-h', '127.0.0.1', '-p', String(pg.port), '-U', 'postgres', '-c', 'select 1']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('pg_hba.conf rejects connection');
  });
});

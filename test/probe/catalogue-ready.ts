/**
 * Catalogue cases of a server that is not ready: shutting down (57P03 during
 * a smart shutdown) and not accepting connections yet (57P03 from a standby
 * with hot_standby = off). They stop the cluster, so they run last in a file.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/pg.js';
import { run } from '../helpers/proc.js';
import { asServerUser, writeServerFile } from '../helpers/tmp.js';
import { pgInstall } from '../helpers/versions.js';
import type { CatalogueContext } from './catalogue.js';

export function notReadyCases(c: CatalogueContext): void {
  const { probe, at } = c;
  const pgCtl = async (args: string[]) => {
    const [cmd, argv] = asServerUser(join(c.pg.binDir, 'pg_ctl'), [...args, '-D', c.pg.dataDir]);
    const r = await run(cmd, argv, { env: { ...process.env, LC_ALL: 'C', ...pgInstall(c.version)?.env } });
    if (r.code !== 0) throw new Error(`pg_ctl ${args.join(' ')} failed: ${r.stderr}${r.stdout}`);
  };

  describe('a server that is not ready (these stop the cluster: last in the file)', () => {
    it('server-shutting-down: 57P03 while a smart shutdown waits for an open session', async () => {
      await c.pg.setHba('host all all 127.0.0.1/32 trust\n');
      // A session that keeps the smart shutdown waiting.
      const session = c.pg.client('psql', ['-X', '-h', c.pg.socketDir, '-p', String(c.pg.port), '-U', 'postgres', '-d', 'postgres', '-c', 'select pg_sleep(120)']);
      await waitFor(async () => (await c.pg.sql("select count(*) from pg_stat_activity where query like 'select pg_sleep%'")) === '1', 'the session to run');
      await pgCtl(['stop', '-m', 'smart', '--no-wait']);
      await waitFor(() => c.pg.log().includes('received smart shutdown request'), 'the smart shutdown to begin');
      const r = await probe([`${at()} sslmode=disable`, '-U', 'alice']);
      expect(r.code).toBe(1);
      expect(r.json.diagnosis.code).toBe('server-shutting-down');
      expect(r.json.error.code).toBe('57P03');
      expect(r.json.error.message).toBe('the database system is shutting down');
      expect(r.json.auth.method).toBeNull();
      await pgCtl(['stop', '-m', 'fast', '-w']); // ends the session too
      await session;
    });

    it('server-starting: 57P03 from a standby that does not accept connections (hot_standby = off)', async () => {
      writeServerFile(join(c.pg.dataDir, 'standby.signal'), '', 0o600);
      appendFileSync(join(c.pg.dataDir, 'postgresql.auto.conf'), 'hot_standby = off\n');
      await pgCtl(['start', '-w', '-t', '60', '-l', c.pg.logFile]);
      const r = await probe([`${at()} sslmode=disable`, '-U', 'alice']);
      expect(r.code).toBe(1);
      expect(r.json.diagnosis.code).toBe('server-starting');
      expect(r.json.error.code).toBe('57P03');
      expect(r.json.error.message).toBe('the database system is not accepting connections');
      expect(r.json.diagnosis.cause).toContain('standby');
    });
  });
}

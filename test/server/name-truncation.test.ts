/**
 * User names longer than 63 bytes, through libpq, against real PostgreSQL 15
 * and 18 and `pgauth serve` side by side: both cut at byte 63 exactly, so
 * `'a'*62 + 'é'` does not match role `'a'*62` (the cut leaves a lone 0xC3),
 * and the FATAL names the cut user the same way.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith, pgMissing } from '../helpers/env.js';
import { startCluster, type Cluster } from '../helpers/pg.js';
import { tempDir } from '../helpers/tmp.js';
import { pgInstallMissing } from '../helpers/versions.js';
import { buildScramSecret } from '../../src/secrets/index.js';
import { startServe, type Served } from '../helpers/serve.js';

const a = (n: number) => 'a'.repeat(n);
const PW = 'pencil';
const tmp = tempDir('pgauth-name-cut-');
let served: Served | undefined;
afterAll(async () => {
  await served?.stop();
  tmp.remove();
});

/** What a login as `user` gives: current_user, or the FATAL line without libpq's "connection to server at ..." prefix. */
async function login(pg: Cluster, port: number, user: string): Promise<string> {
  const r = await pg.client('psql', ['-X', '-At', '-h', '127.0.0.1', '-p', String(port), '-U', user, '-d', 'postgres', '-c', 'select current_user'], {
    env: { PGPASSWORD: PW, PGSSLMODE: 'disable', PGCONNECT_TIMEOUT: '10' },
  });
  if (r.code === 0) return `ok ${r.stdout.trim()}`;
  return r.stderr.replace(/^psql: error: connection to server at "[^"]*", port \d+ failed: /, '').trim();
}

for (const version of [15, 18]) {
  describeWith(pgMissing() ?? pgInstallMissing(version), `names over 63 bytes: PostgreSQL ${version} and pgauth serve`, () => {
    let pg: Cluster;
    beforeAll(async () => {
      pg = await startCluster({ version, hba: 'host all all 127.0.0.1/32 password\n' });
      await pg.sql(`create role ${a(62)} login password '${PW}'; create role ${a(63)} login password '${PW}'`);
      if (!served) {
        const roles = join(tmp.path, 'userlist.txt');
        const secret = buildScramSecret(PW, { iterations: 4096 });
        writeFileSync(roles, `"${a(62)}" "${secret}"\n"${a(63)}" "${secret}"\n`, { mode: 0o600 });
        served = await startServe(['--auth', 'password', '--roles', roles]);
      }
    });
    afterAll(async () => pg?.stop());

    it.each([
      ["'a'*62 + 'é' (cut inside the character)", a(62) + 'é'],
      ["'a'*63 + 'bcd' (cut in ASCII)", a(63) + 'bcd'],
      ["'a'*61 + 'é' (63 bytes, not cut)", a(61) + 'é'],
      ["'a'*62 + 'x' (63 bytes, no such role)", a(62) + 'x'],
    ])('%s', async (_what, user) => {
      const real = await login(pg, pg.port, user);
      const ours = await login(pg, served!.port, user);
      expect(ours).toBe(real);
    });

    it("the real server does what the cases above assume: 'a'*62 + 'é' is not role 'a'*62", async () => {
      const real = await login(pg, pg.port, a(62) + 'é');
      expect(real).toBe(`FATAL:  password authentication failed for user "${a(62)}\uFFFD"`);
      expect(await login(pg, pg.port, a(63) + 'bcd')).toBe(`ok ${a(63)}`);
    });
  });
}

/**
 * serve survives every scenario under concurrent clients: eight node-postgres
 * clients at once per scenario (they refuse or log in, never hang: pg caps
 * SCRAM iterations), then the same server still answers the next client and
 * reports each connection.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startScenarioServer } from '../../src/conform/run.js';
import { makeSelfSignedCertificate, SCENARIO_NAMES, SCENARIOS, type ScenarioOutcome } from '../../src/server/index.js';
import { formatRoleFile } from '../../src/roles/format.js';
import { buildScramSecret } from '../../src/secrets/index.js';
import { login } from '../helpers/clients.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir('pgauth-survival-');
afterAll(() => tmp.remove());
const password = randomBytes(9).toString('base64url');
const rolesPath = join(tmp.path, 'userlist.txt');
writeFileSync(rolesPath, formatRoleFile([{ name: 'alice', secret: buildScramSecret(password), attrs: {} }]), { mode: 0o600 });

async function attempt(port: number, tls: boolean): Promise<'ok' | 'refused'> {
  return (await login({ port, user: 'alice', password, ssl: tls ? { rejectUnauthorized: false } : false }, 'SELECT 1')).ok ? 'ok' : 'refused';
}

describe('serve under concurrent clients in every scenario', () => {
  for (const name of SCENARIO_NAMES) {
    it(name, async () => {
      const tls = SCENARIOS[name].tls !== false;
      const pair = tls ? await makeSelfSignedCertificate() : undefined;
      const cert = join(tmp.path, `${name}.crt`);
      const key = join(tmp.path, `${name}.key`);
      if (pair) {
        writeFileSync(cert, pair.cert);
        writeFileSync(key, pair.key, { mode: 0o600 });
      }
      const outcomes: ScenarioOutcome[] = [];
      const logged: string[] = [];
      const server = await startScenarioServer({
        scenarios: [name],
        rolesPath,
        tls: pair ? { certPath: cert, keyPath: key } : null,
        onEvent: (e) => {
          logged.push(JSON.stringify(e));
          if (e.event === 'scenario') outcomes.push(e);
        },
      });
      try {
        const results = await Promise.all(Array.from({ length: 8 }, () => attempt(server.port, tls)));
        expect(new Set(results).size).toBe(1); // every client met the same server
        expect(await attempt(server.port, tls)).toBe(results[0]); // and it is still there
      } finally {
        await server.shutdown();
      }
      expect(outcomes).toHaveLength(9);
      expect(logged.join('\n')).not.toContain(password);
    });
  }
});

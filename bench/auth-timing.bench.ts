/**
 * `npm run bench`: how long `pgauth serve --auth password` takes to refuse a
 * wrong password for a role that exists (SCRAM, 4096 iterations) and for one
 * that does not. pgauth runs a mock PBKDF2 for the unknown role, so the two
 * medians should be within 20% (PostgreSQL answers an unknown role several
 * times faster: it has no mock hash under `password`). Measured from the
 * PasswordMessage to the ErrorResponse on one raw connection per attempt.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { pgMissing } from '../test/helpers/env.js';
import { startCluster, type Cluster } from '../test/helpers/pg.js';
import { tempDir } from '../test/helpers/tmp.js';
import { startServe, type Served } from '../test/helpers/serve.js';
import { RawClient } from '../test/server/wire.js';
import { buildScramSecret } from '../src/secrets/index.js';
import { median, ratio } from './measure.js';

const ATTEMPTS = 201;
const lines: string[] = [];
function out(line = ''): void {
  lines.push(line);
  process.stdout.write(line + '\n');
}

/** Medians of interleaved wrong-password attempts for a known and an unknown role. */
async function knownVsUnknown(port: number): Promise<{ k: number; u: number }> {
  const known: number[] = [];
  const unknown: number[] = [];
  // Warm-up, then interleaved so drift on a shared machine hits both alike.
  for (let i = 0; i < 5; i++) (await wrongPasswordMs(port, 'alice'), await wrongPasswordMs(port, 'nobody'));
  for (let i = 0; i < ATTEMPTS; i++) {
    known.push(await wrongPasswordMs(port, 'alice'));
    unknown.push(await wrongPasswordMs(port, 'nobody'));
  }
  return { k: median(known), u: median(unknown) };
}

/** Milliseconds from the cleartext password to the server's refusal. */
async function wrongPasswordMs(port: number, user: string): Promise<number> {
  const c = await RawClient.connect(port);
  try {
    c.startup(user, [['database', 'postgres']]);
    await c.until('AuthenticationCleartextPassword');
    const t0 = process.hrtime.bigint();
    c.write({ type: 'PasswordMessage', password: 'not the password' });
    await c.until('ErrorResponse');
    return Number(process.hrtime.bigint() - t0) / 1e6;
  } finally {
    c.end();
  }
}

describe('unknown-role timing under serve --auth password', () => {
  const tmp = tempDir('pgauth-bench-timing-');
  let served: Served | undefined;
  let pg: Cluster | undefined;
  afterAll(async () => {
    await served?.stop();
    await pg?.stop();
    tmp.remove();
    mkdirSync('.bench', { recursive: true });
    writeFileSync('.bench/auth-timing.md', lines.join('\n') + '\n');
  });

  it('a wrong password costs the same for a known SCRAM role and an unknown role', async () => {
    const roles = join(tmp.path, 'userlist.txt');
    writeFileSync(roles, `"alice" "${buildScramSecret('right password', { iterations: 4096 })}"\n`, { mode: 0o600 });
    served = await startServe(['--auth', 'password', '--roles', roles]);
    const { k, u } = await knownVsUnknown(served.port);
    let pgRow = '| PostgreSQL (same hba method): not installed | | |';
    if (!pgMissing()) {
      pg = await startCluster({ hba: 'host all all 127.0.0.1/32 password\n' });
      await pg.sql("create role alice login password 'right password'");
      const p = await knownVsUnknown(pg.port);
      pgRow = `| PostgreSQL ${pg.version}: known / unknown | ${p.k.toFixed(3)} / ${p.u.toFixed(3)} | unknown ${ratio(p.u, p.k)} of known |`;
    }
    out(`## Wrong password under serve --auth password (median of ${ATTEMPTS}, ms from PasswordMessage to ErrorResponse)`);
    out('| role | ms | vs known |');
    out('|---|---|---|');
    out(`| known SCRAM role (4096 iterations) | ${k.toFixed(3)} | 1.00x |`);
    out(`| unknown role | ${u.toFixed(3)} | ${ratio(u, k)} (target 0.80x-1.20x) |`);
    out(pgRow);
    out();
  });
});

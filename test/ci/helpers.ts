/** Shared by the CI tests: a real PostgreSQL that takes SCRAM logins over TCP from the roles given. */
import { startCluster, type Cluster } from '../helpers/pg.js';

/** A cluster with `host all all 127.0.0.1/32 scram-sha-256` and a LOGIN role per entry (name → password). */
export async function startScramCluster(roles: Record<string, string>): Promise<Cluster> {
  const pg = await startCluster({ hba: 'host all all 127.0.0.1/32 scram-sha-256\n' });
  for (const [name, password] of Object.entries(roles)) await pg.sql(`CREATE ROLE ${name} LOGIN PASSWORD '${password}'`);
  return pg;
}

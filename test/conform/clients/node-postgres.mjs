// node-postgres as a conform client: connects with $DATABASE_URL (plus any
// libpq-style settings pg reads from it), runs SELECT 1, exits 0 on success.
import pg from 'pg';

const ssl = process.env.CONFORM_SSL === 'verify' ? { ca: (await import('node:fs')).readFileSync(process.env.PGSSLROOTCERT, 'utf8') } : process.env.CONFORM_SSL === 'on' ? { rejectUnauthorized: false } : false;
const client = new pg.Client({ connectionString: process.env.DATABASE_URL, ssl, enableChannelBinding: process.env.CONFORM_CHANNEL_BINDING === 'on', connectionTimeoutMillis: 20_000 });
try {
  await client.connect();
  await client.query('SELECT 1');
  await client.end();
} catch (e) {
  process.stderr.write(`node-postgres: ${e.message}\n`);
  process.exit(1);
}

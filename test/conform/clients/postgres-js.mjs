// postgres.js as a conform client: connects with $DATABASE_URL, runs SELECT 1, exits 0 on success.
import postgres from 'postgres';

const ssl = process.env.CONFORM_SSL === 'verify' ? { ca: (await import('node:fs')).readFileSync(process.env.PGSSLROOTCERT, 'utf8') } : process.env.CONFORM_SSL === 'on' ? { rejectUnauthorized: false } : false;
const sql = postgres(process.env.DATABASE_URL, { ssl, connect_timeout: 20, max: 1, onnotice: () => {} });
try {
  await sql`SELECT 1`;
  await sql.end({ timeout: 1 });
} catch (e) {
  process.stderr.write(`postgres.js: ${e.message}\n`);
  process.exit(1);
}

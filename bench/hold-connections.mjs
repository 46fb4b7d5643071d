// Opens N authenticated connections with node-postgres, prints "ready <n>",
// holds them until stdin closes. Used by the bench to measure server memory
// per idle connection. Args: host port user database count; PGPASSWORD env.
import pg from 'pg';

const [host, port, user, database, countArg] = process.argv.slice(2);
const count = Number(countArg);
const clients = [];
const batch = 50;
for (let i = 0; i < count; i += batch) {
  const group = [];
  for (let j = i; j < Math.min(count, i + batch); j++) {
    const c = new pg.Client({ host, port: Number(port), user, database, password: process.env.PGPASSWORD, ssl: false });
    group.push(c.connect().then(() => c));
  }
  clients.push(...(await Promise.all(group)));
}
process.stdout.write(`ready ${clients.length}\n`);
process.stdin.resume();
process.stdin.on('end', async () => {
  await Promise.allSettled(clients.map((c) => c.end()));
  process.exit(0);
});

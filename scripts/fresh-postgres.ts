// Creates (`create`) or drops (`drop <name>`) a throwaway database on the machine's PostgreSQL
// for .ci/run's second test pass; fails loudly when the server is unreachable.
import pg from 'pg';

const admin = process.env.POSTGRES_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const [command, name] = process.argv.slice(2);
const client = new pg.Client({ connectionString: admin, connectionTimeoutMillis: 5000 });
await client.connect();
try {
  if (command === 'create') {
    const database = `nb_test_${Date.now()}_${process.pid}`;
    await client.query(`CREATE DATABASE "${database}"`);
    const url = new URL(admin);
    url.pathname = `/${database}`;
    console.log(url.toString());
  } else if (command === 'drop' && name && /^nb_test_\d+_\d+$/.test(name)) {
    // With it go the per-file clones the test run made of it (test/helpers/file-database.ts).
    const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [
      `${name.replaceAll('_', '\\_')}\\_f%`,
    ]);
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } else {
    throw new Error('usage: fresh-postgres create | drop <nb_test_…>');
  }
} finally {
  await client.end();
}

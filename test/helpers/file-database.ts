/**
 * Gives each test file on PostgreSQL a database of its own, cloned from the migrated template that
 * global-setup.ts prepares (CREATE DATABASE … TEMPLATE copies the schema in a fraction of a second,
 * no migration run). setup-file.ts swaps TEST_DATABASE_URL for the clone before the file is
 * imported, so everything that reads it (helpers, tests, spawned processes) sees the clone.
 * The clones are named after the template, and dropped together when the run ends.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The maintenance database of the template's server: CREATE/DROP DATABASE cannot run inside their target. */
function adminUrl(templateUrl: string): { admin: string; template: string } {
  const url = new URL(templateUrl);
  const template = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  return { admin: url.toString(), template };
}

async function withAdmin<T>(templateUrl: string, work: (client: pg.Client, template: string) => Promise<T>): Promise<T> {
  const { admin, template } = adminUrl(templateUrl);
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    return await work(client, template);
  } finally {
    await client.end();
  }
}

/** Clones the template into a new database; returns its URL. */
export async function createFileDatabase(templateUrl: string): Promise<string> {
  const name = await withAdmin(templateUrl, async (client, template) => {
    const clone = `${template}_f${randomBytes(4).toString('hex')}`;
    await client.query(`CREATE DATABASE "${clone}" TEMPLATE "${template}"`);
    return clone;
  });
  const url = new URL(templateUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops every clone of the template (the end of the run, or .ci/run's trap after a crash). */
export async function dropFileDatabases(templateUrl: string): Promise<void> {
  await withAdmin(templateUrl, async (client, template) => {
    const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [
      `${template.replace(/[\\%_]/g, '\\$&')}\\_f%`,
    ]);
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  });
}

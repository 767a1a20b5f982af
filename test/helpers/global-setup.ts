/**
 * Runs once before the test workers. On PostgreSQL (TEST_DATABASE_URL) it applies the migrations
 * so parallel files do not race to migrate one database. On PGlite it builds a migrated template
 * data directory that each file loads in under a second, instead of running initdb (~5 s) again.
 */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { openDatabase } from '../../src/db/database.js';
import { applyMigrations } from '../../src/db/migrations.js';

export async function setup(): Promise<void> {
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    const database = await openDatabase({ databaseUrl: url });
    await database.close();
    return;
  }
  const pglite = new PGlite();
  await applyMigrations(new PrismaPGlite(pglite));
  const dump = await pglite.dumpDataDir('none');
  await pglite.close();
  const path = join(tmpdir(), `notification-service-template-${process.pid}.tar`);
  await writeFile(path, Buffer.from(await dump.arrayBuffer()));
  process.env.TEST_PGLITE_TEMPLATE = path;
}

/**
 * Runs once before the test workers. On PostgreSQL (TEST_DATABASE_URL) it applies the migrations
 * to that database, which then serves as the template that each test file clones into a database
 * of its own (file-database.ts): files run in parallel, and one file's delivery worker, sweeps or
 * whole-database dumps must not meet another file's rows. On PGlite it builds a migrated template
 * data directory that each file loads in under a second, instead of running initdb (~5 s) again.
 */
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { applyMigrations } from '../../src/db/migrations.js';
import { dropFileDatabases } from './file-database.js';

export async function setup(): Promise<() => Promise<void>> {
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    // A pool of our own, ended here: CREATE DATABASE … TEMPLATE refuses a template that still has a
    // connection, and the adapter's own pool would keep one idle for seconds after the migrations.
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    try {
      await applyMigrations(new PrismaPg(pool));
    } finally {
      await pool.end();
    }
    process.env.TEST_POSTGRES_TEMPLATE_URL = url;
    return () => dropFileDatabases(url);
  }
  const pglite = new PGlite();
  await applyMigrations(new PrismaPGlite(pglite));
  const dump = await pglite.dumpDataDir('none');
  await pglite.close();
  const path = join(tmpdir(), `notification-service-template-${process.pid}.tar`);
  await writeFile(path, Buffer.from(await dump.arrayBuffer()));
  process.env.TEST_PGLITE_TEMPLATE = path;
  return () => rm(path, { force: true });
}

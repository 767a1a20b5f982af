/**
 * Applies the committed migrations (prisma/migrations, Prisma's own layout) and creates the next
 * one from the diff between those migrations and prisma/schema.prisma.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { MigrationList } from '@prisma/schema-engine-wasm/schema_engine_bg';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { openSchemaEngine } from './schema-engine.js';

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const MIGRATIONS_DIR = join(repoRoot, 'prisma', 'migrations');
export const SCHEMA_PATH = join(repoRoot, 'prisma', 'schema.prisma');
const NO_FILTER = { externalTables: [], externalEnums: [] };

async function readMigrationsList(baseDir: string): Promise<MigrationList> {
  const entries = existsSync(baseDir) ? await readdir(baseDir, { withFileTypes: true }) : [];
  const directories = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  directories.sort();
  const lockPath = join(baseDir, 'migration_lock.toml');
  return {
    baseDir,
    lockfile: {
      path: 'migration_lock.toml',
      content: existsSync(lockPath) ? await readFile(lockPath, 'utf8') : null,
    },
    shadowDbInitScript: '',
    migrationDirectories: await Promise.all(
      directories.map(async (path) => ({
        path,
        migrationFile: {
          path: 'migration.sql',
          content: { tag: 'ok' as const, value: await readFile(join(baseDir, path, 'migration.sql'), 'utf8') },
        },
      })),
    ),
  };
}

/** Applies every committed migration not yet recorded; returns the names applied now. */
export async function applyMigrations(factory: SqlMigrationAwareDriverAdapterFactory): Promise<string[]> {
  const engine = await openSchemaEngine(factory);
  try {
    const migrationsList = await readMigrationsList(MIGRATIONS_DIR);
    const { appliedMigrationNames } = await engine.applyMigrations({ migrationsList, filters: NO_FILTER });
    return appliedMigrationNames;
  } finally {
    engine.free();
  }
}

/** Our own advisory lock key (Prisma's engine uses 72707369 with a 10 s timeout). */
const MIGRATION_LOCK_KEY = 72707370;

/**
 * Runs `migrate` while holding a session advisory lock on the PostgreSQL at `databaseUrl`, waiting
 * as long as another instance holds it. Several instances starting at once then migrate one after
 * the other: the first applies the migrations, the others find nothing left to do. Without it,
 * the schema engine's own lock gives up after 10 s and the instance exits. A crashed holder's
 * lock goes with its connection.
 */
export async function withMigrationLock<T>(databaseUrl: string, migrate: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    return await migrate();
  } finally {
    await client.end();
  }
}

/**
 * Writes `prisma/migrations/<timestamp>_<name>/migration.sql` with the SQL that takes the committed
 * migrations to the current schema. The diff replays them on an in-memory PGlite shadow database,
 * so no server is needed. Returns null when the schema has not changed.
 */
export async function createMigration(name: string): Promise<string | null> {
  const shadow = new PGlite();
  const engine = await openSchemaEngine(new PrismaPGlite(shadow));
  try {
    const migrationsList = await readMigrationsList(MIGRATIONS_DIR);
    const schema = await readFile(SCHEMA_PATH, 'utf8');
    const { stdout } = await engine.diff({
      from: { tag: 'migrations', ...migrationsList },
      to: { tag: 'schemaDatamodel', files: [{ path: SCHEMA_PATH, content: schema }] },
      script: true,
      exitCode: null,
      filters: NO_FILTER,
    });
    const sql = stdout ?? '';
    if (sql.trim() === '' || sql.includes('-- This is an empty migration.')) return null;
    const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
    const directory = join(MIGRATIONS_DIR, `${stamp}_${name.replace(/\W+/g, '_')}`);
    await mkdir(directory, { recursive: true });
    await writeFile(join(directory, 'migration.sql'), sql);
    return directory;
  } finally {
    engine.free();
    await shadow.close();
  }
}

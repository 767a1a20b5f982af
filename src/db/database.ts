/**
 * Opens the service's PostgreSQL: the embedded PGlite in a data directory by default, or a real
 * server when a connection string is given. Migrations are applied before the client is handed out.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from '../generated/prisma/client.js';
import { lockDataDir } from './data-dir-lock.js';
import { applyMigrations, withMigrationLock } from './migrations.js';

export type Db = PrismaClient;

export interface DatabaseOptions {
  /** PostgreSQL URL; absent selects PGlite. */
  databaseUrl?: string | undefined;
  /** PGlite data directory; `memory://` keeps it in memory (tests). */
  dataDir?: string;
  /** A PGlite data directory dump to start from (tests start from a migrated template). */
  pgliteTemplate?: Blob;
  /** Called with every SQL statement the client sends (query log for N+1 checks). */
  onQuery?: (sql: string) => void;
}

export interface Database {
  prisma: PrismaClient;
  kind: 'pglite' | 'postgresql';
  /** The PostgreSQL connection string (retention runs on a connection of its own); absent on PGlite. */
  url?: string | undefined;
  appliedMigrations: string[];
  close(): Promise<void>;
}

/**
 * The ingestion hot path's write (report-in-one-statement.ts, the one statement of most reports)
 * is a named statement: each connection has PostgreSQL parse and plan its several KB of SQL once,
 * not per report. Only it: its texts are few (one per combination of the CTEs a report needs),
 * while other statements' texts vary with their IN lists and would pile up on every connection.
 */
function hotStatementName(query: { sql: string }): string {
  // '': unnamed, as pg sends any statement without a name.
  if (!query.sql.startsWith('WITH guard AS')) return '';
  return `hot_${createHash('sha1').update(query.sql).digest('base64url')}`;
}

async function adapterFor(
  options: DatabaseOptions,
): Promise<{ factory: SqlMigrationAwareDriverAdapterFactory; kind: Database['kind']; closeDriver: () => Promise<void> }> {
  if (options.databaseUrl) {
    const factory = new PrismaPg({ connectionString: options.databaseUrl, max: 20 }, { statementNameGenerator: hotStatementName });
    return { factory, kind: 'postgresql', closeDriver: async () => {} };
  }
  const dataDir = options.dataDir ?? 'memory://';
  const inMemory = dataDir.startsWith('memory://');
  if (!inMemory) await mkdir(dataDir, { recursive: true });
  const unlock = inMemory ? () => {} : lockDataDir(dataDir);
  const pglite = new PGlite(inMemory ? dataDir : join(dataDir, 'pglite'), { loadDataDir: options.pgliteTemplate });
  const closeDriver = async () => {
    await pglite.close();
    unlock();
  };
  return { factory: new PrismaPGlite(pglite), kind: 'pglite', closeDriver };
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const { factory, kind, closeDriver } = await adapterFor(options);
  const { databaseUrl } = options;
  const appliedMigrations = databaseUrl
    ? await withMigrationLock(databaseUrl, () => applyMigrations(factory))
    : await applyMigrations(factory);
  const prisma = new PrismaClient({
    adapter: factory,
    log: options.onQuery ? [{ emit: 'event', level: 'query' }] : [],
  });
  if (options.onQuery) {
    const onQuery = options.onQuery;
    (prisma as unknown as { $on(event: 'query', cb: (e: { query: string }) => void): void }).$on('query', (e) => onQuery(e.query));
  }
  return {
    prisma,
    kind,
    url: databaseUrl,
    appliedMigrations,
    async close() {
      await prisma.$disconnect();
      await closeDriver();
    },
  };
}

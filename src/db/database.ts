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
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from '../generated/prisma/client.js';
import { log } from '../observability/logger.js';
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

/** The hot path's one statement (report-in-one-statement.ts): its rows, json columns parsed. */
export type HotQuery = (sql: string, values: readonly string[]) => Promise<Record<string, unknown>[]>;

const hotQueries = new WeakMap<object, HotQuery>();

/**
 * How the ingestion hot path sends its one statement on this client: straight over the pg pool that
 * Prisma's adapter also uses (PostgreSQL), else through Prisma. Prisma's raw-query layer (argument
 * mapping, query interpreter, result re-mapping) cost about as much CPU as the rest of the report's
 * own work; everything else stays on Prisma.
 */
export function hotQueryFor(prisma: object): HotQuery {
  return hotQueries.get(prisma) ?? ((sql, values) => (prisma as Db).$queryRawUnsafe<Record<string, unknown>[]>(sql, ...values));
}

/** Statement names by text: hashing several KB of SQL per report showed in the profile. */
const HOT_NAMES_CAPACITY = 256;
const hotNames = new Map<string, string>();

/**
 * The ingestion hot path's write (report-in-one-statement.ts, the one statement of most reports)
 * is a named statement: each connection has PostgreSQL parse and plan its several KB of SQL once,
 * not per report. Only it: its texts are few (one per combination of the CTEs a report needs),
 * while other statements' texts vary with their IN lists and would pile up on every connection.
 */
function hotStatementName(sql: string): string | undefined {
  if (!sql.startsWith('WITH guard AS')) return undefined;
  let name = hotNames.get(sql);
  if (name === undefined) {
    name = `hot_${createHash('sha1').update(sql).digest('base64url')}`;
    if (hotNames.size < HOT_NAMES_CAPACITY) hotNames.set(sql, name);
  }
  return name;
}

function hotQueryOver(pool: pg.Pool, onQuery: ((sql: string) => void) | undefined): HotQuery {
  return async (sql, values) => {
    onQuery?.(sql);
    const result = await pool.query({ name: hotStatementName(sql), text: sql, values: values as string[] });
    return result.rows;
  };
}

async function adapterFor(options: DatabaseOptions): Promise<{
  factory: SqlMigrationAwareDriverAdapterFactory;
  /** The migrations' (PostgreSQL: a pool of their own, so no session state of theirs stays in the app's). */
  migrationFactory: SqlMigrationAwareDriverAdapterFactory;
  /** Ends the migrations' own connections once they are done (PostgreSQL). */
  closeMigrations: () => Promise<void>;
  kind: Database['kind'];
  pool?: pg.Pool;
  closeDriver: () => Promise<void>;
}> {
  if (options.databaseUrl) {
    // One pool for Prisma and the hot path's statement (hotQueryFor): no connections of its own.
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 20 });
    // An idle connection's error (server restart) must not crash the process; the next query reconnects.
    pool.on('error', (error) => log.warn({ err: error }, 'idle PostgreSQL connection failed'));
    // Ended right after the migrations: the schema engine leaves its advisory lock (72707369) held by
    // an idle connection, and the next instance opening this database would wait for the pool's idle
    // timeout (10 s) to close it.
    const migrationPool = new pg.Pool({ connectionString: options.databaseUrl });
    migrationPool.on('error', (error) => log.warn({ err: error }, 'idle PostgreSQL migration connection failed'));
    return {
      factory: new PrismaPg(pool),
      migrationFactory: new PrismaPg(migrationPool),
      closeMigrations: () => migrationPool.end(),
      kind: 'postgresql',
      pool,
      closeDriver: () => pool.end(),
    };
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
  const factory = new PrismaPGlite(pglite);
  return { factory, migrationFactory: factory, closeMigrations: async () => {}, kind: 'pglite', closeDriver };
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const { factory, migrationFactory, closeMigrations, kind, pool, closeDriver } = await adapterFor(options);
  const { databaseUrl } = options;
  const appliedMigrations = await (databaseUrl
    ? withMigrationLock(databaseUrl, () => applyMigrations(migrationFactory).finally(closeMigrations))
    : applyMigrations(migrationFactory)
  ).catch(async (error: unknown) => {
    await closeDriver();
    throw error;
  });
  const prisma = new PrismaClient({
    adapter: factory,
    log: options.onQuery ? [{ emit: 'event', level: 'query' }] : [],
  });
  if (options.onQuery) {
    const onQuery = options.onQuery;
    (prisma as unknown as { $on(event: 'query', cb: (e: { query: string }) => void): void }).$on('query', (e) => onQuery(e.query));
  }
  if (pool) hotQueries.set(prisma, hotQueryOver(pool, options.onQuery));
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

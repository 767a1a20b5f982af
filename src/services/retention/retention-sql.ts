/**
 * Where expiry runs its SQL. On PostgreSQL: one dedicated connection (not one of the request
 * pool's), holding a session advisory lock so that one instance at a time expires; each statement
 * commits on its own (DETACH ... CONCURRENTLY may not run in a transaction, and short batches keep
 * row locks short). On PGlite (one process owns the data directory): the service's own client.
 */
import pg from 'pg';
import type { Db } from '../../db/database.js';

export interface RetentionSql {
  kind: 'pglite' | 'postgresql';
  query<T>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs a statement; returns the rows it changed. */
  exec(text: string, params?: readonly unknown[]): Promise<number>;
  release(): Promise<void>;
}

/** The advisory lock key of expiry (migrations use 72707370, Prisma's engine 72707369). */
export const RETENTION_LOCK_KEY = 72707371;

export function prismaSql(prisma: Db): RetentionSql {
  return {
    kind: 'pglite',
    query: <T>(text: string, params: readonly unknown[] = []) => prisma.$queryRawUnsafe<T[]>(text, ...params),
    exec: (text, params = []) => prisma.$executeRawUnsafe(text, ...params),
    release: async () => {},
  };
}

/** Connects and takes the expiry lock; null when another instance holds it (this tick is skipped). */
export async function lockedPostgresSql(databaseUrl: string): Promise<RetentionSql | null> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'retention' });
  await client.connect();
  try {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS "locked"', [RETENTION_LOCK_KEY]);
    if (rows[0]?.locked !== true) {
      await client.end();
      return null;
    }
    // A DROP waiting for a lock would queue every report behind it: give up quickly, retry next tick.
    await client.query("SET lock_timeout = '500ms'");
  } catch (error) {
    await client.end();
    throw error;
  }
  return {
    kind: 'postgresql',
    query: async <T>(text: string, params: readonly unknown[] = []) => (await client.query(text, [...params])).rows as T[],
    exec: async (text, params = []) => (await client.query(text, [...params])).rowCount ?? 0,
    release: () => client.end(), // the session lock goes with the connection
  };
}

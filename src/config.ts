/**
 * Every environment variable the service reads, typed, in one place. The README's settings table
 * mirrors this file.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));

export interface Config {
  /** HTTP and graphql-ws port. */
  port: number;
  host: string;
  /** PostgreSQL connection string; when absent the embedded PGlite database is used. */
  databaseUrl: string | undefined;
  /** Directory of the embedded database and other local files. */
  dataDir: string;
  /** Signing key of operator tokens; when absent one is generated and stored in the database. */
  tokenSecret: string | undefined;
  /** Lifetime of newly issued operator tokens, in seconds. */
  tokenTtlSeconds: number;
  /** Redis URL for cross-instance live fan-out; absent means in-process only. */
  redisUrl: string | undefined;
  /** Largest number of happenings one batch mutation accepts. */
  maxBatchSize: number;
  logQueries: boolean;
}

function integer(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

function optional(name: string): string | undefined {
  const raw = process.env[name];
  return raw === undefined || raw === '' ? undefined : raw;
}

export function readConfig(): Config {
  return {
    port: integer('PORT', 4000),
    host: process.env.HOST ?? '127.0.0.1',
    databaseUrl: optional('DATABASE_URL'),
    dataDir: resolve(repoRoot, process.env.DATA_DIR ?? 'data'),
    tokenSecret: optional('TOKEN_SECRET'),
    tokenTtlSeconds: integer('TOKEN_TTL_SECONDS', 12 * 3600),
    redisUrl: optional('REDIS_URL'),
    maxBatchSize: integer('MAX_BATCH_SIZE', 500),
    logQueries: process.env.LOG_QUERIES === '1',
  };
}

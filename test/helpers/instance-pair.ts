/**
 * Two instances of the service on one database and one Redis ("past one machine"), as several
 * test files need them. Each pair has its own Redis prefix, so parallel test files never hear each
 * other, and `stop()` removes that prefix's keys.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Config } from '../../src/config.js';
import type { Database } from '../../src/db/database.js';
import { openTestDatabase, startTestServer, type TestServer } from './test-server.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface InstancePair {
  a: TestServer;
  b: TestServer;
  /** The pair's Redis key prefix (for a test that writes Redis keys itself). */
  prefix: string;
  stop(): Promise<void>;
}

export async function startInstancePair(config: Partial<Config> = {}): Promise<InstancePair> {
  const prefix = `test-${randomUUID()}:`;
  // A file-backed PGlite cannot be opened twice: without TEST_DATABASE_URL both share one database object.
  const shared: Database | undefined = process.env.TEST_DATABASE_URL ? undefined : await openTestDatabase();
  const options = { database: shared, config: { ...config, redisUrl: REDIS_URL, redisPrefix: prefix } };
  const a = await startTestServer(options);
  const b = await startTestServer(options);
  return {
    a,
    b,
    prefix,
    async stop() {
      await a.stop();
      await b.stop();
      await shared?.close();
      const redis = new Redis(REDIS_URL);
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    },
  };
}

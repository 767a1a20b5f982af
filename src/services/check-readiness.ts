/**
 * Readiness: may this instance take traffic? It must not be shutting down, its database must
 * answer, and so must Redis when one is configured. `/health` stays plain liveness (the process
 * answers); this is what a load balancer polls before routing to the instance.
 */
import type { Redis } from 'ioredis';
import type { Db } from '../db/database.js';

/** A dependency slower than this counts as down: a cut connection may hang rather than fail. */
const CHECK_TIMEOUT_MS = 2000;

export interface Readiness {
  ready: boolean;
  shuttingDown: boolean;
  database: 'up' | 'down';
  redis: 'up' | 'down' | 'not configured';
}

async function answers(probe: () => Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([probe().then(() => true), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

export async function checkReadiness(options: { prisma: Db; redis: Redis | null; shuttingDown: boolean }): Promise<Readiness> {
  const { prisma, redis, shuttingDown } = options;
  const [database, redisUp] = await Promise.all([
    answers(() => prisma.$queryRaw`SELECT 1`),
    // ioredis queues commands while reconnecting: only a connected client can answer in time.
    redis ? answers(async () => (redis.status === 'ready' ? redis.ping() : Promise.reject(new Error(redis.status)))) : true,
  ]);
  return {
    ready: !shuttingDown && database && redisUp,
    shuttingDown,
    database: database ? 'up' : 'down',
    redis: redis ? (redisUp ? 'up' : 'down') : 'not configured',
  };
}

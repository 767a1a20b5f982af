/**
 * Fixed-window counters per credential (rate-limiter-flexible): in this process's memory, or in
 * Redis when REDIS_URL is set so every instance counts against the same total.
 *
 * The library only counts here (its own `points` is unbounded): the limit to compare with is the
 * caller's organization's (check-rate-limit.ts), which may differ per organization and change at
 * any time without resetting a counter.
 *
 * Redis down: each instance falls back to its own memory counters (the library's insurance
 * limiter), so the limits still hold per instance (up to N× in total across N instances) and no
 * request waits for, or fails because of, Redis.
 */
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { log as logger } from '../../observability/logger.js';

export type CredentialKind = 'api-key' | 'operator';

export interface Count {
  /** Points consumed in the current window, this call's included. */
  consumed: number;
  /** Milliseconds until the window ends and the counter resets. */
  msBeforeNext: number;
}

export interface RateLimitCounters {
  /** Adds `points` to the credential's counter and returns the new total. */
  consume(kind: CredentialKind, credentialId: string, points: number): Promise<Count>;
  /** Takes back what a refused call consumed: a refused call counts for nothing. */
  refund(kind: CredentialKind, credentialId: string, points: number): Promise<void>;
  close(): Promise<void>;
}

export interface RateLimitCountersOptions {
  windowSeconds: number;
  redisUrl?: string | undefined;
  redisPrefix?: string;
}

const UNBOUNDED = Number.MAX_SAFE_INTEGER;

export async function createRateLimitCounters(options: RateLimitCountersOptions): Promise<RateLimitCounters> {
  const duration = Math.max(1, options.windowSeconds);
  const memory = () => new RateLimiterMemory({ points: UNBOUNDED, duration });
  // No offline queue: while Redis is unreachable a call goes to the insurance limiter at once.
  const redis = options.redisUrl
    ? new Redis(options.redisUrl, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 })
    : null;
  if (redis) {
    redis.on('error', () => {}); // reconnects by itself; the insurance limiter counts meanwhile
    await redis.connect().catch((error: unknown) => logger.warn({ err: error }, 'rate limits: Redis unreachable, counting per instance'));
  }
  const limiterFor = (kind: CredentialKind) =>
    redis
      ? new RateLimiterRedis({
          storeClient: redis,
          keyPrefix: `${options.redisPrefix ?? ''}rate-limit:${kind}`,
          points: UNBOUNDED,
          duration,
          rejectIfRedisNotReady: true,
          insuranceLimiter: memory(),
        })
      : memory();
  const limiters = { 'api-key': limiterFor('api-key'), operator: limiterFor('operator') };
  const settle = (outcome: unknown): RateLimiterRes => {
    if (outcome instanceof RateLimiterRes) return outcome;
    throw outcome;
  };
  return {
    async consume(kind, credentialId, points) {
      const result = await limiters[kind].consume(credentialId, points).catch(settle);
      return { consumed: result.consumedPoints, msBeforeNext: result.msBeforeNext };
    },
    async refund(kind, credentialId, points) {
      await limiters[kind].reward(credentialId, points).catch(settle);
    },
    async close() {
      if (redis) await redis.quit().catch(() => redis.disconnect());
    },
  };
}

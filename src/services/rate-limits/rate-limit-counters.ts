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
 *
 * Without Redis the counters are a plain map counted synchronously (`memoryCounters`), the same
 * fixed windows as the library's memory limiter: every request passes here, and the library's
 * promise (and its timer per key) was most of what the rate limit cost a request.
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
  /** Adds `points` to the credential's counter and returns the new total (at once when counted in memory). */
  consume(kind: CredentialKind, credentialId: string, points: number): Count | Promise<Count>;
  /** Takes back what a refused call consumed: a refused call counts for nothing. */
  refund(kind: CredentialKind, credentialId: string, points: number): void | Promise<void>;
  close(): Promise<void>;
}

export interface RateLimitCountersOptions {
  windowSeconds: number;
  redisUrl?: string | undefined;
  redisPrefix?: string;
}

const UNBOUNDED = Number.MAX_SAFE_INTEGER;

/**
 * Fixed windows in this process's memory: a credential's window opens with its first call and lasts
 * `windowSeconds`. Ended windows are swept once per window length.
 */
export function memoryCounters(windowSeconds: number, now: () => number = Date.now): RateLimitCounters {
  const windowMs = Math.max(1, windowSeconds) * 1000;
  const windows = new Map<string, { consumed: number; endsAt: number }>();
  let sweepAt = now() + windowMs;
  const keyOf = (kind: CredentialKind, credentialId: string) => `${kind}:${credentialId}`;
  return {
    consume(kind, credentialId, points) {
      const at = now();
      if (at >= sweepAt) {
        for (const [key, window] of windows) if (window.endsAt <= at) windows.delete(key);
        sweepAt = at + windowMs;
      }
      const key = keyOf(kind, credentialId);
      let window = windows.get(key);
      if (window === undefined || window.endsAt <= at) {
        window = { consumed: 0, endsAt: at + windowMs };
        windows.set(key, window);
      }
      window.consumed += points;
      return { consumed: window.consumed, msBeforeNext: window.endsAt - at };
    },
    refund(kind, credentialId, points) {
      const window = windows.get(keyOf(kind, credentialId));
      if (window !== undefined && window.endsAt > now()) window.consumed = Math.max(0, window.consumed - points);
    },
    async close() {},
  };
}

export async function createRateLimitCounters(options: RateLimitCountersOptions): Promise<RateLimitCounters> {
  if (!options.redisUrl) return memoryCounters(options.windowSeconds);
  const duration = Math.max(1, options.windowSeconds);
  const memory = () => new RateLimiterMemory({ points: UNBOUNDED, duration });
  // No offline queue: while Redis is unreachable a call goes to the insurance limiter at once.
  const redis = new Redis(options.redisUrl, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  redis.on('error', () => {}); // reconnects by itself; the insurance limiter counts meanwhile
  await redis.connect().catch((error: unknown) => logger.warn({ err: error }, 'rate limits: Redis unreachable, counting per instance'));
  const limiterFor = (kind: CredentialKind) =>
    new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${options.redisPrefix ?? ''}rate-limit:${kind}`,
      points: UNBOUNDED,
      duration,
      rejectIfRedisNotReady: true,
      insuranceLimiter: memory(),
    });
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
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

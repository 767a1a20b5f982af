/**
 * The rate-limit decision for one call: count its points against the caller's credential (API key
 * or operator token) and compare with the caller's organization's limit for the current window.
 *
 * - An integrator API key spends one point per happening (a batch spends its length), an operator
 *   token one point per request.
 * - A refused call is refunded: it counts for nothing, so a batch refused for want of room leaves
 *   that room to smaller calls.
 * - A batch larger than the whole limit can never pass: refused without a time to wait.
 * - A refusal says whether the credential is exhausted (nothing left in the window), which lets the
 *   plugin refuse its next calls before reading them.
 */
import type { Config } from '../../config.js';
import type { Viewer } from '../../context.js';
import type { Db } from '../../db/database.js';
import { OrganizationLimitsCache, type RateLimitDefaults } from './organization-limits.js';
import { type CredentialKind, createRateLimitCounters, type RateLimitCounters } from './rate-limit-counters.js';
import { RateLimitedError } from './rate-limited-error.js';

export interface RateLimits {
  defaults: RateLimitDefaults;
  /** How long an organization's limits are reused before being read again (RATE_LIMIT_CACHE_SECONDS). */
  cacheSeconds: number;
  /** Null when the call may go on; otherwise the refusal to answer (nothing of the call may run). */
  check(viewer: Viewer, points: number): Promise<RateLimitedError | null>;
  close(): Promise<void>;
}

export function rateLimitDefaultsOf(config: Config): RateLimitDefaults {
  return {
    windowSeconds: config.rateLimitWindowSeconds,
    apiKeyHappenings: config.rateLimitApiKeyHappenings,
    operatorRequests: config.rateLimitOperatorRequests,
  };
}

export async function createRateLimits(config: Config, prisma: Db, counters?: RateLimitCounters): Promise<RateLimits> {
  const defaults = rateLimitDefaultsOf(config);
  const cache = new OrganizationLimitsCache(prisma, defaults, config.rateLimitCacheSeconds * 1000);
  const counting =
    counters ??
    (await createRateLimitCounters({ windowSeconds: defaults.windowSeconds, redisUrl: config.redisUrl, redisPrefix: config.redisPrefix }));
  return {
    defaults,
    cacheSeconds: config.rateLimitCacheSeconds,
    async check(viewer, points) {
      if (viewer.kind === 'anonymous') return null;
      const [kind, id, unit]: [CredentialKind, string, string] =
        viewer.kind === 'integrator' ? ['api-key', viewer.apiKeyId, 'happenings'] : ['operator', viewer.operatorId, 'requests'];
      const limits = await cache.get(viewer.organizationId);
      const limit = kind === 'api-key' ? limits.apiKeyHappenings : limits.operatorRequests;
      const per = `per ${limits.windowSeconds} s`;
      if (points > limit)
        return new RateLimitedError(`${points} ${unit} in one call exceed the limit of ${limit} ${per}: send smaller batches`, null);
      const count = await counting.consume(kind, id, points);
      if (count.consumed <= limit) return null;
      await counting.refund(kind, id, points);
      const retryAfterSeconds = Math.max(1, Math.ceil(count.msBeforeNext / 1000));
      const message = `Over the limit of ${limit} ${unit} ${per} for this credential: retry after ${retryAfterSeconds} s`;
      return new RateLimitedError(message, retryAfterSeconds, null, count.consumed - points >= limit);
    },
    close: () => counting.close(),
  };
}

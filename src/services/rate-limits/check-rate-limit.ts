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
import { type OrganizationLimits, OrganizationLimitsCache, type RateLimitDefaults } from './organization-limits.js';
import { type Count, type CredentialKind, createRateLimitCounters, type RateLimitCounters } from './rate-limit-counters.js';
import { RateLimitedError } from './rate-limited-error.js';

export interface RateLimits {
  defaults: RateLimitDefaults;
  /** How long an organization's limits are reused before being read again (RATE_LIMIT_CACHE_SECONDS). */
  cacheSeconds: number;
  /**
   * Null when the call may go on; otherwise the refusal to answer (nothing of the call may run).
   * Answers at once when the organization's limits are cached and the counters are in memory.
   */
  check(viewer: Viewer, points: number): RateLimitedError | null | Promise<RateLimitedError | null>;
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
  const refusal = (limits: OrganizationLimits, unit: string, limit: number, points: number, count: Count) => {
    const retryAfterSeconds = Math.max(1, Math.ceil(count.msBeforeNext / 1000));
    const message = `Over the limit of ${limit} ${unit} per ${limits.windowSeconds} s for this credential: retry after ${retryAfterSeconds} s`;
    return new RateLimitedError(message, retryAfterSeconds, null, count.consumed - points >= limit);
  };
  const checkWithin = (viewer: Exclude<Viewer, { kind: 'anonymous' }>, points: number, limits: OrganizationLimits) => {
    const [kind, id, unit]: [CredentialKind, string, string] =
      viewer.kind === 'integrator' ? ['api-key', viewer.apiKeyId, 'happenings'] : ['operator', viewer.operatorId, 'requests'];
    const limit = kind === 'api-key' ? limits.apiKeyHappenings : limits.operatorRequests;
    if (points > limit)
      return new RateLimitedError(
        `${points} ${unit} in one call exceed the limit of ${limit} per ${limits.windowSeconds} s: send smaller batches`,
        null,
      );
    const count = counting.consume(kind, id, points);
    return count instanceof Promise
      ? count.then((read) => decide(limits, kind, id, unit, limit, points, read))
      : decide(limits, kind, id, unit, limit, points, count);
  };
  /** Null within the limit; else the refusal, once the call's points are taken back. */
  const decide = (
    limits: OrganizationLimits,
    kind: CredentialKind,
    id: string,
    unit: string,
    limit: number,
    points: number,
    count: Count,
  ) => {
    if (count.consumed <= limit) return null;
    const refunded = counting.refund(kind, id, points);
    const refused = refusal(limits, unit, limit, points, count);
    return refunded instanceof Promise ? refunded.then(() => refused) : refused;
  };
  return {
    defaults,
    cacheSeconds: config.rateLimitCacheSeconds,
    check(viewer, points) {
      if (viewer.kind === 'anonymous') return null;
      const limits = cache.get(viewer.organizationId);
      return limits instanceof Promise ? limits.then((read) => checkWithin(viewer, points, read)) : checkWithin(viewer, points, limits);
    },
    close: () => counting.close(),
  };
}

/**
 * An organization's rate limits: the service-wide defaults (config) unless the service's operator
 * stored an override on the organization (`npm run org:limits`). Organizations cannot change their
 * own limits: raising them would defeat their purpose.
 *
 * Cache invalidation: entries expire after RATE_LIMIT_CACHE_SECONDS and nothing else invalidates
 * them, so an override change reaches every instance within that time.
 */
import type { Db } from '../../db/database.js';
import { AppError, notFound } from '../../errors.js';

export interface RateLimitDefaults {
  windowSeconds: number;
  apiKeyHappenings: number;
  operatorRequests: number;
}

export interface OrganizationLimits extends RateLimitDefaults {
  /** Which of the two limits are the organization's own override rather than the service default. */
  apiKeyHappeningsOverridden: boolean;
  operatorRequestsOverridden: boolean;
}

/** An override: a number sets it, null returns to the service default, undefined leaves it. */
export interface LimitOverrides {
  apiKeyHappenings?: number | null;
  operatorRequests?: number | null;
}

/** Largest override accepted: a limit has to stay a limit (and fit a 32-bit column). */
export const MAX_LIMIT_OVERRIDE = 100_000_000;
const CACHE_CAPACITY = 10_000;

const SELECT = { rateLimitApiKeyHappenings: true, rateLimitOperatorRequests: true } as const;

function limitsOf(
  defaults: RateLimitDefaults,
  row: { rateLimitApiKeyHappenings: number | null; rateLimitOperatorRequests: number | null },
): OrganizationLimits {
  return {
    windowSeconds: defaults.windowSeconds,
    apiKeyHappenings: row.rateLimitApiKeyHappenings ?? defaults.apiKeyHappenings,
    operatorRequests: row.rateLimitOperatorRequests ?? defaults.operatorRequests,
    apiKeyHappeningsOverridden: row.rateLimitApiKeyHappenings !== null,
    operatorRequestsOverridden: row.rateLimitOperatorRequests !== null,
  };
}

/** Reads an organization's limits from the database (no cache): the API's `rateLimits` and the script. */
export async function readOrganizationLimits(prisma: Db, organizationId: string, defaults: RateLimitDefaults): Promise<OrganizationLimits> {
  const row = await prisma.organization.findUnique({ where: { id: organizationId }, select: SELECT });
  if (!row) throw notFound('Organization');
  return limitsOf(defaults, row);
}

/** Stores an organization's override (for the service's operator: scripts/org-limits.ts). */
export async function setOrganizationLimits(
  prisma: Db,
  organizationId: string,
  overrides: LimitOverrides,
  defaults: RateLimitDefaults,
): Promise<OrganizationLimits> {
  for (const [name, value] of Object.entries(overrides)) {
    if (value !== null && value !== undefined && (!Number.isInteger(value) || value < 1 || value > MAX_LIMIT_OVERRIDE)) {
      throw new AppError('INVALID_INPUT', `${name} must be an integer from 1 to ${MAX_LIMIT_OVERRIDE}, or the default`, name);
    }
  }
  const { count } = await prisma.organization.updateMany({
    where: { id: organizationId },
    data: { rateLimitApiKeyHappenings: overrides.apiKeyHappenings, rateLimitOperatorRequests: overrides.operatorRequests },
  });
  if (count === 0) throw notFound('Organization');
  return readOrganizationLimits(prisma, organizationId, defaults);
}

/** The hot-path reader: one query per organization per RATE_LIMIT_CACHE_SECONDS on each instance. */
export class OrganizationLimitsCache {
  /** `limits` is the read in flight, then its result: a cached entry answers without a promise. */
  readonly #entries = new Map<string, { limits: OrganizationLimits | Promise<OrganizationLimits>; expiresAt: number }>();

  constructor(
    private readonly prisma: Db,
    private readonly defaults: RateLimitDefaults,
    private readonly ttlMs: number,
  ) {}

  get(organizationId: string): OrganizationLimits | Promise<OrganizationLimits> {
    const now = Date.now();
    const cached = this.#entries.get(organizationId);
    if (cached && cached.expiresAt > now) return cached.limits;
    // Concurrent requests of one organization share the one read in flight.
    const limits = readOrganizationLimits(this.prisma, organizationId, this.defaults);
    const entry = { limits: limits as OrganizationLimits | Promise<OrganizationLimits>, expiresAt: now + this.ttlMs };
    this.#entries.delete(organizationId);
    this.#entries.set(organizationId, entry);
    limits.then(
      (read) => {
        entry.limits = read;
      },
      () => {
        if (this.#entries.get(organizationId) === entry) this.#entries.delete(organizationId);
      },
    );
    if (this.#entries.size > CACHE_CAPACITY) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    return limits;
  }
}

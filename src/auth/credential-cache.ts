/**
 * Verified credentials (API keys, operator tokens, host-app JWTs) → the viewer they resolved to, so
 * an authenticated request costs no database round trip (issue 8).
 *
 * Invalidated by: a change of what a credential resolves to — API key revoked, operator deleted or
 * changed (role, email, externalId), role's admin right changed, tokens revoked (tokensValidAfter),
 * organization sign-in setting changed — published on `credentials:changed` (Redis when
 * configured, so every instance evicts at once); and by time: an entry lives at most `ttlMs`
 * (bounding what a change made behind the service's back, e.g. by SQL, or a lost Redis message,
 * can cost) and never past its token's expiry. Bounded to `capacity` entries, oldest out first.
 *
 * Only successes are cached: a refused credential is looked up again (refusals must not fill the
 * cache), and a lookup that started before an invalidation is not stored (the generation check),
 * so a revocation racing a request cannot be undone by it.
 */
import type { Viewer } from '../context.js';

export type CredentialScope = { kind: 'apiKey' | 'operator' | 'organization'; id: string };

type Authenticated = Exclude<Viewer, { kind: 'anonymous' }>;

interface Entry {
  viewer: Authenticated;
  until: number;
}

export class CredentialCache {
  readonly #entries = new Map<string, Entry>();
  #generation = 0;

  constructor(readonly options: { ttlMs: number; capacity: number }) {}

  /** The cached viewer of `credential`, if still valid. */
  get(credential: string, now = Date.now()): Authenticated | undefined {
    const entry = this.#entries.get(credential);
    if (entry === undefined) return undefined;
    if (entry.until > now) return entry.viewer;
    this.#entries.delete(credential);
    return undefined;
  }

  /** Taken before a lookup, handed back to `set`: a lookup older than the last invalidation is not cached. */
  get generation(): number {
    return this.#generation;
  }

  set(credential: string, viewer: Authenticated, generation: number, now = Date.now()): void {
    if (generation !== this.#generation || this.options.ttlMs <= 0 || this.options.capacity <= 0) return;
    const expiresAt = viewer.kind === 'operator' ? viewer.token.expiresAt : Number.POSITIVE_INFINITY;
    this.#entries.delete(credential);
    this.#entries.set(credential, { viewer, until: Math.min(now + this.options.ttlMs, expiresAt) });
    while (this.#entries.size > this.options.capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  /** Drops every entry within `scope` (rare: a scan of at most `capacity` entries). */
  evict(scope: CredentialScope): void {
    this.#generation += 1;
    for (const [credential, { viewer }] of this.#entries) {
      const hit =
        scope.kind === 'organization'
          ? viewer.organizationId === scope.id
          : scope.kind === 'apiKey'
            ? viewer.kind === 'integrator' && viewer.apiKeyId === scope.id
            : viewer.kind === 'operator' && viewer.operatorId === scope.id;
      if (hit) this.#entries.delete(credential);
    }
  }

  clear(): void {
    this.#generation += 1;
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}

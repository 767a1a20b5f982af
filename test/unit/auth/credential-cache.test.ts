/**
 * The credential cache's bounds (src/auth/credential-cache.ts): time, size, the token's own expiry,
 * eviction by scope, and no caching of a lookup that an invalidation overtook.
 */
import { describe, expect, it } from 'vitest';
import { CredentialCache } from '../../../src/auth/credential-cache.js';

const integrator = (organizationId: string, apiKeyId: string) => ({ kind: 'integrator' as const, organizationId, apiKeyId });
const operator = (organizationId: string, operatorId: string, expiresAt: number) => ({
  kind: 'operator' as const,
  organizationId,
  operatorId,
  isAdmin: false,
  token: { issuedAt: 0, expiresAt },
});

describe('CredentialCache', () => {
  it('keeps an entry at most ttlMs, and never past its token expiry', () => {
    const cache = new CredentialCache({ ttlMs: 1_000, capacity: 10 });
    cache.set('key', integrator('o', 'k'), cache.generation, 0);
    cache.set('token', operator('o', 'p', 300), cache.generation, 0);
    expect(cache.get('key', 999)).toEqual(integrator('o', 'k'));
    expect(cache.get('token', 299)?.kind).toBe('operator');
    expect(cache.get('token', 300)).toBeUndefined();
    expect(cache.get('key', 1_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('holds at most `capacity` entries, dropping the oldest', () => {
    const cache = new CredentialCache({ ttlMs: 60_000, capacity: 2 });
    for (const name of ['a', 'b', 'c']) cache.set(name, integrator('o', name), cache.generation, 0);
    expect(cache.size).toBe(2);
    expect(cache.get('a', 1)).toBeUndefined();
    expect(cache.get('c', 1)).toBeDefined();
  });

  it('evicts by API key, operator or organization, and nothing else', () => {
    const cache = new CredentialCache({ ttlMs: 60_000, capacity: 10 });
    const fill = () => {
      cache.set('k1', integrator('o1', 'k1'), cache.generation, 0);
      cache.set('k2', integrator('o1', 'k2'), cache.generation, 0);
      cache.set('t1', operator('o1', 'p1', 1e15), cache.generation, 0);
      cache.set('t2', operator('o2', 'p2', 1e15), cache.generation, 0);
    };
    fill();
    cache.evict({ kind: 'apiKey', id: 'k1' });
    expect(['k1', 'k2', 't1', 't2'].map((c) => cache.get(c, 1) !== undefined)).toEqual([false, true, true, true]);
    cache.evict({ kind: 'operator', id: 'p2' });
    expect(['k1', 'k2', 't1', 't2'].map((c) => cache.get(c, 1) !== undefined)).toEqual([false, true, true, false]);
    fill();
    cache.evict({ kind: 'organization', id: 'o1' });
    expect(['k1', 'k2', 't1', 't2'].map((c) => cache.get(c, 1) !== undefined)).toEqual([false, false, false, true]);
  });

  it('does not store a lookup that started before an invalidation', () => {
    const cache = new CredentialCache({ ttlMs: 60_000, capacity: 10 });
    const started = cache.generation;
    cache.evict({ kind: 'apiKey', id: 'k1' });
    cache.set('k1', integrator('o1', 'k1'), started, 0);
    expect(cache.get('k1', 1)).toBeUndefined();
    cache.set('k1', integrator('o1', 'k1'), cache.generation, 0);
    expect(cache.get('k1', 1)).toBeDefined();
  });

  it('is off with a TTL of 0', () => {
    const cache = new CredentialCache({ ttlMs: 0, capacity: 10 });
    cache.set('k1', integrator('o1', 'k1'), cache.generation, 0);
    expect(cache.size).toBe(0);
  });
});

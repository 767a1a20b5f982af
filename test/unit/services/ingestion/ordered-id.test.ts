/**
 * Ordered ids (ordered-id.ts) draw their random bytes from a pool filled in bulk: across several
 * refills they stay unique, version 7 with the RFC variant, and sort in the order they were made.
 */
import { describe, expect, it } from 'vitest';
import { orderedId } from '../../../../src/services/ingestion/ordered-id.js';

describe('orderedId', () => {
  it('ids made across many pool refills are unique, well-formed and sort in the order they were made', () => {
    const ids = Array.from({ length: 5_000 }, () => orderedId());
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
  });

  it('the random part differs from id to id (no pool slice handed out twice)', () => {
    const randomParts = Array.from({ length: 1_000 }, () => orderedId().slice(19));
    expect(new Set(randomParts).size).toBe(randomParts.length);
  });
});

/**
 * The in-memory rate-limit counters (no Redis): fixed windows per credential, opened by the first
 * call, refunds taken back within the window, and ended windows forgotten.
 */
import { describe, expect, it } from 'vitest';
import { memoryCounters } from '../../../src/services/rate-limits/rate-limit-counters.js';

describe('memory rate-limit counters', () => {
  it('count each credential in its own window, opened by its first call, and answer at once', () => {
    let now = 1_000;
    const counters = memoryCounters(10, () => now);
    expect(counters.consume('api-key', 'k1', 3)).toEqual({ consumed: 3, msBeforeNext: 10_000 });
    now += 4_000;
    expect(counters.consume('api-key', 'k1', 2)).toEqual({ consumed: 5, msBeforeNext: 6_000 });
    expect(counters.consume('operator', 'k1', 1)).toEqual({ consumed: 1, msBeforeNext: 10_000 });
    expect(counters.consume('api-key', 'k2', 1)).toEqual({ consumed: 1, msBeforeNext: 10_000 });
    now += 6_000; // k1's window (api-key) ends
    expect(counters.consume('api-key', 'k1', 1)).toEqual({ consumed: 1, msBeforeNext: 10_000 });
  });

  it('take a refund back within the window, never below zero, and ignore it after', () => {
    let now = 0;
    const counters = memoryCounters(1, () => now);
    counters.consume('operator', 'o', 4);
    counters.refund('operator', 'o', 3);
    expect(counters.consume('operator', 'o', 1)).toMatchObject({ consumed: 2 });
    counters.refund('operator', 'o', 10);
    expect(counters.consume('operator', 'o', 1)).toMatchObject({ consumed: 1 });
    now += 1_000;
    counters.refund('operator', 'o', 1);
    expect(counters.consume('operator', 'o', 1)).toMatchObject({ consumed: 1, msBeforeNext: 1_000 });
  });
});

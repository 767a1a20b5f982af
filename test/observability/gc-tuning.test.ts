/**
 * The service's GC setting (observability/gc-tuning.ts), observed in V8's own trace of a child
 * process: by default no scavenge has helper threads working in parallel; GC_PARALLEL_SCAVENGE=1
 * gives V8's default back, where they do (on a machine with more than one core).
 */
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';

const fixture = new URL('./fixtures/allocate-after-gc-tuning.ts', import.meta.url).pathname;

/**
 * The helper threads' time (ms) in the child's last scavenges: those of its loop, after the
 * setting was applied (loading tsx and the modules scavenges before it).
 */
function backgroundScavengeTimes(env: Record<string, string>): Promise<number[]> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--trace-gc-nvp', '--import', 'tsx', fixture],
      { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout) => {
        if (error) return reject(error);
        const times = stdout
          .split('\n')
          .filter((line) => line.includes('gc=s '))
          .map((line) => Number(/background\.scavenge\.parallel=([\d.]+)/.exec(line)?.[1] ?? Number.NaN));
        resolve(times.slice(-10));
      },
    );
  });
}

describe.skipIf(availableParallelism() < 2)('GC tuning', () => {
  it('scavenges on the main thread alone unless GC_PARALLEL_SCAVENGE=1', async () => {
    const tuned = await backgroundScavengeTimes({ GC_PARALLEL_SCAVENGE: '' });
    const parallel = await backgroundScavengeTimes({ GC_PARALLEL_SCAVENGE: '1' });
    expect(tuned).toHaveLength(10);
    expect(tuned.every((ms) => ms === 0)).toBe(true);
    expect(parallel).toHaveLength(10);
    expect(parallel.some((ms) => ms > 0)).toBe(true);
  }, 60_000);
});

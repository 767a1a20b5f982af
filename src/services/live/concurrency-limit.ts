/**
 * A counting semaphore: at most `slots` runs of `work` at once, the others waiting in FIFO order.
 * Used to keep bursts (presence writes) from taking the whole database pool.
 */
export function concurrencyLimit(slots: number): <T>(work: () => Promise<T>) => Promise<T> {
  let free = Math.max(1, slots);
  const waiting: (() => void)[] = [];
  return async (work) => {
    if (free > 0) free--;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else free++;
    }
  };
}

/**
 * Reads asked one at a time, answered together: asks that arrive while a round is in flight wait
 * for the next round, which reads all of them in one go (at most `maxBatch` a round, at most
 * `concurrency` rounds at once). Used where a burst of identical small reads (300 operators opening
 * their streams at once, issue 14) would otherwise queue hundreds of round trips in the pool ahead
 * of everything else. `read` answers each ask of a round, in order. Not DataLoader: it dispatches
 * one batch per tick however many are in flight, so a burst becomes many small queries queued in the
 * pool; here asks wait while `concurrency` rounds are in flight and go together in the next one.
 */
export interface RoundOptions {
  maxBatch: number;
  concurrency: number;
}

interface Waiting<A, R> {
  ask: A;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

export function readInRounds<A, R>(read: (asks: readonly A[]) => Promise<readonly R[]>, options: RoundOptions): (ask: A) => Promise<R> {
  const maxBatch = Math.max(1, options.maxBatch);
  const concurrency = Math.max(1, options.concurrency);
  let waiting: Waiting<A, R>[] = [];
  let inFlight = 0;
  let scheduled = false;

  const run = () => {
    scheduled = false;
    while (inFlight < concurrency && waiting.length > 0) {
      const round = waiting.slice(0, maxBatch);
      waiting = waiting.slice(maxBatch);
      inFlight++;
      read(round.map((w) => w.ask))
        .then(
          (results) => {
            round.forEach((w, i) => {
              w.resolve(results[i] as R);
            });
          },
          (error: unknown) => {
            for (const w of round) w.reject(error);
          },
        )
        .finally(() => {
          inFlight--;
          schedule();
        });
    }
  };
  // After the current I/O phase, so the asks that arrived together go together.
  const schedule = () => {
    if (scheduled || waiting.length === 0 || inFlight >= concurrency) return;
    scheduled = true;
    setImmediate(run);
  };

  return (ask) =>
    new Promise<R>((resolve, reject) => {
      waiting.push({ ask, resolve, reject });
      schedule();
    });
}

/**
 * The `quietTime` subscription (extensions.md E2): the operator's quiet-time state now, then again
 * each time it starts or ends (a timer at the next boundary) and each time the settings change, so a
 * Chat Panel can say "notifications paused until 07:00" without reconnecting. Holds at most the
 * latest state: a client reading slowly skips intermediate ones, never a current one.
 */
import type { Db } from '../../db/database.js';
import type { QuietState } from '../../domain/quiet-time.js';
import type { PubSub } from '../../pubsub.js';
import { QuietTimeWatch } from './quiet-time-watch.js';

export async function openQuietTimeStream(options: {
  prisma: Db;
  pubsub: PubSub;
  organizationId: string;
  operatorId: string;
}): Promise<AsyncIterableIterator<QuietState>> {
  let pending: QuietState | null = null;
  let wake: (() => void) | null = null;
  let done = false;
  const watch = new QuietTimeWatch(options, (state) => {
    pending = state;
    wake?.();
  });
  await watch.open();
  pending = watch.state();
  const finish = async (): Promise<IteratorResult<QuietState>> => {
    done = true;
    watch.close();
    wake?.();
    return { done: true, value: undefined };
  };
  const iterator: AsyncIterableIterator<QuietState> = {
    async next() {
      while (!done && pending === null) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      if (done || pending === null) return { done: true, value: undefined };
      const value: QuietState = pending;
      pending = null;
      return { done: false, value };
    },
    return: finish,
    throw: async (error?: unknown) => {
      await finish();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/**
 * The `inboxReadState` subscription: the read changes of one operator's inbox, live, from any tab,
 * device or instance. Nothing is replayed: a client (re)connecting reads `inboxUnreadCount` and
 * `inbox` once, then follows the changes. The buffer is bounded like the notification stream's:
 * a client too slow to read ends with STREAM_BUFFER_OVERFLOW and re-reads the inbox.
 */
import { GraphQLError } from 'graphql';
import type { PubSub } from '../../pubsub.js';
import type { InboxReadChange } from './mark-inbox-read.js';

const BUFFER_LIMIT = 100;

export async function openInboxReadStream(pubsub: PubSub, operatorId: string): Promise<AsyncIterableIterator<InboxReadChange>> {
  const queue: InboxReadChange[] = [];
  let wake: (() => void) | null = null;
  let finished = false;
  let failure: Error | null = null;
  const unsubscribe = pubsub.subscribe('operator:inbox-read', operatorId, (change) => {
    if (finished) return;
    if (queue.length >= BUFFER_LIMIT) {
      failure = new GraphQLError('STREAM_BUFFER_OVERFLOW: reading too slowly; read the inbox again', {
        extensions: { code: 'STREAM_BUFFER_OVERFLOW' },
      });
      finish();
    } else queue.push(change);
    wake?.();
  });
  const finish = () => {
    finished = true;
    queue.length = 0;
    unsubscribe();
  };
  await unsubscribe.ready;
  const iterator: AsyncIterableIterator<InboxReadChange> = {
    async next() {
      for (;;) {
        if (failure !== null) {
          const error = failure;
          failure = null;
          throw error;
        }
        const change = queue.shift();
        if (change !== undefined) return { done: false, value: change };
        if (finished) return { done: true, value: undefined };
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = null;
      }
    },
    async return() {
      finish();
      wake?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

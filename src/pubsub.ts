/**
 * Typed pub/sub topics (`entity:event`, keyed by id). In-process by default; with REDIS_URL every
 * message goes through Redis, so several instances on one database fan out to each other's streams.
 *
 * Listeners are plain callbacks, called synchronously per message: each subscriber owns its own
 * bounded buffer (services/live/notification-stream.ts), so nothing here can queue without bound
 * (no Repeater, no RepeaterOverflowError). Payloads are JSON-safe: they cross Redis as JSON.
 */
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { Redis } from 'ioredis';
import type { LiveItem } from './services/live/live-item.js';
import type { PreferenceChange } from './services/preferences.js';

export interface Topics {
  /** A live notification for one operator (its browser and audio candidates). */
  'operator:notification': LiveItem;
  /** A Chat Panel preference change of one operator: open streams apply it at once. */
  'operator:preferences': { changes: readonly PreferenceChange[] };
}
export type TopicName = keyof Topics;

export interface PubSub {
  publish<T extends TopicName>(topic: T, id: string, payload: Topics[T]): void;
  /** Returns the unsubscribe function. */
  subscribe<T extends TopicName>(topic: T, id: string, listener: (payload: Topics[T]) => void): () => void;
  close(): Promise<void>;
}

export function createPubSub(options: { redisUrl?: string | undefined } = {}): PubSub {
  let target: EventTarget;
  let close = async () => {};
  if (options.redisUrl) {
    const publishClient = new Redis(options.redisUrl, { lazyConnect: false, maxRetriesPerRequest: null });
    const subscribeClient = new Redis(options.redisUrl, { lazyConnect: false, maxRetriesPerRequest: null });
    target = createRedisEventTarget<CustomEvent>({ publishClient, subscribeClient }) as unknown as EventTarget;
    close = async () => {
      await Promise.allSettled([publishClient.quit(), subscribeClient.quit()]);
    };
  } else {
    target = new EventTarget();
  }
  return {
    publish(topic, id, payload) {
      target.dispatchEvent(new CustomEvent(`${topic}:${id}`, { detail: payload }));
    },
    subscribe(topic, id, listener) {
      const name = `${topic}:${id}`;
      const callback = (event: Event) => listener((event as CustomEvent<Topics[typeof topic]>).detail);
      target.addEventListener(name, callback);
      return () => target.removeEventListener(name, callback);
    },
    close: () => close(),
  };
}

/**
 * Typed pub/sub topics (`entity:event`, keyed by id). In-process by default; with REDIS_URL every
 * message goes through Redis, so several instances on one database fan out to each other's streams.
 * Channels (and the presence keys that share the connection) start with REDIS_PREFIX, so several
 * deployments, or parallel test files, can share one Redis without hearing each other.
 *
 * Listeners are plain callbacks, called synchronously per message: each subscriber owns its own
 * bounded buffer (services/live/notification-stream.ts), so nothing here can queue without bound
 * (no Repeater, no RepeaterOverflowError). Payloads are JSON-safe: they cross Redis as JSON.
 *
 * `subscribe(...).ready` resolves once Redis has acknowledged the SUBSCRIBE: a stream waits for it
 * before reading its starting position, so nothing published after that read can be missed.
 */
import { Redis } from 'ioredis';
import type { CredentialScope } from './auth/credential-cache.js';
import type { QuietSettings } from './domain/quiet-time.js';
import { log } from './observability/logger.js';
import type { InboxReadChange } from './services/inbox/mark-inbox-read.js';
import type { LiveItem } from './services/live/live-item.js';
import type { PreferenceChange } from './services/preferences.js';

export interface Topics {
  /** A live notification for one operator (its browser and audio candidates). */
  'operator:notification': LiveItem;
  /** A Chat Panel preference change of one operator: open streams apply it at once. */
  'operator:preferences': { changes: readonly PreferenceChange[] };
  /** The operator's tokens issued at or before `validAfter` (ms) were revoked: their open streams close. */
  'operator:tokens-revoked': { validAfter: number };
  /**
   * What a credential resolves to changed (id `all`): every instance evicts it from its credential
   * cache, then acknowledges on `credentials:applied` keyed by `origin` (the publishing instance).
   */
  'credentials:changed': { scope: CredentialScope; origin: string; nonce: string };
  /** An instance has applied the `credentials:changed` message `nonce` (id: the publishing instance). */
  'credentials:applied': { nonce: string };
  /** Inbox items of one operator were marked read (from any tab or device): the others follow. */
  'operator:inbox-read': InboxReadChange;
  /** The operator's quiet time changed (E2); null: none. Open streams apply it at once. */
  'operator:quiet-time': { settings: QuietSettingsMessage | null };
  /** The operator came back (E7): open catch-up streams send the summary of what arrived since `leftAt`. */
  'operator:catch-up': { presence: 'AWAY' | 'OFFLINE'; leftAt: string; lastSeq: number };
}

/** Quiet-time settings as they cross Redis (do-not-disturb in ms). */
export interface QuietSettingsMessage {
  timeZone: string;
  windows: QuietSettings['windows'];
  doNotDisturbUntil: number | null;
}
export type TopicName = keyof Topics;

/** Calling it unsubscribes; `ready` resolves once messages published from then on will arrive. */
export type Unsubscribe = (() => void) & { ready: Promise<void> };

export interface PubSub {
  publish<T extends TopicName>(topic: T, id: string, payload: Topics[T]): void;
  /**
   * Like publish, resolving once Redis has queued the message for every subscribed instance, to the
   * number of instances it was queued for (without Redis: delivered at once, to the listeners here).
   * Queued is not yet applied: a caller that needs that waits for their acknowledgements.
   */
  publishConfirmed<T extends TopicName>(topic: T, id: string, payload: Topics[T]): Promise<number>;
  subscribe<T extends TopicName>(topic: T, id: string, listener: (payload: Topics[T]) => void): Unsubscribe;
  /** The command connection and key prefix when Redis is configured (presence shares them). */
  readonly redis: { client: Redis; prefix: string } | null;
  close(): Promise<void>;
}

type Listener = (payload: never) => void;

/** Without Redis a subscription takes effect at once. */
const SUBSCRIBED = Promise.resolve();

export function createPubSub(options: { redisUrl?: string | undefined; prefix?: string | undefined } = {}): PubSub {
  return options.redisUrl ? createRedisPubSub(options.redisUrl, options.prefix ?? '') : createLocalPubSub();
}

function createLocalPubSub(): PubSub {
  const listeners = new Map<string, Set<Listener>>();
  return {
    redis: null,
    publish(topic, id, payload) {
      const set = listeners.get(`${topic}:${id}`);
      if (set === undefined) return;
      // One listener (one stream of the operator, the usual case): no copy of the set per message.
      if (set.size === 1) (set.values().next().value as (p: typeof payload) => void)(payload);
      else for (const listener of [...set]) (listener as (p: typeof payload) => void)(payload);
    },
    async publishConfirmed(topic, id, payload) {
      const receivers = listeners.has(`${topic}:${id}`) ? 1 : 0;
      this.publish(topic, id, payload);
      return receivers;
    },
    subscribe(topic, id, listener) {
      const name = `${topic}:${id}`;
      const set = listeners.get(name) ?? new Set();
      set.add(listener as Listener);
      listeners.set(name, set);
      // Inline (unnamed) and one shared promise: tsx names a named closure per call with a property of
      // its own (~250 bytes), and an open stream holds four of these.
      return Object.assign(
        () => {
          set.delete(listener as Listener);
          if (set.size === 0 && listeners.get(name) === set) listeners.delete(name);
        },
        { ready: SUBSCRIBED },
      );
    },
    close: async () => {},
  };
}

function createRedisPubSub(url: string, prefix: string): PubSub {
  const client = new Redis(url, { maxRetriesPerRequest: null });
  const subscriber = new Redis(url, { maxRetriesPerRequest: null });
  const listeners = new Map<string, Set<Listener>>();
  const warn = (what: string) => (error: unknown) => log.warn({ err: error }, `redis ${what} failed`);
  subscriber.on('message', (channel: string, message: string) => {
    const set = listeners.get(channel);
    if (set === undefined) return;
    const payload = JSON.parse(message) as never;
    for (const listener of [...set]) listener(payload);
  });
  return {
    redis: { client, prefix },
    publish(topic, id, payload) {
      client.publish(`${prefix}${topic}:${id}`, JSON.stringify(payload)).catch(warn('PUBLISH'));
    },
    async publishConfirmed(topic, id, payload) {
      // PUBLISH answers with the number of subscribed connections: one per instance listening.
      return (await client.publish(`${prefix}${topic}:${id}`, JSON.stringify(payload)).catch(warn('PUBLISH'))) ?? 0;
    },
    subscribe(topic, id, listener) {
      const channel = `${prefix}${topic}:${id}`;
      let set = listeners.get(channel);
      let ready: Promise<void>;
      if (set === undefined) {
        set = new Set();
        listeners.set(channel, set);
        ready = subscriber.subscribe(channel).then(() => {});
      } else {
        // Commands on one connection are answered in order: a PING sent now is answered after the
        // SUBSCRIBE already under way for this channel.
        ready = subscriber.ping().then(() => {});
      }
      set.add(listener as Listener);
      const current = set;
      ready.catch(warn('SUBSCRIBE'));
      return Object.assign(
        () => {
          if (!current.delete(listener as Listener) || current.size > 0) return;
          if (listeners.get(channel) === current) listeners.delete(channel);
          subscriber.unsubscribe(channel).catch(warn('UNSUBSCRIBE'));
        },
        { ready },
      );
    },
    async close() {
      await Promise.allSettled([client.quit(), subscriber.quit()]);
    },
  };
}

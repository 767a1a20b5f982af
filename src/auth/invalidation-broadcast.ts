/**
 * Credential invalidations across instances, applied everywhere before the change is answered.
 *
 * Redis answers PUBLISH once it has queued the message for each subscribed instance, not once they
 * have read it: a request reaching another instance a moment later could still be served from its
 * cache. So every instance (this one included) evicts, then acknowledges to the publisher on
 * `credentials:applied`; `broadcast` resolves when as many acknowledgements came back as Redis
 * counted receivers, or after `waitMs` (an instance slow or gone: the cache's TTL bounds it then).
 */
import { randomUUID } from 'node:crypto';
import type { PubSub } from '../pubsub.js';
import type { CredentialScope } from './credential-cache.js';

interface Waiting {
  acks: number;
  /** Receivers counted by Redis; unknown (Infinity) until PUBLISH answers. */
  expected: number;
  done: () => void;
}

export interface InvalidationBroadcast {
  broadcast(scope: CredentialScope): Promise<void>;
  close(): void;
}

export function createInvalidationBroadcast(
  pubsub: PubSub,
  evict: (scope: CredentialScope) => void,
  waitMs: number,
): InvalidationBroadcast {
  const instance = randomUUID();
  const waiting = new Map<string, Waiting>();
  const settle = (nonce: string) => {
    const entry = waiting.get(nonce);
    if (entry === undefined || entry.acks < entry.expected) return;
    waiting.delete(nonce);
    entry.done();
  };
  const unsubscribeChanged = pubsub.subscribe('credentials:changed', 'all', (message) => {
    // An instance of the previous release sends the bare scope, and waits for nobody.
    if (!('scope' in message)) return evict(message as unknown as CredentialScope);
    evict(message.scope);
    pubsub.publish('credentials:applied', message.origin, { nonce: message.nonce });
  });
  const unsubscribeApplied = pubsub.subscribe('credentials:applied', instance, ({ nonce }) => {
    const entry = waiting.get(nonce);
    if (entry === undefined) return;
    entry.acks += 1;
    settle(nonce);
  });

  return {
    async broadcast(scope) {
      const nonce = randomUUID();
      let timer: NodeJS.Timeout | undefined;
      const applied = new Promise<void>((resolve) => {
        waiting.set(nonce, { acks: 0, expected: Number.POSITIVE_INFINITY, done: resolve });
        timer = setTimeout(resolve, waitMs);
      });
      // Not awaited on its own: with Redis unreachable PUBLISH waits for a reconnection; the timer bounds it.
      void pubsub.publishConfirmed('credentials:changed', 'all', { scope, origin: instance, nonce }).then((receivers) => {
        const entry = waiting.get(nonce);
        if (entry === undefined) return;
        entry.expected = receivers;
        settle(nonce);
      });
      await applied;
      clearTimeout(timer);
      waiting.delete(nonce);
    },
    close() {
      unsubscribeChanged();
      unsubscribeApplied();
    },
  };
}

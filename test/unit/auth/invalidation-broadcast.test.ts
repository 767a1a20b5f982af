/**
 * A credential invalidation is answered once every instance has applied it, not merely once Redis
 * has queued it: over a real Redis, an instance that reads its messages late still evicts before
 * the publisher's `broadcast` resolves; one that never answers costs the wait, no more.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { CredentialScope } from '../../../src/auth/credential-cache.js';
import { createInvalidationBroadcast, type InvalidationBroadcast } from '../../../src/auth/invalidation-broadcast.js';
import { createPubSub, type PubSub } from '../../../src/pubsub.js';
import { REDIS_URL } from '../../helpers/instance-pair.js';

const opened: { pubsub: PubSub; broadcast: InvalidationBroadcast }[] = [];

afterEach(async () => {
  for (const { pubsub, broadcast } of opened.splice(0)) {
    broadcast.close();
    await pubsub.close();
  }
});

/** A pub/sub whose listeners run `delayMs` late (an instance busy elsewhere), or never (`null`). */
function lagging(pubsub: PubSub, delayMs: number | null): PubSub {
  return {
    ...pubsub,
    publish: pubsub.publish.bind(pubsub),
    publishConfirmed: pubsub.publishConfirmed.bind(pubsub),
    close: pubsub.close.bind(pubsub),
    subscribe(topic, id, listener) {
      return pubsub.subscribe(topic, id, (payload) => {
        if (delayMs !== null) setTimeout(() => listener(payload), delayMs);
      });
    },
  };
}

async function instance(prefix: string, evicted: CredentialScope[], delayMs: number | null = 0, waitMs = 2_000) {
  const redis = createPubSub({ redisUrl: REDIS_URL, prefix });
  const pubsub = delayMs === 0 ? redis : lagging(redis, delayMs);
  const broadcast = createInvalidationBroadcast(pubsub, (scope) => evicted.push(scope), waitMs);
  opened.push({ pubsub: redis, broadcast });
  // Let both SUBSCRIBEs reach Redis before anything is published.
  await new Promise((resolve) => setTimeout(resolve, 100));
  return broadcast;
}

describe('credential invalidation across instances', () => {
  it('resolves only after an instance that reads late has evicted', async () => {
    const prefix = `test-${randomUUID()}:`;
    const onA: CredentialScope[] = [];
    const onB: CredentialScope[] = [];
    const a = await instance(prefix, onA);
    await instance(prefix, onB, 150);
    const scope: CredentialScope = { kind: 'operator', id: randomUUID() };

    const started = Date.now();
    await a.broadcast(scope);
    expect(onB).toEqual([scope]);
    expect(onA).toEqual([scope]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('answers after the wait when an instance never acknowledges, and on time when all do', async () => {
    const prefix = `test-${randomUUID()}:`;
    const onA: CredentialScope[] = [];
    const a = await instance(prefix, onA, 0, 400);
    await instance(prefix, [], null);
    let started = Date.now();
    await a.broadcast({ kind: 'apiKey', id: 'k1' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);

    const quick = await instance(`test-${randomUUID()}:`, [], 0, 5_000);
    started = Date.now();
    await quick.broadcast({ kind: 'apiKey', id: 'k2' });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('without Redis, applies at once in this process', async () => {
    const evicted: CredentialScope[] = [];
    const broadcast = createInvalidationBroadcast(createPubSub(), (scope) => evicted.push(scope), 5_000);
    const started = Date.now();
    await broadcast.broadcast({ kind: 'organization', id: 'o1' });
    expect(evicted).toEqual([{ kind: 'organization', id: 'o1' }]);
    expect(Date.now() - started).toBeLessThan(1_000);
    broadcast.close();
  });
});

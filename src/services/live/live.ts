/**
 * The live side of the service, built once by createApp: pub/sub, the inbox sink, open streams,
 * presence. Resolvers reach it as `ctx.services.live`.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/database.js';
import { log } from '../../observability/logger.js';
import type { PubSub } from '../../pubsub.js';
import { recordDeparturesAndReturns } from '../attention/departures.js';
import type { DecisionSink } from '../decision-sinks.js';
import { type ChatPanelPreferencesListener, onChatPanelPreferencesChanged } from '../preferences.js';
import { onQuietTimeChanged, type QuietTimeListener } from '../quiet-time.js';
import { createInboxSink } from './inbox-sink.js';
import type { StreamedNotification } from './live-item.js';
import { createStreamStartLoader } from './load-stream-starts.js';
import { openNotificationStream } from './notification-stream.js';
import { createPresenceBatcher, type PresenceBatchReporter } from './presence-batcher.js';
import { createPresenceTracker, type PresenceTracker } from './presence-tracker.js';
import { toQuietMessage } from './quiet-time-watch.js';
import { createRedisPresenceTracker } from './redis-presence-tracker.js';
import { storePresence } from './store-presence.js';
import { createStreamRegistry, type StreamRegistry, type StreamSnapshot } from './stream-registry.js';

export interface LiveOptions {
  prisma: Db;
  pubsub: PubSub;
  /** Stores presence changes of one organization in one transaction (reportHappenings). */
  reportPresence: PresenceBatchReporter;
  presenceGraceMs: number;
  /** How long presence changes gather before they are written together. */
  presenceBatchMs: number;
  /** Presence transactions in flight at once on this instance. */
  presenceConcurrency: number;
  /** Happenings one report may carry (MAX_BATCH_SIZE). */
  maxBatchSize?: number;
  /** With Redis: how long a stream counts for presence without a heartbeat of its instance. */
  presenceTtlMs: number;
  streamBufferLimit: number;
  /** Run once at start: announces the presence a previous process stored but did not announce. */
  announceStoredPresence?: () => Promise<number>;
}

async function announceAtStart(announce: () => Promise<number>): Promise<void> {
  try {
    const count = await announce();
    if (count > 0) log.warn({ changes: count }, 'presence: announced changes stored before a restart');
  } catch (error) {
    log.warn({ error: String(error) }, 'presence: could not announce the changes stored before a restart');
  }
}

export interface Live {
  pubsub: PubSub;
  sink: DecisionSink;
  registry: StreamRegistry;
  presence: PresenceTracker;
  /** The open streams of an operator with the preferences in effect on each: on every instance with Redis. */
  streamsOf(operatorId: string): Promise<StreamSnapshot[]>;
  openStream(
    viewer: { organizationId: string; operatorId: string; token: { issuedAt: number; expiresAt: number } },
    afterSeq: number | null,
    context: object,
  ): Promise<AsyncIterableIterator<StreamedNotification>>;
  stop(): Promise<void>;
}

/** How a stream closes its client connection: app.ts registers the socket of each context here. */
const connectionClosers = new WeakMap<object, (code: number, reason: string) => void>();

export function registerConnectionCloser(context: object, close: (code: number, reason: string) => void): void {
  connectionClosers.set(context, close);
}

export function createLive(options: LiveOptions): Live {
  const { prisma, pubsub } = options;
  const registry = createStreamRegistry();
  // Streams opening together read their starting state together (4 queries a round, one round at a time).
  const loadStart = createStreamStartLoader(prisma);
  // With Redis, presence counts the streams of every instance; otherwise this process's.
  const batcher = createPresenceBatcher({
    report: options.reportPresence,
    store: async (organizationId, changes) => {
      await storePresence(prisma, organizationId, changes);
      // Catch-up on return (E7): departures and returns beside the presence (attention/departures.ts).
      for (const back of await recordDeparturesAndReturns(prisma, organizationId, changes)) {
        pubsub.publish('operator:catch-up', back.operatorId, { ...back, leftAt: back.leftAt.toISOString() });
      }
    },
    windowMs: options.presenceBatchMs,
    concurrency: options.presenceConcurrency,
    maxBatch: options.maxBatchSize,
  });
  const redisPresence = pubsub.redis
    ? createRedisPresenceTracker({
        batcher,
        graceMs: options.presenceGraceMs,
        ttlMs: options.presenceTtlMs,
        redis: pubsub.redis.client,
        prefix: pubsub.redis.prefix,
        instanceId: randomUUID(),
      })
    : null;
  const presence = redisPresence ?? createPresenceTracker(batcher, options.presenceGraceMs);
  // Presence stored before a restart but never announced: announce it now (exactly once, see store-presence.ts).
  if (options.announceStoredPresence) void announceAtStart(options.announceStoredPresence);
  // Chat Panel changes reach every open stream of the operator, on every instance.
  const forward: ChatPanelPreferencesListener = (operatorId, _organizationId, changes) =>
    pubsub.publish('operator:preferences', operatorId, { changes });
  onChatPanelPreferencesChanged.push(forward);
  // Quiet-time changes (E2) reach every open stream of the operator, on every instance.
  const forwardQuiet: QuietTimeListener = (operatorId, settings) =>
    pubsub.publish('operator:quiet-time', operatorId, { settings: toQuietMessage(settings) });
  onQuietTimeChanged.push(forwardQuiet);
  return {
    pubsub,
    sink: createInboxSink(pubsub),
    registry,
    presence,
    // This process's streams from the registry (current even before Redis has them); with Redis, the
    // other instances' from their snapshots.
    async streamsOf(operatorId) {
      const local = registry
        .streamsOf(operatorId)
        .map((s): StreamSnapshot => ({ id: s.id, openedAt: s.openedAt, preferences: s.preferences(), buffered: s.buffered() }));
      if (redisPresence === null) return local;
      const ids = new Set(local.map((s) => s.id));
      const others = (await redisPresence.streamsOf(operatorId)).filter((s) => !ids.has(s.id));
      return [...local, ...others].sort((x, y) => x.openedAt.getTime() - y.openedAt.getTime());
    },
    openStream: (viewer, afterSeq, context) =>
      openNotificationStream({
        prisma,
        pubsub,
        registry,
        presence,
        organizationId: viewer.organizationId,
        operatorId: viewer.operatorId,
        afterSeq,
        token: viewer.token,
        bufferLimit: options.streamBufferLimit,
        closeConnection: connectionClosers.get(context),
        loadStart,
      }),
    async stop() {
      const index = onChatPanelPreferencesChanged.indexOf(forward);
      if (index >= 0) onChatPanelPreferencesChanged.splice(index, 1);
      const quietIndex = onQuietTimeChanged.indexOf(forwardQuiet);
      if (quietIndex >= 0) onQuietTimeChanged.splice(quietIndex, 1);
      await presence.stop();
    },
  };
}

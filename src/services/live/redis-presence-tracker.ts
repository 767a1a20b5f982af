/**
 * Presence across instances (REDIS_URL): the same rules as presence-tracker.ts, but counting the
 * open streams of every instance, so an operator with a stream open anywhere stays ONLINE.
 *
 * Keys (all under REDIS_PREFIX + "presence:"):
 *  - `streams:<operatorId>`  sorted set of `<instance>/<stream>`, scored by expiry time;
 *  - `all`                   sorted set of `<org>|<operator>|<instance>/<stream>`, same scores;
 *  - `leaving`               sorted set of `<org>|<operator>` whose last stream closed, scored by the
 *                            end of their grace period;
 *  - `effect:<operatorId>`   hash `<instance>/<stream>` -> JSON {openedAt, browser, audio}: the
 *                            preferences in effect on each stream (streamsInEffect), written on open
 *                            and on each Chat Panel change, deleted with the stream's entry (close or
 *                            sweep); only entries still live in `streams:<operatorId>` count.
 * Each instance refreshes the expiry of its own streams every ttl/3 (heartbeat), so the streams of a
 * crashed instance expire after `ttlMs`. Every instance sweeps every `sweepMs`: expired streams are
 * dropped (an operator left with none becomes `leaving`, due at once), and `leaving` entries past
 * their grace period whose operator still has no stream are claimed — by exactly one instance,
 * since the sweep is one Lua script — and reported OFFLINE. A claim is a lease, not a removal: the
 * entry is re-scored `ttlMs` ahead and removed only once OFFLINE is stored, so an instance dying
 * with the write in flight leaves it to the next sweep of another (a second OFFLINE changes
 * nothing). A stream opened during the grace period removes the `leaving` entry: a reload on
 * another instance changes nothing either.
 */
import type { Redis } from 'ioredis';
import type { NotificationEventKind } from '../../domain/catalog.js';
import { AppError } from '../../errors.js';
import { log } from '../../observability/logger.js';
import type { PresenceBatcher } from './presence-batcher.js';
import { createPresenceQueue, type PresenceTracker, submitInBackground } from './presence-tracker.js';
import type { OpenStream, StreamSnapshot } from './stream-registry.js';

export interface RedisPresenceOptions {
  batcher: PresenceBatcher;
  graceMs: number;
  redis: Redis;
  prefix: string;
  instanceId: string;
  /** How long a stream counts without a heartbeat of its instance. */
  ttlMs: number;
}

// KEYS: streams:<op>, all, leaving, effect:<op>. ARGV: member, allMember, leavingMember, now, ttl, effect.
// Returns 1 when the operator had no stream and was not leaving: report ONLINE.
const OPEN = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[4])
redis.call('ZADD', KEYS[1], ARGV[4] + ARGV[5], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[4] + ARGV[5], ARGV[2])
redis.call('HSET', KEYS[4], ARGV[1], ARGV[6])
if redis.call('ZCARD', KEYS[1]) == 1 then
  if redis.call('ZREM', KEYS[3], ARGV[3]) == 1 then return 0 end
  return 1
end
return 0`;

// KEYS: streams:<op>, all, leaving, effect:<op>. ARGV: member, allMember, leavingMember, now, grace.
const CLOSE = `
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('HDEL', KEYS[4], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[4])
if removed == 1 and redis.call('ZCARD', KEYS[1]) == 0 then redis.call('ZADD', KEYS[3], ARGV[4] + ARGV[5], ARGV[3]) end
return removed`;

// KEYS: effect:<op>. ARGV: member, effect. Only while the stream's entry is there (not closed).
const CHANGE = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end`;

// KEYS: all, leaving. ARGV: streams key prefix, now, limit, effect key prefix, lease. Returns the
// `<org>|<op>` gone OFFLINE, each followed by the score of its claim.
const SWEEP = `
local now = tonumber(ARGV[2])
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, ARGV[3])) do
  redis.call('ZREM', KEYS[1], m)
  local org, op, member = string.match(m, '^([^|]*)|([^|]*)|(.*)$')
  local key = ARGV[1] .. op
  redis.call('ZREM', key, member)
  redis.call('HDEL', ARGV[4] .. op, member)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if redis.call('ZCARD', key) == 0 then redis.call('ZADD', KEYS[2], 'NX', now, org .. '|' .. op) end
end
local offline = {}
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, ARGV[3])) do
  local key = ARGV[1] .. string.match(m, '|(.*)$')
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if redis.call('ZCARD', key) == 0 then
    local lease = now + tonumber(ARGV[5])
    redis.call('ZADD', KEYS[2], lease, m)
    table.insert(offline, m)
    table.insert(offline, tostring(lease))
  else
    redis.call('ZREM', KEYS[2], m)
  end
end
return offline`;

// KEYS: leaving. ARGV: member, lease. Ends a claim once its OFFLINE is stored, unless the entry
// changed since (a stream opened and closed again: a new grace period).
const RELEASE = `
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) == tonumber(ARGV[2]) then redis.call('ZREM', KEYS[1], ARGV[1]) end`;

const SWEEP_LIMIT = 1000;

/** What the `effect:<operatorId>` hash holds per stream. */
interface Effect {
  openedAt: string;
  browser: NotificationEventKind[];
  audio: NotificationEventKind[];
  sounds?: Partial<Record<NotificationEventKind, string>>;
}
const effectOf = (stream: OpenStream): string => {
  const { browser, audio, sounds } = stream.preferences();
  return JSON.stringify({ openedAt: stream.openedAt.toISOString(), browser: [...browser], audio: [...audio], sounds } satisfies Effect);
};

export interface RedisPresenceTracker extends PresenceTracker {
  /** The live streams of an operator on every instance (`buffered` is null). */
  streamsOf(operatorId: string): Promise<StreamSnapshot[]>;
}

export function createRedisPresenceTracker(options: RedisPresenceOptions): RedisPresenceTracker {
  const { redis, batcher, graceMs, ttlMs, instanceId } = options;
  const base = `${options.prefix}presence:`;
  const streamsKey = (operatorId: string) => `${base}streams:${operatorId}`;
  const effectKey = (operatorId: string) => `${base}effect:${operatorId}`;
  const allKey = `${base}all`;
  const leavingKey = `${base}leaving`;
  const local = new Map<string, OpenStream>();
  const queue = createPresenceQueue();
  let stopped = false;

  const members = (organizationId: string, operatorId: string, streamId: string) => {
    const member = `${instanceId}/${streamId}`;
    return [member, `${organizationId}|${operatorId}|${member}`, `${organizationId}|${operatorId}`];
  };
  const keys = (operatorId: string) => [streamsKey(operatorId), allKey, leavingKey, effectKey(operatorId)];

  const heartbeat = async () => {
    const expiry = Date.now() + ttlMs;
    const pipeline = redis.pipeline();
    for (const [streamId, { organizationId, operatorId }] of local) {
      const [member, allMember] = members(organizationId, operatorId, streamId);
      pipeline.zadd(streamsKey(operatorId), 'XX', expiry, member as string);
      pipeline.zadd(allKey, 'XX', expiry, allMember as string);
    }
    await pipeline.exec();
  };
  const sweep = async () => {
    const gone = (await redis.eval(
      SWEEP,
      2,
      allKey,
      leavingKey,
      `${base}streams:`,
      Date.now(),
      SWEEP_LIMIT,
      `${base}effect:`,
      ttlMs,
    )) as string[];
    for (let i = 0; i + 1 < gone.length; i += 2) {
      const entry = gone[i] as string;
      const lease = gone[i + 1] as string;
      const [organizationId = '', operatorId = ''] = entry.split('|');
      queue.background(operatorId, 'OFFLINE', async () => {
        const release = () => redis.eval(RELEASE, 1, leavingKey, entry, lease);
        // Refused for good (the operator was deactivated): nothing for another instance to retry.
        await batcher.submit(organizationId, operatorId, 'OFFLINE').catch(async (error: unknown) => {
          if (error instanceof AppError) await release();
          throw error;
        });
        await release();
        // A stream opened elsewhere while the report was on its way: it reported ONLINE, which may
        // have landed first.
        if ((await redis.zcount(streamsKey(operatorId), Date.now(), '+inf')) > 0)
          await batcher.submit(organizationId, operatorId, 'ONLINE');
      });
    }
  };
  const every = (ms: number, work: () => Promise<unknown>, what: string) => {
    let running = false;
    const timer = setInterval(() => {
      if (running || stopped) return;
      running = true;
      work()
        .catch((error: unknown) => log.warn({ err: error }, `presence ${what} failed`))
        .finally(() => {
          running = false;
        });
    }, ms);
    timer.unref();
    return timer;
  };
  const timers = [
    every(Math.max(50, Math.floor(ttlMs / 3)), heartbeat, 'heartbeat'),
    every(Math.min(1000, Math.max(50, Math.floor(graceMs / 5))), sweep, 'sweep'),
  ];

  return {
    streamOpened(stream) {
      const { id, organizationId, operatorId } = stream;
      local.set(id, stream);
      queue.background(operatorId, 'ONLINE', async () => {
        const args = [...members(organizationId, operatorId, id), Date.now(), ttlMs, effectOf(stream)];
        const first = await redis.eval(OPEN, 4, ...keys(operatorId), ...args);
        // Not awaited: the batcher keeps this operator's changes in order and retries them.
        if (first === 1) submitInBackground(batcher, organizationId, operatorId, 'ONLINE');
      });
    },
    streamChanged(stream) {
      // Queued after its open and before its close: the snapshot is read when the change runs.
      queue.background(stream.operatorId, 'stream change', () =>
        redis.eval(CHANGE, 1, effectKey(stream.operatorId), `${instanceId}/${stream.id}`, effectOf(stream)),
      );
    },
    streamClosed({ id, organizationId, operatorId }) {
      local.delete(id);
      queue.background(operatorId, 'stream close', () =>
        redis.eval(CLOSE, 4, ...keys(operatorId), ...members(organizationId, operatorId, id), Date.now(), graceMs),
      );
    },
    async streamsOf(operatorId) {
      const results =
        (await redis.pipeline().zrangebyscore(streamsKey(operatorId), Date.now(), '+inf').hgetall(effectKey(operatorId)).exec()) ?? [];
      const live = new Set((results[0]?.[1] as string[] | undefined) ?? []);
      const effects = (results[1]?.[1] as Record<string, string> | undefined) ?? {};
      return Object.entries(effects)
        .filter(([member]) => live.has(member))
        .map(([member, json]): StreamSnapshot => {
          const effect = JSON.parse(json) as Effect;
          return {
            id: member.slice(member.indexOf('/') + 1),
            openedAt: new Date(effect.openedAt),
            preferences: { browser: new Set(effect.browser), audio: new Set(effect.audio), sounds: effect.sounds ?? {} },
            buffered: null,
          };
        });
    },
    set(organizationId, operatorId, presence) {
      return queue.enqueue(operatorId, () => batcher.submit(organizationId, operatorId, presence, true));
    },
    async openStreams(operatorIds) {
      const now = Date.now();
      const pipeline = redis.pipeline();
      for (const id of operatorIds) pipeline.zcount(streamsKey(id), now, '+inf');
      const results = (await pipeline.exec()) ?? [];
      return new Map(operatorIds.map((id, i) => [id, Number(results[i]?.[1] ?? 0)]));
    },
    async stop() {
      stopped = true;
      for (const timer of timers) clearInterval(timer);
      await queue.settle();
      await batcher.stop();
    },
  };
}

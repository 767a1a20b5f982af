/**
 * The service's own Prometheus metrics (prom-client), on one registry per process that /metrics
 * serves together with graphql-yoga's request and operation durations (request-metrics.ts,
 * app.ts). Counters and the open-streams gauge are counted where things happen; what lives in the
 * database (queue depth, oldest due delivery, unread inbox, addons disabled by failures) is read
 * on scrape by `collectDatabaseGauges`, with capped counts so a scrape costs the same on any backlog.
 * Labels are bounded sets (event kinds, channels, reasons, outcomes): never ids.
 */
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'notifications_process_' });

const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
  new Counter<L>({ name, help, labelNames, registers: [registry] });
const gauge = (name: string, help: string) => new Gauge({ name, help, registers: [registry] });

export const metrics = {
  happenings: counter('notifications_happenings_total', 'Happenings stored, by kind.', ['kind']),
  reportGroups: counter(
    'notifications_report_groups_total',
    'Groups of concurrent single reports joined into one statement, by outcome (written together, or rerun alone).',
    ['outcome'],
  ),
  decisions: new Counter({
    name: 'notifications_decisions_total',
    help: 'Decisions taken, by event kind, channel and reason.',
    labelNames: ['event', 'channel', 'reason'] as const,
    registers: [registry],
    collect() {
      flushDecisions(this);
    },
  }),
  liveStreamsOpen: gauge('notifications_live_streams_open', 'Notification streams open on this instance.'),
  liveItemsSent: new Counter({
    name: 'notifications_live_items_sent_total',
    help: 'Items sent on notification streams, replayed or live.',
    labelNames: ['replayed'] as const,
    registers: [registry],
    collect() {
      flushSentItems(this);
    },
  }),
  liveStreamsClosed: counter('notifications_live_streams_closed_total', 'Notification streams ended, by why.', ['reason']),
  deliveryAttempts: counter(
    'notifications_delivery_attempts_total',
    'Delivery attempts, by channel and outcome (delivered, retry, dead).',
    ['channel', 'outcome'],
  ),
  deadDeliveries: counter('notifications_deliveries_dead_total', 'Deliveries that became dead letters, by channel.', ['channel']),
  addonsAutoDisabled: counter('notifications_addons_auto_disabled_total', 'Addons disabled after dead deliveries in a row, by kind.', [
    'kind',
  ]),
  rateLimitRefusals: counter('notifications_rate_limit_refusals_total', 'Operations refused by a rate limit, by credential kind.', [
    'credential',
  ]),
  streamRefusals: counter('notifications_stream_refusals_total', 'graphql-ws connections refused (no operator token).', []),
  // Read from the database on scrape.
  deliveryQueueDepth: gauge('notifications_delivery_queue_depth', 'Pending deliveries (capped at DB_GAUGE_CAP).'),
  deliveryOldestDueSeconds: gauge(
    'notifications_delivery_oldest_due_seconds',
    'Age of the oldest pending delivery that is due, in seconds (0: none).',
  ),
  deliveriesDead: gauge('notifications_deliveries_dead', 'Dead deliveries stored (capped at DB_GAUGE_CAP).'),
  inboxBacklog: gauge('notifications_inbox_unread', 'Unread inbox items of all operators (capped at DB_GAUGE_CAP).'),
  addonsDisabledByFailures: gauge('notifications_addons_disabled_by_failures', 'Addons currently disabled with dead deliveries in a row.'),
};

/**
 * Items sent on streams, counted as plain numbers and added to `liveItemsSent` when it is read
 * (scrape): a labelled `inc` hashes its labels on every call, once per item of a fan-out.
 */
const sentItems = { live: 0, replayed: 0 };

export function countSentItem(replayed: boolean): void {
  if (replayed) sentItems.replayed++;
  else sentItems.live++;
}

function flushSentItems(counter: Counter<'replayed'>): void {
  if (sentItems.live > 0) counter.inc({ replayed: 'false' }, sentItems.live);
  if (sentItems.replayed > 0) counter.inc({ replayed: 'true' }, sentItems.replayed);
  sentItems.live = 0;
  sentItems.replayed = 0;
}

/**
 * Decisions counted per (event, channel, reason) until a scrape: a chat start takes 24, and
 * prom-client hashes the labels of every `inc` (8.7 KB of garbage per chat start in the profile).
 */
const decisionCounts = new Map<string, Map<string, Map<string, number>>>();

export function countDecision(event: string, channel: string, reason: string): void {
  let byChannel = decisionCounts.get(event);
  if (byChannel === undefined) {
    byChannel = new Map();
    decisionCounts.set(event, byChannel);
  }
  let byReason = byChannel.get(channel);
  if (byReason === undefined) {
    byReason = new Map();
    byChannel.set(channel, byReason);
  }
  byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
}

function flushDecisions(counter: Counter<'event' | 'channel' | 'reason'>): void {
  for (const [event, byChannel] of decisionCounts)
    for (const [channel, byReason] of byChannel) for (const [reason, n] of byReason) counter.inc({ event, channel, reason }, n);
  decisionCounts.clear();
}

/** Counts read on scrape stop here: the scrape's cost stays bounded whatever the backlog. */
export const DB_GAUGE_CAP = 100_000;

interface RawQuery {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}

/** One statement: capped counts and the oldest due time, on the indexes the queue already has. */
export async function collectDatabaseGauges(prisma: RawQuery, now = new Date()): Promise<void> {
  const [row] = await prisma.$queryRawUnsafe<
    { pending: bigint | number; dead: bigint | number; unread: bigint | number; oldest: Date | null; disabled: bigint | number }[]
  >(
    `SELECT
      (SELECT count(*) FROM (SELECT 1 FROM "Delivery" WHERE "status" = 'PENDING' LIMIT ${DB_GAUGE_CAP}) p) AS pending,
      (SELECT count(*) FROM (SELECT 1 FROM "Delivery" WHERE "status" = 'DEAD' LIMIT ${DB_GAUGE_CAP}) d) AS dead,
      (SELECT count(*) FROM (SELECT 1 FROM "InboxItem" WHERE "readAt" IS NULL LIMIT ${DB_GAUGE_CAP}) i) AS unread,
      (SELECT min("runAt") FROM "Delivery" WHERE "status" = 'PENDING' AND "runAt" <= $1) AS oldest,
      (SELECT count(*) FROM (SELECT 1 FROM "Addon" WHERE NOT "enabled" AND "deletedAt" IS NULL AND "consecutiveDeadDeliveries" > 0 LIMIT ${DB_GAUGE_CAP}) a) AS disabled`,
    now,
  );
  if (!row) return;
  metrics.deliveryQueueDepth.set(Number(row.pending));
  metrics.deliveriesDead.set(Number(row.dead));
  metrics.inboxBacklog.set(Number(row.unread));
  metrics.addonsDisabledByFailures.set(Number(row.disabled));
  metrics.deliveryOldestDueSeconds.set(row.oldest ? Math.max(0, (now.getTime() - new Date(row.oldest).getTime()) / 1000) : 0);
}

/**
 * The catch-up feed (extension E7): an operator's notification stream (notification-stream.ts,
 * untouched) with a catch-up summary sent first whenever the operator comes back.
 *
 * - A feed opened while its operator's departure is open and OFFLINE sends the summary before
 *   anything else: the departure is read before the stream opens (opening makes them ONLINE).
 * - A return on an open feed (AWAY or OFFLINE → ONLINE, departures.ts publishes it) sends the
 *   summary as the very next item, ahead of anything the stream holds.
 * One summary per departure and feed (a feed that sent it at open ignores the publication). The
 * summary is made from the inbox when it is sent and is never stored.
 */
import type { Db } from '../../db/database.js';
import type { NotificationEventKind } from '../../domain/catalog.js';
import { type CatchUpSummary, summarizeCatchUp } from '../../domain/catch-up.js';
import { log } from '../../observability/logger.js';
import type { PubSub } from '../../pubsub.js';
import type { StreamedNotification } from '../live/live-item.js';
import { type Departure, departureKey, openDepartureOf } from './departures.js';

export type FeedItem = StreamedNotification | { catchUp: CatchUpSummary };

export const isCatchUp = (item: FeedItem): item is { catchUp: CatchUpSummary } => 'catchUp' in item;

/** The unread items after the departure, up to the operator's last inbox position now, in one grouped read. */
export async function loadCatchUpSummary(
  prisma: Db,
  operatorId: string,
  departure: Pick<Departure, 'presence' | 'leftAt' | 'lastSeq'>,
): Promise<CatchUpSummary> {
  const rows = await prisma.$queryRawUnsafe<
    { through: bigint; chatId: string | null; kind: NotificationEventKind | null; count: number; firstSeq: bigint; latestAt: Date }[]
  >(
    `WITH through AS (SELECT COALESCE((SELECT "lastSeq" FROM "InboxCounter" WHERE "operatorId" = $1::uuid), 0) AS "seq")
     SELECT t."seq" AS "through", g.* FROM through t LEFT JOIN LATERAL (
       SELECT i."chatExternalId" AS "chatId", i."kind", count(*)::int AS "count", min(i."seq") AS "firstSeq", max(i."createdAt") AS "latestAt"
         FROM "InboxItem" i
        WHERE i."operatorId" = $1::uuid AND i."seq" > $2 AND i."seq" <= t."seq" AND i."readAt" IS NULL
        GROUP BY 1, 2) g ON true`,
    operatorId,
    BigInt(departure.lastSeq),
  );
  const groups = rows.flatMap((r) =>
    r.kind === null ? [] : [{ chatId: r.chatId, kind: r.kind, count: r.count, firstSeq: Number(r.firstSeq), latestAt: r.latestAt }],
  );
  return summarizeCatchUp(departure, Number(rows[0]?.through ?? 0), groups);
}

export interface CatchUpFeedOptions {
  prisma: Db;
  pubsub: PubSub;
  operatorId: string;
  /** Opens the operator's notification stream (live.openStream). */
  open: () => Promise<AsyncIterableIterator<StreamedNotification>>;
}

class CatchUpFeed implements AsyncIterableIterator<FeedItem> {
  private readonly summaries: CatchUpSummary[] = [];
  private readonly sent = new Set<string>();
  private inner: AsyncIterableIterator<StreamedNotification> | null = null;
  private pending: Promise<IteratorResult<StreamedNotification>> | null = null;
  private wake: (() => void) | null = null;
  private unsubscribe: () => void = () => {};
  private closed = false;
  /** Summaries are made one after the other, so they are sent in the order of the returns. */
  private making: Promise<void> = Promise.resolve();

  constructor(private readonly options: CatchUpFeedOptions) {}

  async open(): Promise<void> {
    const { prisma, pubsub, operatorId } = this.options;
    const subscription = pubsub.subscribe('operator:catch-up', operatorId, (d) =>
      this.returned({ presence: d.presence, leftAt: new Date(d.leftAt), lastSeq: d.lastSeq }),
    );
    this.unsubscribe = subscription;
    try {
      await subscription.ready;
      const departure = await openDepartureOf(prisma, operatorId);
      this.inner = await this.options.open();
      if (departure?.presence === 'OFFLINE') {
        this.sent.add(departureKey(departure));
        this.summaries.push(await loadCatchUpSummary(prisma, operatorId, departure));
      }
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  private returned(departure: Pick<Departure, 'presence' | 'leftAt' | 'lastSeq'>): void {
    const key = departureKey(departure);
    if (this.closed || this.sent.has(key)) return;
    this.sent.add(key);
    this.making = this.making
      .then(async () => {
        const summary = await loadCatchUpSummary(this.options.prisma, this.options.operatorId, departure);
        if (this.closed) return;
        this.summaries.push(summary);
        this.wake?.();
      })
      .catch((error: unknown) => log.warn({ err: error, operatorId: this.options.operatorId }, 'catch-up summary failed'));
  }

  async next(): Promise<IteratorResult<FeedItem>> {
    for (;;) {
      if (this.closed || this.inner === null) return { done: true, value: undefined };
      const summary = this.summaries.shift();
      if (summary !== undefined) return { done: false, value: { catchUp: summary } };
      this.pending ??= this.inner.next();
      const woken = new Promise<'woken'>((resolve) => {
        this.wake = () => resolve('woken');
      });
      let result: IteratorResult<StreamedNotification> | 'woken';
      try {
        result = await Promise.race([this.pending, woken]);
      } catch (error) {
        this.pending = null;
        await this.close();
        throw error;
      }
      this.wake = null;
      if (result === 'woken') continue;
      this.pending = null;
      if (result.done) {
        await this.close();
        return { done: true, value: undefined };
      }
      return { done: false, value: result.value };
    }
  }

  private async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.wake?.();
    await this.inner?.return?.();
  }

  async return(): Promise<IteratorResult<FeedItem>> {
    await this.close();
    return { done: true, value: undefined };
  }

  async throw(error?: unknown): Promise<IteratorResult<FeedItem>> {
    await this.close();
    throw error;
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}

/** Opens the catch-up feed; resolves once its stream is open and any summary due at open is made. */
export async function openCatchUpFeed(options: CatchUpFeedOptions): Promise<AsyncIterableIterator<FeedItem>> {
  const feed = new CatchUpFeed(options);
  await feed.open();
  return feed;
}

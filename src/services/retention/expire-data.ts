/**
 * One expiry pass (what the retention scheduler runs each tick), cheapest first:
 *  1. whole day partitions of Decision and InboxItem past the SERVICE's windows are dropped
 *     (no row is deleted, no vacuum, no index churn);
 *  2. per organization, what must go row by row is deleted in bounded batches on indexed
 *     (organizationId, createdAt): events (their decisions and deliveries go with them), happenings,
 *     delivered and dead deliveries, read and presence inbox items, acknowledgements, then chats
 *     nothing names any more, and anything of an organization whose admins chose a shorter window
 *     than the service's.
 * Each batch is its own short statement: reports never wait behind a long transaction.
 */
import { cutoffsOf, type RetentionCutoffs, type RetentionWindows, windowsInEffect } from '../../domain/retention-windows.js';
import { dropPartitionsBefore, ensurePartitions, PARTITIONED_TABLES } from './partitions.js';
import { loadOverrides } from './retention-settings.js';
import type { RetentionSql } from './retention-sql.js';

export interface ExpiryReport {
  partitionsCreated: string[];
  partitionsDropped: string[];
  /** Rows deleted in batches, per table. */
  deleted: Record<string, number>;
}

/** Inbox items of presence changes: they mean nothing after the shift (presenceInboxHours). */
const PRESENCE_EVENTS = ['OPERATOR_ONLINE', 'OPERATOR_AWAY', 'OPERATOR_BACK', 'OPERATOR_OFFLINE'] as const;

const HAPPENING_KINDS_BUT_ANALYTICS = `ARRAY['CHAT_STARTED','VISITOR_MESSAGE','OPERATOR_MESSAGE','CHAT_FORWARDED','CHAT_RATED','FEEDBACK_GIVEN',
  'SURVEY_ANSWERED','GOAL_REACHED','CHAT_FINISHED','OFFLINE_MESSAGE','PRESENCE_CHANGED','SYSTEM_MESSAGE','WIDGET_CHANGED']::"HappeningKind"[]`;

interface Batch {
  table: string;
  /** The key columns and the condition (on "organizationId" = $1 and $2 = the cut-off). */
  key: string;
  where: string;
  cutoff: (c: RetentionCutoffs) => Date;
  /** Which rows are the organization's, when not by an indexed "organizationId" (default). */
  scope?: string;
  /** Rows that go with the deleted ones: SQL over `gone` (the deleted rows' keys). */
  dependents?: string;
}

const BATCHES: readonly Batch[] = [
  // Events first: their decisions (partitions already dropped at the service's window) and deliveries cascade.
  { table: 'NotificationEvent', key: '"id"', where: '"createdAt" < $2', cutoff: (c) => c.events },
  {
    table: 'Happening',
    key: '"id"',
    where: `"kind" = ANY(${HAPPENING_KINDS_BUT_ANALYTICS}) AND "createdAt" < $2`,
    cutoff: (c) => c.happenings,
  },
  { table: 'Happening', key: '"id"', where: `"kind" = 'ANALYTICS_DAILY' AND "createdAt" < $2`, cutoff: (c) => c.analytics },
  { table: 'Delivery', key: '"id"', where: `"status" = 'DELIVERED' AND "createdAt" < $2`, cutoff: (c) => c.deliveredDeliveries },
  { table: 'Delivery', key: '"id"', where: `"status" = 'DEAD' AND "createdAt" < $2`, cutoff: (c) => c.deadDeliveries },
  { table: 'InboxItem', key: '"id", "createdAt"', where: '"createdAt" < $2', cutoff: (c) => c.inboxUnread },
  { table: 'InboxItem', key: '"id", "createdAt"', where: '"readAt" IS NOT NULL AND "createdAt" < $2', cutoff: (c) => c.inboxRead },
  {
    table: 'InboxItem',
    key: '"id", "createdAt"',
    where: `"kind" = ANY(ARRAY[${PRESENCE_EVENTS.map((k) => `'${k}'`).join(',')}]::"NotificationEventKind"[]) AND "createdAt" < $2`,
    cutoff: (c) => c.presenceInbox,
  },
  // What live clients did with an event's item (E3) means nothing once the event is gone. By the
  // primary key (operatorId first): the table has no index on its organization.
  {
    table: 'Acknowledgement',
    key: '"operatorId", "eventId"',
    scope: `"operatorId" = ANY(ARRAY(SELECT "id" FROM "Operator" WHERE "organizationId" = $1::uuid))`,
    where: '"createdAt" < $2',
    cutoff: (c) => c.events,
  },
  // A chat goes once nothing names it any more: its happenings and events expired (above, in this
  // pass), and it started before the happenings' window (a chat reported again after that is a new
  // chat). Its visitor's name and email go with it; so does its missed-chat timer (E4).
  {
    table: 'Chat',
    key: '"id"',
    where: `"startedAt" < $2 AND NOT EXISTS (SELECT 1 FROM "Happening" h WHERE h."chatId" = "Chat"."id")
            AND NOT EXISTS (SELECT 1 FROM "NotificationEvent" e WHERE e."chatId" = "Chat"."id")`,
    cutoff: (c) => c.happenings,
    dependents: `DELETE FROM "EscalationTimer" WHERE "chatId" IN (SELECT "id" FROM gone)`,
  },
];

const isForeignKeyViolation = (error: unknown) =>
  (error as { code?: unknown }).code === '23503' || /violates foreign key constraint/.test(String((error as Error).message));

/** Deletes `batch` rows of one organization, `size` at a time, until none is left; returns how many. */
async function deleteInBatches(sql: RetentionSql, batch: Batch, organizationId: string, cutoff: Date, size: number): Promise<number> {
  let total = 0;
  const scope = batch.scope ?? '"organizationId" = $1::uuid';
  const remove = `DELETE FROM "${batch.table}" WHERE (${batch.key}) IN (
         SELECT ${batch.key} FROM "${batch.table}" WHERE ${scope} AND ${batch.where} LIMIT ${size})`;
  for (;;) {
    const params = [organizationId, cutoff.toISOString()];
    let count: number;
    try {
      count =
        batch.dependents === undefined
          ? await sql.exec(remove, params)
          : Number(
              (
                await sql.query<{ n: number }>(
                  `WITH gone AS (${remove} RETURNING ${batch.key}), dependents AS (${batch.dependents}) SELECT count(*)::int AS "n" FROM gone`,
                  params,
                )
              )[0]?.n ?? 0,
            );
    } catch (error) {
      // A row named meanwhile (a chat reported again while its batch ran: the foreign key is NO ACTION): the
      // batch changed nothing; the next pass sees the new row and keeps it.
      if (isForeignKeyViolation(error)) return total;
      throw error;
    }
    total += count;
    if (count < size) return total;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

export interface ExpireOptions {
  sql: RetentionSql;
  service: RetentionWindows;
  now: Date;
  batchSize: number;
  /** Only make partitions ahead (start-up), expire nothing. */
  partitionsOnly?: boolean;
}

export async function expireData({ sql, service, now, batchSize, partitionsOnly = false }: ExpireOptions): Promise<ExpiryReport> {
  const report: ExpiryReport = { partitionsCreated: [], partitionsDropped: [], deleted: {} };
  for (const table of PARTITIONED_TABLES) report.partitionsCreated.push(...(await ensurePartitions(sql, table, now)));
  if (partitionsOnly) return report;
  const serviceCutoffs = cutoffsOf(service, now);
  report.partitionsDropped.push(...(await dropPartitionsBefore(sql, 'Decision', serviceCutoffs.events)));
  report.partitionsDropped.push(...(await dropPartitionsBefore(sql, 'InboxItem', serviceCutoffs.inboxUnread)));
  const overrides = await loadOverrides(sql);
  const organizations = await sql.query<{ id: string }>('SELECT "id" FROM "Organization" ORDER BY "id"');
  for (const { id } of organizations) {
    const cutoffs = cutoffsOf(windowsInEffect(service, overrides.get(id) ?? {}), now);
    for (const batch of BATCHES) {
      const count = await deleteInBatches(sql, batch, id, batch.cutoff(cutoffs), batchSize);
      if (count > 0) report.deleted[batch.table] = (report.deleted[batch.table] ?? 0) + count;
    }
  }
  return report;
}

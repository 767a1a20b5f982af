/**
 * Unread escalation (extension E5, rules in src/domain/unread-escalation.ts): the operator's
 * preferences, the SQL that schedules the emails together with the inbox rows, and cancellation
 * when items are read.
 *
 * Scheduling is a CTE added after the inbox sink's `inbox_items` (same statement, hot path or
 * transaction): one Delivery (EMAIL, `inboxItemId`, due N minutes later) and one Decision
 * (EMAIL, UNREAD_ESCALATION) per new inbox item whose operator asked for its event and has an
 * address. No read first, so the hot path keeps its one statement.
 */
import type { Db } from '../../db/database.js';
import type { NotificationEventKind } from '../../domain/catalog.js';
import type { QuietWindow } from '../../domain/quiet-time.js';
import { canEscalateUnread, isUnreadEscalationMinutes, unreadEscalationSendTime } from '../../domain/unread-escalation.js';
import { AppError, invalidInput, notFound } from '../../errors.js';
import type { Prisma } from '../../generated/prisma/client.js';

/** CTEs scheduling the escalations of the rows `inbox_items` (RETURNING id, operatorId, eventId, kind, organizationId) inserted. */
export function unreadEscalationCtes(): string[] {
  return [
    `unread_escalations AS (
       INSERT INTO "Delivery" ("id", "organizationId", "eventId", "channel", "operatorId", "target", "runAt", "inboxItemId", "updatedAt")
       SELECT gen_random_uuid(), i."organizationId", i."eventId", 'EMAIL', i."operatorId", btrim(o."email"),
              (now() AT TIME ZONE 'UTC') + u."minutes" * interval '1 minute', i."id", (now() AT TIME ZONE 'UTC')
         FROM inbox_items i
         JOIN "UnreadEscalationPreference" u ON u."operatorId" = i."operatorId" AND u."event" = i."kind"
         JOIN "Operator" o ON o."id" = i."operatorId" AND coalesce(btrim(o."email"), '') <> ''
       RETURNING "eventId", "operatorId")`,
    `unread_escalation_decisions AS (
       INSERT INTO "Decision" ("eventId", "operatorId", "channel", "delivered", "reason")
       SELECT "eventId", "operatorId", 'EMAIL', true, 'UNREAD_ESCALATION' FROM unread_escalations)`,
  ];
}

/**
 * Cancels the pending escalations of `operatorId`'s items that are read now (not yet claimed by a
 * worker; a claimed one re-checks before sending), and records their decisions as not delivered.
 */
export async function cancelReadEscalations(db: Db | Prisma.TransactionClient, operatorId: string): Promise<number> {
  const rows = await db.$queryRaw<{ n: bigint | number }[]>`
    WITH cancelled AS (
      UPDATE "Delivery" d SET "status" = 'CANCELLED', "updatedAt" = (now() AT TIME ZONE 'UTC')
        FROM "InboxItem" i
       WHERE d."operatorId" = ${operatorId}::uuid AND d."status" = 'PENDING' AND d."inboxItemId" IS NOT NULL
         AND (d."lockedUntil" IS NULL OR d."lockedUntil" <= (now() AT TIME ZONE 'UTC'))
         AND i."id" = d."inboxItemId" AND i."readAt" IS NOT NULL
      RETURNING d."eventId"),
    undecided AS (
      UPDATE "Decision" SET "delivered" = false
       WHERE "operatorId" = ${operatorId}::uuid AND "channel" = 'EMAIL' AND "reason" = 'UNREAD_ESCALATION'
         AND "eventId" IN (SELECT "eventId" FROM cancelled)
      RETURNING 1)
    SELECT (SELECT count(*) FROM cancelled) + 0 * (SELECT count(*) FROM undecided) AS "n"`;
  return Number(rows[0]?.n ?? 0);
}

export interface UnreadEscalationSetting {
  event: NotificationEventKind;
  minutes: number;
}

export async function listUnreadEscalations(db: Db, operatorId: string): Promise<UnreadEscalationSetting[]> {
  const rows = await db.unreadEscalationPreference.findMany({ where: { operatorId }, orderBy: { event: 'asc' } });
  return rows.map((r) => ({ event: r.event, minutes: r.minutes }));
}

/** Sets (or, with `minutes` null, clears) one operator's unread escalation of `event`; returns all of theirs. */
export async function setUnreadEscalation(
  db: Db,
  organizationId: string,
  operatorId: string,
  event: NotificationEventKind,
  minutes: number | null,
): Promise<UnreadEscalationSetting[]> {
  if (!canEscalateUnread(event)) {
    throw new AppError('CHANNEL_NOT_AVAILABLE', `${event} never reaches the inbox, so it cannot stay unread`, 'input.event');
  }
  if (minutes !== null && !isUnreadEscalationMinutes(minutes)) throw invalidInput('minutes must be 5, 15 or 60', 'input.minutes');
  const operator = await db.operator.findFirst({ where: { id: operatorId, organizationId, deletedAt: null }, select: { id: true } });
  if (operator === null) throw notFound('Operator', 'input.operatorId');
  if (minutes === null) await db.unreadEscalationPreference.deleteMany({ where: { operatorId, event } });
  else
    await db.unreadEscalationPreference.upsert({
      where: { operatorId_event: { operatorId, event } },
      create: { operatorId, event, organizationId, minutes },
      update: { minutes, updatedAt: new Date() },
    });
  return listUnreadEscalations(db, operatorId);
}

/**
 * Before a claimed escalation email is sent: still unread? (read in the meantime: CANCELLED, its
 * decision not delivered). Still due? (the quiet-time hook may move it: put back in the queue for
 * then). Answers whether to send now.
 */
export async function isUnreadEscalationDue(
  db: Db,
  delivery: { id: string; inboxItemId: string; operatorId: string | null; eventId: string },
  token: string,
): Promise<boolean> {
  const item = await db.inboxItem.findFirst({ where: { id: delivery.inboxItemId }, select: { readAt: true } });
  if (item === null || item.readAt !== null) {
    await db.$transaction([
      db.delivery.updateMany({
        where: { id: delivery.id, lockedBy: token, status: 'PENDING' },
        data: { status: 'CANCELLED', lockedBy: null, lockedUntil: null },
      }),
      db.decision.updateMany({
        where: { eventId: delivery.eventId, operatorId: delivery.operatorId, channel: 'EMAIL', reason: 'UNREAD_ESCALATION' },
        data: { delivered: false },
      }),
    ]);
    return false;
  }
  const now = new Date();
  const quiet = delivery.operatorId === null ? null : await db.operatorQuietTime.findUnique({ where: { operatorId: delivery.operatorId } });
  const sendAt = unreadEscalationSendTime(
    now,
    quiet === null
      ? null
      : { timeZone: quiet.timeZone, windows: quiet.windows as unknown as QuietWindow[], doNotDisturbUntil: quiet.doNotDisturbUntil },
  );
  if (sendAt.getTime() <= now.getTime()) return true;
  await db.delivery.updateMany({
    where: { id: delivery.id, lockedBy: token, status: 'PENDING' },
    data: { runAt: sendAt, lockedBy: null, lockedUntil: null, attempts: { decrement: 1 } },
  });
  return false;
}

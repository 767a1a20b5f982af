/**
 * acknowledgeNotifications (extension E4): a live client says what it really showed and played.
 * Cursors name the operator's own items only: an inbox position (resolved to its event through the
 * operator's inbox) or, for a sound-only item, the event carried by its cursor (accepted only when
 * the operator has a live decision for that event). Anything else is ignored, like others' ids in
 * markNotificationsRead. Flags only ever go from false to true (a second client that did not show
 * an item does not undo the first one's "shown"). An acknowledgement shown or played cancels the
 * pending escalation of that NEW_CHAT_SESSION (escalation-worker.ts says how this meets a firing).
 */
import type { Db } from '../../db/database.js';
import { statementParams } from '../ingestion/persist-happenings.js';
import { decodeItemCursor } from '../live/live-item.js';

export interface AcknowledgeResult {
  /** Distinct events acknowledged (the operator's own). */
  acknowledgedCount: number;
  /** Missed-chat escalations this acknowledgement cancelled. */
  cancelledEscalations: number;
}

async function eventsOf(prisma: Db, operatorId: string, cursors: readonly string[]): Promise<string[]> {
  const decoded = cursors.map((cursor, i) => decodeItemCursor(cursor, `cursors.${i}`));
  const seqs = decoded.filter((c) => c.eventId === null).map((c) => BigInt(c.seq));
  const named = [...new Set(decoded.flatMap((c) => (c.eventId === null ? [] : [c.eventId])))];
  const [items, decisions] = await Promise.all([
    seqs.length > 0 ? prisma.inboxItem.findMany({ where: { operatorId, seq: { in: seqs } }, select: { eventId: true, parts: true } }) : [],
    named.length > 0
      ? prisma.decision.findMany({
          where: { operatorId, eventId: { in: named }, channel: { in: ['BROWSER', 'AUDIO'] } },
          select: { eventId: true },
        })
      : [],
  ]);
  // A collapsed item (E6) acknowledges every event it stands for.
  const itemEvents = items.flatMap((i) =>
    Array.isArray(i.parts) ? (i.parts as { eventId: string }[]).map((p) => p.eventId) : [i.eventId],
  );
  return [...new Set([...itemEvents, ...decisions.map((d) => d.eventId)])];
}

export async function acknowledgeNotifications(
  prisma: Db,
  viewer: { organizationId: string; operatorId: string },
  cursors: readonly string[],
  shown: boolean,
  played: boolean,
): Promise<AcknowledgeResult> {
  const eventIds = await eventsOf(prisma, viewer.operatorId, cursors);
  if (eventIds.length === 0) return { acknowledgedCount: 0, cancelledEscalations: 0 };
  const { values, param } = statementParams();
  const events = param(`{${eventIds.join(',')}}`);
  const operator = `${param(viewer.operatorId)}::uuid`;
  const rows = await prisma.$queryRawUnsafe<{ cancelled: bigint | number }[]>(
    `WITH acks AS (
       INSERT INTO "Acknowledgement" ("operatorId", "eventId", "organizationId", "shown", "played")
       SELECT ${operator}, e, ${param(viewer.organizationId)}::uuid, ${shown ? 'true' : 'false'}, ${played ? 'true' : 'false'}
         FROM unnest(${events}::uuid[]) AS e
       ON CONFLICT ("operatorId", "eventId") DO UPDATE
         SET "shown" = "Acknowledgement"."shown" OR EXCLUDED."shown", "played" = "Acknowledgement"."played" OR EXCLUDED."played",
             "updatedAt" = (now() AT TIME ZONE 'UTC')
       RETURNING "eventId", "shown", "played"),
     cancelled AS (
       UPDATE "EscalationTimer" t SET "status" = 'CANCELLED', "outcome" = 'ACKNOWLEDGED', "settledAt" = (now() AT TIME ZONE 'UTC')
        WHERE t."status" = 'PENDING' AND t."operatorId" = ${operator}
          AND t."eventId" IN (SELECT "eventId" FROM acks WHERE "shown" OR "played")
       RETURNING 1)
     SELECT (SELECT count(*) FROM cancelled) AS "cancelled"`,
    ...values,
  );
  return { acknowledgedCount: eventIds.length, cancelledEscalations: Number(rows[0]?.cancelled ?? 0) };
}

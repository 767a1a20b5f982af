/**
 * Catch-up on return (E7): departures and returns, written beside every stored presence change
 * (live.ts wraps the presence batcher's `store` step), in one statement per stored round.
 *
 * - A change to AWAY or OFFLINE opens the operator's departure at their inbox position now
 *   (InboxCounter.lastSeq), unless one is already open (AWAY then OFFLINE: they left when they went
 *   away; only `presence` follows).
 * - A change to ONLINE closes the open departure and returns it: that is a return, published on
 *   `operator:catch-up` so open catch-up streams send their summary (catch-up-feed.ts).
 *
 * Idempotent under the batcher's retries: a departure is opened once, closed once. Locks: the
 * OperatorDeparture rows of the round only (InboxCounter is read, not locked), so it joins no
 * lock cycle of the presence or ingestion paths.
 */
import type { Db } from '../../db/database.js';
import type { PresenceValue } from '../live/presence-tracker.js';

export interface Departure {
  operatorId: string;
  presence: 'AWAY' | 'OFFLINE';
  leftAt: Date;
  lastSeq: number;
}

/** The key a stream uses to send one summary per departure. */
export const departureKey = (d: { leftAt: Date | string; lastSeq: number }) => `${new Date(d.leftAt).toISOString()}@${d.lastSeq}`;

export async function recordDeparturesAndReturns(
  prisma: Db,
  organizationId: string,
  changes: readonly { operatorId: string; presence: PresenceValue }[],
): Promise<Departure[]> {
  // In order, the last change of each operator wins (as storePresence does).
  const last = new Map<string, PresenceValue>();
  for (const { operatorId, presence } of changes) last.set(operatorId, presence);
  if (last.size === 0) return [];
  const ids = [...last.keys()].sort();
  const rows = await prisma.$queryRawUnsafe<{ operatorId: string; presence: 'AWAY' | 'OFFLINE'; leftAt: Date; lastSeq: bigint }[]>(
    `WITH wanted AS (SELECT * FROM unnest($2::uuid[], $3::"Presence"[]) AS w("id", "presence")),
          departed AS (
            INSERT INTO "OperatorDeparture" ("operatorId", "organizationId", "presence", "leftAt", "lastSeq")
            SELECT w."id", $1::uuid, w."presence", (now() AT TIME ZONE 'UTC'), COALESCE(c."lastSeq", 0)
              FROM wanted w LEFT JOIN "InboxCounter" c ON c."operatorId" = w."id"
             WHERE w."presence" <> 'ONLINE'
            ON CONFLICT ("operatorId") DO UPDATE SET
              "presence" = EXCLUDED."presence",
              "leftAt" = CASE WHEN "OperatorDeparture"."returnedAt" IS NULL THEN "OperatorDeparture"."leftAt" ELSE EXCLUDED."leftAt" END,
              "lastSeq" = CASE WHEN "OperatorDeparture"."returnedAt" IS NULL THEN "OperatorDeparture"."lastSeq" ELSE EXCLUDED."lastSeq" END,
              "returnedAt" = NULL
            RETURNING 1)
     UPDATE "OperatorDeparture" d SET "returnedAt" = (now() AT TIME ZONE 'UTC')
       FROM wanted w
      WHERE w."presence" = 'ONLINE' AND d."operatorId" = w."id" AND d."organizationId" = $1::uuid AND d."returnedAt" IS NULL
     RETURNING d."operatorId", d."presence", d."leftAt", d."lastSeq"`,
    organizationId,
    `{${ids.join(',')}}`,
    `{${ids.map((id) => last.get(id)).join(',')}}`,
  );
  return rows.map((r) => ({ operatorId: r.operatorId, presence: r.presence, leftAt: r.leftAt, lastSeq: Number(r.lastSeq) }));
}

/** The operator's open departure (they are away or offline), or null. */
export async function openDepartureOf(prisma: Db, operatorId: string): Promise<Departure | null> {
  const row = await prisma.operatorDeparture.findUnique({ where: { operatorId } });
  if (row === null || row.returnedAt !== null || row.presence === 'ONLINE') return null;
  return { operatorId, presence: row.presence, leftAt: row.leftAt, lastSeq: Number(row.lastSeq) };
}

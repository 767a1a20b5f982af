/**
 * Step 1 of a presence change (presence-batcher.ts): the presence alone, in one short statement per
 * organization and window — no event, no inbox row — so `operatorPresence` is current at once even
 * while a storm's announcements (OPERATOR_* to every other operator) are still being written.
 *
 * Lock order (load-ingestion-state.ts): it takes only Operator rows, in id order, FOR NO KEY UPDATE,
 * like every other path; it takes no chat and no inbox counter, so it cannot close a cycle.
 *
 * Recovery: `presence` ≠ `presenceAnnounced` after a restart means a stored change whose
 * announcement was lost with the process; ingestion/announce-stored-presence.ts announces it.
 */
import type { Db } from '../../db/database.js';
import type { PresenceValue } from './presence-tracker.js';

export async function storePresence(
  prisma: Db,
  organizationId: string,
  changes: readonly { operatorId: string; presence: PresenceValue }[],
): Promise<void> {
  // In order, the last change of each operator wins.
  const last = new Map<string, PresenceValue>();
  for (const { operatorId, presence } of changes) last.set(operatorId, presence);
  if (last.size === 0) return;
  const ids = [...last.keys()].sort();
  await prisma.$executeRawUnsafe(
    `WITH wanted AS (SELECT * FROM unnest($2::uuid[], $3::"Presence"[]) AS w("id", "presence")),
          locked AS MATERIALIZED (SELECT o."id" FROM "Operator" o JOIN wanted w ON w."id" = o."id"
                      WHERE o."organizationId" = $1::uuid AND o."deletedAt" IS NULL
                      ORDER BY o."id" FOR NO KEY UPDATE OF o)
     UPDATE "Operator" AS o SET "presence" = w."presence"
       FROM wanted w, locked l
      WHERE o."id" = w."id" AND l."id" = w."id" AND o."presence" IS DISTINCT FROM w."presence"`,
    organizationId,
    `{${ids.join(',')}}`,
    `{${ids.map((id) => last.get(id)).join(',')}}`,
  );
}

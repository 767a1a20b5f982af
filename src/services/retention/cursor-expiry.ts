/**
 * CURSOR_EXPIRED: a replay cursor older than the operator's oldest kept inbox item would replay
 * with a hole (the items in between expired). The stream refuses it and says where to resync:
 * `resyncAfter` replays from the oldest kept item (reload the inbox first for the rest).
 * Seqs are contiguous per operator (inbox-sink.ts), so "the item after the cursor is gone" is
 * exactly "the oldest kept seq is above cursor + 1". Read and presence items expiring before
 * unread ones leave holes the replay skips: those were seen, or mean nothing any more.
 */
import { GraphQLError } from 'graphql';
import type { Db } from '../../db/database.js';
import { encodeCursor } from '../live/live-item.js';

export async function expiredCursorError(prisma: Db, operatorId: string, afterSeq: number): Promise<GraphQLError | null> {
  const [row] = await prisma.$queryRawUnsafe<{ oldest: bigint | null; last: bigint | null }[]>(
    `SELECT (SELECT min("seq") FROM "InboxItem" WHERE "operatorId" = $1::uuid) AS "oldest",
            (SELECT "lastSeq" FROM "InboxCounter" WHERE "operatorId" = $1::uuid) AS "last"`,
    operatorId,
  );
  const last = row?.last === null || row?.last === undefined ? 0 : Number(row.last);
  if (afterSeq >= last) return null;
  const oldest = row?.oldest === null || row?.oldest === undefined ? null : Number(row.oldest);
  // Nothing kept: everything after the cursor expired; resume from the newest.
  const resyncAfter = oldest === null ? last : oldest - 1;
  if (afterSeq >= resyncAfter) return null;
  return new GraphQLError(
    'CURSOR_EXPIRED: the items after this cursor are past the retention window; reload the inbox and resubscribe with `after: resyncAfter`',
    { extensions: { code: 'CURSOR_EXPIRED', resyncAfter: encodeCursor(resyncAfter) } },
  );
}

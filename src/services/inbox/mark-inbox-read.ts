/**
 * Marking inbox items read, and telling the operator's other tabs and devices: every change is
 * published on `operator:inbox-read` (through Redis when configured, so every instance's
 * `inboxReadState` subscribers hear it), with the unread count after it.
 */
import type { Db } from '../../db/database.js';
import type { PubSub } from '../../pubsub.js';
import { cancelReadEscalations } from '../attention/unread-escalations.js';

export interface InboxReadChange {
  /** Inbox item ids now read; empty when `allRead`. */
  readIds: string[];
  /** Every item of the inbox was marked read. */
  allRead: boolean;
  /** Unread items after the change. */
  unreadCount: number;
}

/** Marks `ids` (null: every item) of the operator read; publishes the change when anything changed. */
export async function markInboxRead(
  prisma: Db,
  pubsub: PubSub | undefined,
  operatorId: string,
  ids: string[] | null,
): Promise<{ updatedCount: number; unreadCount: number }> {
  const { count } = await prisma.inboxItem.updateMany({
    where: { operatorId, readAt: null, ...(ids ? { id: { in: ids } } : {}) },
    data: { readAt: new Date() },
  });
  // Attention (E5): reading an item cancels its pending unread-escalation email.
  if (count > 0) await cancelReadEscalations(prisma, operatorId);
  const unreadCount = await prisma.inboxItem.count({ where: { operatorId, readAt: null } });
  if (count > 0) pubsub?.publish('operator:inbox-read', operatorId, { readIds: ids ?? [], allRead: ids === null, unreadCount });
  return { updatedCount: count, unreadCount };
}

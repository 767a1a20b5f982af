/**
 * The operator's unread inbox items about chats, grouped by chat with counts per event (extension
 * E6), in one grouped query (InboxItem's (operatorId, readAt) index).
 */
import type { Db } from '../../db/database.js';
import type { NotificationEventKind } from '../../domain/catalog.js';

export interface UnreadChatGroup {
  chatId: string;
  unreadCount: number;
  events: { event: NotificationEventKind; count: number }[];
  latestAt: Date;
}

const MAX_CHATS = 100;

export async function unreadByChat(prisma: Db, operatorId: string): Promise<UnreadChatGroup[]> {
  const rows = await prisma.inboxItem.groupBy({
    by: ['chatExternalId', 'kind'],
    where: { operatorId, readAt: null, chatExternalId: { not: null } },
    _count: { _all: true },
    _max: { createdAt: true },
  });
  const chats = new Map<string, UnreadChatGroup>();
  for (const row of rows) {
    const chatId = row.chatExternalId ?? '';
    const group = chats.get(chatId) ?? { chatId, unreadCount: 0, events: [], latestAt: new Date(0) };
    group.unreadCount += row._count._all;
    group.events.push({ event: row.kind, count: row._count._all });
    const latest = row._max.createdAt ?? group.latestAt;
    if (latest > group.latestAt) group.latestAt = latest;
    chats.set(chatId, group);
  }
  const groups = [...chats.values()].sort((a, b) => b.latestAt.getTime() - a.latestAt.getTime()).slice(0, MAX_CHATS);
  for (const g of groups) g.events.sort((a, b) => b.count - a.count || a.event.localeCompare(b.event));
  return groups;
}

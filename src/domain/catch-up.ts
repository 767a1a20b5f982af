/**
 * Catch-up on return (extension E7): the summary an operator's stream sends first when they come
 * back — the unread inbox items that arrived since they left, per chat and event, with where to
 * replay them from. Pure: grouped counts in, summary out.
 *
 * Decisions (where E7 is silent): "since they left" is the operator's inbox position when their
 * presence left ONLINE (stored with the change); an item counts once, under its first event, as in
 * `inboxUnreadByChat` (a collapsed item is one item); items about no chat (colleagues' presence,
 * system messages, widget changes) form one group whose `chatId` is null, so the counts add up to
 * what a replay gives; chats come newest first, at most 100 of them (`unreadCount` still counts
 * every item); the summary is sent even when nothing arrived.
 */
import type { NotificationEventKind } from './catalog.js';

/** Chats a summary lists at most (as inboxUnreadByChat): a weekend away must not make a huge item. */
export const CATCH_UP_MAX_CHATS = 100;

/** One (chat, event) group of unread items after the departure, as the inbox query returns it. */
export interface CatchUpRow {
  chatId: string | null;
  kind: NotificationEventKind;
  count: number;
  firstSeq: number;
  latestAt: Date;
}

export interface CatchUpChat {
  /** The integrator's chat id; null for the items about no chat. */
  chatId: string | null;
  unreadCount: number;
  /** Per event, most frequent first. */
  events: { event: NotificationEventKind; count: number }[];
  /** Replay this chat's items from here (the position just before its first one). */
  afterSeq: number;
  latestAt: Date;
}

export interface CatchUpSummary {
  /** What they had left to. */
  presence: 'AWAY' | 'OFFLINE';
  leftAt: Date;
  /** Replay everything counted from here (the position when they left)... */
  afterSeq: number;
  /** ...up to and including this one (the last position when the summary was made). */
  throughSeq: number;
  unreadCount: number;
  chats: CatchUpChat[];
}

export function summarizeCatchUp(
  departure: { presence: 'AWAY' | 'OFFLINE'; leftAt: Date; lastSeq: number },
  throughSeq: number,
  rows: readonly CatchUpRow[],
): CatchUpSummary {
  const chats = new Map<string | null, CatchUpChat>();
  for (const row of rows) {
    const chat = chats.get(row.chatId) ?? {
      chatId: row.chatId,
      unreadCount: 0,
      events: [],
      afterSeq: row.firstSeq - 1,
      latestAt: row.latestAt,
    };
    chat.unreadCount += row.count;
    chat.events.push({ event: row.kind, count: row.count });
    chat.afterSeq = Math.min(chat.afterSeq, row.firstSeq - 1);
    if (row.latestAt > chat.latestAt) chat.latestAt = row.latestAt;
    chats.set(row.chatId, chat);
  }
  const list = [...chats.values()];
  for (const chat of list) chat.events.sort((a, b) => b.count - a.count || a.event.localeCompare(b.event));
  // Chats newest first; the items about no chat last (they are the least urgent).
  list.sort((a, b) => (a.chatId === null ? 1 : 0) - (b.chatId === null ? 1 : 0) || b.latestAt.getTime() - a.latestAt.getTime());
  return {
    presence: departure.presence,
    leftAt: departure.leftAt,
    afterSeq: departure.lastSeq,
    throughSeq: Math.max(throughSeq, departure.lastSeq),
    unreadCount: list.reduce((sum, chat) => sum + chat.unreadCount, 0),
    chats: list.slice(0, CATCH_UP_MAX_CHATS),
  };
}

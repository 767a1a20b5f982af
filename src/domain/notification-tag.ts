/**
 * The `tag` of a live notification (extension E6): what a browser's Notification API uses to replace
 * the previous notification of the same thing instead of stacking a new one. One tag per chat and
 * kind of activity (decision: three kinds — the session itself: new, forwarded, finished, missed;
 * its messages; what visitors say about it: ratings, feedback, surveys, goals) and per widget for
 * its changes; everything else (presence, offline messages, system messages) stands alone, since
 * replacing one would hide another. Built from what the inbox keeps, so a replayed item has the
 * same tag as when it was live.
 */
import type { NotificationEventKind } from './catalog.js';

type Activity = 'session' | 'messages' | 'feedback';

const CHAT_ACTIVITY: Partial<Record<NotificationEventKind, Activity>> = {
  NEW_CHAT_SESSION: 'session',
  ALL_NEW_CHAT_SESSIONS: 'session',
  ALL_FORWARDED_CHAT_SESSIONS: 'session',
  ALL_FINISHED_CHAT_SESSIONS: 'session',
  CHAT_NOT_ACKNOWLEDGED: 'session',
  FIRST_MESSAGE_RECEIVED: 'messages',
  MESSAGE_RECEIVED: 'messages',
  MESSAGE_SENT: 'messages',
  ALL_CHAT_RATINGS: 'feedback',
  ALL_CHAT_FEEDBACK: 'feedback',
  ALL_CHAT_SURVEYS: 'feedback',
  ALL_CHAT_GOALS: 'feedback',
};

export interface TaggedItem {
  kind: NotificationEventKind;
  eventId: string;
  /** The integrator's chat id. */
  chatExternalId: string | null;
  widgetId: string | null;
}

export function notificationTag(item: TaggedItem): string {
  const activity = CHAT_ACTIVITY[item.kind];
  if (activity !== undefined && item.chatExternalId !== null) return `chat:${item.chatExternalId}:${activity}`;
  if (item.kind === 'WIDGET_CHANGED' && item.widgetId !== null) return `widget:${item.widgetId}:changed`;
  return `event:${item.eventId}`;
}

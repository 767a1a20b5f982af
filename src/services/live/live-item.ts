/**
 * The live notification as it travels from the inbox sink to the streams (JSON-safe: it may cross
 * Redis), what a stream emits for it, and the opaque replay cursor.
 */
import type { NotificationEventKind } from '../../domain/catalog.js';
import { AppError } from '../../errors.js';

export interface LiveItem {
  /** The operator's inbox position; null when the item is not in the inbox (stored BROWSER decision opted out). */
  seq: number | null;
  inboxItemId: string | null;
  eventId: string;
  kind: NotificationEventKind;
  chatId: string | null;
  chatExternalId: string | null;
  widgetId: string | null;
  title: string;
  body: string;
  /** Browser candidate (decide-live-delivery.ts): the stream's BROWSER preference decides. */
  browser: boolean;
  /** The sound when the item is an audio candidate: the stream's AUDIO preference decides. */
  sound: string | null;
  /** ISO time of the event. */
  createdAt: string;
  /** Channels locked REQUIRED for this operator (admin locks); absent when none. */
  required?: { browser: boolean; audio: boolean };
}

export interface StreamedNotification {
  item: LiveItem;
  showNotification: boolean;
  playSound: boolean;
  /** Sent from the inbox because the stream asked for everything after its cursor. */
  replayed: boolean;
  /** Resume after this item: pass it as `after` when reconnecting. */
  cursor: string;
}

const PREFIX = 'inbox:';

export function encodeCursor(seq: number): string {
  return Buffer.from(`${PREFIX}${seq}`).toString('base64url');
}

/** The inbox seq a cursor stands for; a malformed cursor is an INVALID_INPUT on `field`. */
export function decodeCursor(cursor: string, field = 'after'): number {
  const raw = Buffer.from(cursor, 'base64url').toString();
  const seq = raw.startsWith(PREFIX) ? Number(raw.slice(PREFIX.length)) : Number.NaN;
  if (!Number.isSafeInteger(seq) || seq < 0) throw new AppError('INVALID_INPUT', 'Not a notification cursor', field);
  return seq;
}

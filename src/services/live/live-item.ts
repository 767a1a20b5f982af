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
  /**
   * Attention (E6): every event this one item stands for when one happening raised several for
   * the operator (the first is `kind`/`eventId`); absent for a single event.
   */
  parts?: LivePart[];
  /** Channels locked REQUIRED for this operator (admin locks); absent when none. */
  required?: { browser: boolean; audio: boolean };
}

/** One event of a collapsed item, with its own candidacy (a stream's preferences are per event). */
export interface LivePart {
  kind: NotificationEventKind;
  eventId: string;
  browser: boolean;
  sound: string | null;
}

type RequiredChannels = NonNullable<LiveItem['required']>;

/** One part as the inbox keeps it (`InboxItem.parts`): the first may carry the item's admin lock. */
type StoredPart = LivePart & { required?: RequiredChannels };

/**
 * What the inbox keeps in `parts`: the parts of a collapsed item (E6), and, when a channel is
 * locked REQUIRED (E1), the lock on the first part (a single event then has a one-part list), so a
 * replayed item is shown and played exactly as the live one was. Null otherwise.
 */
export function storedParts(item: LiveItem): StoredPart[] | null {
  if (item.required === undefined) return item.parts ?? null;
  const [first, ...rest] = partsOf(item);
  return first === undefined ? null : [{ ...first, required: item.required }, ...rest];
}

/** The inverse of storedParts: the item's `parts` (collapsed only) and `required`. */
export function fromStoredParts(stored: unknown): Pick<LiveItem, 'parts' | 'required'> {
  if (!Array.isArray(stored) || stored.length === 0) return {};
  const parts = (stored as StoredPart[]).map(({ required: _, ...part }) => part);
  const required = (stored as StoredPart[])[0]?.required;
  return { ...(parts.length > 1 ? { parts } : {}), ...(required === undefined ? {} : { required }) };
}

/** The parts of an item: its own event alone unless it was collapsed. */
export const partsOf = (item: LiveItem): LivePart[] =>
  item.parts ?? [{ kind: item.kind, eventId: item.eventId, browser: item.browser, sound: item.sound }];

export interface StreamedNotification {
  item: LiveItem;
  showNotification: boolean;
  playSound: boolean;
  /** The sound to play when `playSound`: the one this stream's operator chose for the event, else the item's. */
  sound: string | null;
  /** Sent from the inbox because the stream asked for everything after its cursor. */
  replayed: boolean;
  /** Resume after this item: pass it as `after` when reconnecting. */
  cursor: string;
}

const PREFIX = 'inbox:';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The cursor of an inbox position. An item that is not in the inbox (sound only) also names its
 * event after `@`, so that acknowledgeNotifications (extension E4) can tell which item was played;
 * replaying after it is replaying after the seq, as before.
 */
export function encodeCursor(seq: number, eventId: string | null = null): string {
  // ASCII only (digits, a UUID): latin1 skips the UTF-8 length scan, per item of a fan-out.
  return Buffer.from(`${PREFIX}${seq}${eventId === null ? '' : `@${eventId}`}`, 'latin1').toString('base64url');
}

/** The inbox seq and, for an item not in the inbox, the event a cursor stands for; malformed: INVALID_INPUT on `field`. */
export function decodeItemCursor(cursor: string, field = 'after'): { seq: number; eventId: string | null } {
  const raw = Buffer.from(cursor, 'base64url').toString();
  const [position = '', eventId = null, ...rest] = raw.startsWith(PREFIX) ? raw.slice(PREFIX.length).split('@') : [];
  const seq = position === '' ? Number.NaN : Number(position);
  if (!Number.isSafeInteger(seq) || seq < 0 || rest.length > 0 || (eventId !== null && !UUID.test(eventId))) {
    throw new AppError('INVALID_INPUT', 'Not a notification cursor', field);
  }
  return { seq, eventId };
}

/** The inbox seq a cursor stands for; a malformed cursor is an INVALID_INPUT on `field`. */
export function decodeCursor(cursor: string, field = 'after'): number {
  return decodeItemCursor(cursor, field).seq;
}

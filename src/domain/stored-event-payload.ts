/**
 * How an event's payload is stored (issue 15, bytes per message): without the copies the row's own
 * columns and its chat already hold. A chat event's payload (derive-events.ts) repeats the chat's
 * external id and visitor (Chat.externalId, visitorName, visitorEmail: set when the chat starts,
 * never changed after, nulled together by eraseVisitorData), its operator (the event's
 * subjectOperatorId) and the widget's "same group only" option (false for almost every widget);
 * stored once per event, those were a third of the event row. `compactEventPayload` drops a key only
 * when `eventPayloadOf` gives the same value back, so every reader sees the payload as derived.
 * Rows stored before keep their full payload: a key present in the stored payload always wins.
 * Pure.
 */

/** The columns of the stored event that stand in for payload keys. */
export interface StoredEventColumns {
  chatId: string | null;
  widgetId: string | null;
  subjectOperatorId: string | null;
}

/** The event's chat as stored (null when the event is about no chat, or the chat is unknown). */
export interface StoredEventChat {
  externalId: string;
  visitorName: string | null;
  visitorEmail: string | null;
}

type Payload = Record<string, unknown>;

/** The keys a stored payload may leave out, with the value they stand for. */
function implied(event: StoredEventColumns, chat: StoredEventChat | null): Payload {
  const values: Payload = { widgetEmailSameGroupOnly: event.widgetId === null ? null : false };
  if (event.chatId !== null && chat !== null) {
    values.chatExternalId = chat.externalId;
    values.chatOperatorId = event.subjectOperatorId;
    values.visitorName = chat.visitorName;
    values.visitorEmail = chat.visitorEmail;
  }
  return values;
}

/** The payload to store: `payload` without the keys `eventPayloadOf` restores from `event` and `chat`. */
export function compactEventPayload(payload: Readonly<Payload>, event: StoredEventColumns, chat: StoredEventChat | null): Payload {
  const defaults = implied(event, chat);
  const stored: Payload = {};
  for (const [key, value] of Object.entries(payload)) {
    if (key in defaults && defaults[key] === (value ?? null)) continue;
    stored[key] = value;
  }
  return stored;
}

/** The event's payload as derived: the stored keys, and the implied ones it left out. */
export function eventPayloadOf(stored: unknown, event: StoredEventColumns, chat: StoredEventChat | null): Payload {
  const payload = typeof stored === 'object' && stored !== null && !Array.isArray(stored) ? (stored as Payload) : {};
  return { ...implied(event, chat), ...payload };
}

/** The stored event's chat as a Prisma select reads it (`chat: { select: STORED_EVENT_CHAT }`). */
export const STORED_EVENT_CHAT = { externalId: true, visitorName: true, visitorEmail: true } as const;

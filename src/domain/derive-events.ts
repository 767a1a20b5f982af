/**
 * From what happened to the notification events it raises ("Events" in notification-rules.md).
 *
 * A happening is reported by an integrator (or raised by the service) and refers to a chat by the
 * integrator's own id; the service keeps the chat's state (widget, operator, whether a visitor
 * message was already seen, whether it is finished) and this module derives, from the happening
 * and that state, the events to raise with their subject, widget and rendering payload, plus the
 * chat's (or operator's) new state:
 *   CHAT_STARTED      → NEW_CHAT_SESSION (subject: the receiver) + ALL_NEW_CHAT_SESSIONS (same subject,
 *                       the audience is everyone else)
 *   VISITOR_MESSAGE   → FIRST_MESSAGE_RECEIVED + MESSAGE_RECEIVED on the chat's first visitor message
 *                       (once per chat), MESSAGE_RECEIVED afterwards
 *   OPERATOR_MESSAGE  → MESSAGE_SENT;  CHAT_FORWARDED → ALL_FORWARDED_CHAT_SESSIONS (the chat moves)
 *   CHAT_RATED / FEEDBACK_GIVEN / SURVEY_ANSWERED / GOAL_REACHED → ALL_CHAT_RATINGS / _FEEDBACK / _SURVEYS / _GOALS
 *   CHAT_FINISHED     → ALL_FINISHED_CHAT_SESSIONS (the chat is finished)
 *   OFFLINE_MESSAGE   → ALL_OFFLINE_MESSAGES (through its widget, no chat)
 *   PRESENCE_CHANGED  → OFFLINE→ONLINE: OPERATOR_ONLINE, AWAY→ONLINE: OPERATOR_BACK, →AWAY: OPERATOR_AWAY,
 *                       →OFFLINE: OPERATOR_OFFLINE; no change raises nothing
 *   SYSTEM_MESSAGE, WIDGET_CHANGED, ANALYTICS_DAILY → the event of the same name
 *   CHAT_NOT_ACKNOWLEDGED (E4, raised by the service) → CHAT_NOT_ACKNOWLEDGED, subject: the chat's operator
 * Refusals: a chat happening on an unknown chat (NOT_FOUND), starting a chat id already used
 * (CHAT_ALREADY_STARTED), anything but a rating, feedback or survey on a finished chat
 * (CHAT_FINISHED; decision: visitors rate and answer post-chat surveys after the chat ends).
 */
import { AppError } from '../errors.js';
import type { NotificationEventKind } from './catalog.js';

export type Presence = 'ONLINE' | 'AWAY' | 'OFFLINE';
type Key = { idempotencyKey?: string | null };

export type HappeningInput =
  | ({
      kind: 'CHAT_STARTED';
      chatId: string;
      widgetId: string;
      operatorId: string;
      visitorName?: string | null;
      visitorEmail?: string | null;
    } & Key)
  | ({ kind: 'VISITOR_MESSAGE'; chatId: string; text: string } & Key)
  | ({ kind: 'OPERATOR_MESSAGE'; chatId: string; text: string } & Key)
  | ({ kind: 'CHAT_FORWARDED'; chatId: string; toOperatorId: string } & Key)
  | ({ kind: 'CHAT_RATED'; chatId: string; rating: number; comment?: string | null } & Key)
  | ({ kind: 'FEEDBACK_GIVEN'; chatId: string; text: string } & Key)
  | ({ kind: 'SURVEY_ANSWERED'; chatId: string; answers: { question: string; answer: string }[] } & Key)
  | ({ kind: 'GOAL_REACHED'; chatId: string; goal: string } & Key)
  | ({
      kind: 'CHAT_FINISHED';
      chatId: string;
      summary?: string | null;
      transcript?: { from: 'VISITOR' | 'OPERATOR'; text: string; at?: Date | null }[] | null;
    } & Key)
  | ({ kind: 'OFFLINE_MESSAGE'; widgetId: string; visitorName?: string | null; visitorEmail?: string | null; text: string } & Key)
  | ({ kind: 'PRESENCE_CHANGED'; operatorId: string; presence: Presence } & Key)
  | ({ kind: 'SYSTEM_MESSAGE'; title: string; body: string } & Key)
  | ({ kind: 'WIDGET_CHANGED'; widgetId: string; changes: { field: string; from: unknown; to: unknown }[] } & Key)
  | ({ kind: 'ANALYTICS_DAILY'; day: string; figures: Record<string, number | null> } & Key)
  // Extension E4: raised by the service's escalation worker, never reported by integrators.
  | ({ kind: 'CHAT_NOT_ACKNOWLEDGED'; chatId: string } & Key);

export type HappeningKind = HappeningInput['kind'];
export type ChatHappening = Extract<HappeningInput, { chatId: string }>;

export interface ChatState {
  /** The service's own id of the chat. */
  id: string;
  /** The integrator's id of the chat. */
  externalId: string;
  widgetId: string;
  operatorId: string | null;
  visitorName: string | null;
  visitorEmail: string | null;
  firstVisitorMessageAt: Date | null;
  finishedAt: Date | null;
}

export interface DerivedEvent {
  kind: NotificationEventKind;
  subjectOperatorId: string | null;
  widgetId: string | null;
  /** The service's chat id, when the event is about a chat. */
  chatId: string | null;
  payload: Record<string, unknown>;
}

export interface Derivation {
  events: DerivedEvent[];
  /** The chat's state after the happening; null when the happening is about no chat. */
  chat: ChatState | null;
  /** The operator's new presence, when it changed. */
  presence: { operatorId: string; presence: Presence } | null;
}

export interface DeriveContext {
  /** The chat the happening names (by `chatId`), as it stands; null when unknown or not a chat happening. */
  chat: ChatState | null;
  /** For PRESENCE_CHANGED: the operator's presence before the change. */
  presenceBefore?: Presence;
  /** For CHAT_STARTED: the id the new chat gets. */
  newChatId?: string;
  now: Date;
}

/** Happenings still accepted once a chat is finished. */
const AFTER_FINISH: ReadonlySet<HappeningKind> = new Set(['CHAT_RATED', 'FEEDBACK_GIVEN', 'SURVEY_ANSWERED']);

export function isChatHappening(happening: HappeningInput): happening is ChatHappening {
  return 'chatId' in happening;
}

/** Derives the events one happening raises, or throws the AppError refusing it (`field` relative to the happening). */
export function deriveEvents(happening: HappeningInput, context: DeriveContext): Derivation {
  if (!isChatHappening(happening)) return deriveChatless(happening, context);
  if (happening.kind === 'CHAT_STARTED') return deriveChatStarted(happening, context);
  const chat = context.chat;
  if (chat === null) throw new AppError('NOT_FOUND', `No chat "${happening.chatId}" was started in this organization`, 'chatId');
  if (chat.finishedAt !== null && !AFTER_FINISH.has(happening.kind)) {
    throw new AppError('CHAT_FINISHED', `Chat "${chat.externalId}" is finished`, 'chatId');
  }
  return deriveInChat(happening, chat, context.now);
}

function chatEvent(
  kind: NotificationEventKind,
  chat: ChatState,
  details: Record<string, unknown>,
  subject = chat.operatorId,
): DerivedEvent {
  return {
    kind,
    subjectOperatorId: subject,
    widgetId: chat.widgetId,
    chatId: chat.id,
    payload: {
      chatExternalId: chat.externalId,
      chatOperatorId: chat.operatorId,
      visitorName: chat.visitorName,
      visitorEmail: chat.visitorEmail,
      ...details,
    },
  };
}

function deriveChatStarted(happening: Extract<HappeningInput, { kind: 'CHAT_STARTED' }>, context: DeriveContext): Derivation {
  if (context.chat !== null) throw new AppError('CHAT_ALREADY_STARTED', `Chat "${happening.chatId}" was already started`, 'chatId');
  if (context.newChatId === undefined) throw new Error('deriveEvents: CHAT_STARTED needs context.newChatId');
  const chat: ChatState = {
    id: context.newChatId,
    externalId: happening.chatId,
    widgetId: happening.widgetId,
    operatorId: happening.operatorId,
    visitorName: happening.visitorName ?? null,
    visitorEmail: happening.visitorEmail ?? null,
    firstVisitorMessageAt: null,
    finishedAt: null,
  };
  return {
    events: [chatEvent('NEW_CHAT_SESSION', chat, {}), chatEvent('ALL_NEW_CHAT_SESSIONS', chat, {})],
    chat,
    presence: null,
  };
}

function deriveInChat(happening: Exclude<ChatHappening, { kind: 'CHAT_STARTED' }>, chat: ChatState, now: Date): Derivation {
  const result = (events: DerivedEvent[], next: ChatState = chat): Derivation => ({ events, chat: next, presence: null });
  switch (happening.kind) {
    case 'VISITOR_MESSAGE': {
      const message = chatEvent('MESSAGE_RECEIVED', chat, { text: happening.text });
      if (chat.firstVisitorMessageAt !== null) return result([message]);
      return result([chatEvent('FIRST_MESSAGE_RECEIVED', chat, { text: happening.text }), message], {
        ...chat,
        firstVisitorMessageAt: now,
      });
    }
    case 'OPERATOR_MESSAGE':
      return result([chatEvent('MESSAGE_SENT', chat, { text: happening.text })]);
    case 'CHAT_FORWARDED': {
      const moved = { ...chat, operatorId: happening.toOperatorId };
      const details = { fromOperatorId: chat.operatorId, toOperatorId: happening.toOperatorId };
      return result([chatEvent('ALL_FORWARDED_CHAT_SESSIONS', moved, details)], moved);
    }
    case 'CHAT_RATED':
      return result([chatEvent('ALL_CHAT_RATINGS', chat, { rating: happening.rating, comment: happening.comment ?? null })]);
    case 'FEEDBACK_GIVEN':
      return result([chatEvent('ALL_CHAT_FEEDBACK', chat, { text: happening.text })]);
    case 'SURVEY_ANSWERED':
      return result([chatEvent('ALL_CHAT_SURVEYS', chat, { answers: happening.answers })]);
    case 'GOAL_REACHED':
      return result([chatEvent('ALL_CHAT_GOALS', chat, { goal: happening.goal })]);
    case 'CHAT_NOT_ACKNOWLEDGED':
      return result([chatEvent('CHAT_NOT_ACKNOWLEDGED', chat, {})]);
    case 'CHAT_FINISHED': {
      const transcript = happening.transcript?.map((line) => ({ ...line, at: line.at?.toISOString() ?? null })) ?? null;
      const finished = { ...chat, finishedAt: now };
      return result([chatEvent('ALL_FINISHED_CHAT_SESSIONS', finished, { summary: happening.summary ?? null, transcript })], finished);
    }
  }
}

const PRESENCE_EVENTS: Readonly<Record<`${Presence}>${Presence}`, NotificationEventKind | null>> = {
  'OFFLINE>ONLINE': 'OPERATOR_ONLINE',
  'AWAY>ONLINE': 'OPERATOR_BACK',
  'ONLINE>AWAY': 'OPERATOR_AWAY',
  // Decision: signing in straight to "away" is going away.
  'OFFLINE>AWAY': 'OPERATOR_AWAY',
  'ONLINE>OFFLINE': 'OPERATOR_OFFLINE',
  'AWAY>OFFLINE': 'OPERATOR_OFFLINE',
  'ONLINE>ONLINE': null,
  'AWAY>AWAY': null,
  'OFFLINE>OFFLINE': null,
};

function deriveChatless(happening: Exclude<HappeningInput, ChatHappening>, context: DeriveContext): Derivation {
  const only = (event: Omit<DerivedEvent, 'chatId'>): Derivation => ({ events: [{ ...event, chatId: null }], chat: null, presence: null });
  switch (happening.kind) {
    case 'PRESENCE_CHANGED': {
      const before = context.presenceBefore;
      if (before === undefined) throw new Error('deriveEvents: PRESENCE_CHANGED needs context.presenceBefore');
      const kind = PRESENCE_EVENTS[`${before}>${happening.presence}`];
      if (kind === null) return { events: [], chat: null, presence: null };
      const payload = { operatorId: happening.operatorId, presence: happening.presence, previousPresence: before };
      return {
        events: [{ kind, subjectOperatorId: happening.operatorId, widgetId: null, chatId: null, payload }],
        chat: null,
        presence: { operatorId: happening.operatorId, presence: happening.presence },
      };
    }
    case 'OFFLINE_MESSAGE':
      return only({
        kind: 'ALL_OFFLINE_MESSAGES',
        subjectOperatorId: null,
        widgetId: happening.widgetId,
        payload: { visitorName: happening.visitorName ?? null, visitorEmail: happening.visitorEmail ?? null, text: happening.text },
      });
    case 'SYSTEM_MESSAGE':
      return only({
        kind: 'SYSTEM_MESSAGE',
        subjectOperatorId: null,
        widgetId: null,
        payload: { title: happening.title, body: happening.body },
      });
    case 'WIDGET_CHANGED':
      return only({
        kind: 'WIDGET_CHANGED',
        subjectOperatorId: null,
        widgetId: happening.widgetId,
        payload: { changes: happening.changes },
      });
    case 'ANALYTICS_DAILY':
      return only({
        kind: 'ANALYTICS_DAILY',
        subjectOperatorId: null,
        widgetId: null,
        payload: { day: happening.day, figures: happening.figures },
      });
  }
}

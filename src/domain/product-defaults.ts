/**
 * Shipped defaults of operators' notification preferences: what an operator gets for an
 * (event, channel) pair they never touched. Only available pairs have a default; the others are
 * always off.
 *
 * Why these:
 * - Browser is where operators work, so it is on for what asks for attention or keeps the team
 *   aware: colleagues' presence, chats and visitor messages of one's own, new and forwarded chats
 *   of the team, offline messages (someone must follow up), ratings (rare, and people want them),
 *   system messages and widget changes (rare and important). It is off for one's own messages
 *   (`MESSAGE_SENT`: you know you sent it) and for the high-volume firehoses of others' chat
 *   activity (feedback, surveys, goals, finished chats), which analytics summarises better.
 * - Audio interrupts, so it is on only for what needs the operator's reaction now: a chat they
 *   receive and visitor messages in their chats. Team-wide sounds would ring for every colleague.
 * - Email is read later, so it is on for what outlives the session: offline messages (nobody was
 *   online to answer), system messages, the daily analytics (email only) and widget changes (an
 *   audit trail). One email per finished chat per operator would flood inboxes: off.
 * - A missed chat (`CHAT_NOT_ACKNOWLEDGED`, extension E4) is rare and exactly what must not be
 *   missed again: on for browser, audio and email.
 */
import { isChannelAvailable, NOTIFICATION_EVENTS, type NotificationEventKind, OPERATOR_CHANNELS, type OperatorChannel } from './catalog.js';

const ON_BY_DEFAULT: Readonly<Record<OperatorChannel, ReadonlySet<NotificationEventKind>>> = {
  BROWSER: new Set<NotificationEventKind>([
    'OPERATOR_ONLINE',
    'OPERATOR_AWAY',
    'OPERATOR_BACK',
    'OPERATOR_OFFLINE',
    'NEW_CHAT_SESSION',
    'ALL_NEW_CHAT_SESSIONS',
    'FIRST_MESSAGE_RECEIVED',
    'MESSAGE_RECEIVED',
    'ALL_FORWARDED_CHAT_SESSIONS',
    'ALL_CHAT_RATINGS',
    'ALL_OFFLINE_MESSAGES',
    'SYSTEM_MESSAGE',
    'WIDGET_CHANGED',
    'CHAT_NOT_ACKNOWLEDGED',
  ]),
  AUDIO: new Set<NotificationEventKind>(['NEW_CHAT_SESSION', 'FIRST_MESSAGE_RECEIVED', 'MESSAGE_RECEIVED', 'CHAT_NOT_ACKNOWLEDGED']),
  EMAIL: new Set<NotificationEventKind>([
    'ALL_OFFLINE_MESSAGES',
    'SYSTEM_MESSAGE',
    'ANALYTICS_DAILY',
    'WIDGET_CHANGED',
    'CHAT_NOT_ACKNOWLEDGED',
  ]),
};

export function productDefaultPreference(kind: NotificationEventKind, channel: OperatorChannel): boolean {
  return isChannelAvailable(kind, channel) && ON_BY_DEFAULT[channel].has(kind);
}

/** The default preferences for one event, in the shape the decision engine takes. */
export function productDefaultPreferencesFor(kind: NotificationEventKind): Readonly<Record<OperatorChannel, boolean>> {
  return {
    BROWSER: productDefaultPreference(kind, 'BROWSER'),
    AUDIO: productDefaultPreference(kind, 'AUDIO'),
    EMAIL: productDefaultPreference(kind, 'EMAIL'),
  };
}

export interface DefaultPreference {
  readonly event: NotificationEventKind;
  readonly channel: OperatorChannel;
  readonly enabled: boolean;
}

/** One entry per available (event, operator channel) pair, in catalog order. */
export const PRODUCT_DEFAULT_PREFERENCES: readonly DefaultPreference[] = Object.freeze(
  NOTIFICATION_EVENTS.flatMap((event) =>
    OPERATOR_CHANNELS.filter((channel) => isChannelAvailable(event, channel)).map((channel) =>
      Object.freeze({ event, channel, enabled: productDefaultPreference(event, channel) }),
    ),
  ),
);

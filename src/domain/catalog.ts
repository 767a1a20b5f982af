/**
 * The notification event catalog: the event table of notification-rules.md ("Events").
 *
 * For every event it says who its audience is, on which channels it can be delivered at all,
 * and which widget switches mute it. Addon kinds and the events each kind supports live here too,
 * since they are the addon column of the same table. Every other rule reads these facts from here.
 */

export const NOTIFICATION_EVENTS = [
  'OPERATOR_ONLINE',
  'OPERATOR_AWAY',
  'OPERATOR_BACK',
  'OPERATOR_OFFLINE',
  'NEW_CHAT_SESSION',
  'ALL_NEW_CHAT_SESSIONS',
  'FIRST_MESSAGE_RECEIVED',
  'MESSAGE_RECEIVED',
  'MESSAGE_SENT',
  'ALL_FORWARDED_CHAT_SESSIONS',
  'ALL_CHAT_RATINGS',
  'ALL_CHAT_FEEDBACK',
  'ALL_CHAT_SURVEYS',
  'ALL_CHAT_GOALS',
  'ALL_FINISHED_CHAT_SESSIONS',
  'ALL_OFFLINE_MESSAGES',
  'SYSTEM_MESSAGE',
  'ANALYTICS_DAILY',
  'WIDGET_CHANGED',
  'CHAT_NOT_ACKNOWLEDGED',
] as const;
export type NotificationEventKind = (typeof NOTIFICATION_EVENTS)[number];

export const OPERATOR_CHANNELS = ['BROWSER', 'AUDIO', 'EMAIL'] as const;
export type OperatorChannel = (typeof OPERATOR_CHANNELS)[number];
export type Channel = OperatorChannel | 'ADDON';
export const CHANNELS: readonly Channel[] = Object.freeze([...OPERATOR_CHANNELS, 'ADDON'] as const);

/** The three switches of a chat widget; each one can mute some events on its channel. */
export type WidgetSwitch = 'email' | 'browser' | 'addons';

/**
 * Who an event is for; the "subject" is the receiver, the chat's operator or the operator whose presence changed.
 * `ESCALATION` (E4): the widget group's online operators (every online operator when the widget has
 * no group) and the admins, fixed when the event is raised (EventToDecide.audienceOperatorIds).
 */
export type Audience = 'RECEIVER' | 'ALL_BUT_RECEIVER' | 'CHAT_OPERATOR' | 'ALL' | 'ALL_BUT_SUBJECT' | 'ESCALATION';

export interface EventSpec {
  audience: Audience;
  channels: Readonly<Record<Channel, boolean>>;
  mutedBy: readonly WidgetSwitch[];
}

function eventSpec(audience: Audience, available: readonly Channel[], mutedBy: readonly WidgetSwitch[]): EventSpec {
  const channels = { BROWSER: false, AUDIO: false, EMAIL: false, ADDON: false };
  for (const channel of available) channels[channel] = true;
  return Object.freeze({ audience, channels: Object.freeze(channels), mutedBy: Object.freeze([...mutedBy]) });
}

const LIVE_AND_ADDON: readonly Channel[] = ['BROWSER', 'AUDIO', 'ADDON'];
const EVERY_CHANNEL: readonly Channel[] = ['BROWSER', 'AUDIO', 'EMAIL', 'ADDON'];
const CHAT_MUTES: readonly WidgetSwitch[] = ['browser', 'addons'];

export const EVENT_CATALOG: Readonly<Record<NotificationEventKind, EventSpec>> = Object.freeze({
  OPERATOR_ONLINE: eventSpec('ALL_BUT_SUBJECT', LIVE_AND_ADDON, []),
  OPERATOR_AWAY: eventSpec('ALL_BUT_SUBJECT', LIVE_AND_ADDON, []),
  OPERATOR_BACK: eventSpec('ALL_BUT_SUBJECT', LIVE_AND_ADDON, []),
  OPERATOR_OFFLINE: eventSpec('ALL_BUT_SUBJECT', LIVE_AND_ADDON, []),
  NEW_CHAT_SESSION: eventSpec('RECEIVER', LIVE_AND_ADDON, CHAT_MUTES),
  ALL_NEW_CHAT_SESSIONS: eventSpec('ALL_BUT_RECEIVER', LIVE_AND_ADDON, CHAT_MUTES),
  FIRST_MESSAGE_RECEIVED: eventSpec('CHAT_OPERATOR', LIVE_AND_ADDON, ['addons']),
  MESSAGE_RECEIVED: eventSpec('CHAT_OPERATOR', LIVE_AND_ADDON, ['addons']),
  MESSAGE_SENT: eventSpec('CHAT_OPERATOR', LIVE_AND_ADDON, ['addons']),
  ALL_FORWARDED_CHAT_SESSIONS: eventSpec('ALL', LIVE_AND_ADDON, CHAT_MUTES),
  ALL_CHAT_RATINGS: eventSpec('ALL', LIVE_AND_ADDON, CHAT_MUTES),
  ALL_CHAT_FEEDBACK: eventSpec('ALL', LIVE_AND_ADDON, CHAT_MUTES),
  ALL_CHAT_SURVEYS: eventSpec('ALL', LIVE_AND_ADDON, CHAT_MUTES),
  ALL_CHAT_GOALS: eventSpec('ALL', LIVE_AND_ADDON, CHAT_MUTES),
  ALL_FINISHED_CHAT_SESSIONS: eventSpec('ALL', EVERY_CHANNEL, ['email', 'browser', 'addons']),
  ALL_OFFLINE_MESSAGES: eventSpec('ALL', EVERY_CHANNEL, ['email', 'browser', 'addons']),
  SYSTEM_MESSAGE: eventSpec('ALL', ['BROWSER', 'EMAIL'], []),
  ANALYTICS_DAILY: eventSpec('ALL', ['EMAIL'], []),
  WIDGET_CHANGED: eventSpec('ALL', ['BROWSER', 'EMAIL'], []),
  // Extension E4: muted by the widget's browser and addons switches like NEW_CHAT_SESSION.
  CHAT_NOT_ACKNOWLEDGED: eventSpec('ESCALATION', EVERY_CHANNEL, CHAT_MUTES),
});

const EVENT_KINDS: ReadonlySet<string> = new Set(NOTIFICATION_EVENTS);

export function isNotificationEventKind(value: string): value is NotificationEventKind {
  return EVENT_KINDS.has(value);
}

export function isChannelAvailable(kind: NotificationEventKind, channel: Channel): boolean {
  return EVENT_CATALOG[kind].channels[channel];
}

// Widgets have no audio switch, so nothing ever mutes audio (spec decision).
const SWITCH_OF_CHANNEL: Readonly<Record<Channel, WidgetSwitch | null>> = Object.freeze({
  BROWSER: 'browser',
  AUDIO: null,
  EMAIL: 'email',
  ADDON: 'addons',
});

export function switchForChannel(channel: Channel): WidgetSwitch | null {
  return SWITCH_OF_CHANNEL[channel];
}

/** The widget switch that can mute `kind` on `channel`, or null when no widget switch touches it. */
export function findMutingSwitch(kind: NotificationEventKind, channel: Channel): WidgetSwitch | null {
  const widgetSwitch = SWITCH_OF_CHANNEL[channel];
  return widgetSwitch !== null && EVENT_CATALOG[kind].mutedBy.includes(widgetSwitch) ? widgetSwitch : null;
}

/** Email events a widget can restrict to the operators of its own group (`emailSameGroupOnly`). */
export const SAME_GROUP_EMAIL_EVENTS: readonly NotificationEventKind[] = Object.freeze([
  'ALL_FINISHED_CHAT_SESSIONS',
  'ALL_OFFLINE_MESSAGES',
] as const);

export const ADDON_KINDS = ['EMAIL_TICKET', 'SLACK', 'HELP_SCOUT', 'WEBHOOK'] as const;
export type AddonKind = (typeof ADDON_KINDS)[number];

const ADDON_EVENTS: readonly NotificationEventKind[] = Object.freeze(
  NOTIFICATION_EVENTS.filter((kind) => EVENT_CATALOG[kind].channels.ADDON),
);

// Help Scout turns things into tickets: only offline messages and finished chats make sense there.
export const ADDON_SUPPORTED_EVENTS: Readonly<Record<AddonKind, readonly NotificationEventKind[]>> = Object.freeze({
  EMAIL_TICKET: ADDON_EVENTS,
  SLACK: ADDON_EVENTS,
  HELP_SCOUT: Object.freeze(['ALL_OFFLINE_MESSAGES', 'ALL_FINISHED_CHAT_SESSIONS'] as const),
  WEBHOOK: ADDON_EVENTS,
});

const ADDON_SUPPORT_SETS: Readonly<Record<AddonKind, ReadonlySet<NotificationEventKind>>> = {
  EMAIL_TICKET: new Set(ADDON_SUPPORTED_EVENTS.EMAIL_TICKET),
  SLACK: new Set(ADDON_SUPPORTED_EVENTS.SLACK),
  HELP_SCOUT: new Set(ADDON_SUPPORTED_EVENTS.HELP_SCOUT),
  WEBHOOK: new Set(ADDON_SUPPORTED_EVENTS.WEBHOOK),
};

export function isEventSupportedByAddon(addonKind: AddonKind, kind: NotificationEventKind): boolean {
  return ADDON_SUPPORT_SETS[addonKind].has(kind);
}

/** One sentence per event, after the product tutorial (manage-event-notifications.txt). */
export const EVENT_DESCRIPTIONS: Readonly<Record<NotificationEventKind, string>> = Object.freeze({
  OPERATOR_ONLINE: 'An operator logged in to the Chat Panel and is ready to chat.',
  OPERATOR_AWAY: 'An operator went away: they accept no new chat sessions but keep working on their current ones.',
  OPERATOR_BACK: 'An operator changed their presence back to active and accepts new chat sessions again.',
  OPERATOR_OFFLINE: 'An operator logged off the Chat Panel; their open chat sessions are forwarded or dropped.',
  NEW_CHAT_SESSION: 'You received a new chat session.',
  ALL_NEW_CHAT_SESSIONS: 'One of your fellow operators received a new chat session.',
  FIRST_MESSAGE_RECEIVED: 'You received the first visitor message in one of your chats.',
  MESSAGE_RECEIVED: 'You received a visitor message in one of your chats.',
  MESSAGE_SENT: 'You sent a message in one of your chats.',
  ALL_FORWARDED_CHAT_SESSIONS: 'A chat session was forwarded from one operator to another.',
  ALL_CHAT_RATINGS: 'An operator received a rating for one of their chats.',
  ALL_CHAT_FEEDBACK: 'An operator received feedback for one of their chats.',
  ALL_CHAT_SURVEYS: 'A visitor answered a survey in one of your operators’ chats.',
  ALL_CHAT_GOALS: 'A chat goal was reached in one of your operators’ chats.',
  ALL_FINISHED_CHAT_SESSIONS: 'An operator finished a chat session.',
  ALL_OFFLINE_MESSAGES: 'A web visitor left a message because no operator was online.',
  SYSTEM_MESSAGE: 'Something happened to your subscription, for example your trial period is about to expire.',
  ANALYTICS_DAILY: 'The daily summary of the key performance indicators of your chat activity.',
  WIDGET_CHANGED: 'The configuration of one of your chat widgets was changed.',
  CHAT_NOT_ACKNOWLEDGED: 'A new chat session was not seen or heard by its operator in time (missed-chat escalation).',
});

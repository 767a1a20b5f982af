import { EVENT_DESCRIPTIONS, NOTIFICATION_EVENTS, OPERATOR_CHANNELS } from '../../domain/catalog.js';
import { CHOOSABLE_SOUNDS } from '../../domain/render-notification.js';
import { builder } from '../builder.js';

const valuesOf = <T extends string>(values: readonly T[], describe: (value: T) => string) =>
  Object.fromEntries(values.map((value) => [value, { value, description: describe(value) }])) as Record<
    T,
    { value: T; description: string }
  >;

export const NotificationEventKindEnum = builder.enumType('NotificationEventKind', {
  description: 'A notification event, as listed in the product tutorial.',
  values: valuesOf(NOTIFICATION_EVENTS, (kind) => EVENT_DESCRIPTIONS[kind]),
});

const CHANNEL_DESCRIPTIONS = {
  BROWSER: 'A live notification in the Chat Panel (and the operator inbox).',
  AUDIO: 'A sound played by the Chat Panel with a live notification.',
  EMAIL: "An email to the operator's address.",
  ADDON: 'A delivery to an organization-level addon (Slack, EmailTicket, Help Scout, webhook).',
} as const;

export const ChannelEnum = builder.enumType('Channel', {
  description: 'Where a notification is delivered.',
  values: valuesOf(['BROWSER', 'AUDIO', 'EMAIL', 'ADDON'] as const, (channel) => CHANNEL_DESCRIPTIONS[channel]),
});

export const OperatorChannelEnum = builder.enumType('OperatorChannel', {
  description: 'A channel an operator chooses in their preferences.',
  values: valuesOf(OPERATOR_CHANNELS, (channel) => CHANNEL_DESCRIPTIONS[channel]),
});

const REASON_DESCRIPTIONS = {
  DELIVERED: 'Every check passed: the notification is delivered.',
  CHANNEL_NOT_AVAILABLE: 'The event is not offered on this channel.',
  ROLE_DISABLED: "The operator's role has notifications switched off.",
  LOCKED_OFF: 'An admin locked this event and channel FORBIDDEN for the operator (their role, else the organization).',
  OPERATOR_OPTED_OUT: "The operator's own preference for this event and channel is off.",
  QUIET_TIME: 'The operator is in quiet time: not pushed live, but kept in the inbox (browser).',
  WIDGET_MUTED: "The chat widget's switch for this channel is off and mutes this event.",
  OUTSIDE_WIDGET_GROUP: 'The widget sends this email only to its operator group, and the operator is not in it.',
  ADDON_DISABLED: 'The addon instance is disabled.',
  ADDON_EVENT_UNSUPPORTED: "The addon's kind does not implement this event.",
  ADDON_EVENT_NOT_CHOSEN: 'The addon instance did not choose this event.',
  UNREAD_ESCALATION:
    'Not the precedence rule: an email the operator asked for when a browser notification of this event stays unread for N minutes (delivered: sent or due; not delivered: read in time, cancelled).',
} as const;

export const ReasonEnum = builder.enumType('Reason', {
  description: 'The outcome of the precedence rule: the first check that failed, or DELIVERED.',
  values: valuesOf(Object.keys(REASON_DESCRIPTIONS) as (keyof typeof REASON_DESCRIPTIONS)[], (reason) => REASON_DESCRIPTIONS[reason]),
});

export const PresenceEnum = builder.enumType('Presence', {
  description: "An operator's presence.",
  values: valuesOf(['ONLINE', 'AWAY', 'OFFLINE'] as const, (presence) => `The operator is ${presence.toLowerCase()}.`),
});

export const AddonKindEnum = builder.enumType('AddonKind', {
  description: 'The kinds of addon an organization can configure.',
  values: {
    EMAIL_TICKET: { value: 'EMAIL_TICKET', description: 'An email with a JSON attachment of the chat meta information.' },
    SLACK: { value: 'SLACK', description: 'A formatted message to a Slack incoming webhook.' },
    HELP_SCOUT: { value: 'HELP_SCOUT', description: 'A Help Scout conversation (offline messages, finished chats).' },
    WEBHOOK: { value: 'WEBHOOK', description: 'A signed JSON POST to any URL.' },
  } as const,
});

export const PreferenceSourceEnum = builder.enumType('PreferenceSource', {
  description: 'Where a preference was last changed; the Dashboard and the Chat Panel take effect differently.',
  values: {
    DEFAULT: { value: 'DEFAULT', description: "Never changed: the organization's default when the operator was created." },
    DASHBOARD: { value: 'DASHBOARD', description: 'Changed in the Dashboard: reaches live streams when they next connect.' },
    CHAT_PANEL: { value: 'CHAT_PANEL', description: "Changed in the Chat Panel: takes effect at once on the operator's open streams." },
  } as const,
});

/** NEW_CHAT ↔ 'new-chat': the live items' `sound` strings. */
export const NotificationSoundEnum = builder.enumType('NotificationSound', {
  description: 'A sound the Chat Panel plays (made by the console, nothing recorded); live items carry it as `new-chat`, `bell`, …',
  values: Object.fromEntries(
    CHOOSABLE_SOUNDS.map((sound) => [sound.toUpperCase().replaceAll('-', '_'), { value: sound, description: `The "${sound}" sound.` }]),
  ) as Record<string, { value: (typeof CHOOSABLE_SOUNDS)[number]; description: string }>,
});

export const LockValueEnum = builder.enumType('LockValue', {
  description: 'What an admin lock imposes on an (event, channel).',
  values: {
    REQUIRED: { value: 'REQUIRED', description: 'Operators of the scope cannot opt out; quiet time does not apply.' },
    FORBIDDEN: { value: 'FORBIDDEN', description: 'Nobody of the scope gets it.' },
  } as const,
});

export const LockScopeEnum = builder.enumType('LockScope', {
  description: 'Whom an admin lock applies to; a role lock wins over an organization lock.',
  values: {
    ROLE: { value: 'ROLE', description: 'The operators of one role.' },
    ORGANIZATION: { value: 'ORGANIZATION', description: 'Every operator of the organization.' },
  } as const,
});

export const AppliedLockObject = builder.simpleObject('AppliedLock', {
  description: 'The admin lock that applies to an operator on one (event, channel).',
  fields: (t) => ({
    scope: t.field({ type: LockScopeEnum, description: 'Role lock or organization lock.' }),
    value: t.field({ type: LockValueEnum, description: 'REQUIRED or FORBIDDEN.' }),
  }),
});

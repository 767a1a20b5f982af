/**
 * The precedence rule, table-driven. Expectations are written by hand from notification-rules.md
 * and the tutorial, never derived from the catalog, and an exhaustiveness test fails when the
 * table stops covering every (event, channel) pair, every reason and every check.
 */
import { describe, expect, it } from 'vitest';
import { type AppliedLock, appliedLockOf, DECISION_LOCKS, type DecisionLock, locksForRole } from '../../../src/domain/admin-locks.js';
import {
  type AddonKind,
  type Audience,
  CHANNELS,
  type Channel,
  NOTIFICATION_EVENTS,
  type NotificationEventKind,
  type OperatorChannel,
} from '../../../src/domain/catalog.js';
import {
  type AddonSettings,
  audienceOf,
  CHECKS,
  type CheckName,
  type Decision,
  type DecisionTarget,
  decideNotifications,
  type EventToDecide,
  isInAudience,
  lockOfDecision,
  type OperatorSettings,
  REASONS,
  type Reason,
  type SettingsSnapshot,
  traceFor,
  type WidgetSettings,
} from '../../../src/domain/decide-notifications.js';
import { productDefaultPreferencesFor } from '../../../src/domain/product-defaults.js';

// ---------------------------------------------------------------------------------------------
// Hand-written facts from the spec and the tutorial
// ---------------------------------------------------------------------------------------------

const SPEC_AUDIENCE: Record<NotificationEventKind, Audience> = {
  OPERATOR_ONLINE: 'ALL_BUT_SUBJECT',
  OPERATOR_AWAY: 'ALL_BUT_SUBJECT',
  OPERATOR_BACK: 'ALL_BUT_SUBJECT',
  OPERATOR_OFFLINE: 'ALL_BUT_SUBJECT',
  NEW_CHAT_SESSION: 'RECEIVER',
  ALL_NEW_CHAT_SESSIONS: 'ALL_BUT_RECEIVER',
  FIRST_MESSAGE_RECEIVED: 'CHAT_OPERATOR',
  MESSAGE_RECEIVED: 'CHAT_OPERATOR',
  MESSAGE_SENT: 'CHAT_OPERATOR',
  ALL_FORWARDED_CHAT_SESSIONS: 'ALL',
  ALL_CHAT_RATINGS: 'ALL',
  ALL_CHAT_FEEDBACK: 'ALL',
  ALL_CHAT_SURVEYS: 'ALL',
  ALL_CHAT_GOALS: 'ALL',
  ALL_FINISHED_CHAT_SESSIONS: 'ALL',
  ALL_OFFLINE_MESSAGES: 'ALL',
  SYSTEM_MESSAGE: 'ALL',
  ANALYTICS_DAILY: 'ALL',
  WIDGET_CHANGED: 'ALL',
  // Extension E4: the widget group's online operators and the admins, fixed when raised.
  CHAT_NOT_ACKNOWLEDGED: 'ESCALATION',
};

/** The tutorial's per-switch lists ("… will suppress the following … notifications"). */
const TUTORIAL_MUTES: Record<'email' | 'browser' | 'addons', readonly NotificationEventKind[]> = {
  email: ['ALL_FINISHED_CHAT_SESSIONS', 'ALL_OFFLINE_MESSAGES'],
  browser: [
    'NEW_CHAT_SESSION',
    'ALL_NEW_CHAT_SESSIONS',
    'ALL_FORWARDED_CHAT_SESSIONS',
    'ALL_CHAT_RATINGS',
    'ALL_CHAT_FEEDBACK',
    'ALL_CHAT_SURVEYS',
    'ALL_CHAT_GOALS',
    'ALL_FINISHED_CHAT_SESSIONS',
    'ALL_OFFLINE_MESSAGES',
    'CHAT_NOT_ACKNOWLEDGED', // extension E4: "muted by the widget's browser and addons switches"
  ],
  addons: [
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
    'CHAT_NOT_ACKNOWLEDGED',
  ],
};
const SWITCH_CHANNEL = { email: 'EMAIL', browser: 'BROWSER', addons: 'ADDON' } as const;

/** Availability by hand, from the spec table, for the channels that have a widget switch. */
const AVAILABLE_ON: Record<'BROWSER' | 'EMAIL' | 'ADDON', ReadonlySet<NotificationEventKind>> = {
  BROWSER: new Set(NOTIFICATION_EVENTS.filter((kind) => kind !== 'ANALYTICS_DAILY')),
  EMAIL: new Set<NotificationEventKind>([
    'ALL_FINISHED_CHAT_SESSIONS',
    'ALL_OFFLINE_MESSAGES',
    'SYSTEM_MESSAGE',
    'ANALYTICS_DAILY',
    'WIDGET_CHANGED',
    'CHAT_NOT_ACKNOWLEDGED',
  ]),
  ADDON: new Set(
    NOTIFICATION_EVENTS.filter((kind) => kind !== 'SYSTEM_MESSAGE' && kind !== 'ANALYTICS_DAILY' && kind !== 'WIDGET_CHANGED'),
  ),
};

/** Events that come out of a chat, hence through a widget. */
const CHAT_EVENTS: ReadonlySet<NotificationEventKind> = new Set<NotificationEventKind>([
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
  'CHAT_NOT_ACKNOWLEDGED',
]);

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

const TARGET_OPERATOR = 'op-target';
const SUBJECT_OPERATOR = 'op-subject';
const ADDON_ID = 'addon-1';
const ALL_ON: Record<OperatorChannel, boolean> = { BROWSER: true, AUDIO: true, EMAIL: true };
const ALL_OFF: Record<OperatorChannel, boolean> = { BROWSER: false, AUDIO: false, EMAIL: false };
const WIDGET: WidgetSettings = {
  id: 'widget-1',
  groupId: 'group-a',
  email: true,
  browser: true,
  addons: true,
  emailSameGroupOnly: false,
};
const SWITCHES_OFF = { email: false, browser: false, addons: false } as const;

function operator(id: string, overrides: Partial<OperatorSettings> = {}): OperatorSettings {
  return { id, roleNotificationsEnabled: true, groupIds: ['group-a'], preferences: ALL_ON, ...overrides };
}

/** Who the subject is so that the target operator is in the audience (per the spec's column). */
function subjectFor(kind: NotificationEventKind): string | null {
  const audience = SPEC_AUDIENCE[kind];
  if (audience === 'RECEIVER' || audience === 'CHAT_OPERATOR') return TARGET_OPERATOR;
  return audience === 'ALL' ? null : SUBJECT_OPERATOR;
}

interface Case {
  readonly name: string;
  readonly event: EventToDecide;
  readonly snapshot: SettingsSnapshot;
  readonly channel: Channel;
  readonly reason: Reason;
  /** The checks expected to run, in order; the last one fails unless the reason is DELIVERED. */
  readonly trace?: readonly CheckName[];
}

interface Setup {
  readonly operator?: Partial<OperatorSettings>;
  /** The target operator is in quiet time (E2). */
  readonly quiet?: boolean;
  /** Overrides of the event's widget; null: the event came through no widget. */
  readonly widget?: Partial<WidgetSettings> | null;
  readonly addon?: Partial<AddonSettings>;
  readonly trace?: readonly CheckName[];
}

/**
 * One decision to check: the target operator (or addon, on ADDON) with all preferences on, a
 * Slack addon that chose every event, and the event coming through an all-on widget.
 */
function caseOf(name: string, kind: NotificationEventKind, channel: Channel, reason: Reason, setup: Setup = {}): Case {
  const widget = setup.widget === null ? null : { ...WIDGET, ...setup.widget };
  const addon: AddonSettings = {
    id: ADDON_ID,
    kind: 'SLACK',
    enabled: true,
    events: NOTIFICATION_EVENTS,
    ...setup.addon,
  };
  return {
    name,
    // An escalation's audience is fixed when it is raised (the target is in it); other events ignore it.
    event: { kind, widgetId: widget?.id ?? null, subjectOperatorId: subjectFor(kind), audienceOperatorIds: [TARGET_OPERATOR] },
    snapshot: {
      operators: [operator(TARGET_OPERATOR, setup.operator), operator(SUBJECT_OPERATOR)],
      widget,
      addons: [addon],
      ...(setup.quiet === true ? { quietOperatorIds: new Set([TARGET_OPERATOR]) } : {}),
    },
    channel,
    reason,
    ...(setup.trace === undefined ? {} : { trace: setup.trace }),
  };
}

function targetOf(channel: Channel): DecisionTarget {
  return channel === 'ADDON' ? { kind: 'ADDON', addonId: ADDON_ID } : { kind: 'OPERATOR', operatorId: TARGET_OPERATOR };
}

function decisionFor(decisions: readonly Decision[], target: DecisionTarget, channel: Channel): Decision | undefined {
  return decisions.find((d) => d.channel === channel && JSON.stringify(d.target) === JSON.stringify(target));
}

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

const R = {
  D: 'DELIVERED',
  O: 'OPERATOR_OPTED_OUT',
  N: 'CHANNEL_NOT_AVAILABLE',
} as const satisfies Record<string, Reason>;
type Short = keyof typeof R;

/**
 * Default settings: role on, product-default preferences, an all-on widget for chat events, and a
 * Slack addon that chose everything. Columns: browser, audio, email, addon.
 */
const DEFAULT_OUTCOMES: Record<NotificationEventKind, readonly [Short, Short, Short, Short]> = {
  OPERATOR_ONLINE: ['D', 'O', 'N', 'D'],
  OPERATOR_AWAY: ['D', 'O', 'N', 'D'],
  OPERATOR_BACK: ['D', 'O', 'N', 'D'],
  OPERATOR_OFFLINE: ['D', 'O', 'N', 'D'],
  NEW_CHAT_SESSION: ['D', 'D', 'N', 'D'],
  ALL_NEW_CHAT_SESSIONS: ['D', 'O', 'N', 'D'],
  FIRST_MESSAGE_RECEIVED: ['D', 'D', 'N', 'D'],
  MESSAGE_RECEIVED: ['D', 'D', 'N', 'D'],
  MESSAGE_SENT: ['O', 'O', 'N', 'D'],
  ALL_FORWARDED_CHAT_SESSIONS: ['D', 'O', 'N', 'D'],
  ALL_CHAT_RATINGS: ['D', 'O', 'N', 'D'],
  ALL_CHAT_FEEDBACK: ['O', 'O', 'N', 'D'],
  ALL_CHAT_SURVEYS: ['O', 'O', 'N', 'D'],
  ALL_CHAT_GOALS: ['O', 'O', 'N', 'D'],
  ALL_FINISHED_CHAT_SESSIONS: ['O', 'O', 'O', 'D'],
  ALL_OFFLINE_MESSAGES: ['D', 'O', 'D', 'D'],
  SYSTEM_MESSAGE: ['D', 'N', 'D', 'N'],
  ANALYTICS_DAILY: ['N', 'N', 'D', 'N'],
  WIDGET_CHANGED: ['D', 'N', 'D', 'N'],
  CHAT_NOT_ACKNOWLEDGED: ['D', 'D', 'D', 'D'],
};
const defaultCases: Case[] = NOTIFICATION_EVENTS.flatMap((kind) => {
  const [BROWSER, AUDIO, EMAIL, ADDON] = DEFAULT_OUTCOMES[kind];
  const expected: Record<Channel, Short> = { BROWSER, AUDIO, EMAIL, ADDON };
  return CHANNELS.map((channel) =>
    caseOf(`defaults: ${kind} on ${channel}`, kind, channel, R[expected[channel]], {
      operator: { preferences: productDefaultPreferencesFor(kind) },
      widget: CHAT_EVENTS.has(kind) ? {} : null,
    }),
  );
});

/** Each switch off alone, on every event of its channel: muted exactly when the tutorial lists it. */
const widgetSwitchCases: Case[] = (['email', 'browser', 'addons'] as const).flatMap((widgetSwitch) =>
  NOTIFICATION_EVENTS.map((kind) => {
    const channel = SWITCH_CHANNEL[widgetSwitch];
    const muted = TUTORIAL_MUTES[widgetSwitch].includes(kind);
    const reason: Reason = !AVAILABLE_ON[channel].has(kind) ? 'CHANNEL_NOT_AVAILABLE' : muted ? 'WIDGET_MUTED' : 'DELIVERED';
    return caseOf(`${widgetSwitch} switch off: ${kind} on ${channel}`, kind, channel, reason, {
      widget: {
        email: widgetSwitch !== 'email',
        browser: widgetSwitch !== 'browser',
        addons: widgetSwitch !== 'addons',
      },
    });
  }),
);

const otherCases: Case[] = [
  // Audio has no widget switch.
  caseOf('all switches off never mute audio', 'NEW_CHAT_SESSION', 'AUDIO', 'DELIVERED', {
    widget: SWITCHES_OFF,
    trace: ['CHANNEL_AVAILABLE', 'ROLE_ENABLED', 'OPERATOR_PREFERENCE'],
  }),
  caseOf('all switches off never mute audio (firehose event)', 'ALL_OFFLINE_MESSAGES', 'AUDIO', 'DELIVERED', {
    widget: SWITCHES_OFF,
  }),
  // A widget mutes but never forces.
  ...(['BROWSER', 'AUDIO', 'EMAIL'] as const).map((channel) =>
    caseOf(`all switches on, operator opted out of ${channel}`, 'ALL_OFFLINE_MESSAGES', channel, 'OPERATOR_OPTED_OUT', {
      operator: { preferences: ALL_OFF },
      trace: ['CHANNEL_AVAILABLE', 'ROLE_ENABLED', 'OPERATOR_PREFERENCE'],
    }),
  ),
  caseOf('a missing preference counts as opted out', 'NEW_CHAT_SESSION', 'BROWSER', 'OPERATOR_OPTED_OUT', {
    operator: { preferences: { AUDIO: true } },
  }),
  // Role first.
  caseOf('role disabled beats operator preference', 'NEW_CHAT_SESSION', 'BROWSER', 'ROLE_DISABLED', {
    operator: { roleNotificationsEnabled: false, preferences: ALL_OFF },
    trace: ['CHANNEL_AVAILABLE', 'ROLE_ENABLED'],
  }),
  caseOf('role disabled beats widget muting', 'ALL_OFFLINE_MESSAGES', 'EMAIL', 'ROLE_DISABLED', {
    operator: { roleNotificationsEnabled: false },
    widget: SWITCHES_OFF,
  }),
  caseOf('role disabled on every channel, audio too', 'MESSAGE_RECEIVED', 'AUDIO', 'ROLE_DISABLED', {
    operator: { roleNotificationsEnabled: false },
  }),
  caseOf('channel availability beats a disabled role', 'ANALYTICS_DAILY', 'BROWSER', 'CHANNEL_NOT_AVAILABLE', {
    operator: { roleNotificationsEnabled: false },
    widget: null,
    trace: ['CHANNEL_AVAILABLE'],
  }),
  caseOf('operator preference beats widget muting', 'ALL_CHAT_RATINGS', 'BROWSER', 'OPERATOR_OPTED_OUT', {
    operator: { preferences: ALL_OFF },
    widget: SWITCHES_OFF,
  }),
  caseOf('widget muting beats the group restriction', 'ALL_OFFLINE_MESSAGES', 'EMAIL', 'WIDGET_MUTED', {
    operator: { groupIds: [] },
    widget: { email: false, emailSameGroupOnly: true },
    trace: ['CHANNEL_AVAILABLE', 'ROLE_ENABLED', 'OPERATOR_PREFERENCE', 'WIDGET_SWITCH'],
  }),
  // Switches apply only to events that came through a widget.
  caseOf('no widget, no muting', 'ALL_CHAT_GOALS', 'BROWSER', 'DELIVERED', {
    widget: null,
    trace: ['CHANNEL_AVAILABLE', 'ROLE_ENABLED', 'OPERATOR_PREFERENCE'],
  }),
  caseOf('widget switch check recorded when it applies', 'ALL_CHAT_GOALS', 'BROWSER', 'DELIVERED', {
    trace: ['CHANNEL_AVAILABLE', 'ROLE_ENABLED', 'OPERATOR_PREFERENCE', 'WIDGET_SWITCH'],
  }),
  caseOf('widget switch check absent when the switch does not mute the event', 'MESSAGE_RECEIVED', 'BROWSER', 'DELIVERED', {
    widget: SWITCHES_OFF,
    trace: ['CHANNEL_AVAILABLE', 'ROLE_ENABLED', 'OPERATOR_PREFERENCE'],
  }),
  // Same-group emails.
  ...(['ALL_FINISHED_CHAT_SESSIONS', 'ALL_OFFLINE_MESSAGES'] as const).flatMap((kind) => [
    caseOf(`same group only: member gets ${kind}`, kind, 'EMAIL', 'DELIVERED', {
      operator: { groupIds: ['group-b', 'group-a'] },
      widget: { emailSameGroupOnly: true },
      trace: ['CHANNEL_AVAILABLE', 'ROLE_ENABLED', 'OPERATOR_PREFERENCE', 'WIDGET_SWITCH', 'WIDGET_GROUP'],
    }),
    caseOf(`same group only: non-member does not get ${kind}`, kind, 'EMAIL', 'OUTSIDE_WIDGET_GROUP', {
      operator: { groupIds: ['group-b'] },
      widget: { emailSameGroupOnly: true },
      trace: ['CHANNEL_AVAILABLE', 'ROLE_ENABLED', 'OPERATOR_PREFERENCE', 'WIDGET_SWITCH', 'WIDGET_GROUP'],
    }),
    caseOf(`same group option off: non-member gets ${kind}`, kind, 'EMAIL', 'DELIVERED', {
      operator: { groupIds: ['group-b'] },
      trace: ['CHANNEL_AVAILABLE', 'ROLE_ENABLED', 'OPERATOR_PREFERENCE', 'WIDGET_SWITCH'],
    }),
    caseOf(`same group only restricts email, not browser: ${kind}`, kind, 'BROWSER', 'DELIVERED', {
      operator: { groupIds: [] },
      widget: { emailSameGroupOnly: true },
    }),
    caseOf(`same group only, widget without group: nobody gets ${kind}`, kind, 'EMAIL', 'OUTSIDE_WIDGET_GROUP', {
      widget: { emailSameGroupOnly: true, groupId: null },
    }),
  ]),
  ...(['SYSTEM_MESSAGE', 'ANALYTICS_DAILY', 'WIDGET_CHANGED'] as const).map((kind) =>
    caseOf(`same group only does not restrict ${kind}`, kind, 'EMAIL', 'DELIVERED', {
      operator: { groupIds: [] },
      widget: { emailSameGroupOnly: true },
      trace: ['CHANNEL_AVAILABLE', 'ROLE_ENABLED', 'OPERATOR_PREFERENCE'],
    }),
  ),
  // Addons.
  caseOf('addon: not available for the event', 'WIDGET_CHANGED', 'ADDON', 'CHANNEL_NOT_AVAILABLE', {
    trace: ['CHANNEL_AVAILABLE'],
  }),
  caseOf('addon: disabled', 'NEW_CHAT_SESSION', 'ADDON', 'ADDON_DISABLED', {
    addon: { enabled: false },
    trace: ['CHANNEL_AVAILABLE', 'ADDON_ENABLED'],
  }),
  caseOf('addon: disabled beats unsupported', 'NEW_CHAT_SESSION', 'ADDON', 'ADDON_DISABLED', {
    addon: { kind: 'HELP_SCOUT', enabled: false, events: [] },
  }),
  caseOf('addon: Help Scout does not support new chats', 'NEW_CHAT_SESSION', 'ADDON', 'ADDON_EVENT_UNSUPPORTED', {
    addon: { kind: 'HELP_SCOUT' },
    trace: ['CHANNEL_AVAILABLE', 'ADDON_ENABLED', 'ADDON_SUPPORTS_EVENT'],
  }),
  caseOf('addon: unsupported beats widget muting', 'OPERATOR_ONLINE', 'ADDON', 'ADDON_EVENT_UNSUPPORTED', {
    addon: { kind: 'HELP_SCOUT' },
    widget: SWITCHES_OFF,
  }),
  caseOf('addon: event not chosen', 'ALL_CHAT_GOALS', 'ADDON', 'ADDON_EVENT_NOT_CHOSEN', {
    addon: { events: ['ALL_CHAT_RATINGS'] },
    trace: ['CHANNEL_AVAILABLE', 'ADDON_ENABLED', 'ADDON_SUPPORTS_EVENT', 'ADDON_CHOSE_EVENT'],
  }),
  caseOf('addon: not chosen beats widget muting', 'ALL_CHAT_GOALS', 'ADDON', 'ADDON_EVENT_NOT_CHOSEN', {
    addon: { events: [] },
    widget: SWITCHES_OFF,
  }),
  caseOf('addon: muted by the widget', 'NEW_CHAT_SESSION', 'ADDON', 'WIDGET_MUTED', {
    widget: { addons: false },
    trace: ['CHANNEL_AVAILABLE', 'ADDON_ENABLED', 'ADDON_SUPPORTS_EVENT', 'ADDON_CHOSE_EVENT', 'WIDGET_SWITCH'],
  }),
  caseOf('addon: Help Scout gets offline messages (tutorial sample setup)', 'ALL_OFFLINE_MESSAGES', 'ADDON', 'DELIVERED', {
    addon: { kind: 'HELP_SCOUT', events: ['ALL_OFFLINE_MESSAGES'] },
    trace: ['CHANNEL_AVAILABLE', 'ADDON_ENABLED', 'ADDON_SUPPORTS_EVENT', 'ADDON_CHOSE_EVENT', 'WIDGET_SWITCH'],
  }),
  caseOf('addon: EmailTicket gets new chats (tutorial sample setup)', 'NEW_CHAT_SESSION', 'ADDON', 'DELIVERED', {
    addon: { kind: 'EMAIL_TICKET', events: ['NEW_CHAT_SESSION'] },
  }),
  caseOf('addon: presence events are never muted by a widget', 'OPERATOR_ONLINE', 'ADDON', 'DELIVERED', {
    widget: SWITCHES_OFF,
    trace: ['CHANNEL_AVAILABLE', 'ADDON_ENABLED', 'ADDON_SUPPORTS_EVENT', 'ADDON_CHOSE_EVENT'],
  }),
  caseOf('addon: role and operator settings do not apply', 'ALL_CHAT_RATINGS', 'ADDON', 'DELIVERED', {
    operator: { roleNotificationsEnabled: false, preferences: ALL_OFF },
  }),
  ...(['EMAIL_TICKET', 'SLACK', 'WEBHOOK'] as const satisfies readonly AddonKind[]).map((kind) =>
    caseOf(`addon: ${kind} supports message events`, 'MESSAGE_SENT', 'ADDON', 'DELIVERED', { addon: { kind } }),
  ),
];

// ---------------------------------------------------------------------------------------------
// Extensions E1 (admin locks) and E2 (quiet time), generated over the catalog with hand-written
// availability: every (event, operator channel, lock), and every (event, channel) in quiet time.
// ---------------------------------------------------------------------------------------------

/** Audio by hand, from the spec table: every event with a sound, i.e. not the three "–" rows. */
const AUDIO_ON: ReadonlySet<NotificationEventKind> = new Set(
  NOTIFICATION_EVENTS.filter((kind) => kind !== 'SYSTEM_MESSAGE' && kind !== 'ANALYTICS_DAILY' && kind !== 'WIDGET_CHANGED'),
);
const isOffered = (kind: NotificationEventKind, channel: OperatorChannel) =>
  channel === 'AUDIO' ? AUDIO_ON.has(kind) : AVAILABLE_ON[channel].has(kind);
const locked = (channel: OperatorChannel, lock: DecisionLock): Partial<OperatorSettings> => ({
  locks: { [channel]: appliedLockOf(lock) },
});

/** Every lock on every (event, channel), the operator opted out (a required lock ignores it) and in quiet time. */
const lockCases: Case[] = NOTIFICATION_EVENTS.flatMap((kind) =>
  (['BROWSER', 'AUDIO', 'EMAIL'] as const).flatMap((channel) =>
    DECISION_LOCKS.map((lock) => {
      const forbidden = lock.endsWith('FORBIDDEN');
      const reason: Reason = !isOffered(kind, channel) ? 'CHANNEL_NOT_AVAILABLE' : forbidden ? 'LOCKED_OFF' : 'DELIVERED';
      return caseOf(`lock ${lock}: ${kind} on ${channel}`, kind, channel, reason, {
        operator: { ...locked(channel, lock), preferences: ALL_OFF },
        quiet: true,
        widget: null,
        trace: reason === 'CHANNEL_NOT_AVAILABLE' ? ['CHANNEL_AVAILABLE'] : ['CHANNEL_AVAILABLE', 'ROLE_ENABLED', 'ADMIN_LOCK'],
      });
    }),
  ),
);

/** Quiet time on every (event, channel): browser and audio stop, email is delivered (deferred by the queue). */
const quietCases: Case[] = NOTIFICATION_EVENTS.flatMap((kind) =>
  (['BROWSER', 'AUDIO', 'EMAIL'] as const).map((channel) => {
    const reason: Reason = !isOffered(kind, channel) ? 'CHANNEL_NOT_AVAILABLE' : channel === 'EMAIL' ? 'DELIVERED' : 'QUIET_TIME';
    const trace: CheckName[] =
      reason === 'CHANNEL_NOT_AVAILABLE'
        ? ['CHANNEL_AVAILABLE']
        : reason === 'QUIET_TIME'
          ? ['CHANNEL_AVAILABLE', 'ROLE_ENABLED', 'OPERATOR_PREFERENCE', 'OUTSIDE_QUIET_TIME']
          : ['CHANNEL_AVAILABLE', 'ROLE_ENABLED', 'OPERATOR_PREFERENCE'];
    return caseOf(`quiet time: ${kind} on ${channel}`, kind, channel, reason, { quiet: true, widget: null, trace });
  }),
);

const extensionCases: Case[] = [
  caseOf('role disabled beats a required lock', 'NEW_CHAT_SESSION', 'BROWSER', 'ROLE_DISABLED', {
    operator: { roleNotificationsEnabled: false, ...locked('BROWSER', 'ROLE_REQUIRED') },
    trace: ['CHANNEL_AVAILABLE', 'ROLE_ENABLED'],
  }),
  caseOf('a forbidden lock beats the operator preference', 'NEW_CHAT_SESSION', 'AUDIO', 'LOCKED_OFF', {
    operator: locked('AUDIO', 'ORGANIZATION_FORBIDDEN'),
  }),
  caseOf('a lock on another channel does not apply', 'NEW_CHAT_SESSION', 'BROWSER', 'OPERATOR_OPTED_OUT', {
    operator: { ...locked('AUDIO', 'ROLE_REQUIRED'), preferences: ALL_OFF },
    trace: ['CHANNEL_AVAILABLE', 'ROLE_ENABLED', 'OPERATOR_PREFERENCE'],
  }),
  caseOf('a widget still mutes a required event', 'ALL_CHAT_RATINGS', 'BROWSER', 'WIDGET_MUTED', {
    operator: locked('BROWSER', 'ROLE_REQUIRED'),
    widget: { browser: false },
    trace: ['CHANNEL_AVAILABLE', 'ROLE_ENABLED', 'ADMIN_LOCK', 'WIDGET_SWITCH'],
  }),
  caseOf('a required email still meets the group restriction', 'ALL_OFFLINE_MESSAGES', 'EMAIL', 'OUTSIDE_WIDGET_GROUP', {
    operator: { ...locked('EMAIL', 'ORGANIZATION_REQUIRED'), groupIds: [] },
    widget: { emailSameGroupOnly: true },
    trace: ['CHANNEL_AVAILABLE', 'ROLE_ENABLED', 'ADMIN_LOCK', 'WIDGET_SWITCH', 'WIDGET_GROUP'],
  }),
  caseOf('opted out beats quiet time', 'NEW_CHAT_SESSION', 'BROWSER', 'OPERATOR_OPTED_OUT', {
    operator: { preferences: ALL_OFF },
    quiet: true,
    trace: ['CHANNEL_AVAILABLE', 'ROLE_ENABLED', 'OPERATOR_PREFERENCE'],
  }),
  caseOf('quiet time beats widget muting', 'ALL_CHAT_RATINGS', 'BROWSER', 'QUIET_TIME', {
    quiet: true,
    widget: { browser: false },
    trace: ['CHANNEL_AVAILABLE', 'ROLE_ENABLED', 'OPERATOR_PREFERENCE', 'OUTSIDE_QUIET_TIME'],
  }),
  caseOf('email in quiet time still meets the widget switch', 'ALL_OFFLINE_MESSAGES', 'EMAIL', 'WIDGET_MUTED', {
    quiet: true,
    widget: { email: false },
  }),
  caseOf('locks never touch addons', 'NEW_CHAT_SESSION', 'ADDON', 'DELIVERED', {
    operator: { locks: { BROWSER: appliedLockOf('ORGANIZATION_FORBIDDEN'), EMAIL: appliedLockOf('ORGANIZATION_FORBIDDEN') } },
    quiet: true,
  }),
];

const CASES: readonly Case[] = [...defaultCases, ...widgetSwitchCases, ...otherCases, ...lockCases, ...quietCases, ...extensionCases];

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

describe('decideNotifications', () => {
  it.each(CASES.map((c) => [`${c.name} → ${c.reason}`, c] as const))('%s', (_, { event, snapshot, channel, reason, trace }) => {
    const decision = decisionFor(decideNotifications(event, snapshot), targetOf(channel), channel);
    expect(decision).toBeDefined();
    expect(decision?.reason).toBe(reason);
    expect(decision?.delivered).toBe(reason === 'DELIVERED');
    if (trace !== undefined) {
      expect(decision?.trace.map((result) => result.check)).toEqual(trace);
    }
  });

  it('every trace runs checks in precedence order and ends at the failing check', () => {
    const order = (check: CheckName) => CHECKS.indexOf(check);
    const addonOrder: readonly CheckName[] = [
      'CHANNEL_AVAILABLE',
      'ADDON_ENABLED',
      'ADDON_SUPPORTS_EVENT',
      'ADDON_CHOSE_EVENT',
      'WIDGET_SWITCH',
    ];
    for (const { event, snapshot } of CASES) {
      for (const decision of decideNotifications(event, snapshot)) {
        const checks = decision.trace.map((result) => result.check);
        const rank = decision.channel === 'ADDON' ? (c: CheckName) => addonOrder.indexOf(c) : order;
        expect(checks.map(rank)).toEqual([...checks.map(rank)].sort((a, b) => a - b));
        expect(checks[0]).toBe('CHANNEL_AVAILABLE');
        expect(decision.trace.slice(0, -1).every((result) => result.passed)).toBe(true);
        expect(decision.trace.at(-1)?.passed).toBe(decision.delivered);
      }
    }
  });

  it('traceFor rebuilds the very trace the engine returned, from the reason alone', () => {
    for (const { event, snapshot } of CASES) {
      for (const decision of decideNotifications(event, snapshot)) {
        expect(traceFor(decision.reason, decision.channel, event.kind, snapshot.widget, lockOfDecision(decision))).toBe(decision.trace);
      }
    }
  });

  it('traceFor refuses reasons that cannot arise', () => {
    expect(() => traceFor('DELIVERED', 'EMAIL', 'NEW_CHAT_SESSION', null)).toThrow();
    expect(() => traceFor('ROLE_DISABLED', 'ADDON', 'NEW_CHAT_SESSION', null)).toThrow();
    expect(() => traceFor('ADDON_DISABLED', 'BROWSER', 'NEW_CHAT_SESSION', null)).toThrow();
    expect(() => traceFor('WIDGET_MUTED', 'AUDIO', 'NEW_CHAT_SESSION', WIDGET)).toThrow();
    expect(() => traceFor('WIDGET_MUTED', 'BROWSER', 'NEW_CHAT_SESSION', null)).toThrow();
    expect(() => traceFor('OUTSIDE_WIDGET_GROUP', 'EMAIL', 'ALL_OFFLINE_MESSAGES', WIDGET)).toThrow();
  });

  it('shares frozen traces between decisions that took the same path', () => {
    const event: EventToDecide = { kind: 'ALL_CHAT_RATINGS', widgetId: null, subjectOperatorId: null };
    const snapshot: SettingsSnapshot = { operators: [operator('a'), operator('b')], widget: null, addons: [] };
    const [first, , , second] = decideNotifications(event, snapshot);
    expect(first?.trace).toBe(second?.trace);
    expect(Object.isFrozen(first?.trace)).toBe(true);
    expect(Object.isFrozen(first?.trace[0])).toBe(true);
  });

  it('decides operators in snapshot order, each on every channel, then the addons', () => {
    const event: EventToDecide = { kind: 'ALL_CHAT_RATINGS', widgetId: null, subjectOperatorId: null };
    const snapshot: SettingsSnapshot = {
      operators: [operator('a'), operator('b')],
      widget: null,
      addons: [{ id: 'x', kind: 'SLACK', enabled: true, events: [] }],
    };
    const summary = decideNotifications(event, snapshot).map(({ target, channel }) =>
      target.kind === 'ADDON' ? `${target.addonId}/${channel}` : `${target.operatorId}/${channel}`,
    );
    expect(summary).toEqual(['a/BROWSER', 'a/AUDIO', 'a/EMAIL', 'b/BROWSER', 'b/AUDIO', 'b/EMAIL', 'x/ADDON']);
  });

  it('decides only the requested operator channels, and addons still', () => {
    const event: EventToDecide = { kind: 'ALL_OFFLINE_MESSAGES', widgetId: null, subjectOperatorId: null };
    const snapshot: SettingsSnapshot = {
      operators: [operator('a')],
      widget: null,
      addons: [{ id: 'x', kind: 'SLACK', enabled: true, events: [] }],
    };
    const decisions = decideNotifications(event, snapshot, { channels: ['EMAIL'] });
    expect(decisions.map((d) => d.channel)).toEqual(['EMAIL', 'ADDON']);
  });

  it("refuses a snapshot whose widget is not the event's", () => {
    const event: EventToDecide = { kind: 'NEW_CHAT_SESSION', widgetId: 'other', subjectOperatorId: 'a' };
    expect(() => decideNotifications(event, { operators: [], widget: WIDGET, addons: [] })).toThrow();
    const unbound: EventToDecide = { ...event, widgetId: null };
    expect(() => decideNotifications(unbound, { operators: [], widget: WIDGET, addons: [] })).toThrow();
  });
});

describe('audience', () => {
  const OPERATORS = ['alice', 'bob', 'carol'];
  const snapshot: SettingsSnapshot = { operators: OPERATORS.map((id) => operator(id)), widget: null, addons: [] };
  const withSubject = (kind: NotificationEventKind, subject: string | null): EventToDecide => ({
    kind,
    widgetId: null,
    subjectOperatorId: subject,
    audienceOperatorIds: ['alice', 'carol'],
  });
  const decidedOperators = (event: EventToDecide) => [
    ...new Set(decideNotifications(event, snapshot).flatMap((d) => (d.target.kind === 'OPERATOR' ? [d.target.operatorId] : []))),
  ];

  // Subject is bob; hand-written from the spec's audience column.
  const EXPECTED: Record<NotificationEventKind, readonly string[]> = {
    OPERATOR_ONLINE: ['alice', 'carol'],
    OPERATOR_AWAY: ['alice', 'carol'],
    OPERATOR_BACK: ['alice', 'carol'],
    OPERATOR_OFFLINE: ['alice', 'carol'],
    NEW_CHAT_SESSION: ['bob'],
    ALL_NEW_CHAT_SESSIONS: ['alice', 'carol'],
    FIRST_MESSAGE_RECEIVED: ['bob'],
    MESSAGE_RECEIVED: ['bob'],
    MESSAGE_SENT: ['bob'],
    ALL_FORWARDED_CHAT_SESSIONS: OPERATORS,
    ALL_CHAT_RATINGS: OPERATORS,
    ALL_CHAT_FEEDBACK: OPERATORS,
    ALL_CHAT_SURVEYS: OPERATORS,
    ALL_CHAT_GOALS: OPERATORS,
    ALL_FINISHED_CHAT_SESSIONS: OPERATORS,
    ALL_OFFLINE_MESSAGES: OPERATORS,
    SYSTEM_MESSAGE: OPERATORS,
    ANALYTICS_DAILY: OPERATORS,
    WIDGET_CHANGED: OPERATORS,
    // The stored audience, whoever the subject is.
    CHAT_NOT_ACKNOWLEDGED: ['alice', 'carol'],
  };

  it.each(NOTIFICATION_EVENTS)('%s with subject bob', (kind) => {
    const event = withSubject(kind, 'bob');
    expect(decidedOperators(event)).toEqual(EXPECTED[kind]);
    expect(audienceOf(event, OPERATORS)).toEqual(EXPECTED[kind]);
    expect(OPERATORS.filter((id) => isInAudience(event, id))).toEqual(EXPECTED[kind]);
  });

  it('decides nothing at all for operators outside the audience, on any channel', () => {
    const decisions = decideNotifications(withSubject('NEW_CHAT_SESSION', 'bob'), snapshot);
    expect(decisions).toHaveLength(3);
    expect(decisions.every((d) => d.target.kind === 'OPERATOR' && d.target.operatorId === 'bob')).toBe(true);
  });

  it('without a subject: receiver and chat-operator audiences are empty, "all but" means everyone', () => {
    expect(decidedOperators(withSubject('NEW_CHAT_SESSION', null))).toEqual([]);
    expect(decidedOperators(withSubject('MESSAGE_RECEIVED', null))).toEqual([]);
    expect(decidedOperators(withSubject('ALL_NEW_CHAT_SESSIONS', null))).toEqual(OPERATORS);
    expect(decidedOperators(withSubject('OPERATOR_ONLINE', null))).toEqual(OPERATORS);
  });

  it('a subject who is not in the snapshot gets nothing, and excludes nobody', () => {
    expect(decidedOperators(withSubject('NEW_CHAT_SESSION', 'dave'))).toEqual([]);
    expect(decidedOperators(withSubject('ALL_NEW_CHAT_SESSIONS', 'dave'))).toEqual(OPERATORS);
  });
});

describe('exhaustiveness of the table', () => {
  it('covers every (event, channel) pair', () => {
    const covered = new Set(CASES.map(({ event, channel }) => `${event.kind}/${channel}`));
    const missing = NOTIFICATION_EVENTS.flatMap((kind) => CHANNELS.map((channel) => `${kind}/${channel}`)).filter(
      (pair) => !covered.has(pair),
    );
    expect(missing).toEqual([]);
  });

  it('covers every (event, operator channel, lock) combination', () => {
    const covered = new Set(lockCases.map(({ name }) => name));
    const missing = NOTIFICATION_EVENTS.flatMap((kind) =>
      (['BROWSER', 'AUDIO', 'EMAIL'] as const).flatMap((channel) =>
        DECISION_LOCKS.map((lock) => `lock ${lock}: ${kind} on ${channel}`).filter((name) => !covered.has(name)),
      ),
    );
    expect(missing).toEqual([]);
    const quietCovered = new Set(quietCases.map(({ event, channel }) => `${event.kind}/${channel}`));
    expect(
      NOTIFICATION_EVENTS.flatMap((kind) => (['BROWSER', 'AUDIO', 'EMAIL'] as const).map((c) => `${kind}/${c}`)).filter(
        (p) => !quietCovered.has(p),
      ),
    ).toEqual([]);
  });

  it('produces every reason code', () => {
    const covered = new Set(CASES.map(({ reason }) => reason));
    expect(REASONS.filter((reason) => !covered.has(reason))).toEqual([]);
  });

  it('asserts a trace ending at every check, failed and passed', () => {
    const failed = new Set(CASES.flatMap(({ trace, reason }) => (trace && reason !== 'DELIVERED' ? [trace.at(-1)] : [])));
    const passed = new Set(CASES.flatMap(({ trace, reason }) => (trace ? trace.slice(0, reason === 'DELIVERED' ? undefined : -1) : [])));
    expect(CHECKS.filter((check) => !failed.has(check))).toEqual([]);
    // OUTSIDE_QUIET_TIME runs only while the operator is in quiet time, so it never passes.
    expect(CHECKS.filter((check) => check !== 'OUTSIDE_QUIET_TIME' && !passed.has(check))).toEqual([]);
  });

  it('has a widget-muting case for every switch and every event', () => {
    const covered = new Set(widgetSwitchCases.map(({ name }) => name));
    for (const widgetSwitch of ['email', 'browser', 'addons'] as const) {
      for (const kind of NOTIFICATION_EVENTS) {
        expect(covered.has(`${widgetSwitch} switch off: ${kind} on ${SWITCH_CHANNEL[widgetSwitch]}`)).toBe(true);
      }
    }
  });
});

describe('admin locks (E1)', () => {
  it('the lock step of a trace names the lock that applied', () => {
    for (const { event, snapshot, channel } of lockCases) {
      const decision = decisionFor(decideNotifications(event, snapshot), targetOf(channel), channel);
      const expected = snapshot.operators[0]?.locks?.[channel as OperatorChannel] as AppliedLock;
      if (decision?.reason === 'CHANNEL_NOT_AVAILABLE') continue;
      expect(decision?.trace[2]).toEqual({ check: 'ADMIN_LOCK', passed: expected.value === 'REQUIRED', lock: expected });
      expect(lockOfDecision(decision as Decision)).toBe(expected);
    }
  });

  it('a role lock wins over an organization lock, whatever their values', () => {
    const locks = [
      { roleId: null, event: 'NEW_CHAT_SESSION', channel: 'BROWSER', value: 'FORBIDDEN' },
      { roleId: 'agents', event: 'NEW_CHAT_SESSION', channel: 'BROWSER', value: 'REQUIRED' },
      { roleId: null, event: 'NEW_CHAT_SESSION', channel: 'AUDIO', value: 'REQUIRED' },
      { roleId: 'leads', event: 'NEW_CHAT_SESSION', channel: 'AUDIO', value: 'FORBIDDEN' },
    ] as const;
    expect(locksForRole(locks, 'agents').get('NEW_CHAT_SESSION:BROWSER')).toEqual({ scope: 'ROLE', value: 'REQUIRED' });
    expect(locksForRole(locks, 'agents').get('NEW_CHAT_SESSION:AUDIO')).toEqual({ scope: 'ORGANIZATION', value: 'REQUIRED' });
    expect(locksForRole(locks, 'leads').get('NEW_CHAT_SESSION:BROWSER')).toEqual({ scope: 'ORGANIZATION', value: 'FORBIDDEN' });
    expect(locksForRole(locks, 'leads').get('NEW_CHAT_SESSION:AUDIO')).toEqual({ scope: 'ROLE', value: 'FORBIDDEN' });
    expect(locksForRole(locks, 'others').get('NEW_CHAT_SESSION:EMAIL')).toBeUndefined();
  });

  it('without locks or quiet time, every decision and trace is the base rule’s', () => {
    for (const { event, snapshot } of [...defaultCases, ...widgetSwitchCases, ...otherCases]) {
      const base = decideNotifications(event, snapshot);
      const extended = decideNotifications(event, { ...snapshot, quietOperatorIds: new Set() }, {});
      expect(extended).toEqual(base);
      for (const d of base) if (d.target.kind === 'OPERATOR') expect(d.trace.some((step) => step.lock !== undefined)).toBe(false);
    }
  });
});

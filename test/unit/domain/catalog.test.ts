/**
 * The catalog against an independent, hand-written copy of the spec's event table, so that a typo
 * in either one fails; plus the addon support lists and the shipped preference defaults.
 */
import { describe, expect, it } from 'vitest';
import {
  ADDON_KINDS,
  ADDON_SUPPORTED_EVENTS,
  CHANNELS,
  EVENT_CATALOG,
  EVENT_DESCRIPTIONS,
  findMutingSwitch,
  isChannelAvailable,
  isEventSupportedByAddon,
  isNotificationEventKind,
  NOTIFICATION_EVENTS,
  type NotificationEventKind,
  OPERATOR_CHANNELS,
  SAME_GROUP_EMAIL_EVENTS,
  switchForChannel,
} from '../../../src/domain/catalog.js';
import {
  PRODUCT_DEFAULT_PREFERENCES,
  productDefaultPreference,
  productDefaultPreferencesFor,
} from '../../../src/domain/product-defaults.js';

type YesNo = 'yes' | '–';

// Copied from notification-rules.md.
// | event | audience | browser | audio | email | addon | widget switch that mutes it |
const SPEC_TABLE: readonly (readonly [NotificationEventKind, string, YesNo, YesNo, YesNo, YesNo, string])[] = [
  ['OPERATOR_ONLINE', 'ALL_BUT_SUBJECT', 'yes', 'yes', '–', 'yes', 'none'],
  ['OPERATOR_AWAY', 'ALL_BUT_SUBJECT', 'yes', 'yes', '–', 'yes', 'none'],
  ['OPERATOR_BACK', 'ALL_BUT_SUBJECT', 'yes', 'yes', '–', 'yes', 'none'],
  ['OPERATOR_OFFLINE', 'ALL_BUT_SUBJECT', 'yes', 'yes', '–', 'yes', 'none'],
  ['NEW_CHAT_SESSION', 'RECEIVER', 'yes', 'yes', '–', 'yes', 'browser, addons'],
  ['ALL_NEW_CHAT_SESSIONS', 'ALL_BUT_RECEIVER', 'yes', 'yes', '–', 'yes', 'browser, addons'],
  ['FIRST_MESSAGE_RECEIVED', 'CHAT_OPERATOR', 'yes', 'yes', '–', 'yes', 'addons'],
  ['MESSAGE_RECEIVED', 'CHAT_OPERATOR', 'yes', 'yes', '–', 'yes', 'addons'],
  ['MESSAGE_SENT', 'CHAT_OPERATOR', 'yes', 'yes', '–', 'yes', 'addons'],
  ['ALL_FORWARDED_CHAT_SESSIONS', 'ALL', 'yes', 'yes', '–', 'yes', 'browser, addons'],
  ['ALL_CHAT_RATINGS', 'ALL', 'yes', 'yes', '–', 'yes', 'browser, addons'],
  ['ALL_CHAT_FEEDBACK', 'ALL', 'yes', 'yes', '–', 'yes', 'browser, addons'],
  ['ALL_CHAT_SURVEYS', 'ALL', 'yes', 'yes', '–', 'yes', 'browser, addons'],
  ['ALL_CHAT_GOALS', 'ALL', 'yes', 'yes', '–', 'yes', 'browser, addons'],
  ['ALL_FINISHED_CHAT_SESSIONS', 'ALL', 'yes', 'yes', 'yes', 'yes', 'email, browser, addons'],
  ['ALL_OFFLINE_MESSAGES', 'ALL', 'yes', 'yes', 'yes', 'yes', 'email, browser, addons'],
  ['SYSTEM_MESSAGE', 'ALL', 'yes', '–', 'yes', '–', 'none'],
  ['ANALYTICS_DAILY', 'ALL', '–', '–', 'yes', '–', 'none'],
  ['WIDGET_CHANGED', 'ALL', 'yes', '–', 'yes', '–', 'none'],
  // From extensions.md, E4.
  ['CHAT_NOT_ACKNOWLEDGED', 'ESCALATION', 'yes', 'yes', 'yes', 'yes', 'browser, addons'],
];

describe('EVENT_CATALOG', () => {
  it('has one spec row per event, in the same order', () => {
    expect(SPEC_TABLE.map(([kind]) => kind)).toEqual([...NOTIFICATION_EVENTS]);
    expect(Object.keys(EVENT_CATALOG)).toEqual([...NOTIFICATION_EVENTS]);
  });

  it.each(SPEC_TABLE)('%s matches the spec table', (kind, audience, browser, audio, email, addon, mutedBy) => {
    const spec = EVENT_CATALOG[kind];
    expect(spec.audience).toBe(audience);
    expect(spec.channels).toEqual({
      BROWSER: browser === 'yes',
      AUDIO: audio === 'yes',
      EMAIL: email === 'yes',
      ADDON: addon === 'yes',
    });
    expect([...spec.mutedBy].sort()).toEqual(mutedBy === 'none' ? [] : mutedBy.split(', ').sort());
    for (const channel of CHANNELS) expect(isChannelAvailable(kind, channel)).toBe(spec.channels[channel]);
  });

  it('is frozen all the way down', () => {
    expect(Object.isFrozen(EVENT_CATALOG)).toBe(true);
    for (const kind of NOTIFICATION_EVENTS) {
      expect(Object.isFrozen(EVENT_CATALOG[kind].channels)).toBe(true);
      expect(Object.isFrozen(EVENT_CATALOG[kind].mutedBy)).toBe(true);
    }
  });

  it('has a description for every event', () => {
    for (const kind of NOTIFICATION_EVENTS) expect(EVENT_DESCRIPTIONS[kind]).toMatch(/^[A-Z].+\.$/);
  });

  it('recognises event kinds', () => {
    expect(isNotificationEventKind('NEW_CHAT_SESSION')).toBe(true);
    expect(isNotificationEventKind('new_chat_session')).toBe(false);
  });
});

describe('channels and widget switches', () => {
  it('lists operator channels first, then ADDON', () => {
    expect(CHANNELS).toEqual(['BROWSER', 'AUDIO', 'EMAIL', 'ADDON']);
    expect(OPERATOR_CHANNELS).toEqual(['BROWSER', 'AUDIO', 'EMAIL']);
  });

  it('maps each channel to its switch; audio has none', () => {
    expect(CHANNELS.map(switchForChannel)).toEqual(['browser', null, 'email', 'addons']);
  });

  it('finds the muting switch only where the event is muted by it', () => {
    expect(findMutingSwitch('NEW_CHAT_SESSION', 'BROWSER')).toBe('browser');
    expect(findMutingSwitch('NEW_CHAT_SESSION', 'AUDIO')).toBeNull();
    expect(findMutingSwitch('MESSAGE_RECEIVED', 'BROWSER')).toBeNull();
    expect(findMutingSwitch('MESSAGE_RECEIVED', 'ADDON')).toBe('addons');
    expect(findMutingSwitch('ALL_OFFLINE_MESSAGES', 'EMAIL')).toBe('email');
    expect(findMutingSwitch('OPERATOR_ONLINE', 'ADDON')).toBeNull();
  });

  it('restricts to the widget group only finished chats and offline messages', () => {
    expect([...SAME_GROUP_EMAIL_EVENTS].sort()).toEqual(['ALL_FINISHED_CHAT_SESSIONS', 'ALL_OFFLINE_MESSAGES']);
  });
});

describe('addons', () => {
  const ADDON_COLUMN: readonly NotificationEventKind[] = SPEC_TABLE.filter((row) => row[5] === 'yes').map(([kind]) => kind);

  it('knows the four addon kinds', () => {
    expect(ADDON_KINDS).toEqual(['EMAIL_TICKET', 'SLACK', 'HELP_SCOUT', 'WEBHOOK']);
  });

  it.each(['EMAIL_TICKET', 'SLACK', 'WEBHOOK'] as const)('%s supports every event of the addon column', (kind) => {
    expect(ADDON_SUPPORTED_EVENTS[kind]).toEqual(ADDON_COLUMN);
  });

  it('Help Scout supports offline messages and finished chats only', () => {
    expect([...ADDON_SUPPORTED_EVENTS.HELP_SCOUT].sort()).toEqual(['ALL_FINISHED_CHAT_SESSIONS', 'ALL_OFFLINE_MESSAGES']);
  });

  it('answers support questions like the lists', () => {
    for (const addonKind of ADDON_KINDS) {
      for (const kind of NOTIFICATION_EVENTS) {
        expect(isEventSupportedByAddon(addonKind, kind)).toBe(ADDON_SUPPORTED_EVENTS[addonKind].includes(kind));
      }
    }
  });
});

describe('product defaults', () => {
  // Hand-written: the events each channel is on for by default.
  const ON: Record<'BROWSER' | 'AUDIO' | 'EMAIL', readonly NotificationEventKind[]> = {
    BROWSER: [
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
    ],
    AUDIO: ['NEW_CHAT_SESSION', 'FIRST_MESSAGE_RECEIVED', 'MESSAGE_RECEIVED', 'CHAT_NOT_ACKNOWLEDGED'],
    EMAIL: ['ALL_OFFLINE_MESSAGES', 'SYSTEM_MESSAGE', 'ANALYTICS_DAILY', 'WIDGET_CHANGED', 'CHAT_NOT_ACKNOWLEDGED'],
  };

  it.each(OPERATOR_CHANNELS)('%s is on exactly for its hand-written list', (channel) => {
    expect(NOTIFICATION_EVENTS.filter((kind) => productDefaultPreference(kind, channel))).toEqual(ON[channel]);
  });

  it('has one entry per available (event, operator channel) pair and none other', () => {
    const expected = NOTIFICATION_EVENTS.flatMap((event) =>
      OPERATOR_CHANNELS.filter((channel) => isChannelAvailable(event, channel)).map((channel) => `${event}/${channel}`),
    );
    expect(PRODUCT_DEFAULT_PREFERENCES.map(({ event, channel }) => `${event}/${channel}`)).toEqual(expected);
    expect(PRODUCT_DEFAULT_PREFERENCES).toHaveLength(42);
    for (const { event, channel, enabled } of PRODUCT_DEFAULT_PREFERENCES) {
      expect(enabled).toBe(productDefaultPreference(event, channel));
    }
  });

  it('gives the engine-shaped record for one event', () => {
    expect(productDefaultPreferencesFor('NEW_CHAT_SESSION')).toEqual({ BROWSER: true, AUDIO: true, EMAIL: false });
    expect(productDefaultPreferencesFor('ANALYTICS_DAILY')).toEqual({ BROWSER: false, AUDIO: false, EMAIL: true });
  });
});

/**
 * The precedence rule end to end, every case the tutorial names: a role switched off, an operator
 * opted out, each widget switch muting exactly its events (and none of the others), same-group
 * email, and "a widget mutes but never forces". Expectations are written by hand from the tutorial.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRODUCT_DEFAULT_PREFERENCES } from '../../src/domain/product-defaults.js';
import { decisionsFor, type EventView, eventOf, report, type Seeder, seedOrganization } from '../helpers/seed.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

// From the tutorial's "Chat Widget settings" tables.
const MUTED_BY: Record<'email' | 'browser' | 'addons', string[]> = {
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
  ],
};
const SWITCH_OF: Record<string, 'email' | 'browser' | 'addons' | null> = {
  EMAIL: 'email',
  BROWSER: 'browser',
  ADDON: 'addons',
  AUDIO: null,
};
// The channels each event offers (spec table), for the events the scenario raises.
const LIVE = ['BROWSER', 'AUDIO', 'ADDON'];
const OFFERED: Record<string, string[]> = {
  OPERATOR_ONLINE: LIVE,
  NEW_CHAT_SESSION: LIVE,
  ALL_NEW_CHAT_SESSIONS: LIVE,
  FIRST_MESSAGE_RECEIVED: LIVE,
  MESSAGE_RECEIVED: LIVE,
  MESSAGE_SENT: LIVE,
  ALL_FORWARDED_CHAT_SESSIONS: LIVE,
  ALL_CHAT_RATINGS: LIVE,
  ALL_CHAT_FEEDBACK: LIVE,
  ALL_CHAT_SURVEYS: LIVE,
  ALL_CHAT_GOALS: LIVE,
  ALL_FINISHED_CHAT_SESSIONS: ['BROWSER', 'AUDIO', 'EMAIL', 'ADDON'],
  ALL_OFFLINE_MESSAGES: ['BROWSER', 'AUDIO', 'EMAIL', 'ADDON'],
};

const allOn = PRODUCT_DEFAULT_PREFERENCES.map(({ event, channel }) => ({ event, channel, enabled: true }));

/** Two operators who want everything, an addon that chose everything, and a widget with `switches`. */
async function everythingWanted(switches: Record<string, boolean> = {}) {
  const seed = await seedOrganization(server);
  const alice = await seed.operator('Alice');
  const bob = await seed.operator('Bob');
  await seed.setPreferences(alice, allOn);
  await seed.setPreferences(bob, allOn);
  const addonId = await seed.addon(Object.keys(OFFERED));
  const widgetId = await seed.widget(switches);
  return { seed, alice, bob, addonId, widgetId, key: seed.org.apiKey };
}

/** Raises every widget-bound event through the widget, plus one presence event (no widget). */
async function raiseEverything({ key, alice, bob, widgetId }: Awaited<ReturnType<typeof everythingWanted>>) {
  const chat = { chatId: 'c-1' };
  const results = [
    await report(server, 'presenceChanged', { operatorId: alice, presence: 'ONLINE' }, key),
    await report(server, 'chatStarted', { ...chat, widgetId, operatorId: alice }, key),
    await report(server, 'visitorMessage', { ...chat, text: 'Hi' }, key),
    await report(server, 'operatorMessage', { ...chat, text: 'Hello' }, key),
    await report(server, 'chatForwarded', { ...chat, toOperatorId: bob }, key),
    await report(server, 'chatRated', { ...chat, rating: 4 }, key),
    await report(server, 'feedbackGiven', { ...chat, text: 'Nice' }, key),
    await report(server, 'surveyAnswered', { ...chat, answers: [{ question: 'Q', answer: 'A' }] }, key),
    await report(server, 'goalReached', { ...chat, goal: 'Demo' }, key),
    await report(server, 'chatFinished', chat, key),
    await report(server, 'offlineMessage', { widgetId, text: 'Call me' }, key),
  ];
  return results.flatMap((r) => r.events);
}

/** `EVENT:CHANNEL → reason` for the first of the operators in each event's audience, and the addon. */
function outcomes(events: EventView[], operators: string[]) {
  const table: Record<string, string> = {};
  for (const event of events) {
    const operator = operators.find((id) => Object.keys(decisionsFor(event, id)).length > 0) as string;
    for (const [channel, reason] of Object.entries(decisionsFor(event, operator))) table[`${event.kind}:${channel}`] = reason;
    const addon = event.decisions.find((d) => d.addon !== null);
    if (addon) table[`${event.kind}:ADDON`] = addon.reason;
  }
  return table;
}

function expectedWith(off: 'email' | 'browser' | 'addons' | null) {
  const table: Record<string, string> = {};
  for (const [kind, channels] of Object.entries(OFFERED)) {
    for (const channel of channels) {
      const muted = off !== null && SWITCH_OF[channel] === off && MUTED_BY[off].includes(kind);
      table[`${kind}:${channel}`] = muted ? 'WIDGET_MUTED' : 'DELIVERED';
    }
  }
  return table;
}

describe('widget switches', () => {
  it('with every switch on, everything wanted is delivered', async () => {
    const setup = await everythingWanted();
    expect(outcomes(await raiseEverything(setup), [setup.alice, setup.bob])).toEqual(expectedWith(null));
  });

  for (const off of ['email', 'browser', 'addons'] as const) {
    it(`the ${off} switch mutes exactly its events on its channel, and nothing else`, async () => {
      const setup = await everythingWanted({ [off]: false });
      expect(outcomes(await raiseEverything(setup), [setup.alice, setup.bob])).toEqual(expectedWith(off));
    });
  }

  it('a widget mutes but never forces: with every switch on, an operator who opted out is not notified', async () => {
    const { seed, alice, bob, widgetId, key } = await everythingWanted();
    await seed.setPreference(bob, 'ALL_NEW_CHAT_SESSIONS', 'BROWSER', false);
    const started = await report(server, 'chatStarted', { chatId: 'c-1', widgetId, operatorId: alice }, key);
    expect(decisionsFor(eventOf(started, 'ALL_NEW_CHAT_SESSIONS'), bob)).toEqual({ BROWSER: 'OPERATOR_OPTED_OUT', AUDIO: 'DELIVERED' });
  });

  it("an operator's opt-out is the reason even when the widget would mute too (checked first)", async () => {
    const { seed, alice, bob, widgetId, key } = await everythingWanted({ browser: false });
    await seed.setPreference(bob, 'ALL_NEW_CHAT_SESSIONS', 'BROWSER', false);
    const started = await report(server, 'chatStarted', { chatId: 'c-1', widgetId, operatorId: alice }, key);
    expect(decisionsFor(eventOf(started, 'ALL_NEW_CHAT_SESSIONS'), bob)).toEqual({ BROWSER: 'OPERATOR_OPTED_OUT', AUDIO: 'DELIVERED' });
  });
});

describe('roles and operators', () => {
  it('a role switched off silences its operators on every channel at once, and switching it on again restores them', async () => {
    const { seed, alice, widgetId, key } = await everythingWanted();
    const staff = await seed.createRole('Staff');
    const carol = await seed.operator('Carol', { roleId: staff });
    await seed.setPreferences(carol, allOn);
    await seed.setRoleNotifications(staff, false);
    const started = await report(server, 'chatStarted', { chatId: 'c-1', widgetId, operatorId: alice }, key);
    expect(decisionsFor(eventOf(started, 'ALL_NEW_CHAT_SESSIONS'), carol)).toEqual({ BROWSER: 'ROLE_DISABLED', AUDIO: 'ROLE_DISABLED' });
    const offline = await report(server, 'offlineMessage', { widgetId, text: 'Hi' }, key);
    expect(decisionsFor(offline.events[0], carol)).toEqual({ BROWSER: 'ROLE_DISABLED', AUDIO: 'ROLE_DISABLED', EMAIL: 'ROLE_DISABLED' });
    expect(decisionsFor(offline.events[0], alice)).toEqual({ BROWSER: 'DELIVERED', AUDIO: 'DELIVERED', EMAIL: 'DELIVERED' });
    // Addons belong to the organization: a role never silences them.
    expect(offline.events[0]?.decisions.find((d) => d.addon)?.reason).toBe('DELIVERED');
    await seed.setRoleNotifications(staff, true);
    const again = await report(server, 'offlineMessage', { widgetId, text: 'Hi again' }, key);
    expect(decisionsFor(again.events[0], carol)).toEqual({ BROWSER: 'DELIVERED', AUDIO: 'DELIVERED', EMAIL: 'DELIVERED' });
  });

  it('an operator who opted out of one event and channel misses only that one', async () => {
    const { seed, alice, bob, widgetId, key } = await everythingWanted();
    await seed.setPreference(bob, 'ALL_OFFLINE_MESSAGES', 'EMAIL', false);
    const offline = await report(server, 'offlineMessage', { widgetId, text: 'Hi' }, key);
    expect(decisionsFor(offline.events[0], bob)).toEqual({ BROWSER: 'DELIVERED', AUDIO: 'DELIVERED', EMAIL: 'OPERATOR_OPTED_OUT' });
    expect(decisionsFor(offline.events[0], alice)).toEqual({ BROWSER: 'DELIVERED', AUDIO: 'DELIVERED', EMAIL: 'DELIVERED' });
  });
});

describe('same-group email', () => {
  async function groupSetup(seed: Seeder, alice: string, emailSameGroupOnly: boolean) {
    const group = await seed.group('Sales', [alice]);
    return seed.widget({ name: `Sales ${emailSameGroupOnly}`, groupId: group, emailSameGroupOnly });
  }

  it("with emailSameGroupOnly, finished-chat and offline-message emails reach only the widget group's operators", async () => {
    const { seed, alice, bob, key } = await everythingWanted();
    const widgetId = await groupSetup(seed, alice, true);
    const offline = await report(server, 'offlineMessage', { widgetId, text: 'Hi' }, key);
    expect(decisionsFor(offline.events[0], alice)).toEqual({ BROWSER: 'DELIVERED', AUDIO: 'DELIVERED', EMAIL: 'DELIVERED' });
    expect(decisionsFor(offline.events[0], bob)).toEqual({ BROWSER: 'DELIVERED', AUDIO: 'DELIVERED', EMAIL: 'OUTSIDE_WIDGET_GROUP' });
    await report(server, 'chatStarted', { chatId: 'c-1', widgetId, operatorId: bob }, key);
    const finished = await report(server, 'chatFinished', { chatId: 'c-1' }, key);
    expect(decisionsFor(finished.events[0], bob)).toEqual({ BROWSER: 'DELIVERED', AUDIO: 'DELIVERED', EMAIL: 'OUTSIDE_WIDGET_GROUP' });
    // The admin keeps the shipped default (no finished-chat emails): their own choice is checked first.
    expect(decisionsFor(finished.events[0], seed.adminId).EMAIL).toBe('OPERATOR_OPTED_OUT');
    expect(decisionsFor(finished.events[0], alice).EMAIL).toBe('DELIVERED');
  });

  it('without the option, every operator who wants the email gets it', async () => {
    const { seed, alice, bob, key } = await everythingWanted();
    const widgetId = await groupSetup(seed, alice, false);
    const offline = await report(server, 'offlineMessage', { widgetId, text: 'Hi' }, key);
    expect(decisionsFor(offline.events[0], bob).EMAIL).toBe('DELIVERED');
  });
});

/**
 * Issue 9: a read in one tab reaches the operator's other tabs live (`inboxReadState`), and the
 * sound chosen per event (the "Audio" tab) rides on live items: Dashboard choices from the next
 * stream on, Chat Panel choices at once.
 */
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { connect, eventually, liveOrganization, pause, reportSystemMessages, subscribe } from './stream-client.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ config: { presenceGraceMs: 60_000 } });
});
afterAll(() => server.stop());

interface ReadChange {
  readIds: string[];
  allRead: boolean;
  unreadCount: number;
}

function followReads(client: Client) {
  const changes: ReadChange[] = [];
  const dispose = client.subscribe<{ inboxReadState: ReadChange }>(
    { query: 'subscription { inboxReadState { readIds allRead unreadCount } }' },
    { next: (r) => r.data && changes.push(r.data.inboxReadState), error: (e) => changes.push({ error: e } as never), complete: () => {} },
  );
  return { changes, dispose };
}

/** Resolves once the operator has `count` notification streams registered on the server. */
const streamsOpen = (token: string, count: number) =>
  eventually(
    () => server.gql<{ streamsInEffect: { streams: unknown[] } }>('query { streamsInEffect { streams { id } } }', {}, token),
    (r) => (r.data?.streamsInEffect.streams.length ?? 0) >= count,
  );

const waitUntil = async (check: () => boolean, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await pause(20);
  }
};

describe('read state across tabs', () => {
  it("a read in one tab reaches the operator's other tabs, never another operator", async () => {
    const { seeder, operators } = await liveOrganization(server, ['Ann', 'Bob']);
    const ann = operators.Ann!;
    const tabA = connect(server, ann.token);
    const tabB = connect(server, ann.token);
    const bob = connect(server, operators.Bob!.token);
    const streamA = subscribe(tabA.client);
    const [readsB, readsBob] = [followReads(tabB.client), followReads(bob.client)];
    await streamsOpen(ann.token, 1);
    await pause(200); // the read-state subscriptions, which no query lists
    await reportSystemMessages(server, seeder.org.apiKey, 'note ', 0, 3);
    const items = await streamA.waitFor(3);

    const one = await server.gql<{ markNotificationsRead: { unreadCount: number } }>(
      'mutation ($ids: [ID!]!) { markNotificationsRead(ids: $ids) { ... on MutationMarkNotificationsReadSuccess { data { unreadCount } } } }',
      { ids: [items[0]!.inboxItemId] },
      ann.token,
    );
    expect(one.errors).toBeUndefined();
    await waitUntil(() => readsB.changes.length === 1);
    expect(readsB.changes[0]).toEqual({ readIds: [items[0]!.inboxItemId], allRead: false, unreadCount: 2 });

    await server.gql('mutation { markAllNotificationsRead { __typename } }', {}, ann.token);
    await waitUntil(() => readsB.changes.length === 2);
    expect(readsB.changes[1]).toEqual({ readIds: [], allRead: true, unreadCount: 0 });
    // Nothing left unread: marking again changes nothing and tells nobody.
    await server.gql('mutation { markAllNotificationsRead { __typename } }', {}, ann.token);
    await pause(200);
    expect(readsB.changes).toHaveLength(2);
    expect(readsBob.changes).toEqual([]);
    for (const c of [tabA, tabB, bob]) await c.client.dispose();
  });
});

const DASHBOARD = /* GraphQL */ `
  mutation ($input: UpdateDashboardPreferencesInput!) {
    updateDashboardPreferences(input: $input) {
      __typename
      ... on MutationUpdateDashboardPreferencesSuccess { data { event channel enabled sound } }
      ... on AppError { code field }
    }
  }
`;
const CHAT_PANEL = /* GraphQL */ `
  mutation ($input: UpdateChatPanelPreferencesInput!) {
    updateChatPanelPreferences(input: $input) { __typename ... on AppError { code field } }
  }
`;
const START = /* GraphQL */ `
  mutation ($input: ReportChatStartedInput!) { reportChatStarted(input: $input) { __typename ... on AppError { code message } } }
`;

describe('the sound chosen per event', () => {
  it('Dashboard choices reach the next stream, Chat Panel choices the open ones at once; refusals change nothing', async () => {
    const { seeder, operators } = await liveOrganization(server, ['Cleo']);
    const cleo = operators.Cleo!;
    const widgetId = await seeder.widget();
    let chats = 0;
    const startChat = async () => {
      chats += 1;
      const input = { chatId: `chat-${chats}`, widgetId, operatorId: cleo.globalId };
      const answer = await server.gql<{ reportChatStarted: { __typename: string } }>(START, { input }, seeder.org.apiKey);
      expect(answer.data?.reportChatStarted.__typename, JSON.stringify(answer)).toMatch(/Success$/);
    };
    const early = connect(server, cleo.token);
    const earlyStream = subscribe(early.client);
    await streamsOpen(cleo.token, 1);

    const chosen = await server.gql<{ updateDashboardPreferences: { data: { event: string; channel: string; sound: string | null }[] } }>(
      DASHBOARD,
      { input: { operatorId: cleo.globalId, changes: [{ event: 'NEW_CHAT_SESSION', channel: 'AUDIO', enabled: true, sound: 'BELL' }] } },
      cleo.token,
    );
    const cells = chosen.data?.updateDashboardPreferences.data ?? [];
    expect(cells.find((c) => c.event === 'NEW_CHAT_SESSION' && c.channel === 'AUDIO')?.sound).toBe('BELL');
    expect(cells.find((c) => c.event === 'MESSAGE_RECEIVED' && c.channel === 'AUDIO')?.sound).toBe('MESSAGE');
    expect(cells.find((c) => c.event === 'NEW_CHAT_SESSION' && c.channel === 'BROWSER')?.sound).toBeNull();

    const late = connect(server, cleo.token);
    const lateStream = subscribe(late.client);
    await streamsOpen(cleo.token, 2);
    await startChat();
    const [first] = await earlyStream.waitFor(1);
    const [firstLate] = await lateStream.waitFor(1);
    expect([first?.sound, firstLate?.sound]).toEqual(['new-chat', 'bell']);

    await server.gql(
      CHAT_PANEL,
      { input: { changes: [{ event: 'NEW_CHAT_SESSION', channel: 'AUDIO', enabled: true, sound: 'CHIME' }] } },
      cleo.token,
    );
    await startChat();
    expect((await earlyStream.waitFor(2))[1]?.sound).toBe('chime');
    expect((await lateStream.waitFor(2))[1]?.sound).toBe('chime');

    // A sound on another channel, or in the organization defaults: INVALID_INPUT, nothing stored.
    const wrong = await server.gql<{ updateChatPanelPreferences: { code: string; field: string } }>(
      CHAT_PANEL,
      { input: { changes: [{ event: 'NEW_CHAT_SESSION', channel: 'BROWSER', enabled: false, sound: 'POP' }] } },
      cleo.token,
    );
    expect(wrong.data?.updateChatPanelPreferences).toMatchObject({ code: 'INVALID_INPUT', field: 'input.changes.0.sound' });
    const defaults = await server.gql<{ updateOrganizationDefaultPreferences: { code: string } }>(
      'mutation ($c: [PreferenceChangeInput!]!) { updateOrganizationDefaultPreferences(changes: $c) { __typename ... on AppError { code field } } }',
      { c: [{ event: 'NEW_CHAT_SESSION', channel: 'AUDIO', enabled: true, sound: 'POP' }] },
      seeder.org.adminToken,
    );
    expect(defaults.data?.updateOrganizationDefaultPreferences).toMatchObject({ code: 'INVALID_INPUT' });
    // null goes back to the event's own sound, on the open streams at once.
    await server.gql(
      CHAT_PANEL,
      { input: { changes: [{ event: 'NEW_CHAT_SESSION', channel: 'AUDIO', enabled: true, sound: null }] } },
      cleo.token,
    );
    await startChat();
    expect((await earlyStream.waitFor(3))[2]).toMatchObject({ sound: 'new-chat', showNotification: true });

    const effect = await server.gql<{ streamsInEffect: { saved: { event: string; channel: string; sound: string | null }[] } }>(
      'query { streamsInEffect { saved { event channel sound } streams { preferences { event channel sound } } } }',
      {},
      cleo.token,
    );
    expect(effect.data?.streamsInEffect.saved.find((p) => p.event === 'NEW_CHAT_SESSION' && p.channel === 'AUDIO')?.sound).toBe('NEW_CHAT');
    for (const c of [early, late]) await c.client.dispose();
  });
});

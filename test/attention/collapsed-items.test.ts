/**
 * Extension E6 over real graphql-ws clients: one visitor action that raises several events for an
 * operator reaches each stream as ONE item carrying all its events, with one sound at most, and
 * the inbox keeps one item too; every item has a Notification API tag (chat and kind of activity);
 * replay after a cursor gives back exactly the same items, in order, none twice; the unread items
 * can be listed grouped by chat with their counts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok } from '../helpers/seed.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { connect, liveOrganization, pause } from '../streams/stream-client.js';
import { onlineInDatabase, startChat } from './attention-helpers.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

const STREAM = /* GraphQL */ `
  subscription ($after: String) {
    notifications(after: $after) { cursor event events eventIds tag title playSound sound showNotification replayed inboxItemId }
  }
`;

interface Item {
  cursor: string;
  event: string;
  events: string[];
  eventIds: string[];
  tag: string;
  playSound: boolean;
  showNotification: boolean;
  sound: string | null;
  replayed: boolean;
  inboxItemId: string | null;
}

function collect(client: ReturnType<typeof connect>['client'], after: string | null) {
  const items: Item[] = [];
  const dispose = client.subscribe<{ notifications: Item }>(
    { query: STREAM, variables: { after } },
    { next: (r) => r.data && items.push(r.data.notifications), error: () => {}, complete: () => {} },
  );
  return { items, dispose };
}

const until = async (check: () => boolean, ms = 15_000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await pause(25);
  }
};

const message = (server: TestServer, apiKey: string, chatId: string, text: string) =>
  ok(
    server,
    `mutation ($input: ReportVisitorMessageInput!) { reportVisitorMessage(input: $input) { __typename
      ... on MutationReportVisitorMessageSuccess { data { events { kind } } } ... on AppError { code message field } } }`,
    { input: { chatId, text } },
    apiKey,
  );

describe('one alert per visitor action', () => {
  it('collapses a first message into one item and one inbox row, tags it, and replays it exactly', async () => {
    const { seeder, operators } = await liveOrganization(server, ['Cora']);
    const cora = operators.Cora as { id: string; globalId: string; token: string };
    const widgetId = await seeder.widget();
    const conn = connect(server, cora.token);
    try {
      const live = collect(conn.client, null);
      await onlineInDatabase(server, cora.id);
      await startChat(server, seeder.org.apiKey, 'c-1', widgetId, cora.globalId);
      await message(server, seeder.org.apiKey, 'c-1', 'Hello?');
      await message(server, seeder.org.apiKey, 'c-1', 'Anyone?');
      await until(() => live.items.length >= 3);
      await pause(300);
      expect(live.items.map((i) => [i.events, i.tag, i.playSound])).toEqual([
        [['NEW_CHAT_SESSION'], 'chat:c-1:session', true],
        [['FIRST_MESSAGE_RECEIVED', 'MESSAGE_RECEIVED'], 'chat:c-1:messages', true],
        [['MESSAGE_RECEIVED'], 'chat:c-1:messages', true],
      ]);
      expect(live.items[1]?.eventIds).toHaveLength(2);
      expect(live.items[1]?.sound).toBe('message');
      expect(await server.app.database.prisma.inboxItem.count({ where: { operatorId: cora.id } })).toBe(3);
      // Replay after the first item: exactly the two that followed, the same, once each, in order.
      const replay = collect(conn.client, live.items[0]?.cursor ?? null);
      await until(() => replay.items.length >= 2);
      await pause(300);
      expect(replay.items.map((i) => [i.events, i.tag, i.cursor, i.inboxItemId, i.replayed])).toEqual(
        live.items.slice(1).map((i) => [i.events, i.tag, i.cursor, i.inboxItemId, true]),
      );
      replay.dispose();
      live.dispose();
      const grouped = await server.gql<{ inboxUnreadByChat: unknown }>(
        '{ inboxUnreadByChat { chatId unreadCount events { event count } } inbox(first: 5) { edges { node { tag events } } } }',
        {},
        cora.token,
      );
      expect(grouped.data).toEqual({
        inboxUnreadByChat: [
          {
            chatId: 'c-1',
            unreadCount: 3,
            events: [
              { event: 'FIRST_MESSAGE_RECEIVED', count: 1 },
              { event: 'MESSAGE_RECEIVED', count: 1 },
              { event: 'NEW_CHAT_SESSION', count: 1 },
            ],
          },
        ],
        inbox: {
          edges: [
            { node: { tag: 'chat:c-1:messages', events: ['MESSAGE_RECEIVED'] } },
            { node: { tag: 'chat:c-1:messages', events: ['FIRST_MESSAGE_RECEIVED', 'MESSAGE_RECEIVED'] } },
            { node: { tag: 'chat:c-1:session', events: ['NEW_CHAT_SESSION'] } },
          ],
        },
      });
    } finally {
      await conn.client.dispose();
    }
  });

  it('keeps one item when only some of its events are on for the stream, sounding once', async () => {
    const { seeder, operators } = await liveOrganization(server, ['Dan']);
    const dan = operators.Dan as { id: string; globalId: string; token: string };
    // Dan hears first messages but sees no banner for them; every later message shows and sounds.
    await seeder.setPreferences(dan.globalId, [{ event: 'FIRST_MESSAGE_RECEIVED', channel: 'BROWSER', enabled: false }]);
    const widgetId = await seeder.widget();
    const conn = connect(server, dan.token);
    try {
      const live = collect(conn.client, null);
      await onlineInDatabase(server, dan.id);
      await startChat(server, seeder.org.apiKey, 'd-1', widgetId, dan.globalId);
      await message(server, seeder.org.apiKey, 'd-1', 'Hi');
      await until(() => live.items.length >= 2);
      await pause(300);
      expect(live.items).toHaveLength(2);
      expect(live.items[1]).toMatchObject({ events: ['FIRST_MESSAGE_RECEIVED', 'MESSAGE_RECEIVED'], playSound: true, sound: 'message' });
      expect(await server.app.database.prisma.inboxItem.count({ where: { operatorId: dan.id } })).toBe(2);
      live.dispose();
    } finally {
      await conn.client.dispose();
    }
  });

  it('carries an admin lock: REQUIRED on one of its events shows the one item, live and replayed, with no sound', async () => {
    const { seeder, operators } = await liveOrganization(server, ['Fay']);
    const fay = operators.Fay as { id: string; globalId: string; token: string };
    // Fay turned off banners and sounds of visitor messages; the admin requires the banner of MESSAGE_RECEIVED.
    await seeder.setPreferences(
      fay.globalId,
      ['FIRST_MESSAGE_RECEIVED', 'MESSAGE_RECEIVED'].flatMap((event) => [
        { event, channel: 'BROWSER', enabled: false },
        { event, channel: 'AUDIO', enabled: false },
      ]),
    );
    const lock = await server.gql(
      'mutation ($input: SetAdminLockInput!) { setAdminLock(input: $input) { __typename } }',
      { input: { event: 'MESSAGE_RECEIVED', channel: 'BROWSER', value: 'REQUIRED' } },
      seeder.org.adminToken,
    );
    expect(lock.errors).toBeUndefined();
    const widgetId = await seeder.widget();
    const conn = connect(server, fay.token);
    try {
      const live = collect(conn.client, null);
      await onlineInDatabase(server, fay.id);
      await startChat(server, seeder.org.apiKey, 'f-1', widgetId, fay.globalId);
      await message(server, seeder.org.apiKey, 'f-1', 'Hello?');
      await until(() => live.items.length >= 2);
      await pause(300);
      const expected = {
        events: ['FIRST_MESSAGE_RECEIVED', 'MESSAGE_RECEIVED'],
        tag: 'chat:f-1:messages',
        showNotification: true,
        playSound: false,
      };
      expect(live.items).toHaveLength(2);
      expect(live.items[1]).toMatchObject({ ...expected, replayed: false });
      expect(await server.app.database.prisma.inboxItem.count({ where: { operatorId: fay.id } })).toBe(2);
      // Replayed from the inbox, it is the same item, still shown by the lock.
      const replay = collect(conn.client, live.items[0]?.cursor ?? null);
      await until(() => replay.items.length >= 1);
      await pause(300);
      expect(replay.items).toHaveLength(1);
      expect(replay.items[0]).toMatchObject({ ...expected, replayed: true, cursor: live.items[1]?.cursor });
      replay.dispose();
      live.dispose();
    } finally {
      await conn.client.dispose();
    }
  });
});

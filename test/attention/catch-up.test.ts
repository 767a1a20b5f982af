/**
 * Extension E7 over real graphql-ws clients: an operator who comes back (a feed opened after
 * OFFLINE, or AWAY → ONLINE on an open feed) gets a catch-up summary first — the unread items that
 * arrived since they left, per chat and event — and replaying from its cursor gives exactly the
 * items counted; an operator who did not leave gets none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InstancePair, startInstancePair } from '../helpers/instance-pair.js';
import { ok } from '../helpers/seed.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { connect, eventually, liveOrganization, pause, reportSystemMessages } from '../streams/stream-client.js';
import { onlineInDatabase, startChat } from './attention-helpers.js';

let server: TestServer;
beforeAll(async () => {
  // A short grace so that closing the last stream makes the operator OFFLINE quickly.
  server = await startTestServer({ config: { presenceGraceMs: 100 } });
});
afterAll(async () => {
  await server?.stop();
});

const FEED = /* GraphQL */ `
  subscription ($after: String) {
    notificationFeed(after: $after) {
      __typename
      ... on LiveNotification { cursor event chatId title replayed }
      ... on CatchUpSummary { presence leftAt after through unreadCount chats { chatId unreadCount after events { event count } } }
    }
  }
`;
const STREAM = /* GraphQL */ `
  subscription ($after: String) { notifications(after: $after) { cursor event chatId title replayed } }
`;

interface Summary {
  __typename: 'CatchUpSummary';
  presence: string;
  leftAt: string;
  after: string;
  through: string;
  unreadCount: number;
  chats: { chatId: string | null; unreadCount: number; after: string; events: { event: string; count: number }[] }[];
}
interface Live {
  __typename: 'LiveNotification';
  cursor: string;
  event: string;
  chatId: string | null;
  title: string;
  replayed: boolean;
}
type FeedItem = Summary | Live;

function collect<T>(client: ReturnType<typeof connect>['client'], query: string, after: string | null) {
  const items: T[] = [];
  const errors: unknown[] = [];
  const dispose = client.subscribe<Record<string, T>>(
    { query, variables: { after } },
    {
      next: (r) => {
        if (r.errors) errors.push(r.errors);
        const value = r.data && Object.values(r.data)[0];
        if (value) items.push(value);
      },
      error: (e) => errors.push(e),
      complete: () => {},
    },
  );
  return { items, errors, dispose };
}

const until = async (check: () => boolean, what: () => string, ms = 15_000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what()}`);
    await pause(25);
  }
};

const message = (apiKey: string, chatId: string, text: string, on: TestServer = server) =>
  ok(
    on,
    `mutation ($input: ReportVisitorMessageInput!) { reportVisitorMessage(input: $input) { __typename
      ... on MutationReportVisitorMessageSuccess { data { replayed } } ... on AppError { code message field } } }`,
    { input: { chatId, text } },
    apiKey,
  );

const setPresence = (token: string, presence: string, on: TestServer = server) =>
  ok(
    on,
    `mutation ($presence: Presence!) { setMyPresence(presence: $presence) { __typename
      ... on MutationSetMyPresenceSuccess { data { presence } } ... on AppError { code message field } } }`,
    { presence },
    token,
  );

const departureOf = async (operatorId: string) => {
  const departure = await eventually(
    () => server.app.database.prisma.operatorDeparture.findUnique({ where: { operatorId } }),
    (d) => d !== null && d.returnedAt === null,
  );
  if (departure === null) throw new Error('no departure');
  return departure;
};

describe('catch-up on return', () => {
  it('sends a summary first after OFFLINE, with exact counts per chat and event, and its cursor replays exactly those', async () => {
    const { seeder, operators } = await liveOrganization(server, ['Ann', 'Bob']);
    const ann = operators.Ann as { id: string; globalId: string; token: string };
    const bob = operators.Bob as { id: string; globalId: string; token: string };
    const widgetId = await seeder.widget();
    const { apiKey } = seeder.org;

    // Ann works a while (one item before she leaves, not to be counted), then closes her only tab.
    const first = connect(server, ann.token);
    const before = collect<FeedItem>(first.client, FEED, null);
    await onlineInDatabase(server, ann.id);
    await reportSystemMessages(server, apiKey, 'before-', 0, 1);
    await until(
      () => before.items.length >= 1,
      () => JSON.stringify(before.items),
    );
    expect(before.items.map((i) => i.__typename)).toEqual(['LiveNotification']); // she never left: no summary
    await first.client.dispose();
    await eventually(
      () => server.app.database.prisma.operator.findUniqueOrThrow({ where: { id: ann.id } }),
      (o) => o.presence === 'OFFLINE',
    );
    const departure = await departureOf(ann.id);
    expect(departure.presence).toBe('OFFLINE');

    // While she is away: her chat with a first message (one collapsed item) and another message, a
    // colleague's new chat, two system messages.
    await startChat(server, apiKey, 'c-1', widgetId, ann.globalId);
    await message(apiKey, 'c-1', 'Hello?');
    await message(apiKey, 'c-1', 'Anyone?');
    await startChat(server, apiKey, 'c-2', widgetId, bob.globalId);
    await reportSystemMessages(server, apiKey, 'away-', 0, 2);

    const back = connect(server, ann.token);
    try {
      const feed = collect<FeedItem>(back.client, FEED, null);
      await until(
        () => feed.items.length >= 1,
        () => JSON.stringify(feed.errors),
      );
      const summary = feed.items[0] as Summary;
      expect(summary).toMatchObject({ __typename: 'CatchUpSummary', presence: 'OFFLINE', unreadCount: 6 });
      expect(new Date(summary.leftAt).getTime()).toBe(departure.leftAt.getTime());
      expect(summary.chats.map(({ chatId, unreadCount, events }) => ({ chatId, unreadCount, events }))).toEqual([
        { chatId: 'c-2', unreadCount: 1, events: [{ event: 'ALL_NEW_CHAT_SESSIONS', count: 1 }] },
        {
          chatId: 'c-1',
          unreadCount: 3,
          events: [
            { event: 'FIRST_MESSAGE_RECEIVED', count: 1 },
            { event: 'MESSAGE_RECEIVED', count: 1 },
            { event: 'NEW_CHAT_SESSION', count: 1 },
          ],
        },
        { chatId: null, unreadCount: 2, events: [{ event: 'SYSTEM_MESSAGE', count: 2 }] },
      ]);

      // Replay from the summary's cursor up to `through`: exactly the items counted, in order.
      const replay = collect<Live>(back.client, STREAM, summary.after);
      await until(
        () => replay.items.some((i) => i.cursor === summary.through),
        () => JSON.stringify(replay.items.map((i) => i.title)),
      );
      const counted = replay.items.slice(0, replay.items.findIndex((i) => i.cursor === summary.through) + 1);
      expect(counted.map((i) => [i.chatId, i.event, i.replayed])).toEqual([
        ['c-1', 'NEW_CHAT_SESSION', true],
        ['c-1', 'FIRST_MESSAGE_RECEIVED', true],
        ['c-1', 'MESSAGE_RECEIVED', true],
        ['c-2', 'ALL_NEW_CHAT_SESSIONS', true],
        [null, 'SYSTEM_MESSAGE', true],
        [null, 'SYSTEM_MESSAGE', true],
      ]);
      // A chat's own cursor starts the replay at its first counted item.
      const fromC2 = collect<Live>(back.client, STREAM, summary.chats[0]?.after ?? null);
      await until(
        () => fromC2.items.length >= 1,
        () => 'nothing replayed',
      );
      expect(fromC2.items[0]).toMatchObject({ chatId: 'c-2', event: 'ALL_NEW_CHAT_SESSIONS' });

      // After the summary the feed is the live stream: the next item is a notification, no second summary.
      await message(apiKey, 'c-1', 'Still there?');
      await until(
        () => feed.items.length >= 2,
        () => JSON.stringify(feed.items),
      );
      await pause(300);
      expect(feed.items.slice(1)).toEqual([expect.objectContaining({ __typename: 'LiveNotification', event: 'MESSAGE_RECEIVED' })]);
      expect(feed.errors).toEqual([]);
      for (const s of [feed, replay, fromC2]) s.dispose();
      // Not stored: the inbox holds the notifications only.
      expect(await server.app.database.prisma.inboxItem.count({ where: { operatorId: ann.id } })).toBe(8);
    } finally {
      await back.client.dispose();
    }
  });

  it('sends none to an operator who did not leave: a second tab, one reopened while another stays open, a colleague', async () => {
    const { seeder, operators } = await liveOrganization(server, ['Cy', 'Dee']);
    const cy = operators.Cy as { id: string; token: string };
    const dee = operators.Dee as { id: string; token: string };
    const { apiKey } = seeder.org;
    const cyConn = connect(server, cy.token);
    const deeConn = connect(server, dee.token);
    try {
      const cyFeed = collect<FeedItem>(cyConn.client, FEED, null);
      const deeFeed = collect<FeedItem>(deeConn.client, FEED, null);
      await onlineInDatabase(server, cy.id);
      await onlineInDatabase(server, dee.id);
      // Cy opens a second tab while online, closes it and opens another (her first tab stays open).
      const secondTab = collect<FeedItem>(cyConn.client, FEED, null);
      await pause(100);
      secondTab.dispose();
      const reloaded = collect<FeedItem>(cyConn.client, FEED, null);
      await pause(300);
      await reportSystemMessages(server, apiKey, 'all-', 0, 1);
      for (const feed of [cyFeed, deeFeed, reloaded]) {
        await until(
          () => feed.items.some((i) => i.__typename === 'LiveNotification' && i.event === 'SYSTEM_MESSAGE'),
          () => 'no item',
        );
      }
      await pause(300);
      for (const feed of [cyFeed, deeFeed, reloaded, secondTab]) {
        expect(feed.items.filter((i) => i.__typename === 'CatchUpSummary')).toEqual([]);
      }
      cyFeed.dispose();
      reloaded.dispose();
      deeFeed.dispose();
    } finally {
      await cyConn.client.dispose();
      await deeConn.client.dispose();
    }
  });

  it('sends the summary next on an open feed when the operator comes back from AWAY, without what they read', async () => {
    const { seeder, operators } = await liveOrganization(server, ['Eve']);
    const eve = operators.Eve as { id: string; globalId: string; token: string };
    const widgetId = await seeder.widget();
    const { apiKey } = seeder.org;
    const conn = connect(server, eve.token);
    try {
      const feed = collect<FeedItem>(conn.client, FEED, null);
      await onlineInDatabase(server, eve.id);
      await setPresence(eve.token, 'AWAY');
      expect((await departureOf(eve.id)).presence).toBe('AWAY');
      // While away the items still reach the open feed (nobody may be looking at it).
      await startChat(server, apiKey, 'e-1', widgetId, eve.globalId);
      await message(apiKey, 'e-1', 'Hi');
      await reportSystemMessages(server, apiKey, 'away-', 0, 1);
      await until(
        () => feed.items.length >= 3,
        () => JSON.stringify(feed.items),
      );
      // She reads the system message on another device before coming back: not counted.
      const system = await server.app.database.prisma.inboxItem.findFirstOrThrow({ where: { operatorId: eve.id, kind: 'SYSTEM_MESSAGE' } });
      const read = await server.gql(
        'mutation ($ids: [ID!]!) { markNotificationsRead(ids: $ids) { __typename } }',
        { ids: [Buffer.from(`InboxItem:${system.id}`).toString('base64')] },
        eve.token,
      );
      expect(read.errors).toBeUndefined();
      await setPresence(eve.token, 'ONLINE');
      await until(
        () => feed.items.length >= 4,
        () => JSON.stringify(feed.items),
      );
      const summary = feed.items[3] as Summary;
      expect(summary).toMatchObject({ __typename: 'CatchUpSummary', presence: 'AWAY', unreadCount: 2 });
      expect(summary.chats.map(({ chatId, events }) => ({ chatId, events }))).toEqual([
        {
          chatId: 'e-1',
          events: [
            { event: 'FIRST_MESSAGE_RECEIVED', count: 1 },
            { event: 'NEW_CHAT_SESSION', count: 1 },
          ],
        },
      ]);
      // The replay cursor is where she stood when she went away: the first item after it is the chat.
      const replay = collect<Live>(conn.client, STREAM, summary.after);
      await until(
        () => replay.items.length >= 3,
        () => JSON.stringify(replay.items),
      );
      expect(replay.items.map((i) => i.event)).toEqual(['NEW_CHAT_SESSION', 'FIRST_MESSAGE_RECEIVED', 'SYSTEM_MESSAGE']);
      expect(replay.items[2]?.cursor).toBe(summary.through);
      // Once: the return is not summarised again, and what follows is live.
      await setPresence(eve.token, 'ONLINE');
      await message(apiKey, 'e-1', 'Hello again');
      await until(
        () => feed.items.length >= 5,
        () => JSON.stringify(feed.items),
      );
      await pause(300);
      expect(feed.items.slice(4).map((i) => i.__typename)).toEqual(['LiveNotification']);
      feed.dispose();
      replay.dispose();
    } finally {
      await conn.client.dispose();
    }
  });
});

describe('catch-up across instances', () => {
  let pair: InstancePair;
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    pair = await startInstancePair({ presenceGraceMs: 100 });
    ({ a, b } = pair);
  });
  afterAll(async () => {
    await pair?.stop();
  });

  it('a return through instance B sends the summary on the feed open on instance A', async () => {
    const { seeder, operators } = await liveOrganization(a, ['Gil']);
    const gil = operators.Gil as { id: string; globalId: string; token: string };
    const widgetId = await seeder.widget();
    const conn = connect(a, gil.token);
    try {
      const feed = collect<FeedItem>(conn.client, FEED, null);
      await onlineInDatabase(a, gil.id);
      await setPresence(gil.token, 'AWAY', b);
      await startChat(b, seeder.org.apiKey, 'g-1', widgetId, gil.globalId);
      await until(
        () => feed.items.length >= 1,
        () => JSON.stringify(feed.items),
      );
      await setPresence(gil.token, 'ONLINE', b);
      await until(
        () => feed.items.length >= 2,
        () => JSON.stringify(feed.items),
      );
      expect(feed.items[1]).toMatchObject({
        __typename: 'CatchUpSummary',
        presence: 'AWAY',
        unreadCount: 1,
        chats: [{ chatId: 'g-1', unreadCount: 1, events: [{ event: 'NEW_CHAT_SESSION', count: 1 }] }],
      });
      feed.dispose();
    } finally {
      await conn.client.dispose();
    }
  });
});

/**
 * Live notifications over real sockets (issue 3, part 6): authentication, isolation, tabs,
 * ordering, reconnect with cursor under load, inbox, Dashboard versus Chat Panel, slow clients,
 * unsubscribe releasing resources.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueOperatorToken } from '../../src/services/organizations.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { connect, eventually, liveOrganization, pause, rawSubscriber, reportSystemMessages, subscribe } from './stream-client.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ config: { presenceGraceMs: 60_000, streamBufferLimit: 300 } });
});
afterAll(() => server.stop());

const STREAMS = /* GraphQL */ `
  query ($operatorId: ID) { streamsInEffect(operatorId: $operatorId) { saved { event channel enabled } streams { id bufferedItems differences { event channel enabled } } } }
`;
type StreamsInEffect = {
  streamsInEffect: {
    saved: unknown[];
    streams: { id: string; bufferedItems: number; differences: { event: string; channel: string; enabled: boolean }[] }[];
  };
};

describe('authentication', () => {
  it('closes the socket with 4403 for a missing, bad or expired token', async () => {
    const org = await server.newOrganization();
    const expired = issueOperatorToken('test-secret', -60, { id: org.adminId, organizationId: org.organizationId }).token;
    for (const token of [null, 'not-a-token', expired]) {
      const { client, closed } = connect(server, token);
      expect(await closed).toBe(4403);
      await client.dispose();
    }
  });

  it('refuses an integrator key at connection_init and offers no operator id argument', async () => {
    const org = await server.newOrganization();
    const asIntegrator = connect(server, org.apiKey);
    expect(await asIntegrator.closed).toBe(4403);
    await asIntegrator.client.dispose();
    const { client } = connect(server, org.adminToken);
    const bad = await new Promise<unknown>((resolve) =>
      client.subscribe(
        { query: `subscription { notifications(operatorId: "x") { title } }` },
        { next: () => {}, error: resolve, complete: () => {} },
      ),
    );
    expect(JSON.stringify(bad)).toMatch(/Unknown argument .{0,4}operatorId/);
    await client.dispose();
  });

  it('refuses an over-long cursor when subscribing, with TOO_LONG on `after` (checked once, not per item)', async () => {
    const org = await server.newOrganization();
    const { client } = connect(server, org.adminToken);
    const sub = subscribe(client, 'x'.repeat(1_001));
    expect(JSON.stringify(await sub.waitForError())).toMatch(/"code":"TOO_LONG","field":"after"/);
    expect(sub.items).toEqual([]);
    await client.dispose();
  });
});

describe('delivery', () => {
  it('reaches every tab of the operator, in order, and never another organization', async () => {
    const { seeder, operators } = await liveOrganization(server, ['Ann']);
    const other = await liveOrganization(server, ['Olga']);
    const tabs = [connect(server, operators.Ann!.token), connect(server, operators.Ann!.token)];
    const subs = tabs.map(({ client }) => subscribe(client));
    const stranger = connect(server, other.operators.Olga!.token);
    const strangerSub = subscribe(stranger.client);
    await eventually(
      () => server.gql<StreamsInEffect>(STREAMS, {}, operators.Ann!.token),
      (r) => r.data?.streamsInEffect.streams.length === 2,
    );
    await eventually(
      () => server.gql<StreamsInEffect>(STREAMS, {}, other.operators.Olga!.token),
      (r) => r.data?.streamsInEffect.streams.length === 1,
    );
    await reportSystemMessages(server, seeder.org.apiKey, 'm', 0, 20);
    await reportSystemMessages(server, seeder.org.apiKey, 'm', 20, 30);
    const expected = Array.from({ length: 30 }, (_, i) => `m${i}`);
    for (const sub of subs) {
      const items = await sub.waitFor(30);
      expect(items.filter((i) => i.event === 'SYSTEM_MESSAGE').map((i) => i.title)).toEqual(expected);
      expect(items.every((i) => i.replayed === false && i.showNotification && !i.playSound)).toBe(true);
    }
    await pause(100);
    expect(strangerSub.items.filter((i) => i.event === 'SYSTEM_MESSAGE')).toEqual([]);
    for (const { client } of [...tabs, stranger]) await client.dispose();
  });

  it('resumes after a cursor while notifications keep flowing: nothing lost, nothing twice, in order', async () => {
    const { seeder, operators } = await liveOrganization(server, ['Rita']);
    const first = connect(server, operators.Rita!.token);
    const sub1 = subscribe(first.client);
    await eventually(
      () => server.gql<StreamsInEffect>(STREAMS, {}, operators.Rita!.token),
      (r) => r.data?.streamsInEffect.streams.length === 1,
    );
    await reportSystemMessages(server, seeder.org.apiKey, 'r', 0, 5);
    const seen = await sub1.waitFor(5);
    await first.client.dispose();
    // Five are reported while the client is away (so it has something to replay, however slow the
    // machine), and publishing goes on while it reconnects and replays.
    await reportSystemMessages(server, seeder.org.apiKey, 'r', 5, 10);
    const publishing = (async () => {
      for (let batch = 1; batch < 12; batch++) await reportSystemMessages(server, seeder.org.apiKey, 'r', 5 + batch * 5, 10 + batch * 5);
    })();
    await reportSystemMessages(server, seeder.org.apiKey, 'x', 0, 0).catch(() => {});
    const second = connect(server, operators.Rita!.token);
    const sub2 = subscribe(second.client, seen[seen.length - 1]!.cursor);
    await publishing;
    const items = (await sub2.waitFor(60)).filter((i) => i.event === 'SYSTEM_MESSAGE');
    await pause(100);
    const titles = [...seen, ...sub2.items].filter((i) => i.event === 'SYSTEM_MESSAGE').map((i) => i.title);
    expect(titles).toEqual(Array.from({ length: 65 }, (_, i) => `r${i}`));
    expect(items.some((i) => i.replayed)).toBe(true);
    await second.client.dispose();
  });
});

const INBOX = /* GraphQL */ `
  query ($unreadOnly: Boolean) { inboxUnreadCount inbox(unreadOnly: $unreadOnly, first: 50) { edges { node { id title read cursor event } } } }
`;
const MARK = /* GraphQL */ `
  mutation ($ids: [ID!]!) { markNotificationsRead(ids: $ids) { __typename ... on MutationMarkNotificationsReadSuccess { data { updatedCount unreadCount } } } }
`;
const MARK_ALL = /* GraphQL */ `
  mutation { markAllNotificationsRead { __typename ... on MutationMarkAllNotificationsReadSuccess { data { updatedCount unreadCount } } } }
`;
type Inbox = { inboxUnreadCount: number; inbox: { edges: { node: { id: string; title: string; read: boolean } }[] } };

describe('inbox', () => {
  it('a widget change reaches open streams at once, as WIDGET_CHANGED', async () => {
    const { seeder, operators } = await liveOrganization(server, ['Wes']);
    const widgetId = await seeder.widget({ name: 'Shop' });
    const { client } = connect(server, operators.Wes!.token);
    const sub = subscribe(client);
    await eventually(
      () => server.gql<StreamsInEffect>(STREAMS, {}, operators.Wes!.token),
      (r) => r.data?.streamsInEffect.streams.length === 1,
    );
    await seeder.updateWidget(widgetId, { browser: false });
    const [item] = await sub.waitFor(1);
    expect(item).toMatchObject({ event: 'WIDGET_CHANGED', replayed: false, showNotification: true });
    await client.dispose();
  });

  it('keeps notifications without any stream, newest first, and marks one, many or all read', async () => {
    const { seeder, operators } = await liveOrganization(server, ['Ivo', 'Ida']);
    await reportSystemMessages(server, seeder.org.apiKey, 'i', 0, 4);
    const inbox = await server.gql<Inbox>(INBOX, {}, operators.Ivo!.token);
    expect(inbox.data?.inbox.edges.map((e) => e.node.title)).toEqual(['i3', 'i2', 'i1', 'i0']);
    expect(inbox.data?.inboxUnreadCount).toBe(4);
    const [newest, second] = inbox.data?.inbox.edges.map((e) => e.node.id) ?? [];
    const marked = await server.gql<{ markNotificationsRead: { data: { updatedCount: number; unreadCount: number } } }>(
      MARK,
      { ids: [newest, second] },
      operators.Ivo!.token,
    );
    expect(marked.data?.markNotificationsRead.data).toEqual({ updatedCount: 2, unreadCount: 2 });
    // Another operator cannot mark Ivo's items.
    const foreign = await server.gql<{ markNotificationsRead: { data: { updatedCount: number } } }>(
      MARK,
      { ids: [newest] },
      operators.Ida!.token,
    );
    expect(foreign.data?.markNotificationsRead.data.updatedCount).toBe(0);
    const unread = await server.gql<Inbox>(INBOX, { unreadOnly: true }, operators.Ivo!.token);
    expect(unread.data?.inbox.edges.map((e) => e.node.title)).toEqual(['i1', 'i0']);
    const all = await server.gql<{ markAllNotificationsRead: { data: { updatedCount: number; unreadCount: number } } }>(
      MARK_ALL,
      {},
      operators.Ivo!.token,
    );
    expect(all.data?.markAllNotificationsRead.data).toEqual({ updatedCount: 2, unreadCount: 0 });
  });
});

const DASHBOARD = /* GraphQL */ `
  mutation ($input: UpdateDashboardPreferencesInput!) { updateDashboardPreferences(input: $input) { __typename } }
`;
const CHAT_PANEL = /* GraphQL */ `
  mutation ($input: UpdateChatPanelPreferencesInput!) { updateChatPanelPreferences(input: $input) { __typename } }
`;

describe('Dashboard versus Chat Panel', () => {
  it('an open stream keeps its preferences through Dashboard changes, and follows Chat Panel changes at once', async () => {
    const { seeder, operators } = await liveOrganization(server, ['Dora']);
    const dora = operators.Dora!;
    const open = connect(server, dora.token);
    const sub = subscribe(open.client);
    await eventually(
      () => server.gql<StreamsInEffect>(STREAMS, {}, dora.token),
      (r) => r.data?.streamsInEffect.streams.length === 1,
    );
    const off = { changes: [{ event: 'SYSTEM_MESSAGE', channel: 'BROWSER', enabled: false }] };
    const dashboard = await server.gql<{ updateDashboardPreferences: { __typename: string } }>(
      DASHBOARD,
      { input: { operatorId: dora.globalId, ...off } },
      seeder.org.adminToken,
    );
    expect(dashboard.data?.updateDashboardPreferences.__typename).toMatch(/Success$/);
    const effect = await server.gql<StreamsInEffect>(STREAMS, { operatorId: dora.globalId }, seeder.org.adminToken);
    expect(effect.data?.streamsInEffect.streams[0]?.differences).toEqual([{ event: 'SYSTEM_MESSAGE', channel: 'BROWSER', enabled: true }]);

    await reportSystemMessages(server, seeder.org.apiKey, 'd', 0, 1);
    expect((await sub.waitFor(1)).map((i) => i.title)).toEqual(['d0']);
    // A stream opened after the Dashboard change starts from the saved preferences.
    const fresh = connect(server, dora.token);
    const freshSub = subscribe(fresh.client);
    await eventually(
      () => server.gql<StreamsInEffect>(STREAMS, {}, dora.token),
      (r) => r.data?.streamsInEffect.streams.length === 2,
    );
    await reportSystemMessages(server, seeder.org.apiKey, 'd', 1, 2);
    await sub.waitFor(2);
    await pause(100);
    expect(freshSub.items).toEqual([]);

    // Chat Panel: on again, then off, reach both open streams at once.
    const on = { changes: [{ event: 'SYSTEM_MESSAGE', channel: 'BROWSER', enabled: true }] };
    const panelOn = await server.gql<{ updateChatPanelPreferences: { __typename: string } }>(CHAT_PANEL, { input: on }, dora.token);
    expect(panelOn.data?.updateChatPanelPreferences.__typename).toMatch(/Success$/);
    await reportSystemMessages(server, seeder.org.apiKey, 'd', 2, 3);
    expect((await freshSub.waitFor(1)).map((i) => i.title)).toEqual(['d2']);
    await server.gql(CHAT_PANEL, { input: off }, dora.token);
    await reportSystemMessages(server, seeder.org.apiKey, 'd', 3, 4);
    await reportSystemMessages(server, seeder.org.apiKey, 'marker', 0, 0).catch(() => {});
    await pause(150);
    expect(sub.items.map((i) => i.title)).toEqual(['d0', 'd1', 'd2']);
    expect(freshSub.items.map((i) => i.title)).toEqual(['d2']);
    await open.client.dispose();
    await fresh.client.dispose();
  });
});

describe('preferences shared between streams', () => {
  it("equal preferences are shared by the streams that hold them; a Chat Panel change on one operator's stream leaves the other's as it was", async () => {
    const { seeder, operators } = await liveOrganization(server, ['Eva', 'Finn']);
    const [eva, finn] = [operators.Eva!, operators.Finn!];
    const [evaOpen, finnOpen] = [connect(server, eva.token), connect(server, finn.token)];
    const [evaSub, finnSub] = [subscribe(evaOpen.client), subscribe(finnOpen.client)];
    for (const op of [eva, finn]) {
      await eventually(
        () => server.gql<StreamsInEffect>(STREAMS, {}, op.token),
        (r) => r.data?.streamsInEffect.streams.length === 1,
      );
    }
    // Only the system messages of this test count (colleagues' presence items come too).
    const titles = (sub: typeof evaSub) => sub.items.map((i) => i.title).filter((t) => /^s\d$/.test(t));
    const received = (sub: typeof evaSub, count: number) =>
      eventually(
        async () => titles(sub),
        (t) => t.length >= count,
      );
    const off = { changes: [{ event: 'SYSTEM_MESSAGE', channel: 'BROWSER', enabled: false }] };
    await server.gql(CHAT_PANEL, { input: off }, finn.token);
    await reportSystemMessages(server, seeder.org.apiKey, 's', 0, 1);
    expect(await received(evaSub, 1)).toEqual(['s0']);
    await pause(150);
    expect(titles(finnSub)).toEqual([]);
    const evaEffect = await server.gql<StreamsInEffect>(STREAMS, {}, eva.token);
    expect(evaEffect.data?.streamsInEffect.streams[0]?.differences).toEqual([]);
    const finnEffect = await server.gql<StreamsInEffect>(STREAMS, {}, finn.token);
    expect(finnEffect.data?.streamsInEffect.streams[0]?.differences).toEqual([]);
    expect(finnEffect.data?.streamsInEffect.saved).toContainEqual({ event: 'SYSTEM_MESSAGE', channel: 'BROWSER', enabled: false });

    // Back on: Finn's stream (now holding preferences equal to Eva's again) receives, and so does Eva's.
    await server.gql(CHAT_PANEL, { input: { changes: [{ ...off.changes[0], enabled: true }] } }, finn.token);
    await reportSystemMessages(server, seeder.org.apiKey, 's', 1, 2);
    expect(await received(finnSub, 1)).toEqual(['s1']);
    expect(await received(evaSub, 2)).toEqual(['s0', 's1']);
    await evaOpen.client.dispose();
    await finnOpen.client.dispose();
  });
});

describe('slow and departed clients', () => {
  it('a client that stops reading does not hold back a fast one, and its buffer stays bounded', async () => {
    const { seeder, operators } = await liveOrganization(server, ['Sam']);
    // No emails for these: the test is about the live side.
    for (const id of [seeder.adminId, operators.Sam!.globalId]) await seeder.setPreference(id, 'SYSTEM_MESSAGE', 'EMAIL', false);
    const slow = await rawSubscriber(server, operators.Sam!.token);
    const fast = connect(server, operators.Sam!.token);
    const fastSub = subscribe(fast.client);
    await eventually(
      () => server.gql<StreamsInEffect>(STREAMS, {}, operators.Sam!.token),
      (r) => r.data?.streamsInEffect.streams.length === 2,
    );
    slow.socket.pause();
    for (let i = 0; i < 3; i++) await reportSystemMessages(server, seeder.org.apiKey, 's', i * 200, (i + 1) * 200);
    const items = await fastSub.waitFor(600, 60_000);
    expect(items.map((i) => i.title)).toEqual(Array.from({ length: 600 }, (_, i) => `s${i}`));
    const effect = await server.gql<StreamsInEffect>(STREAMS, {}, operators.Sam!.token);
    for (const stream of effect.data?.streamsInEffect.streams ?? []) expect(stream.bufferedItems).toBeLessThanOrEqual(300);
    slow.socket.resume();
    slow.socket.terminate();
    await fast.client.dispose();
  }, 120_000);

  it('past the bound a stream ends with STREAM_BUFFER_OVERFLOW; the cursor then resumes without loss', async () => {
    const { seeder, operators } = await liveOrganization(server, ['Olaf']);
    for (const id of [seeder.adminId, operators.Olaf!.globalId]) await seeder.setPreference(id, 'SYSTEM_MESSAGE', 'EMAIL', false);
    const live = server.app.services.live!;
    const stream = await live.openStream(
      {
        organizationId: seeder.org.organizationId,
        operatorId: operators.Olaf!.id,
        token: { issuedAt: Date.now(), expiresAt: Date.now() + 3_600_000 },
      },
      null,
      {},
    );
    const firstBatch = reportSystemMessages(server, seeder.org.apiKey, 'o', 0, 1);
    const first = await stream.next();
    await firstBatch;
    // Nobody reads while 400 more arrive: past the bound of 300.
    await reportSystemMessages(server, seeder.org.apiKey, 'o', 1, 201);
    await reportSystemMessages(server, seeder.org.apiKey, 'o', 201, 401);
    await expect(stream.next()).rejects.toThrow(/STREAM_BUFFER_OVERFLOW/);
    expect(live.registry.streamsOf(operators.Olaf!.id)).toHaveLength(0);
    const { client } = connect(server, operators.Olaf!.token);
    const resumed = subscribe(client, (first.value as { cursor: string }).cursor);
    const items = await resumed.waitFor(400);
    expect(items.map((i) => i.title)).toEqual(Array.from({ length: 400 }, (_, i) => `o${i + 1}`));
    await client.dispose();
  });

  it('unsubscribing releases the stream', async () => {
    const { operators } = await liveOrganization(server, ['Uma']);
    const { client } = connect(server, operators.Uma!.token);
    const sub = subscribe(client);
    await eventually(
      () => server.gql<StreamsInEffect>(STREAMS, {}, operators.Uma!.token),
      (r) => r.data?.streamsInEffect.streams.length === 1,
    );
    sub.dispose();
    await eventually(
      () => server.gql<StreamsInEffect>(STREAMS, {}, operators.Uma!.token),
      (r) => r.data?.streamsInEffect.streams.length === 0,
    );
    expect(server.app.services.live?.registry.streamsOf(operators.Uma!.id)).toHaveLength(0);
    await client.dispose();
  });
});

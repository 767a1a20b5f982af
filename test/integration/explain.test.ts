/**
 * Explain and preview through the real API: every stored decision per operator or addon and
 * channel with its reason and trace, the events list, and previews of hypothetical happenings that
 * answer "would operator O get this, and if not, which layer stops it?" while storing nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, eventOf, ingestionRowCounts, rawId, report, seedOrganization } from '../helpers/seed.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

const EXPLAIN = `query ($eventId: ID!, $operatorId: ID) { explainEvent(eventId: $eventId, operatorId: $operatorId) { __typename
  ... on QueryExplainEventSuccess { data { operatorInAudience event { id kind }
    decisions { operator { id } addon { id } channel delivered reason trace { check passed } } } }
  ... on AppError { code field } } }`;

const PREVIEW = `query ($input: PreviewNotificationInput!) { previewNotification(input: $input) { __typename
  ... on QueryPreviewNotificationSuccess { data { kind operatorInAudience subjectOperator { id } widget { id }
    decisions { operator { id } addon { id } channel delivered reason trace { check passed } } } }
  ... on AppError { code field message } } }`;

interface DecisionView {
  operator: { id: string } | null;
  addon: { id: string } | null;
  channel: string;
  delivered: boolean;
  reason: string;
  trace: { check: string; passed: boolean }[];
}

async function setup() {
  const seed = await seedOrganization(server);
  const alice = await seed.operator('Alice');
  const bob = await seed.operator('Bob');
  const widgetId = await seed.widget();
  const addonId = await seed.addon(['ALL_NEW_CHAT_SESSIONS']);
  return { seed, alice, bob, widgetId, addonId, key: seed.org.apiKey, token: seed.org.adminToken };
}

describe('explainEvent', () => {
  it("explains one operator's decisions (and the addons') with reasons and the checks that ran", async () => {
    const { seed, alice, bob, widgetId, addonId, key, token } = await setup();
    await seed.updateWidget(widgetId, { browser: false });
    const started = await report(server, 'chatStarted', { chatId: 'c-1', widgetId, operatorId: alice }, key);
    const event = eventOf(started, 'ALL_NEW_CHAT_SESSIONS');
    const explained = await call(server, EXPLAIN, { eventId: event?.id, operatorId: bob }, token);
    const data = explained.data as { operatorInAudience: boolean; event: { kind: string }; decisions: DecisionView[] };
    expect(data.operatorInAudience).toBe(true);
    expect(data.event.kind).toBe('ALL_NEW_CHAT_SESSIONS');
    expect(data.decisions).toEqual([
      {
        operator: { id: bob },
        addon: null,
        channel: 'BROWSER',
        delivered: false,
        reason: 'WIDGET_MUTED',
        trace: [
          { check: 'CHANNEL_AVAILABLE', passed: true },
          { check: 'ROLE_ENABLED', passed: true },
          { check: 'OPERATOR_PREFERENCE', passed: true },
          { check: 'WIDGET_SWITCH', passed: false },
        ],
      },
      {
        operator: { id: bob },
        addon: null,
        channel: 'AUDIO',
        delivered: false,
        reason: 'OPERATOR_OPTED_OUT',
        trace: [
          { check: 'CHANNEL_AVAILABLE', passed: true },
          { check: 'ROLE_ENABLED', passed: true },
          { check: 'OPERATOR_PREFERENCE', passed: false },
        ],
      },
      {
        operator: null,
        addon: { id: addonId },
        channel: 'ADDON',
        delivered: true,
        reason: 'DELIVERED',
        trace: ['CHANNEL_AVAILABLE', 'ADDON_ENABLED', 'ADDON_SUPPORTS_EVENT', 'ADDON_CHOSE_EVENT', 'WIDGET_SWITCH'].map((check) => ({
          check,
          passed: true,
        })),
      },
    ]);
    const receiver = await call(server, EXPLAIN, { eventId: event?.id, operatorId: alice }, token);
    expect(receiver.data).toMatchObject({ operatorInAudience: false, decisions: [{ addon: { id: addonId } }] });
    const everyone = await call(server, EXPLAIN, { eventId: event?.id }, token);
    expect((everyone.data as { decisions: unknown[] }).decisions).toHaveLength(2 * 2 + 1);
  });

  it('keeps the trace of the widget as it was when the event was decided', async () => {
    const { seed, alice, key, token } = await setup();
    const group = await seed.group('Sales', [alice]);
    const widgetId = await seed.widget({ name: 'Sales', groupId: group, emailSameGroupOnly: true });
    const offline = await report(server, 'offlineMessage', { widgetId, text: 'Hi' }, key);
    await seed.updateWidget(widgetId, { emailSameGroupOnly: false });
    const explained = await call(server, EXPLAIN, { eventId: offline.events[0]?.id, operatorId: seed.adminId }, token);
    const email = (explained.data as { decisions: DecisionView[] }).decisions.find((d) => d.channel === 'EMAIL');
    expect(email?.reason).toBe('OUTSIDE_WIDGET_GROUP');
    expect(email?.trace.at(-1)).toEqual({ check: 'WIDGET_GROUP', passed: false });
  });

  it('the events list is newest first, filters by kind, reads any event by node(id:) and filters decisions', async () => {
    const { alice, bob, widgetId, key, token } = await setup();
    await report(server, 'chatStarted', { chatId: 'c-1', widgetId, operatorId: alice }, key);
    await report(server, 'visitorMessage', { chatId: 'c-1', text: 'Hi' }, key);
    const list = await server.gql<{ events: { edges: { node: { id: string; kind: string } }[] } }>(
      `{ events { edges { node { id kind } } } }`,
      {},
      token,
    );
    expect(list.data?.events.edges.map((e) => e.node.kind)).toEqual([
      'MESSAGE_RECEIVED',
      'FIRST_MESSAGE_RECEIVED',
      'ALL_NEW_CHAT_SESSIONS',
      'NEW_CHAT_SESSION',
    ]);
    const filtered = await server.gql<{ events: { edges: unknown[] } }>(
      `{ events(kind: NEW_CHAT_SESSION) { edges { node { id } } } }`,
      {},
      token,
    );
    expect(filtered.data?.events.edges).toHaveLength(1);
    const eventId = list.data?.events.edges[2]?.node.id;
    const node = await server.gql<{ node: { kind: string; decisions: { channel: string }[] } }>(
      `query ($id: ID!, $op: ID) { node(id: $id) { ... on NotificationEvent { kind decisions(operatorId: $op, channel: AUDIO) { channel } } } }`,
      { id: eventId, op: bob },
      token,
    );
    expect(node.data?.node).toEqual({ kind: 'ALL_NEW_CHAT_SESSIONS', decisions: [{ channel: 'AUDIO' }] });
  });

  it("the events list reads every listed event's decisions in one query per decisions field, whatever the number of events", async () => {
    const { alice, widgetId, key, token } = await setup();
    const LIST = `query ($op: ID) { events { edges { node { id
      all: decisions { operator { id } addon { id } channel delivered reason trace { check passed } }
      mine: decisions(operatorId: $op, channel: AUDIO) { operator { id } channel } } } } }`;
    type Listed = {
      events: { edges: { node: { id: string; all: DecisionView[]; mine: { operator: { id: string } | null; channel: string }[] } }[] };
    };
    const decisionQueries = async () => {
      server.queries.length = 0;
      const listed = await server.gql<Listed>(LIST, { op: alice }, token);
      expect(listed.errors).toBeUndefined();
      return {
        nodes: listed.data?.events.edges.map((e) => e.node) ?? [],
        queries: server.queries.filter((q) => /FROM "public"\."Decision"/.test(q)).length,
      };
    };
    await report(server, 'chatStarted', { chatId: 'n-1', widgetId, operatorId: alice }, key);
    const few = await decisionQueries();
    for (const chatId of ['n-2', 'n-3', 'n-4']) await report(server, 'chatStarted', { chatId, widgetId, operatorId: alice }, key);
    const more = await decisionQueries();
    expect(more.nodes.length).toBeGreaterThan(few.nodes.length);
    expect([few.queries, more.queries]).toEqual([2, 2]);
    // Each event gets its own decisions, as explainEvent reads them, and the filtered field only Alice's audio ones.
    for (const node of more.nodes) {
      const explained = await call(server, EXPLAIN, { eventId: node.id }, token);
      expect(node.all).toEqual((explained.data as { decisions: DecisionView[] }).decisions);
      expect(node.mine).toEqual(
        node.all.filter((d) => d.operator?.id === alice && d.channel === 'AUDIO').map(({ operator, channel }) => ({ operator, channel })),
      );
    }
    expect(more.nodes.some((n) => n.mine.length > 0)).toBe(true);
  });

  it('an unknown event is NOT_FOUND', async () => {
    const { token } = await setup();
    const unknown = Buffer.from(`NotificationEvent:${crypto.randomUUID()}`).toString('base64');
    expect(await call(server, EXPLAIN, { eventId: unknown }, token)).toMatchObject({ code: 'NOT_FOUND', field: 'eventId' });
  });
});

describe('previewNotification', () => {
  it('answers "would operator O get this, and which layer stops it?" and stores nothing', async () => {
    const { seed, alice, bob, widgetId, key, token } = await setup();
    const staff = await seed.createRole('Staff');
    const carol = await seed.operator('Carol', { roleId: staff });
    await seed.setRoleNotifications(staff, false);
    await report(server, 'chatStarted', { chatId: 'c-1', widgetId, operatorId: alice }, key);
    const before = await ingestionRowCounts(server, seed.org.organizationId);
    const preview = async (happening: Record<string, unknown>, operatorId?: string) =>
      call(server, PREVIEW, { input: { happening, operatorId } }, token);

    const forCarol = await preview({ chatStarted: { chatId: 'c-2', widgetId, operatorId: alice } }, carol);
    const events = forCarol.data as { kind: string; operatorInAudience: boolean; decisions: DecisionView[] }[];
    expect(events.map((e) => [e.kind, e.operatorInAudience])).toEqual([
      ['NEW_CHAT_SESSION', false],
      ['ALL_NEW_CHAT_SESSIONS', true],
    ]);
    expect(events[1]?.decisions.map((d) => [d.channel, d.reason])).toEqual([
      ['BROWSER', 'ROLE_DISABLED'],
      ['AUDIO', 'ROLE_DISABLED'],
      ['EMAIL', 'CHANNEL_NOT_AVAILABLE'],
      ['ADDON', 'DELIVERED'],
    ]);
    expect(events[1]?.decisions[0]?.trace).toEqual([
      { check: 'CHANNEL_AVAILABLE', passed: true },
      { check: 'ROLE_ENABLED', passed: false },
    ]);

    // The chat's state is read, not changed: the preview shows a first message, twice.
    for (let i = 0; i < 2; i++) {
      const message = await preview({ visitorMessage: { chatId: 'c-1', text: 'Hi' } }, alice);
      expect((message.data as { kind: string }[]).map((e) => e.kind)).toEqual(['FIRST_MESSAGE_RECEIVED', 'MESSAGE_RECEIVED']);
    }
    const forBob = await preview({ offlineMessage: { widgetId, text: 'Hi' } }, bob);
    expect((forBob.data as { decisions: DecisionView[] }[])[0]?.decisions.map((d) => [d.channel, d.reason])).toEqual([
      ['BROWSER', 'DELIVERED'],
      ['AUDIO', 'OPERATOR_OPTED_OUT'],
      ['EMAIL', 'DELIVERED'],
      ['ADDON', 'ADDON_EVENT_NOT_CHOSEN'],
    ]);
    expect(await ingestionRowCounts(server, seed.org.organizationId)).toEqual(before);
  });

  it('refuses what a report would refuse, with the field path, and an unknown operator', async () => {
    const { alice, widgetId, key, token } = await setup();
    await report(server, 'chatStarted', { chatId: 'c-1', widgetId, operatorId: alice }, key);
    const unknown = await call(server, PREVIEW, { input: { happening: { visitorMessage: { chatId: 'nope', text: 'x' } } } }, token);
    expect(unknown).toMatchObject({ code: 'NOT_FOUND', field: 'input.happening.visitorMessage.chatId' });
    const started = await call(
      server,
      PREVIEW,
      { input: { happening: { chatStarted: { chatId: 'c-1', widgetId, operatorId: alice } } } },
      token,
    );
    expect(started).toMatchObject({ code: 'CHAT_ALREADY_STARTED' });
    const ghost = Buffer.from(`Operator:${crypto.randomUUID()}`).toString('base64');
    const noOperator = await call(
      server,
      PREVIEW,
      { input: { happening: { systemMessage: { title: 't', body: 'b' } }, operatorId: ghost } },
      token,
    );
    expect(noOperator).toMatchObject({ code: 'NOT_FOUND', field: 'input.operatorId' });
    expect(rawId(alice)).toMatch(/-/);
  });
});

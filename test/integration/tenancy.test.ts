/**
 * Nothing crosses organizations: one organization's credentials can neither read, nor change, nor
 * trigger anything of another's — reports naming its widgets, operators or chats are NOT_FOUND, its
 * events are invisible, and its settings cannot be changed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, ingestionRowCounts, report, reportOutcome, seedOrganization } from '../helpers/seed.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

async function twoOrganizations() {
  const a = await seedOrganization(server, 'A');
  const alice = await a.operator('Alice');
  const widgetA = await a.widget();
  const roleA = await a.roleId('Operator');
  await report(server, 'chatStarted', { chatId: 'shared-id', widgetId: widgetA, operatorId: alice }, a.org.apiKey);
  const started = await report(server, 'chatStarted', { chatId: 'a-only', widgetId: widgetA, operatorId: alice }, a.org.apiKey);
  const b = await seedOrganization(server, 'B');
  const bob = await b.operator('Bob');
  const widgetB = await b.widget();
  await report(server, 'chatStarted', { chatId: 'shared-id', widgetId: widgetB, operatorId: bob }, b.org.apiKey);
  return { a, b, alice, bob, widgetA, widgetB, roleA, eventA: started.events[0]?.id as string };
}

describe('tenancy', () => {
  it("reports naming another organization's widget, operator or chat are NOT_FOUND and change nothing anywhere", async () => {
    const { a, b, alice, bob, widgetA, widgetB } = await twoOrganizations();
    const beforeA = await ingestionRowCounts(server, a.org.organizationId);
    const beforeB = await ingestionRowCounts(server, b.org.organizationId);
    const key = b.org.apiKey;
    const cases: [string, Record<string, unknown>, string][] = [
      ['chatStarted', { chatId: 'x', widgetId: widgetA, operatorId: bob }, 'input.widgetId'],
      ['chatStarted', { chatId: 'x', widgetId: widgetB, operatorId: alice }, 'input.operatorId'],
      ['visitorMessage', { chatId: 'a-only', text: 'Hi' }, 'input.chatId'],
      ['chatForwarded', { chatId: 'shared-id', toOperatorId: alice }, 'input.toOperatorId'],
      ['offlineMessage', { widgetId: widgetA, text: 'Hi' }, 'input.widgetId'],
      ['presenceChanged', { operatorId: alice, presence: 'ONLINE' }, 'input.operatorId'],
    ];
    for (const [name, input, field] of cases) {
      expect(await reportOutcome(server, name, input, key), name).toMatchObject({ __typename: 'AppError', code: 'NOT_FOUND', field });
    }
    expect(await ingestionRowCounts(server, a.org.organizationId)).toEqual(beforeA);
    expect(await ingestionRowCounts(server, b.org.organizationId)).toEqual(beforeB);
  });

  it('the same chat id in two organizations is two chats: a report reaches only its own', async () => {
    const { a, b, alice, bob } = await twoOrganizations();
    const message = await report(server, 'visitorMessage', { chatId: 'shared-id', text: 'Hi' }, b.org.apiKey);
    expect(message.events.map((e) => e.subjectOperator?.id)).toEqual([bob, bob]);
    const operatorsReached = message.events.flatMap((e) => e.decisions.map((d) => d.operator?.id));
    expect(operatorsReached).not.toContain(alice);
    expect(operatorsReached).not.toContain(a.adminId);
    // Organization A's chat with that id never saw a visitor message.
    const chatA = await server.app.database.prisma.chat.findFirstOrThrow({
      where: { organizationId: a.org.organizationId, externalId: 'shared-id' },
    });
    expect(chatA.firstVisitorMessageAt).toBeNull();
  });

  it("one organization cannot read another's events, explain or preview them", async () => {
    const { a, b, eventA, alice, widgetA } = await twoOrganizations();
    const token = b.org.adminToken;
    const node = await server.gql<{ node: unknown }>(
      `query ($id: ID!) { node(id: $id) { id ... on NotificationEvent { kind } } }`,
      { id: eventA },
      token,
    );
    expect(node.data?.node ?? null).toBeNull();
    const list = await server.gql<{ events: { edges: { node: { id: string } }[] } }>(`{ events { edges { node { id } } } }`, {}, token);
    expect(list.data?.events.edges.map((e) => e.node.id)).not.toContain(eventA);
    expect(list.data?.events.edges.length).toBeGreaterThan(0);
    const explain = await call(
      server,
      `query ($id: ID!) { explainEvent(eventId: $id) { __typename ... on AppError { code field } } }`,
      { id: eventA },
      token,
    );
    expect(explain).toMatchObject({ code: 'NOT_FOUND', field: 'eventId' });
    const preview = await call(
      server,
      `query ($input: PreviewNotificationInput!) { previewNotification(input: $input) { __typename ... on AppError { code field } } }`,
      { input: { happening: { offlineMessage: { widgetId: widgetA, text: 'Hi' } } } },
      token,
    );
    expect(preview).toMatchObject({ code: 'NOT_FOUND', field: 'input.happening.offlineMessage.widgetId' });
    const previewFor = await call(
      server,
      `query ($input: PreviewNotificationInput!) { previewNotification(input: $input) { __typename ... on AppError { code field } } }`,
      { input: { happening: { systemMessage: { title: 't', body: 'b' } }, operatorId: alice } },
      token,
    );
    expect(previewFor).toMatchObject({ code: 'NOT_FOUND', field: 'input.operatorId' });
    // A's own admin reads it.
    const own = await server.gql<{ node: { kind: string } }>(
      `query ($id: ID!) { node(id: $id) { ... on NotificationEvent { kind } } }`,
      { id: eventA },
      a.org.adminToken,
    );
    expect(own.data?.node.kind).toBe('NEW_CHAT_SESSION');
  });

  it("one organization cannot change another's settings", async () => {
    const { a, b, roleA, widgetA, alice } = await twoOrganizations();
    const token = b.org.adminToken;
    const role = await call(
      server,
      `mutation ($input: UpdateRoleInput!) { updateRole(input: $input) { __typename ... on MutationUpdateRoleSuccess { data { id } } ... on AppError { code } } }`,
      { input: { id: roleA, notificationsEnabled: false } },
      token,
    );
    expect(role).toMatchObject({ __typename: 'AppError', code: 'NOT_FOUND' });
    const widget = await call(
      server,
      `mutation ($input: UpdateWidgetInput!) { updateWidget(input: $input) { __typename ... on MutationUpdateWidgetSuccess { data { id } } ... on AppError { code } } }`,
      { input: { id: widgetA, browser: false } },
      token,
    );
    expect(widget).toMatchObject({ __typename: 'AppError' });
    const preference = await call(
      server,
      `mutation ($input: UpdateDashboardPreferencesInput!) { updateDashboardPreferences(input: $input) { __typename ... on AppError { code } } }`,
      { input: { operatorId: alice, changes: [{ event: 'ALL_CHAT_RATINGS', channel: 'BROWSER', enabled: false }] } },
      token,
    );
    expect(preference.__typename).toBe('AppError');
    const prisma = server.app.database.prisma;
    const rows = await prisma.role.findMany({ where: { organizationId: a.org.organizationId } });
    expect(rows.every((r) => r.notificationsEnabled)).toBe(true);
    const widgets = await prisma.widget.findMany({ where: { organizationId: a.org.organizationId } });
    expect(widgets.every((w) => w.browserEnabled)).toBe(true);
    const prefs = await prisma.operatorPreference.findMany({
      where: { organizationId: a.org.organizationId, event: 'ALL_CHAT_RATINGS', channel: 'BROWSER' },
    });
    expect(prefs.every((p) => p.enabled)).toBe(true);
  });
});

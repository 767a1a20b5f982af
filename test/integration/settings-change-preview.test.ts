/**
 * previewSettingsChange (extensions.md E3) against the real server: for each kind of change, the
 * preview is taken, the change is made through its own mutation with the same input, the typical
 * happening of every previewed event is reported through the API, and the stored decisions must be
 * exactly the previewed "after" for every changed cell (and unchanged everywhere else the report
 * decided). The preview stores nothing, refuses what the mutation refuses, and is paginated.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EventView, ok, REPORT_HAPPENINGS, type ReportView, type Seeder, seedOrganization } from '../helpers/seed.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

const PREVIEW = `query ($change: SettingsChangeInput!, $first: Int, $after: String) {
  previewSettingsChange(change: $change, first: $first, after: $after) {
    totalCount endCursor hasNextPage typicalWidget
    cells { operator { id } event channel before { delivered reason } after { delivered reason } } } }`;

interface Cell {
  operator: { id: string };
  event: string;
  channel: string;
  before: { reason: string };
  after: { reason: string };
}
interface Page {
  totalCount: number;
  endCursor: string | null;
  hasNextPage: boolean;
  typicalWidget: string | null;
  cells: Cell[];
}

async function preview(seed: Seeder, change: Record<string, unknown>, credential = seed.org.adminToken): Promise<Cell[]> {
  const cells: Cell[] = [];
  let after: string | null = null;
  for (;;) {
    const response = await server.gql<{ previewSettingsChange: Page }>(PREVIEW, { change, first: 100, after }, credential);
    expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
    const page = response.data?.previewSettingsChange as Page;
    cells.push(...page.cells);
    if (!page.hasNextPage) return cells;
    after = page.endCursor;
  }
}

/** Reports, in one batch, a typical happening of every event kind (one chat per operator), returns the events. */
async function reportTypical(seed: Seeder, ids: { widgetId: string; alice: string; bob: string }, n: number): Promise<EventView[]> {
  const chats = [`a-${n}`, `b-${n}`];
  const happenings = [
    { chatStarted: { chatId: chats[0], widgetId: ids.widgetId, operatorId: ids.alice } },
    { chatStarted: { chatId: chats[1], widgetId: ids.widgetId, operatorId: ids.bob } },
    ...chats.flatMap((chatId) => [
      { visitorMessage: { chatId, text: 'hello' } },
      { operatorMessage: { chatId, text: 'hi' } },
      { chatRated: { chatId, rating: 5 } },
      { chatFinished: { chatId } },
    ]),
    { offlineMessage: { widgetId: ids.widgetId, visitorName: 'V', text: 'later' } },
    { systemMessage: { title: 'Trial', body: 'ends' } },
  ];
  const results = await ok<ReportView[]>(server, REPORT_HAPPENINGS, { input: { happenings } }, seed.org.apiKey);
  return results.flatMap((r) => r.events);
}

/** Every (operator, event, channel) → reason the reports decided; the first event of a kind decides for its audience. */
function decided(events: EventView[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const event of events)
    for (const d of event.decisions) {
      if (d.operator === null) continue;
      const key = `${d.operator.id}/${event.kind}/${d.channel}`;
      if (!map.has(key)) map.set(key, d.reason);
    }
  return map;
}

async function setup() {
  const seed = await seedOrganization(server, 'Preview org');
  const staff = await seed.createRole('Staff');
  const alice = await seed.operator('Alice');
  const bob = await seed.operator('Bob', { roleId: staff });
  const sales = await seed.group('Sales', [alice]);
  const widgetId = await seed.widget({ groupId: sales });
  return { seed, staff, alice, bob, sales, widgetId, ids: { widgetId, alice, bob } };
}

const MUTATIONS: Record<string, string> = {
  updateRole: 'mutation ($input: UpdateRoleInput!) { updateRole(input: $input) { __typename ... on AppError { code message } } }',
  updateWidget: 'mutation ($input: UpdateWidgetInput!) { updateWidget(input: $input) { __typename ... on AppError { code message } } }',
  setAdminLock: 'mutation ($input: SetAdminLockInput!) { setAdminLock(input: $input) { __typename ... on AppError { code message } } }',
  updateDashboardPreferences:
    'mutation ($input: UpdateDashboardPreferencesInput!) { updateDashboardPreferences(input: $input) { __typename ... on AppError { code message } } }',
  removeGroupMember:
    'mutation ($input: GroupMemberInput!) { removeGroupMember(input: $input) { __typename ... on AppError { code message } } }',
  updateOperator:
    'mutation ($input: UpdateOperatorInput!) { updateOperator(input: $input) { __typename ... on AppError { code message } } }',
};

const CHANGES: [string, (s: Awaited<ReturnType<typeof setup>>) => Record<string, Record<string, unknown>>][] = [
  ['a role switch', (s) => ({ updateRole: { id: s.staff, notificationsEnabled: false } })],
  ['widget switches', (s) => ({ updateWidget: { id: s.widgetId, browser: false, email: false } })],
  ['a widget group restriction', (s) => ({ updateWidget: { id: s.widgetId, emailSameGroupOnly: true } })],
  ['an organization lock', () => ({ setAdminLock: { event: 'ALL_CHAT_RATINGS', channel: 'BROWSER', value: 'FORBIDDEN' } })],
  ['a role lock', (s) => ({ setAdminLock: { roleId: s.staff, event: 'MESSAGE_SENT', channel: 'AUDIO', value: 'REQUIRED' } })],
  [
    'operator preferences',
    (s) => ({
      updateDashboardPreferences: {
        operatorId: s.alice,
        changes: [
          { event: 'ALL_FINISHED_CHAT_SESSIONS', channel: 'EMAIL', enabled: true },
          { event: 'NEW_CHAT_SESSION', channel: 'AUDIO', enabled: false },
        ],
      },
    }),
  ],
  ['a role move', (s) => ({ updateOperator: { id: s.alice, roleId: s.staff } })],
];

describe('previewSettingsChange', () => {
  it.each(CHANGES)('%s: the stored decisions after the change are exactly the previewed "after"', async (_name, changeOf) => {
    const s = await setup();
    // Some state for the changes to act on: a role lock for the move, email same-group for membership.
    await ok(
      server,
      MUTATIONS.setAdminLock as string,
      { input: { roleId: s.staff, event: 'NEW_CHAT_SESSION', channel: 'BROWSER', value: 'FORBIDDEN' } },
      s.seed.org.adminToken,
    );
    const change = changeOf(s);
    const before = decided(await reportTypical(s.seed, s.ids, 1));
    const cells = await preview(s.seed, change);
    expect(cells.length).toBeGreaterThan(0);
    const [mutation, input] = Object.entries(change)[0] as [string, Record<string, unknown>];
    await ok(server, MUTATIONS[mutation] as string, { input }, s.seed.org.adminToken);
    const after = decided(await reportTypical(s.seed, s.ids, 2));

    const previewed = new Map(cells.map((c) => [`${c.operator.id}/${c.event}/${c.channel}`, c]));
    for (const cell of cells) {
      const key = `${cell.operator.id}/${cell.event}/${cell.channel}`;
      if (!after.has(key)) continue; // an event this report set does not raise for that operator
      expect(before.get(key), `before ${key}`).toBe(cell.before.reason);
      expect(after.get(key), `after ${key}`).toBe(cell.after.reason);
    }
    // Everything not previewed as changing did not change.
    for (const [key, reason] of after) if (!previewed.has(key) && before.has(key)) expect(reason, `unchanged ${key}`).toBe(before.get(key));
    // And something previewed was really observed.
    expect(cells.some((c) => after.has(`${c.operator.id}/${c.event}/${c.channel}`))).toBe(true);
  });

  it('a membership change, checked the same way', async () => {
    const s = await setup();
    await s.seed.updateWidget(s.widgetId, { emailSameGroupOnly: true });
    await s.seed.setPreference(s.alice, 'ALL_FINISHED_CHAT_SESSIONS', 'EMAIL', true);
    const change = { removeGroupMember: { groupId: s.sales, operatorId: s.alice } };
    const cells = await preview(s.seed, change);
    expect(cells.map((c) => [c.event, c.channel, c.before.reason, c.after.reason])).toEqual([
      ['ALL_FINISHED_CHAT_SESSIONS', 'EMAIL', 'DELIVERED', 'OUTSIDE_WIDGET_GROUP'],
      ['ALL_OFFLINE_MESSAGES', 'EMAIL', 'DELIVERED', 'OUTSIDE_WIDGET_GROUP'],
    ]);
    await ok(server, MUTATIONS.removeGroupMember as string, { input: change.removeGroupMember }, s.seed.org.adminToken);
    const after = decided(await reportTypical(s.seed, s.ids, 1));
    expect(after.get(`${s.alice}/ALL_FINISHED_CHAT_SESSIONS/EMAIL`)).toBe('OUTSIDE_WIDGET_GROUP');
    expect(after.get(`${s.alice}/ALL_OFFLINE_MESSAGES/EMAIL`)).toBe('OUTSIDE_WIDGET_GROUP');
  });

  it('stores nothing, refuses what the mutation refuses, pages through the cells, and answers operators only for their own preferences', async () => {
    const s = await setup();
    const prisma = server.app.database.prisma;
    const versionBefore = (await prisma.organization.findUniqueOrThrow({ where: { id: s.seed.org.organizationId } })).settingsVersion;
    const all = await preview(s.seed, { updateRole: { id: await s.seed.roleId('Operator'), notificationsEnabled: false } });
    const page = (
      await server.gql<{ previewSettingsChange: Page }>(
        PREVIEW,
        { change: { updateRole: { id: await s.seed.roleId('Operator'), notificationsEnabled: false } }, first: 5 },
        s.seed.org.adminToken,
      )
    ).data?.previewSettingsChange as Page;
    expect(page.cells).toEqual(all.slice(0, 5));
    expect(page.totalCount).toBe(all.length);
    expect(page.hasNextPage).toBe(true);
    expect((await prisma.organization.findUniqueOrThrow({ where: { id: s.seed.org.organizationId } })).settingsVersion).toBe(versionBefore);
    expect(
      (await prisma.role.findFirstOrThrow({ where: { organizationId: s.seed.org.organizationId, name: 'Operator' } })).notificationsEnabled,
    ).toBe(true);

    const refused = await server.gql(
      PREVIEW,
      { change: { setAdminLock: { event: 'ANALYTICS_DAILY', channel: 'AUDIO', value: 'REQUIRED' } } },
      s.seed.org.adminToken,
    );
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'CHANNEL_NOT_AVAILABLE', field: 'change.setAdminLock.channel' });
    const two = await server.gql(
      PREVIEW,
      { change: { updateRole: { id: s.staff }, updateWidget: { id: s.widgetId } } },
      s.seed.org.adminToken,
    );
    expect(two.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_INPUT', field: 'change' });

    const aliceToken = await s.seed.token(s.alice);
    const own = await preview(
      s.seed,
      { updateDashboardPreferences: { operatorId: s.alice, changes: [{ event: 'MESSAGE_SENT', channel: 'BROWSER', enabled: true }] } },
      aliceToken,
    );
    expect(own.map((c) => [c.event, c.channel, c.after.reason])).toEqual([['MESSAGE_SENT', 'BROWSER', 'DELIVERED']]);
    const foreign = await server.gql(PREVIEW, { change: { updateRole: { id: s.staff, notificationsEnabled: false } } }, aliceToken);
    expect(foreign.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN' });
  });
});

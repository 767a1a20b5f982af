/**
 * Admin locks (extensions.md E1) over the real server and database: setting and removing locks,
 * what the engine decides with them (reported happenings), the lock in explainEvent's and
 * previewNotification's traces, grids showing stored / lock / effective values, PREFERENCE_LOCKED
 * storing nothing, and a role lock winning over an organization lock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, decisionsFor, eventOf, ok, rawId, report, seedOrganization } from '../helpers/seed.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

const SET_LOCK = `mutation ($input: SetAdminLockInput!) { setAdminLock(input: $input) { __typename
  ... on MutationSetAdminLockSuccess { data { scope roleId event channel value } } ... on AppError { code message field } } }`;
const LOCKS = 'query { adminLocks { scope roleId event channel value } }';
const TRACE = 'trace { check passed lock { scope value } }';
const EXPLAIN = `query ($eventId: ID!, $operatorId: ID) { explainEvent(eventId: $eventId, operatorId: $operatorId) { __typename
  ... on QueryExplainEventSuccess { data { decisions { operator { id } channel delivered reason lock { scope value } ${TRACE} } } }
  ... on AppError { code field } } }`;
const PREVIEW = `query ($input: PreviewNotificationInput!) { previewNotification(input: $input) { __typename
  ... on QueryPreviewNotificationSuccess { data { kind decisions { operator { id } channel reason ${TRACE} } } }
  ... on AppError { code field message } } }`;
const CELL = 'event channel enabled effective lock { scope value } changedVia';
const GRID = `query ($id: ID!) { node(id: $id) { ... on Operator { preferences { ${CELL} } } } }`;
const DASHBOARD = `mutation ($input: UpdateDashboardPreferencesInput!) { updateDashboardPreferences(input: $input) { __typename
  ... on MutationUpdateDashboardPreferencesSuccess { data { ${CELL} } } ... on AppError { code message field } } }`;
const CHAT_PANEL = `mutation ($input: UpdateChatPanelPreferencesInput!) { updateChatPanelPreferences(input: $input) { __typename
  ... on MutationUpdateChatPanelPreferencesSuccess { data { ${CELL} } } ... on AppError { code message field } } }`;

type Cell = { event: string; channel: string; enabled: boolean; effective: boolean; lock: { scope: string; value: string } | null };
const cellOf = (grid: Cell[], event: string, channel: string) => grid.find((c) => c.event === event && c.channel === channel);

async function setup() {
  const seed = await seedOrganization(server, 'Locks org');
  const operatorRole = await seed.roleId('Operator');
  const alice = await seed.operator('Alice');
  const widgetId = await seed.widget();
  const admin = seed.org.adminToken;
  const lock = (input: Record<string, unknown>) => ok<unknown[]>(server, SET_LOCK, { input }, admin);
  return { seed, operatorRole, alice, widgetId, admin, key: seed.org.apiKey, lock };
}

describe('admin locks', () => {
  it('decide LOCKED_OFF and required deliveries, shown with the lock in explainEvent and previewNotification', async () => {
    const { seed, operatorRole, alice, widgetId, admin, key, lock } = await setup();
    await seed.setPreference(alice, 'NEW_CHAT_SESSION', 'AUDIO', false);
    await lock({ event: 'NEW_CHAT_SESSION', channel: 'BROWSER', value: 'FORBIDDEN' });
    await lock({ roleId: operatorRole, event: 'NEW_CHAT_SESSION', channel: 'AUDIO', value: 'REQUIRED' });
    const locks = (await server.gql<{ adminLocks: unknown[] }>(LOCKS, {}, admin)).data?.adminLocks;
    expect(locks).toHaveLength(2);

    const started = await report(server, 'chatStarted', { chatId: 'c-1', widgetId, operatorId: alice }, key);
    const event = eventOf(started, 'NEW_CHAT_SESSION');
    expect(decisionsFor(event, alice)).toEqual({ BROWSER: 'LOCKED_OFF', AUDIO: 'DELIVERED' });

    const explained = (await call(server, EXPLAIN, { eventId: event?.id, operatorId: alice }, admin)).data as {
      decisions: { channel: string; reason: string; lock: unknown; trace: unknown[] }[];
    };
    const byChannel = Object.fromEntries(explained.decisions.map((d) => [d.channel, d]));
    expect(byChannel.BROWSER?.lock).toEqual({ scope: 'ORGANIZATION', value: 'FORBIDDEN' });
    expect(byChannel.BROWSER?.trace).toEqual([
      { check: 'CHANNEL_AVAILABLE', passed: true, lock: null },
      { check: 'ROLE_ENABLED', passed: true, lock: null },
      { check: 'ADMIN_LOCK', passed: false, lock: { scope: 'ORGANIZATION', value: 'FORBIDDEN' } },
    ]);
    // Required: the operator's own (off) preference is not consulted; the widget switch still is.
    expect(byChannel.AUDIO?.trace).toEqual([
      { check: 'CHANNEL_AVAILABLE', passed: true, lock: null },
      { check: 'ROLE_ENABLED', passed: true, lock: null },
      { check: 'ADMIN_LOCK', passed: true, lock: { scope: 'ROLE', value: 'REQUIRED' } },
    ]);

    const previewed = (
      await call(
        server,
        PREVIEW,
        { input: { happening: { chatStarted: { chatId: 'c-2', widgetId, operatorId: alice } }, operatorId: alice } },
        admin,
      )
    ).data as { kind: string; decisions: { channel: string; reason: string; trace: { check: string; lock: unknown }[] }[] }[];
    const newChat = previewed.find((e) => e.kind === 'NEW_CHAT_SESSION');
    const previewBrowser = newChat?.decisions.find((d) => d.channel === 'BROWSER');
    expect(previewBrowser?.reason).toBe('LOCKED_OFF');
    expect(previewBrowser?.trace.at(-1)).toEqual({
      check: 'ADMIN_LOCK',
      passed: false,
      lock: { scope: 'ORGANIZATION', value: 'FORBIDDEN' },
    });
  });

  it('a role lock wins over an organization lock; removing locks gives the base rule back at once', async () => {
    const { seed, operatorRole, alice, widgetId, key, lock } = await setup();
    const staff = await seed.createRole('Staff');
    const bob = await seed.operator('Bob', { roleId: staff });
    await lock({ event: 'ALL_CHAT_RATINGS', channel: 'BROWSER', value: 'FORBIDDEN' });
    await lock({ roleId: operatorRole, event: 'ALL_CHAT_RATINGS', channel: 'BROWSER', value: 'REQUIRED' });
    await report(server, 'chatStarted', { chatId: 'r-1', widgetId, operatorId: alice }, key);
    const rated = await report(server, 'chatRated', { chatId: 'r-1', rating: 5 }, key);
    expect(decisionsFor(eventOf(rated, 'ALL_CHAT_RATINGS'), alice).BROWSER).toBe('DELIVERED');
    expect(decisionsFor(eventOf(rated, 'ALL_CHAT_RATINGS'), bob).BROWSER).toBe('LOCKED_OFF');

    await lock({ event: 'ALL_CHAT_RATINGS', channel: 'BROWSER', value: null });
    await lock({ roleId: operatorRole, event: 'ALL_CHAT_RATINGS', channel: 'BROWSER', value: null });
    const again = await report(server, 'chatRated', { chatId: 'r-1', rating: 4 }, key);
    expect(decisionsFor(eventOf(again, 'ALL_CHAT_RATINGS'), bob).BROWSER).toBe('DELIVERED');
    const stored = await server.app.database.prisma.decision.findMany({
      where: { eventId: rawId(eventOf(again, 'ALL_CHAT_RATINGS')?.id ?? '') },
    });
    expect(stored.every((d) => d.lock === null)).toBe(true);
  });

  it('grids show stored, lock and effective values; changing a locked cell is refused and stores nothing', async () => {
    const { seed, operatorRole, alice, lock } = await setup();
    await seed.setPreference(alice, 'MESSAGE_RECEIVED', 'AUDIO', false);
    await lock({ roleId: operatorRole, event: 'MESSAGE_RECEIVED', channel: 'AUDIO', value: 'REQUIRED' });
    await lock({ event: 'MESSAGE_RECEIVED', channel: 'BROWSER', value: 'FORBIDDEN' });
    const aliceToken = await seed.token(alice);
    const grid = (await server.gql<{ node: { preferences: Cell[] } }>(GRID, { id: alice }, aliceToken)).data?.node.preferences ?? [];
    expect(cellOf(grid, 'MESSAGE_RECEIVED', 'AUDIO')).toMatchObject({
      enabled: false,
      effective: true,
      lock: { scope: 'ROLE', value: 'REQUIRED' },
    });
    expect(cellOf(grid, 'MESSAGE_RECEIVED', 'BROWSER')).toMatchObject({
      enabled: true,
      effective: false,
      lock: { scope: 'ORGANIZATION', value: 'FORBIDDEN' },
    });
    expect(cellOf(grid, 'MESSAGE_SENT', 'BROWSER')).toMatchObject({ lock: null, effective: false });

    const prisma = server.app.database.prisma;
    const before = await prisma.operatorPreference.findMany({
      where: { operatorId: rawId(alice) },
      orderBy: [{ event: 'asc' }, { channel: 'asc' }],
    });
    const changes = [
      { event: 'MESSAGE_SENT', channel: 'BROWSER', enabled: true },
      { event: 'MESSAGE_RECEIVED', channel: 'AUDIO', enabled: true },
    ];
    const viaDashboard = await call(server, DASHBOARD, { input: { operatorId: alice, changes } }, seed.org.adminToken);
    expect(viaDashboard).toMatchObject({ __typename: 'AppError', code: 'PREFERENCE_LOCKED', field: 'input.changes.1' });
    const viaPanel = await call(
      server,
      CHAT_PANEL,
      { input: { changes: [{ event: 'MESSAGE_RECEIVED', channel: 'BROWSER', enabled: false }] } },
      aliceToken,
    );
    expect(viaPanel).toMatchObject({ __typename: 'AppError', code: 'PREFERENCE_LOCKED', field: 'input.changes.0' });
    const after = await prisma.operatorPreference.findMany({
      where: { operatorId: rawId(alice) },
      orderBy: [{ event: 'asc' }, { channel: 'asc' }],
    });
    expect(after).toEqual(before);
  });

  it('refuses non-admins, channels the event does not offer and roles of another organization', async () => {
    const { seed, alice } = await setup();
    const other = await seedOrganization(server, 'Other org');
    const foreignRole = await other.roleId('Operator');
    const aliceToken = await seed.token(alice);
    expect(
      await call(server, SET_LOCK, { input: { event: 'NEW_CHAT_SESSION', channel: 'BROWSER', value: 'FORBIDDEN' } }, aliceToken),
    ).toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(
      await call(server, SET_LOCK, { input: { event: 'ANALYTICS_DAILY', channel: 'BROWSER', value: 'REQUIRED' } }, seed.org.adminToken),
    ).toMatchObject({
      code: 'CHANNEL_NOT_AVAILABLE',
      field: 'input.channel',
    });
    expect(
      await call(
        server,
        SET_LOCK,
        { input: { roleId: foreignRole, event: 'NEW_CHAT_SESSION', channel: 'BROWSER', value: 'REQUIRED' } },
        seed.org.adminToken,
      ),
    ).toMatchObject({ code: 'NOT_FOUND', field: 'input.roleId' });
    expect(await server.app.database.prisma.adminLock.count({ where: { organizationId: seed.org.organizationId } })).toBe(0);
  });
});

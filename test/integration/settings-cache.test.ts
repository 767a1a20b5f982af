/**
 * The settings snapshot cache of ingestion (src/services/ingestion/settings-cache.ts): a report
 * reuses the organization's cached settings, and every change of them — through the API or straight
 * in the database by another instance — takes effect on the very next report.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrganizationSettings } from '../../src/services/ingestion/load-organization-settings.js';
import { reportHappenings } from '../../src/services/ingestion/report-happenings.js';
import { SettingsCache } from '../../src/services/ingestion/settings-cache.js';
import { call, decisionsFor, ok, rawId, report, seedOrganization } from '../helpers/seed.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

const ADD_MEMBER = `mutation ($input: GroupMemberInput!) { addGroupMember(input: $input) { __typename ... on AppError { code message } } }`;
const REMOVE_MEMBER = `mutation ($input: GroupMemberInput!) { removeGroupMember(input: $input) { __typename ... on AppError { code message } } }`;
const DELETE_OPERATOR = `mutation ($id: ID!) { deleteOperator(id: $id) { __typename ... on AppError { code message } } }`;
const UPDATE_ADDON = `mutation ($input: UpdateAddonInput!) { updateAddon(input: $input) { __typename ... on AppError { code message } } }`;
const CHAT_PANEL = `mutation ($input: UpdateChatPanelPreferencesInput!) { updateChatPanelPreferences(input: $input) { __typename ... on AppError { code message } } }`;

/** An organization with Alice, Bob and a widget, whose settings are cached by a first report. */
async function cachedSetup() {
  const seed = await seedOrganization(server, 'Cached org');
  const alice = await seed.operator('Alice');
  const bob = await seed.operator('Bob');
  const widgetId = await seed.widget();
  const key = seed.org.apiKey;
  /** An offline message: every operator, every channel, the addons. */
  const offline = () => report(server, 'offlineMessage', { widgetId, text: 'Hello?' }, key).then((r) => r.events[0]);
  await offline();
  return { seed, alice, bob, widgetId, key, offline };
}

const settingsLoads = () => server.queries.filter((sql) => sql.includes('"OperatorPreference"')).length;

describe('settings cache', () => {
  it('reuses the cached settings while nothing changes, and reloads them once after a change', async () => {
    const { seed, bob, offline } = await cachedSetup();
    server.queries.length = 0;
    await offline();
    await offline();
    expect(settingsLoads()).toBe(0);
    await seed.setPreference(bob, 'ALL_OFFLINE_MESSAGES', 'BROWSER', false);
    server.queries.length = 0;
    expect(decisionsFor(await offline(), bob).BROWSER).toBe('OPERATOR_OPTED_OUT');
    await offline();
    expect(settingsLoads()).toBe(1);
  });

  it('a role switched off takes effect on the next report, and on again too', async () => {
    const { seed, alice, offline } = await cachedSetup();
    const role = await seed.roleId('Operator');
    await seed.setRoleNotifications(role, false);
    expect(decisionsFor(await offline(), alice)).toEqual({ BROWSER: 'ROLE_DISABLED', AUDIO: 'ROLE_DISABLED', EMAIL: 'ROLE_DISABLED' });
    await seed.setRoleNotifications(role, true);
    expect(decisionsFor(await offline(), alice)).toEqual({ BROWSER: 'DELIVERED', AUDIO: 'OPERATOR_OPTED_OUT', EMAIL: 'DELIVERED' });
  });

  it('a preference changed from the Dashboard and from the Chat Panel takes effect on the next report', async () => {
    const { seed, bob, offline } = await cachedSetup();
    await seed.setPreference(bob, 'ALL_OFFLINE_MESSAGES', 'EMAIL', false);
    expect(decisionsFor(await offline(), bob).EMAIL).toBe('OPERATOR_OPTED_OUT');
    const token = await seed.token(bob);
    const changes = [{ event: 'ALL_OFFLINE_MESSAGES', channel: 'AUDIO', enabled: true }];
    expect((await call(server, CHAT_PANEL, { input: { changes } }, token)).__typename).toMatch(/Success$/);
    expect(decisionsFor(await offline(), bob)).toEqual({ BROWSER: 'DELIVERED', AUDIO: 'DELIVERED', EMAIL: 'OPERATOR_OPTED_OUT' });
  });

  it('a widget switch takes effect on the next report', async () => {
    const { seed, alice, widgetId, offline } = await cachedSetup();
    await seed.updateWidget(widgetId, { browser: false });
    expect(decisionsFor(await offline(), alice).BROWSER).toBe('WIDGET_MUTED');
    await seed.updateWidget(widgetId, { browser: true });
    expect(decisionsFor(await offline(), alice).BROWSER).toBe('DELIVERED');
  });

  it('an addon created, then disabled, takes effect on the next report', async () => {
    const { seed, offline } = await cachedSetup();
    const addonId = await seed.addon(['ALL_OFFLINE_MESSAGES']);
    const addonDecision = async () => (await offline())?.decisions.find((d) => d.addon?.id === addonId)?.reason;
    expect(await addonDecision()).toBe('DELIVERED');
    await ok(server, UPDATE_ADDON, { input: { id: addonId, enabled: false } }, seed.org.adminToken);
    expect(await addonDecision()).toBe('ADDON_DISABLED');
  });

  it('a group membership change takes effect on the next report', async () => {
    const { seed, alice, bob, key } = await cachedSetup();
    const group = await seed.group('Sales', [alice]);
    const widgetId = await seed.widget({ name: 'Shop', groupId: group, emailSameGroupOnly: true });
    const offline = async () => (await report(server, 'offlineMessage', { widgetId, text: 'Hi' }, key)).events[0];
    expect(decisionsFor(await offline(), bob).EMAIL).toBe('OUTSIDE_WIDGET_GROUP');
    const member = { groupId: group, operatorId: bob };
    expect((await call(server, ADD_MEMBER, { input: member }, seed.org.adminToken)).__typename).toMatch(/Success$/);
    expect(decisionsFor(await offline(), bob).EMAIL).toBe('DELIVERED');
    expect((await call(server, REMOVE_MEMBER, { input: member }, seed.org.adminToken)).__typename).toMatch(/Success$/);
    expect(decisionsFor(await offline(), bob).EMAIL).toBe('OUTSIDE_WIDGET_GROUP');
  });

  it('a deactivated operator is out of the audience, and unknown to reports, from the next report on', async () => {
    const { seed, bob, widgetId, key, offline } = await cachedSetup();
    expect((await call(server, DELETE_OPERATOR, { id: bob }, seed.org.adminToken)).__typename).toMatch(/Success$/);
    expect(decisionsFor(await offline(), bob)).toEqual({});
    const refused = await call(
      server,
      `mutation ($input: ReportChatStartedInput!) { reportChatStarted(input: $input) { __typename ... on AppError { code field } } }`,
      { input: { chatId: 'c-1', widgetId, operatorId: bob } },
      key,
    );
    expect(refused).toMatchObject({ __typename: 'AppError', code: 'NOT_FOUND' });
    expect(refused.field).toMatch(/operatorId$/);
  });

  it('a change made straight in the database by another instance (raw SQL, no API) is seen by the next report', async () => {
    const { seed, alice, bob, widgetId, offline } = await cachedSetup();
    const prisma = server.app.database.prisma;
    const organizationId = seed.org.organizationId;
    await prisma.$executeRaw`UPDATE "Role" SET "notificationsEnabled" = false WHERE "organizationId" = ${organizationId}::uuid AND "name" = 'Operator'`;
    expect(decisionsFor(await offline(), alice).BROWSER).toBe('ROLE_DISABLED');
    await prisma.$executeRaw`UPDATE "Role" SET "notificationsEnabled" = true WHERE "organizationId" = ${organizationId}::uuid`;
    await prisma.$executeRaw`UPDATE "OperatorPreference" SET "enabled" = false WHERE "operatorId" = ${rawId(alice)}::uuid AND "event" = 'ALL_OFFLINE_MESSAGES' AND "channel" = 'EMAIL'`;
    expect(decisionsFor(await offline(), alice).EMAIL).toBe('OPERATOR_OPTED_OUT');
    await prisma.$executeRaw`UPDATE "Widget" SET "emailEnabled" = false WHERE "id" = ${rawId(widgetId)}::uuid`;
    expect(decisionsFor(await offline(), bob).EMAIL).toBe('WIDGET_MUTED');
    await prisma.$executeRaw`UPDATE "Operator" SET "deletedAt" = now() WHERE "id" = ${rawId(bob)}::uuid`;
    expect(decisionsFor(await offline(), bob)).toEqual({});
    // Presence changes often and does not touch the settings: no reload.
    await prisma.$executeRaw`UPDATE "Operator" SET "presence" = 'ONLINE' WHERE "id" = ${rawId(alice)}::uuid`;
    server.queries.length = 0;
    await offline();
    expect(settingsLoads()).toBe(0);
  });

  it('a change rolled back leaves the cache right: its version is never reused by a later change', async () => {
    const { seed, alice, offline } = await cachedSetup();
    const prisma = server.app.database.prisma;
    const organizationId = seed.org.organizationId;
    await expect(
      prisma.$transaction(async (tx) => {
        await tx.$executeRaw`UPDATE "Role" SET "notificationsEnabled" = false WHERE "organizationId" = ${organizationId}::uuid`;
        // Ingestion inside the changing transaction (as widget mutations do) caches what it sees.
        const [seen] = await reportHappenings(
          server.app.services,
          organizationId,
          { kind: 'SERVICE', id: 'test' },
          [{ kind: 'SYSTEM_MESSAGE', title: 't', body: 'b' }],
          { tx },
        );
        expect(seen?.events[0]?.decisions.find((d) => d.operatorId === rawId(alice))?.reason).toBe('ROLE_DISABLED');
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(decisionsFor(await offline(), alice).BROWSER).toBe('DELIVERED');
    await prisma.$executeRaw`UPDATE "Widget" SET "browserEnabled" = false WHERE "organizationId" = ${organizationId}::uuid`;
    expect(decisionsFor(await offline(), alice)).toEqual({ BROWSER: 'WIDGET_MUTED', AUDIO: 'OPERATOR_OPTED_OUT', EMAIL: 'DELIVERED' });
  });
});

describe('SettingsCache', () => {
  const snapshot = (organizationId: string, version: bigint) => ({ organizationId, version }) as OrganizationSettings;

  it('returns a snapshot only at its exact version', () => {
    const cache = new SettingsCache(10);
    cache.set(snapshot('o1', 5n));
    expect(cache.get('o1', 5n)?.version).toBe(5n);
    expect(cache.get('o1', 6n)).toBeUndefined();
    expect(cache.get('o2', 5n)).toBeUndefined();
  });

  it('keeps only the most recently used organizations', () => {
    const cache = new SettingsCache(2);
    cache.set(snapshot('o1', 1n));
    cache.set(snapshot('o2', 1n));
    cache.get('o1', 1n);
    cache.set(snapshot('o3', 1n));
    expect(cache.size).toBe(2);
    expect(cache.get('o2', 1n)).toBeUndefined();
    expect(cache.get('o1', 1n)).toBeDefined();
    expect(cache.get('o3', 1n)).toBeDefined();
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRODUCT_DEFAULT_PREFERENCES } from '../../src/domain/product-defaults.js';
import { onChatPanelPreferencesChanged, type PreferenceChange } from '../../src/services/preferences.js';
import { refusalOf, startTestServer, type TestServer } from '../helpers/test-server.js';
import { mutate, newOperator, rawId, succeed } from './settings-helpers.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

const prisma = () => server.app.database.prisma;

const CELL = 'event channel enabled changedVia changedAt changedBy { id name }';
const MY_GRID = `query { me { id preferences { ${CELL} } } }`;
const GRID_OF = `query ($id: ID!) { node(id: $id) { ... on Operator { preferences { ${CELL} } } } }`;
const DASHBOARD = `mutation ($input: UpdateDashboardPreferencesInput!) { updateDashboardPreferences(input: $input) { __typename
  ... on MutationUpdateDashboardPreferencesSuccess { data { ${CELL} } } ... on AppError { code message field } } }`;
const CHAT_PANEL = `mutation ($input: UpdateChatPanelPreferencesInput!) { updateChatPanelPreferences(input: $input) { __typename
  ... on MutationUpdateChatPanelPreferencesSuccess { data { ${CELL} } } ... on AppError { code message field } } }`;
const ORG_DEFAULTS = 'query { organizationDefaultPreferences { event channel enabled productDefault isProductDefault } }';
const UPDATE_ORG_DEFAULTS = `mutation ($changes: [PreferenceChangeInput!]!) { updateOrganizationDefaultPreferences(changes: $changes) { __typename
  ... on MutationUpdateOrganizationDefaultPreferencesSuccess { data { event channel enabled isProductDefault } } ... on AppError { code message field } } }`;

type Cell = {
  event: string;
  channel: string;
  enabled: boolean;
  changedVia: string;
  changedAt: string | null;
  changedBy: { id: string } | null;
};
const cell = (grid: Cell[], event: string, channel: string) => grid.find((c) => c.event === event && c.channel === channel);
const storedRow = (operatorId: string, event: 'MESSAGE_SENT' | 'ALL_CHAT_GOALS' | 'NEW_CHAT_SESSION', channel: 'BROWSER' | 'AUDIO') =>
  prisma().operatorPreference.findUniqueOrThrow({ where: { operatorId_event_channel: { operatorId: rawId(operatorId), event, channel } } });

describe('operator preferences', () => {
  it('a new operator has the full grid of available pairs, all defaults', async () => {
    const org = await server.newOrganization();
    const ann = await newOperator(server, org, 'Ann');
    const grid = (await server.gql<{ me: { preferences: Cell[] } }>(MY_GRID, {}, ann.token)).data?.me.preferences ?? [];
    expect(grid.map((c) => [c.event, c.channel, c.enabled])).toEqual(
      PRODUCT_DEFAULT_PREFERENCES.map((p) => [p.event, p.channel, p.enabled]),
    );
    expect(grid.every((c) => c.changedVia === 'DEFAULT' && c.changedBy === null)).toBe(true);
  });

  it('Dashboard and Chat Panel changes are stored and told apart; only Chat Panel changes notify open streams', async () => {
    const org = await server.newOrganization();
    const ann = await newOperator(server, org, 'Ann');
    const heard: [string, string, readonly PreferenceChange[]][] = [];
    const listener = (operatorId: string, organizationId: string, changes: readonly PreferenceChange[]) => {
      heard.push([operatorId, organizationId, changes]);
    };
    onChatPanelPreferencesChanged.push(listener);
    try {
      const dashboard = await succeed<Cell[]>(
        server,
        DASHBOARD,
        { input: { operatorId: ann.id, changes: [{ event: 'MESSAGE_SENT', channel: 'BROWSER', enabled: true }] } },
        ann.token,
      );
      expect(cell(dashboard, 'MESSAGE_SENT', 'BROWSER')).toMatchObject({
        enabled: true,
        changedVia: 'DASHBOARD',
        changedBy: { id: ann.id },
      });
      expect(heard).toEqual([]);

      const panel = await succeed<Cell[]>(
        server,
        CHAT_PANEL,
        { input: { changes: [{ event: 'NEW_CHAT_SESSION', channel: 'AUDIO', enabled: false }] } },
        ann.token,
      );
      expect(cell(panel, 'NEW_CHAT_SESSION', 'AUDIO')).toMatchObject({
        enabled: false,
        changedVia: 'CHAT_PANEL',
        changedBy: { id: ann.id },
      });
      expect(cell(panel, 'MESSAGE_SENT', 'BROWSER')?.changedVia).toBe('DASHBOARD');
      expect(heard).toEqual([[rawId(ann.id), org.organizationId, [{ event: 'NEW_CHAT_SESSION', channel: 'AUDIO', enabled: false }]]]);
    } finally {
      onChatPanelPreferencesChanged.splice(onChatPanelPreferencesChanged.indexOf(listener), 1);
    }
    expect(await storedRow(ann.id, 'MESSAGE_SENT', 'BROWSER')).toMatchObject({
      enabled: true,
      changedVia: 'DASHBOARD',
      changedById: rawId(ann.id),
    });
    expect(await storedRow(ann.id, 'NEW_CHAT_SESSION', 'AUDIO')).toMatchObject({ enabled: false, changedVia: 'CHAT_PANEL' });
  });

  it("admins change others' preferences from the Dashboard; operators cannot change or read others'", async () => {
    const org = await server.newOrganization();
    const ann = await newOperator(server, org, 'Ann');
    const bob = await newOperator(server, org, 'Bob');
    const byAdmin = await succeed<Cell[]>(
      server,
      DASHBOARD,
      { input: { operatorId: ann.id, changes: [{ event: 'ALL_CHAT_GOALS', channel: 'BROWSER', enabled: true }] } },
      org.adminToken,
    );
    expect(cell(byAdmin, 'ALL_CHAT_GOALS', 'BROWSER')?.changedBy?.id).toBe(Buffer.from(`Operator:${org.adminId}`).toString('base64'));

    const byBob = await mutate(
      server,
      DASHBOARD,
      { input: { operatorId: ann.id, changes: [{ event: 'ALL_CHAT_GOALS', channel: 'BROWSER', enabled: false }] } },
      bob.token,
    );
    expect(byBob).toMatchObject({ __typename: 'AppError', code: 'FORBIDDEN' });
    expect((await storedRow(ann.id, 'ALL_CHAT_GOALS', 'BROWSER')).enabled).toBe(true);
    const read = await server.gql(GRID_OF, { id: ann.id }, bob.token);
    expect(read.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const readByAdmin = await server.gql<{ node: { preferences: Cell[] } }>(GRID_OF, { id: ann.id }, org.adminToken);
    expect(readByAdmin.data?.node.preferences).toHaveLength(PRODUCT_DEFAULT_PREFERENCES.length);
  });

  it('a channel the event does not offer is refused, naming the pair, and nothing of the batch is stored', async () => {
    const org = await server.newOrganization();
    const ann = await newOperator(server, org, 'Ann');
    for (const [document, input] of [
      [
        DASHBOARD,
        {
          operatorId: ann.id,
          changes: [
            { event: 'MESSAGE_SENT', channel: 'BROWSER', enabled: true },
            { event: 'ANALYTICS_DAILY', channel: 'BROWSER', enabled: true },
          ],
        },
      ],
      [
        CHAT_PANEL,
        {
          changes: [
            { event: 'MESSAGE_SENT', channel: 'BROWSER', enabled: true },
            { event: 'SYSTEM_MESSAGE', channel: 'AUDIO', enabled: true },
          ],
        },
      ],
    ] as const) {
      const refused = await mutate(server, document, { input }, ann.token);
      expect(refused).toMatchObject({ __typename: 'AppError', code: 'CHANNEL_NOT_AVAILABLE', field: 'input.changes.1' });
      expect(refused.message).toMatch(/(ANALYTICS_DAILY.*BROWSER|SYSTEM_MESSAGE.*AUDIO)/);
    }
    expect(await storedRow(ann.id, 'MESSAGE_SENT', 'BROWSER')).toMatchObject({ enabled: false, changedVia: 'DEFAULT' });
    expect(
      await prisma().operatorPreference.count({ where: { operatorId: rawId(ann.id), event: 'ANALYTICS_DAILY', channel: 'BROWSER' } }),
    ).toBe(0);
  });

  it("another organization's admin cannot read or change an operator's preferences", async () => {
    const org = await server.newOrganization('A');
    const intruder = await server.newOrganization('B');
    const ann = await newOperator(server, org, 'Ann');
    const read = await server.gql<{ node: unknown }>(GRID_OF, { id: ann.id }, intruder.adminToken);
    expect(read.data?.node ?? null).toBeNull();
    const changed = await mutate(
      server,
      DASHBOARD,
      { input: { operatorId: ann.id, changes: [{ event: 'MESSAGE_SENT', channel: 'BROWSER', enabled: true }] } },
      intruder.adminToken,
    );
    expect(changed).toMatchObject({ __typename: 'AppError', code: 'NOT_FOUND' });
    expect((await storedRow(ann.id, 'MESSAGE_SENT', 'BROWSER')).changedVia).toBe('DEFAULT');
  });
});

describe('organization default preferences', () => {
  it('new operators start from them; existing operators keep theirs', async () => {
    const org = await server.newOrganization();
    const before = await newOperator(server, org, 'Before');
    const grid = (
      await server.gql<{ organizationDefaultPreferences: { enabled: boolean; isProductDefault: boolean }[] }>(
        ORG_DEFAULTS,
        {},
        before.token,
      )
    ).data?.organizationDefaultPreferences;
    expect(grid).toHaveLength(PRODUCT_DEFAULT_PREFERENCES.length);
    expect(grid?.every((c) => c.isProductDefault)).toBe(true);

    const changes = [
      { event: 'MESSAGE_SENT', channel: 'BROWSER', enabled: true },
      { event: 'NEW_CHAT_SESSION', channel: 'AUDIO', enabled: false },
    ];
    const updated = await succeed<{ event: string; channel: string; enabled: boolean; isProductDefault: boolean }[]>(
      server,
      UPDATE_ORG_DEFAULTS,
      { changes },
      org.adminToken,
    );
    expect(updated.filter((c) => !c.isProductDefault).map((c) => [c.event, c.channel, c.enabled])).toEqual([
      ['NEW_CHAT_SESSION', 'AUDIO', false],
      ['MESSAGE_SENT', 'BROWSER', true],
    ]);
    const after = await newOperator(server, org, 'After');
    expect(await storedRow(after.id, 'MESSAGE_SENT', 'BROWSER')).toMatchObject({ enabled: true, changedVia: 'DEFAULT' });
    expect((await storedRow(after.id, 'NEW_CHAT_SESSION', 'AUDIO')).enabled).toBe(false);
    expect((await storedRow(before.id, 'MESSAGE_SENT', 'BROWSER')).enabled).toBe(false);
    expect((await storedRow(before.id, 'NEW_CHAT_SESSION', 'AUDIO')).enabled).toBe(true);

    // Back to the shipped value: the override disappears.
    await succeed(
      server,
      UPDATE_ORG_DEFAULTS,
      { changes: [{ event: 'MESSAGE_SENT', channel: 'BROWSER', enabled: false }] },
      org.adminToken,
    );
    expect(await prisma().organizationDefaultPreference.count({ where: { organizationId: org.organizationId } })).toBe(1);
  });

  it('only admins change them, and unavailable pairs are refused', async () => {
    const org = await server.newOrganization();
    const ann = await newOperator(server, org, 'Ann');
    const asOperator = await server.gql(
      UPDATE_ORG_DEFAULTS,
      { changes: [{ event: 'MESSAGE_SENT', channel: 'BROWSER', enabled: true }] },
      ann.token,
    );
    expect(refusalOf(asOperator)).toMatchObject({ __typename: 'AppError', code: 'FORBIDDEN' });
    const unavailable = await mutate(
      server,
      UPDATE_ORG_DEFAULTS,
      {
        changes: [
          { event: 'MESSAGE_SENT', channel: 'BROWSER', enabled: true },
          { event: 'WIDGET_CHANGED', channel: 'AUDIO', enabled: true },
        ],
      },
      org.adminToken,
    );
    expect(unavailable).toMatchObject({ code: 'CHANNEL_NOT_AVAILABLE', field: 'changes.1' });
    expect(await prisma().organizationDefaultPreference.count({ where: { organizationId: org.organizationId } })).toBe(0);
  });
});

/**
 * Typed refusals (issue 7, part 4) through the real HTTP server: a refused mutation answers an
 * AppError in its result union (FORBIDDEN, INVALID_ID with the field path, NOT_FOUND); a query keeps
 * a top-level error with a clear code, never INTERNAL_SERVER_ERROR; `node`/`nodes` answer null for
 * a malformed, unknown or foreign id; the ids the service hands out are the ids it accepts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { globalId, rawId, seedOrganization } from '../helpers/seed.js';
import { refusalOf, startTestServer, type TestServer } from '../helpers/test-server.js';
import { connect, eventually, subscribe } from '../streams/stream-client.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

const CREATE_WIDGET = `mutation ($input: CreateWidgetInput!) { createWidget(input: $input) { __typename ... on AppError { code field message } } }`;
const UPDATE_OPERATOR = `mutation ($input: UpdateOperatorInput!) { updateOperator(input: $input) { __typename ... on AppError { code field message } } }`;
const ADD_MEMBER = `mutation ($input: GroupMemberInput!) { addGroupMember(input: $input) { __typename ... on AppError { code field message } } }`;
const DELETE_WIDGET = `mutation ($id: ID!) { deleteWidget(id: $id) { __typename ... on AppError { code field message } } }`;
const EXPLAIN = `query ($eventId: ID!) { explainEvent(eventId: $eventId) { __typename ... on QueryExplainEventSuccess { data { event { id kind } } } ... on AppError { code field } } }`;
const NODE = `query ($id: ID!) { node(id: $id) { __typename id } }`;
const NODES = `query ($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`;
const STREAMS = `query ($operatorId: ID) { streamsInEffect(operatorId: $operatorId) { saved { event } } }`;

type Refusal = { __typename: string; code?: string; field?: string | null };
const first = <T>(data: Record<string, T> | undefined) => Object.values(data ?? {})[0] as T;
const widgetCount = (organizationId: string) => server.app.database.prisma.widget.count({ where: { organizationId } });

describe('refused mutations answer an AppError in their union', () => {
  it('FORBIDDEN for an operator calling an admin mutation or an integrator calling a settings mutation, nothing stored', async () => {
    const seeder = await seedOrganization(server, 'Refusals');
    const olga = await seeder.token(await seeder.operator('Olga'));
    for (const credential of [olga, seeder.org.apiKey]) {
      const response = await server.gql<{ createWidget: Refusal }>(CREATE_WIDGET, { input: { name: 'W' } }, credential);
      expect(response.errors).toBeUndefined();
      expect(response.data?.createWidget).toMatchObject({ __typename: 'AppError', code: 'FORBIDDEN' });
    }
    expect(await widgetCount(seeder.org.organizationId)).toBe(0);
  });

  it('INVALID_ID with the field path for a malformed id, an id of another type and a non-UUID id', async () => {
    const seeder = await seedOrganization(server, 'Bad ids');
    const widgetId = await seeder.widget();
    const cases: [string, Record<string, unknown>, string][] = [
      [UPDATE_OPERATOR, { input: { id: 'not base64 at all!', name: 'X' } }, 'input.id'],
      [UPDATE_OPERATOR, { input: { id: widgetId, name: 'X' } }, 'input.id'],
      [UPDATE_OPERATOR, { input: { id: seeder.adminId, roleId: globalId('Role', 'abc') } }, 'input.roleId'],
      [ADD_MEMBER, { input: { groupId: globalId('OperatorGroup', crypto.randomUUID()), operatorId: 'garbage' } }, 'input.operatorId'],
      [DELETE_WIDGET, { id: Buffer.from('Widget').toString('base64') }, 'id'],
      [CREATE_WIDGET, { input: { name: 'W', groupId: seeder.adminId } }, 'input.groupId'],
    ];
    for (const [document, variables, field] of cases) {
      const response = await server.gql(document, variables, seeder.org.adminToken);
      expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
      expect(first<Refusal>(response.data as Record<string, Refusal>), JSON.stringify(variables)).toMatchObject({
        __typename: 'AppError',
        code: 'INVALID_ID',
        field,
      });
    }
    expect(await widgetCount(seeder.org.organizationId)).toBe(1);
  });

  it('NOT_FOUND for a well-formed id naming nothing, or naming another organization’s object', async () => {
    const seeder = await seedOrganization(server, 'Unknown ids');
    const other = await seedOrganization(server, 'Other org');
    const foreignWidget = await other.widget();
    for (const id of [globalId('Widget', crypto.randomUUID()), foreignWidget]) {
      const response = await server.gql<{ deleteWidget: Refusal }>(DELETE_WIDGET, { id }, seeder.org.adminToken);
      expect(response.data?.deleteWidget).toMatchObject({ __typename: 'AppError', code: 'NOT_FOUND' });
    }
    const stillThere = await server.app.database.prisma.widget.findUniqueOrThrow({ where: { id: rawId(foreignWidget) } });
    expect(stillThere.deletedAt).toBeNull();
  });
});

describe('every id a mutation takes: an unknown one is NOT_FOUND on its field, never an internal error', () => {
  it('holds for each mutation', async () => {
    const seeder = await seedOrganization(server, 'Unknown everywhere');
    const operator = await seeder.operator('Olga');
    const u = (type: string) => globalId(type, crypto.randomUUID());
    const m = (field: string, args: string) =>
      `mutation ($v: ${args.split(':')[1]}) { ${field}(${args.split(':')[0]}: $v) { __typename ... on AppError { code field } } }`;
    const admin: [string, string, unknown, string][] = [
      ['addGroupMember', 'input:GroupMemberInput!', { groupId: u('OperatorGroup'), operatorId: operator }, 'input.groupId'],
      ['removeGroupMember', 'input:GroupMemberInput!', { groupId: u('OperatorGroup'), operatorId: operator }, 'input.groupId'],
      ['createOperator', 'input:CreateOperatorInput!', { name: 'N', roleId: u('Role') }, 'input.roleId'],
      ['createWidget', 'input:CreateWidgetInput!', { name: 'W', groupId: u('OperatorGroup') }, 'input.groupId'],
      ['deleteAddon', 'id:ID!', u('Addon'), 'id'],
      ['deleteOperator', 'id:ID!', u('Operator'), 'id'],
      ['deleteOperatorGroup', 'id:ID!', u('OperatorGroup'), 'id'],
      ['deleteRole', 'id:ID!', u('Role'), 'id'],
      ['issueOperatorToken', 'operatorId:ID!', u('Operator'), 'operatorId'],
      ['revokeOperatorTokens', 'operatorId:ID!', u('Operator'), 'operatorId'],
      [
        'replayAddonDeliveries',
        'input:ReplayAddonDeliveriesInput!',
        { addonId: u('Addon'), from: new Date(0).toISOString(), to: new Date().toISOString() },
        'input.addonId',
      ],
      ['retryDelivery', 'id:ID!', u('Delivery'), 'id'],
      ['revokeApiKey', 'id:ID!', u('ApiKey'), 'id'],
      ['updateAddon', 'input:UpdateAddonInput!', { id: u('Addon'), name: 'A' }, 'input.id'],
      ['updateOperator', 'input:UpdateOperatorInput!', { id: u('Operator'), name: 'A' }, 'input.id'],
      ['updateOperator', 'input:UpdateOperatorInput!', { id: operator, roleId: u('Role') }, 'input.roleId'],
      ['updateOperatorGroup', 'input:UpdateOperatorGroupInput!', { id: u('OperatorGroup'), name: 'A' }, 'input.id'],
      ['updateRole', 'input:UpdateRoleInput!', { id: u('Role'), name: 'A' }, 'input.id'],
      ['updateWidget', 'input:UpdateWidgetInput!', { id: u('Widget'), name: 'A' }, 'input.id'],
      [
        'updateDashboardPreferences',
        'input:UpdateDashboardPreferencesInput!',
        { operatorId: u('Operator'), changes: [] },
        'input.operatorId',
      ],
    ];
    const integrator: [string, string, unknown, string][] = [
      [
        'reportChatStarted',
        'input:ReportChatStartedInput!',
        { chatId: 'c', widgetId: u('Widget'), operatorId: operator },
        'input.widgetId',
      ],
      [
        'reportChatStarted',
        'input:ReportChatStartedInput!',
        { chatId: 'c', widgetId: await seeder.widget(), operatorId: u('Operator') },
        'input.operatorId',
      ],
      ['reportPresenceChanged', 'input:ReportPresenceChangedInput!', { operatorId: u('Operator'), presence: 'AWAY' }, 'input.operatorId'],
      ['reportOfflineMessage', 'input:ReportOfflineMessageInput!', { widgetId: u('Widget'), text: 't' }, 'input.widgetId'],
    ];
    const runs = [
      ...admin.map((c) => [...c, seeder.org.adminToken] as const),
      ...integrator.map((c) => [...c, seeder.org.apiKey] as const),
    ];
    const wrong: unknown[] = [];
    for (const [field, args, v, path, credential] of runs) {
      const response = await server.gql(m(field, args), { v }, credential);
      const outcome = response.errors ?? refusalOf(response);
      if (JSON.stringify(outcome) !== JSON.stringify({ __typename: 'AppError', code: 'NOT_FOUND', field: path }))
        wrong.push({ field, path, outcome });
    }
    expect(wrong).toEqual([]);
  });
});

describe('queries keep a top-level error with a clear code', () => {
  it('UNAUTHENTICATED, FORBIDDEN and INVALID_ID, never INTERNAL_SERVER_ERROR', async () => {
    const seeder = await seedOrganization(server, 'Query refusals');
    const olga = await seeder.token(await seeder.operator('Olga'));
    const anonymous = await server.gql(`{ widgets { edges { node { id } } } }`);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const deliveries = await server.gql(`{ deliveries { edges { node { id } } } }`, {}, olga);
    expect(deliveries.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const badArg = await server.gql(`query ($id: ID) { streamsInEffect(operatorId: $id) { saved { event } } }`, { id: 'zzz' }, olga);
    expect(badArg.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_ID', field: 'operatorId' });
    const explained = await server.gql<{ explainEvent: Refusal }>(EXPLAIN, { eventId: 'nope' }, olga);
    expect(explained.data?.explainEvent).toMatchObject({ __typename: 'AppError', code: 'INVALID_ID', field: 'eventId' });
  });

  it("a colleague's streamsInEffect is FORBIDDEN for an operator, allowed for an admin", async () => {
    const seeder = await seedOrganization(server, 'Streams');
    const olgaId = await seeder.operator('Olga');
    const bob = await seeder.token(await seeder.operator('Bob'));
    const refused = await server.gql(STREAMS, { operatorId: olgaId }, bob);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', field: 'operatorId' });
    expect(refused.data ?? null).toBeNull();
    const own = await server.gql(STREAMS, {}, bob);
    expect(own.errors).toBeUndefined();
    const asAdmin = await server.gql(STREAMS, { operatorId: olgaId }, seeder.org.adminToken);
    expect(asAdmin.errors).toBeUndefined();
  });
});

describe('node and nodes', () => {
  it('answer null for a malformed, unknown, non-node or foreign id, and the object otherwise', async () => {
    const seeder = await seedOrganization(server, 'Nodes');
    const other = await seedOrganization(server, 'Nodes elsewhere');
    const widget = await seeder.widget();
    const foreign = await other.widget();
    const nulls = ['%%%', 'bm90aGluZw==', globalId('Widget', crypto.randomUUID()), globalId('Chat', crypto.randomUUID()), foreign];
    for (const id of nulls) {
      const response = await server.gql<{ node: unknown }>(NODE, { id }, seeder.org.adminToken);
      expect(response, id).toEqual({ data: { node: null } });
    }
    const own = await server.gql<{ node: { id: string } }>(NODE, { id: widget }, seeder.org.adminToken);
    expect(own.data?.node).toEqual({ __typename: 'Widget', id: widget });
    const many = await server.gql<{ nodes: unknown[] }>(NODES, { ids: [widget, ...nulls] }, seeder.org.adminToken);
    expect(many.errors).toBeUndefined();
    expect(many.data?.nodes).toEqual([{ __typename: 'Widget', id: widget }, ...nulls.map(() => null)]);
  });

  it('hide API keys from non-admins and refuse node to an integrator', async () => {
    const seeder = await seedOrganization(server, 'Visibility');
    const olga = await seeder.token(await seeder.operator('Olga'));
    const prisma = server.app.database.prisma;
    const key = await prisma.apiKey.findFirstOrThrow({ where: { organizationId: seeder.org.organizationId } });
    const keyId = globalId('ApiKey', key.id);
    const asOperator = await server.gql<{ node: unknown }>(NODE, { id: keyId }, olga);
    expect(asOperator).toEqual({ data: { node: null } });
    const asAdmin = await server.gql<{ node: unknown }>(NODE, { id: keyId }, seeder.org.adminToken);
    expect(asAdmin.data?.node).toEqual({ __typename: 'ApiKey', id: keyId });
    const asIntegrator = await server.gql(NODE, { id: keyId }, seeder.org.apiKey);
    expect(asIntegrator.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('one id form everywhere', () => {
  it('the eventId of a live item is accepted by explainEvent and node', async () => {
    const seeder = await seedOrganization(server, 'Live ids');
    const { client } = connect(server, seeder.org.adminToken);
    const sub = subscribe(client);
    await eventually(
      () => server.gql<{ streamsInEffect: { streams: unknown[] } }>(`{ streamsInEffect { streams { id } } }`, {}, seeder.org.adminToken),
      (r) => r.data?.streamsInEffect.streams.length === 1,
    );
    const report = await server.gql(
      `mutation { reportSystemMessage(input: { title: "Trial ends", body: "soon" }) { __typename } }`,
      {},
      seeder.org.apiKey,
    );
    expect(report.errors).toBeUndefined();
    const [item] = await sub.waitFor(1);
    const eventId = (item as unknown as { eventId: string }).eventId;
    const explained = await server.gql<{ explainEvent: { __typename: string; data?: { event: { id: string; kind: string } } } }>(
      EXPLAIN,
      { eventId },
      seeder.org.adminToken,
    );
    expect(explained.data?.explainEvent.data?.event).toEqual({ id: eventId, kind: 'SYSTEM_MESSAGE' });
    const node = await server.gql<{ node: unknown }>(NODE, { id: eventId }, seeder.org.adminToken);
    expect(node.data?.node).toEqual({ __typename: 'NotificationEvent', id: eventId });
    sub.dispose();
    await client.dispose();
  });
});

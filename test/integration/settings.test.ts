import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusalOf, startTestServer, type TestServer } from '../helpers/test-server.js';
import { mutate, newOperator, rawId, roleIds, succeed } from './settings-helpers.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

const prisma = () => server.app.database.prisma;

const GROUP_FIELDS = 'id name members { edges { node { id name } } } widgets { id name }';
const CREATE_GROUP = `mutation ($input: CreateOperatorGroupInput!) { createOperatorGroup(input: $input) { __typename
  ... on MutationCreateOperatorGroupSuccess { data { ${GROUP_FIELDS} } } ... on AppError { code message field } } }`;
const UPDATE_GROUP = `mutation ($input: UpdateOperatorGroupInput!) { updateOperatorGroup(input: $input) { __typename
  ... on MutationUpdateOperatorGroupSuccess { data { ${GROUP_FIELDS} } } ... on AppError { code message field } } }`;
const DELETE_GROUP = `mutation ($id: ID!) { deleteOperatorGroup(id: $id) { __typename
  ... on MutationDeleteOperatorGroupSuccess { data { id } } ... on AppError { code message field } } }`;
const ADD_MEMBER = `mutation ($input: GroupMemberInput!) { addGroupMember(input: $input) { __typename
  ... on MutationAddGroupMemberSuccess { data { ${GROUP_FIELDS} } } ... on AppError { code message field } } }`;
const REMOVE_MEMBER = `mutation ($input: GroupMemberInput!) { removeGroupMember(input: $input) { __typename
  ... on MutationRemoveGroupMemberSuccess { data { ${GROUP_FIELDS} } } ... on AppError { code message field } } }`;
const GROUPS = `query { operatorGroups { edges { node { ${GROUP_FIELDS} } } } }`;

const WIDGET_FIELDS = 'id name email browser addons emailSameGroupOnly deletedAt group { id name }';
const CREATE_WIDGET = `mutation ($input: CreateWidgetInput!) { createWidget(input: $input) { __typename
  ... on MutationCreateWidgetSuccess { data { ${WIDGET_FIELDS} } } ... on AppError { code message field } } }`;
const UPDATE_WIDGET = `mutation ($input: UpdateWidgetInput!) { updateWidget(input: $input) { __typename
  ... on MutationUpdateWidgetSuccess { data { ${WIDGET_FIELDS} } } ... on AppError { code message field } } }`;
const DELETE_WIDGET = `mutation ($id: ID!) { deleteWidget(id: $id) { __typename
  ... on MutationDeleteWidgetSuccess { data { ${WIDGET_FIELDS} } } ... on AppError { code message field } } }`;
const WIDGETS = `query ($includeDeleted: Boolean) { widgets(includeDeleted: $includeDeleted) { edges { node { ${WIDGET_FIELDS} } } } }`;

const OPERATOR_FIELDS = 'id name email deactivatedAt role { name } groups { id name }';
const UPDATE_OPERATOR = `mutation ($input: UpdateOperatorInput!) { updateOperator(input: $input) { __typename
  ... on MutationUpdateOperatorSuccess { data { ${OPERATOR_FIELDS} } } ... on AppError { code message field } } }`;
const DELETE_OPERATOR = `mutation ($id: ID!) { deleteOperator(id: $id) { __typename
  ... on MutationDeleteOperatorSuccess { data { ${OPERATOR_FIELDS} } } ... on AppError { code message field } } }`;
const OPERATORS = `query ($all: Boolean) { operators(includeDeactivated: $all) { edges { node { ${OPERATOR_FIELDS} } } } }`;
const NODE = `query ($id: ID!) { node(id: $id) { __typename id } }`;

type Group = { id: string; name: string; members: { edges: { node: { id: string; name: string } }[] }; widgets: { id: string }[] };
type Widget = {
  id: string;
  name: string;
  email: boolean;
  browser: boolean;
  addons: boolean;
  emailSameGroupOnly: boolean;
  deletedAt: string | null;
  group: { id: string } | null;
};
type Operator = { id: string; name: string; deactivatedAt: string | null; role: { name: string }; groups: { id: string }[] };

const widgetChangedEvents = (organizationId: string) =>
  prisma().notificationEvent.findMany({ where: { organizationId, kind: 'WIDGET_CHANGED' }, orderBy: { createdAt: 'asc' } });

describe('operator groups', () => {
  it('are created, renamed and listed with their members; membership changes are idempotent', async () => {
    const org = await server.newOrganization();
    const ann = await newOperator(server, org, 'Ann');
    const bob = await newOperator(server, org, 'Bob');
    const group = await succeed<Group>(server, CREATE_GROUP, { input: { name: ' Sales ', memberIds: [ann.id] } }, org.adminToken);
    expect(group).toMatchObject({ name: 'Sales', members: { edges: [{ node: { id: ann.id, name: 'Ann' } }] } });

    const renamed = await succeed<Group>(server, UPDATE_GROUP, { input: { id: group.id, name: 'Sales EU' } }, org.adminToken);
    expect(renamed.name).toBe('Sales EU');
    for (let i = 0; i < 2; i++) {
      const added = await succeed<Group>(server, ADD_MEMBER, { input: { groupId: group.id, operatorId: bob.id } }, org.adminToken);
      expect(added.members.edges.map((e) => e.node.name)).toEqual(['Ann', 'Bob']);
    }
    for (let i = 0; i < 2; i++) {
      const removed = await succeed<Group>(server, REMOVE_MEMBER, { input: { groupId: group.id, operatorId: ann.id } }, org.adminToken);
      expect(removed.members.edges.map((e) => e.node.name)).toEqual(['Bob']);
    }
    const duplicate = await mutate(server, CREATE_GROUP, { input: { name: 'Sales EU' } }, org.adminToken);
    expect(duplicate).toMatchObject({ __typename: 'AppError', code: 'CONFLICT' });
    const listed = await server.gql<{ operatorGroups: { edges: { node: Group }[] } }>(GROUPS, {}, bob.token);
    expect(listed.data?.operatorGroups.edges.map((e) => e.node.name)).toEqual(['Sales EU']);
  });

  it('deleting a group removes its memberships and leaves its widgets without a group, raising WIDGET_CHANGED', async () => {
    const org = await server.newOrganization();
    const ann = await newOperator(server, org, 'Ann');
    const group = await succeed<Group>(server, CREATE_GROUP, { input: { name: 'Support', memberIds: [ann.id] } }, org.adminToken);
    const widget = await succeed<Widget>(server, CREATE_WIDGET, { input: { name: 'Site', groupId: group.id } }, org.adminToken);
    expect(widget.group?.id).toBe(group.id);

    await succeed(server, DELETE_GROUP, { id: group.id }, org.adminToken);
    expect(await prisma().groupMembership.count({ where: { groupId: rawId(group.id) } })).toBe(0);
    const widgets = await server.gql<{ widgets: { edges: { node: Widget }[] } }>(WIDGETS, {}, org.adminToken);
    expect(widgets.data?.widgets.edges[0]?.node.group).toBeNull();
    const events = await widgetChangedEvents(org.organizationId);
    expect(events).toHaveLength(1);
    expect(events[0]?.payload).toMatchObject({ changes: [{ field: 'groupId', from: rawId(group.id), to: null }] });
  });
});

describe('operators', () => {
  it('are created with role, groups and the organization default preference grid', async () => {
    const org = await server.newOrganization();
    const group = await succeed<Group>(server, CREATE_GROUP, { input: { name: 'Night shift' } }, org.adminToken);
    const ann = await newOperator(server, org, 'Ann', { groupIds: [group.id] });
    const rows = await prisma().operatorPreference.count({ where: { operatorId: rawId(ann.id) } });
    expect(rows).toBeGreaterThan(0);
    const listed = await server.gql<{ operators: { edges: { node: Operator }[] } }>(OPERATORS, {}, ann.token);
    expect(listed.data?.operators.edges.map((e) => [e.node.name, e.node.role.name, e.node.groups.length])).toEqual([
      ['Admin', 'Admin', 0],
      ['Ann', 'Operator', 1],
    ]);
  });

  it('are renamed and change role; bad input is a typed error', async () => {
    const org = await server.newOrganization();
    const roles = await roleIds(server, org);
    const ann = await newOperator(server, org, 'Ann');
    const updated = await succeed<Operator>(
      server,
      UPDATE_OPERATOR,
      { input: { id: ann.id, name: 'Anna', email: 'anna@example.test', roleId: roles.admin } },
      org.adminToken,
    );
    expect(updated).toMatchObject({ name: 'Anna', role: { name: 'Admin' } });
    const bad = await mutate(server, UPDATE_OPERATOR, { input: { id: ann.id, email: 'nope' } }, org.adminToken);
    expect(bad).toMatchObject({ __typename: 'AppError', code: 'INVALID_INPUT', field: 'input.email' });
  });

  it('deleting deactivates: the row stays, memberships go, the token stops working; never yourself nor the last admin', async () => {
    const org = await server.newOrganization();
    const adminGlobalId = Buffer.from(`Operator:${org.adminId}`).toString('base64');
    const group = await succeed<Group>(server, CREATE_GROUP, { input: { name: 'G' } }, org.adminToken);
    const ann = await newOperator(server, org, 'Ann', { groupIds: [group.id] });

    const deleted = await succeed<Operator>(server, DELETE_OPERATOR, { id: ann.id }, org.adminToken);
    expect(deleted.deactivatedAt).not.toBeNull();
    expect(deleted.groups).toEqual([]);
    expect(await prisma().operator.count({ where: { id: rawId(ann.id) } })).toBe(1);
    const active = await server.gql<{ operators: { edges: { node: Operator }[] } }>(OPERATORS, {}, org.adminToken);
    expect(active.data?.operators.edges.map((e) => e.node.name)).toEqual(['Admin']);
    const all = await server.gql<{ operators: { edges: { node: Operator }[] } }>(OPERATORS, { all: true }, org.adminToken);
    expect(all.data?.operators.edges.map((e) => e.node.name)).toEqual(['Admin', 'Ann']);
    const refused = await server.gql('query { me { id } }', {}, ann.token);
    expect(refused.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    expect(await mutate(server, DELETE_OPERATOR, { id: adminGlobalId }, org.adminToken)).toMatchObject({ code: 'CONFLICT' });
    const other = await newOperator(server, org, 'Other', { admin: true });
    const roles = await roleIds(server, org);
    expect(await mutate(server, UPDATE_OPERATOR, { input: { id: adminGlobalId, roleId: roles.operator } }, other.token)).toMatchObject({
      __typename: 'MutationUpdateOperatorSuccess',
    });
    // The remaining admin cannot be demoted now.
    expect(await mutate(server, UPDATE_OPERATOR, { input: { id: other.id, roleId: roles.operator } }, other.token)).toMatchObject({
      code: 'CONFLICT',
      field: 'input.roleId',
    });
  });
});

describe('widgets', () => {
  it('start with every switch on; updates raise WIDGET_CHANGED only when something changed', async () => {
    const org = await server.newOrganization();
    const widget = await succeed<Widget>(server, CREATE_WIDGET, { input: { name: 'Shop' } }, org.adminToken);
    expect(widget).toMatchObject({ email: true, browser: true, addons: true, emailSameGroupOnly: false, group: null });
    expect(await widgetChangedEvents(org.organizationId)).toHaveLength(0);

    const updated = await succeed<Widget>(
      server,
      UPDATE_WIDGET,
      { input: { id: widget.id, email: false, browser: true, emailSameGroupOnly: true } },
      org.adminToken,
    );
    expect(updated).toMatchObject({ email: false, browser: true, emailSameGroupOnly: true });
    const events = await widgetChangedEvents(org.organizationId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ widgetId: rawId(widget.id) });
    expect(events[0]?.payload).toMatchObject({
      changes: [
        { field: 'email', from: true, to: false },
        { field: 'emailSameGroupOnly', from: false, to: true },
      ],
    });
    const decisions = await prisma().decision.count({ where: { eventId: events[0]?.id } });
    expect(decisions).toBeGreaterThan(0);

    await succeed(server, UPDATE_WIDGET, { input: { id: widget.id, email: false, name: 'Shop' } }, org.adminToken);
    expect(await widgetChangedEvents(org.organizationId)).toHaveLength(1);
  });

  it('are soft-deleted: kept, hidden from the list, WIDGET_CHANGED raised, no longer changeable', async () => {
    const org = await server.newOrganization();
    const widget = await succeed<Widget>(server, CREATE_WIDGET, { input: { name: 'Old' } }, org.adminToken);
    const deleted = await succeed<Widget>(server, DELETE_WIDGET, { id: widget.id }, org.adminToken);
    expect(deleted.deletedAt).not.toBeNull();
    expect(await prisma().widget.count({ where: { id: rawId(widget.id) } })).toBe(1);
    const listed = await server.gql<{ widgets: { edges: unknown[] } }>(WIDGETS, {}, org.adminToken);
    expect(listed.data?.widgets.edges).toHaveLength(0);
    const all = await server.gql<{ widgets: { edges: unknown[] } }>(WIDGETS, { includeDeleted: true }, org.adminToken);
    expect(all.data?.widgets.edges).toHaveLength(1);
    expect(await widgetChangedEvents(org.organizationId)).toHaveLength(1);
    expect(await mutate(server, UPDATE_WIDGET, { input: { id: widget.id, email: false } }, org.adminToken)).toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});

describe('permissions', () => {
  it('operators read settings but cannot change groups, operators, widgets or roles', async () => {
    const org = await server.newOrganization();
    const ann = await newOperator(server, org, 'Ann');
    const roles = await roleIds(server, org);
    const widget = await succeed<Widget>(server, CREATE_WIDGET, { input: { name: 'W' } }, org.adminToken);
    const forbidden = [
      [CREATE_GROUP, { input: { name: 'X' } }],
      [CREATE_WIDGET, { input: { name: 'X' } }],
      [UPDATE_WIDGET, { input: { id: widget.id, email: false } }],
      [DELETE_WIDGET, { id: widget.id }],
      [UPDATE_OPERATOR, { input: { id: ann.id, roleId: roles.admin } }],
      [DELETE_OPERATOR, { id: ann.id }],
    ] as const;
    for (const [document, variables] of forbidden) {
      const response = await server.gql(document, variables, ann.token);
      expect(refusalOf(response)).toMatchObject({ __typename: 'AppError', code: 'FORBIDDEN' });
    }
    const read = await server.gql<{ widgets: { edges: unknown[] } }>(WIDGETS, {}, ann.token);
    expect(read.data?.widgets.edges).toHaveLength(1);
    const stored = await prisma().widget.findUniqueOrThrow({ where: { id: rawId(widget.id) } });
    expect(stored.emailEnabled).toBe(true);
  });

  it('integrator keys can neither read nor change settings', async () => {
    const org = await server.newOrganization();
    for (const document of [
      GROUPS,
      WIDGETS,
      OPERATORS,
      'query { addons { edges { node { id } } } }',
      'query { organizationDefaultPreferences { event } }',
    ]) {
      const response = await server.gql(document, {}, org.apiKey);
      expect(response.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    const response = await server.gql(CREATE_WIDGET, { input: { name: 'X' } }, org.apiKey);
    expect(refusalOf(response)).toMatchObject({ __typename: 'AppError', code: 'FORBIDDEN' });
  });
});

describe('query merging', () => {
  it('listing operators with role, groups and preferences takes the same number of queries for 2 or 6 operators', async () => {
    const org = await server.newOrganization();
    const group = await succeed<Group>(server, CREATE_GROUP, { input: { name: 'All' } }, org.adminToken);
    const LIST = `query { operators { edges { node { name role { name } groups { name members { edges { node { name } } } }
      preferences { enabled changedBy { name } } } } } operatorGroups { edges { node { name widgets { name } } } } }`;
    const countQueries = async () => {
      server.queries.length = 0;
      const response = await server.gql(LIST, {}, org.adminToken);
      expect(response.errors).toBeUndefined();
      return server.queries.length;
    };
    const SET = `mutation ($input: UpdateDashboardPreferencesInput!) { updateDashboardPreferences(input: $input) { __typename } }`;
    const addOperator = async (name: string) => {
      const operator = await newOperator(server, org, name, { groupIds: [group.id] });
      const changes = [{ event: 'MESSAGE_SENT', channel: 'BROWSER', enabled: true }];
      await succeed(server, SET, { input: { operatorId: operator.id, changes } }, operator.token);
    };
    await addOperator('One');
    const few = await countQueries();
    for (const name of ['Two', 'Three', 'Four', 'Five']) await addOperator(name);
    expect(await countQueries()).toBe(few);
  });
});

describe('cross-organization', () => {
  it("another organization's admin cannot read, change, delete or add members to anything", async () => {
    const org = await server.newOrganization('A');
    const intruder = await server.newOrganization('B');
    const intruderOperator = await newOperator(server, intruder, 'Mallory');
    const ann = await newOperator(server, org, 'Ann');
    const group = await succeed<Group>(server, CREATE_GROUP, { input: { name: 'G', memberIds: [ann.id] } }, org.adminToken);
    const widget = await succeed<Widget>(server, CREATE_WIDGET, { input: { name: 'W', groupId: group.id } }, org.adminToken);

    for (const id of [group.id, widget.id, ann.id]) {
      const read = await server.gql<{ node: unknown }>(NODE, { id }, intruder.adminToken);
      expect(read.data?.node ?? null).toBeNull();
    }
    const listed = await server.gql<{ widgets: { edges: unknown[] } }>(WIDGETS, {}, intruder.adminToken);
    expect(listed.data?.widgets.edges).toHaveLength(0);

    const attempts = [
      [UPDATE_GROUP, { input: { id: group.id, name: 'Hacked' } }],
      [DELETE_GROUP, { id: group.id }],
      [ADD_MEMBER, { input: { groupId: group.id, operatorId: intruderOperator.id } }],
      [REMOVE_MEMBER, { input: { groupId: group.id, operatorId: ann.id } }],
      [UPDATE_WIDGET, { input: { id: widget.id, email: false } }],
      [DELETE_WIDGET, { id: widget.id }],
      [UPDATE_OPERATOR, { input: { id: ann.id, name: 'Hacked' } }],
      [DELETE_OPERATOR, { id: ann.id }],
      // Pointing one's own objects at the other organization's is refused too.
      [CREATE_WIDGET, { input: { name: 'X', groupId: group.id } }],
      [CREATE_GROUP, { input: { name: 'X', memberIds: [ann.id] } }],
    ] as const;
    for (const [document, variables] of attempts) {
      expect(await mutate(server, document, variables, intruder.adminToken)).toMatchObject({ __typename: 'AppError', code: 'NOT_FOUND' });
    }

    const storedGroup = await prisma().operatorGroup.findUniqueOrThrow({ where: { id: rawId(group.id) }, include: { memberships: true } });
    expect(storedGroup.name).toBe('G');
    expect(storedGroup.memberships.map((m) => m.operatorId)).toEqual([rawId(ann.id)]);
    const storedWidget = await prisma().widget.findUniqueOrThrow({ where: { id: rawId(widget.id) } });
    expect(storedWidget).toMatchObject({ emailEnabled: true, deletedAt: null, groupId: rawId(group.id) });
    const storedAnn = await prisma().operator.findUniqueOrThrow({ where: { id: rawId(ann.id) } });
    expect(storedAnn).toMatchObject({ name: 'Ann', deletedAt: null });
    expect(await prisma().widget.count({ where: { organizationId: intruder.organizationId } })).toBe(0);
  });
});

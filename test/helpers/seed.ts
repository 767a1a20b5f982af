/**
 * Setting up an organization for ingestion tests, through the real settings API (operators,
 * groups, widgets, roles, preferences), plus a bulk seeder writing many operators straight to the
 * database for the query-count tests, and a reporter unwrapping the ingestion mutations.
 */
import { expect } from 'vitest';
import { materializePreferences } from '../../src/services/preference-defaults.js';
import type { TestOrganization, TestServer } from './test-server.js';

export interface Outcome {
  __typename: string;
  data?: unknown;
  code?: string;
  field?: string | null;
  message?: string;
}

export async function call(server: TestServer, document: string, variables: Record<string, unknown>, credential: string): Promise<Outcome> {
  const response = await server.gql<Record<string, Outcome>>(document, variables, credential);
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  const value = Object.values(response.data ?? {})[0];
  if (!value) throw new Error(`no result: ${JSON.stringify(response)}`);
  return value;
}

export async function ok<T>(server: TestServer, document: string, variables: Record<string, unknown>, credential: string): Promise<T> {
  const value = await call(server, document, variables, credential);
  expect(value.__typename, JSON.stringify(value)).toMatch(/Success$/);
  return value.data as T;
}

const ROLES = `query { roles { edges { node { id name } } } }`;
const CREATE_ROLE = `mutation ($input: CreateRoleInput!) { createRole(input: $input) { __typename ... on MutationCreateRoleSuccess { data { id } } ... on AppError { code message field } } }`;
const UPDATE_ROLE = `mutation ($input: UpdateRoleInput!) { updateRole(input: $input) { __typename ... on MutationUpdateRoleSuccess { data { id } } ... on AppError { code message field } } }`;
const CREATE_OPERATOR = `mutation ($input: CreateOperatorInput!) { createOperator(input: $input) { __typename ... on MutationCreateOperatorSuccess { data { id } } ... on AppError { code message field } } }`;
const CREATE_GROUP = `mutation ($input: CreateOperatorGroupInput!) { createOperatorGroup(input: $input) { __typename ... on MutationCreateOperatorGroupSuccess { data { id } } ... on AppError { code message field } } }`;
const CREATE_WIDGET = `mutation ($input: CreateWidgetInput!) { createWidget(input: $input) { __typename ... on MutationCreateWidgetSuccess { data { id } } ... on AppError { code message field } } }`;
const UPDATE_WIDGET = `mutation ($input: UpdateWidgetInput!) { updateWidget(input: $input) { __typename ... on MutationUpdateWidgetSuccess { data { id } } ... on AppError { code message field } } }`;
const SET_PREFERENCES = `mutation ($input: UpdateDashboardPreferencesInput!) { updateDashboardPreferences(input: $input) { __typename ... on AppError { code message field } } }`;
const CREATE_ADDON = `mutation ($input: CreateAddonInput!) { createAddon(input: $input) { __typename ... on MutationCreateAddonSuccess { data { addon { id } } } ... on AppError { code message field } } }`;
const ISSUE_TOKEN = `mutation ($operatorId: ID!) { issueOperatorToken(operatorId: $operatorId) { __typename ... on MutationIssueOperatorTokenSuccess { data { token } } } }`;

/** Global ID of a raw row id, as the API encodes it. */
export const globalId = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64');
export const rawId = (global: string) => Buffer.from(global, 'base64').toString().split(':')[1] as string;

export interface Seeder {
  org: TestOrganization;
  adminId: string;
  roleId(name: 'Admin' | 'Operator'): Promise<string>;
  createRole(name: string): Promise<string>;
  setRoleNotifications(roleId: string, enabled: boolean): Promise<void>;
  operator(name: string, options?: { roleId?: string; groupIds?: string[] }): Promise<string>;
  token(operatorId: string): Promise<string>;
  group(name: string, memberIds?: string[]): Promise<string>;
  widget(input?: Record<string, unknown>): Promise<string>;
  updateWidget(widgetId: string, patch: Record<string, unknown>): Promise<void>;
  setPreference(operatorId: string, event: string, channel: string, enabled: boolean): Promise<void>;
  setPreferences(operatorId: string, changes: { event: string; channel: string; enabled: boolean }[]): Promise<void>;
  /** An enabled EmailTicket addon choosing `events`. */
  addon(events: string[]): Promise<string>;
}

/** A new organization and a seeder speaking the settings API as its admin. All ids are global IDs. */
export async function seedOrganization(server: TestServer, name = 'Ingestion org'): Promise<Seeder> {
  const org = await server.newOrganization(name);
  const admin = org.adminToken;
  let roles: Record<string, string> | undefined;
  const seeder: Seeder = {
    org,
    adminId: globalId('Operator', org.adminId),
    async roleId(roleName) {
      if (!roles) {
        const response = await server.gql<{ roles: { edges: { node: { id: string; name: string } }[] } }>(ROLES, {}, admin);
        roles = Object.fromEntries((response.data?.roles.edges ?? []).map((e) => [e.node.name, e.node.id]));
      }
      return roles[roleName] as string;
    },
    async createRole(roleName) {
      return (await ok<{ id: string }>(server, CREATE_ROLE, { input: { name: roleName } }, admin)).id;
    },
    async setRoleNotifications(roleId, enabled) {
      await ok(server, UPDATE_ROLE, { input: { id: roleId, notificationsEnabled: enabled } }, admin);
    },
    async operator(operatorName, options = {}) {
      const roleId = options.roleId ?? (await seeder.roleId('Operator'));
      const input = { name: operatorName, email: `${operatorName.toLowerCase()}@example.test`, roleId, groupIds: options.groupIds };
      return (await ok<{ id: string }>(server, CREATE_OPERATOR, { input }, admin)).id;
    },
    async token(operatorId) {
      return (await ok<{ token: string }>(server, ISSUE_TOKEN, { operatorId }, admin)).token;
    },
    async group(groupName, memberIds = []) {
      return (await ok<{ id: string }>(server, CREATE_GROUP, { input: { name: groupName, memberIds } }, admin)).id;
    },
    async widget(input = {}) {
      return (await ok<{ id: string }>(server, CREATE_WIDGET, { input: { name: 'Website', ...input } }, admin)).id;
    },
    async updateWidget(widgetId, patch) {
      await ok(server, UPDATE_WIDGET, { input: { id: widgetId, ...patch } }, admin);
    },
    async setPreference(operatorId, event, channel, enabled) {
      await seeder.setPreferences(operatorId, [{ event, channel, enabled }]);
    },
    async setPreferences(operatorId, changes) {
      const outcome = await call(server, SET_PREFERENCES, { input: { operatorId, changes } }, admin);
      expect(outcome.__typename, JSON.stringify(outcome)).toMatch(/Success$/);
    },
    async addon(events) {
      const input = { kind: 'EMAIL_TICKET', name: 'Tickets', events, config: { emailTicket: { toAddress: 'tickets@example.test' } } };
      return (await ok<{ addon: { id: string } }>(server, CREATE_ADDON, { input }, admin)).addon.id;
    },
  };
  return seeder;
}

/** Writes `count` operators of the "Operator" role straight to the database, with their preference rows. */
export async function seedOperatorsInBulk(server: TestServer, organizationId: string, count: number): Promise<string[]> {
  const prisma = server.app.database.prisma;
  const role = await prisma.role.findFirstOrThrow({ where: { organizationId, name: 'Operator' } });
  const ids = Array.from({ length: count }, () => crypto.randomUUID());
  await prisma.operator.createMany({ data: ids.map((id, i) => ({ id, organizationId, roleId: role.id, name: `Bulk ${i}` })) });
  await materializePreferences(prisma, organizationId, ids);
  return ids.map((id) => globalId('Operator', id));
}

/**
 * The decisions of an organization's events, counted by the operators and addons they name, not by
 * a join to the events: decisions an event's deletion left behind are counted too.
 */
export async function decisionCount(server: TestServer, organizationId: string): Promise<number> {
  const rows = await server.app.database.prisma.$queryRaw<{ n: bigint | number }[]>`
    SELECT count(*) AS "n" FROM "Decision"
     WHERE "operatorId" IN (SELECT "id" FROM "Operator" WHERE "organizationId" = ${organizationId}::uuid)
        OR "addonId" IN (SELECT "id" FROM "Addon" WHERE "organizationId" = ${organizationId}::uuid)
        OR "eventId" IN (SELECT "id" FROM "NotificationEvent" WHERE "organizationId" = ${organizationId}::uuid)`;
  return Number(rows[0]?.n ?? 0);
}

/** Rows an organization has in the ingestion tables, to prove that a refused report stored nothing. */
export async function ingestionRowCounts(server: TestServer, organizationId: string) {
  const prisma = server.app.database.prisma;
  const [happenings, events, decisions, chats, operators] = await Promise.all([
    prisma.happening.count({ where: { organizationId } }),
    prisma.notificationEvent.count({ where: { organizationId } }),
    decisionCount(server, organizationId),
    prisma.chat.findMany({ where: { organizationId }, orderBy: { id: 'asc' } }),
    prisma.operator.findMany({ where: { organizationId }, select: { id: true, presence: true }, orderBy: { id: 'asc' } }),
  ]);
  return { happenings, events, decisions, chats, operators };
}

export const EVENT_FIELDS = `id kind chatExternalId payload subjectOperator { id } widget { id }
  decisions { operator { id } addon { id } channel delivered reason trace { check passed } }`;

export interface EventView {
  id: string;
  kind: string;
  chatExternalId: string | null;
  payload: Record<string, unknown>;
  subjectOperator: { id: string } | null;
  widget: { id: string } | null;
  decisions: {
    operator: { id: string } | null;
    addon: { id: string } | null;
    channel: string;
    delivered: boolean;
    reason: string;
    trace: { check: string; passed: boolean }[];
  }[];
}

export interface ReportView {
  happeningId: string;
  replayed: boolean;
  events: EventView[];
}

const PASCAL = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

/** Runs `report<Name>(input:)` and returns the whole outcome (Success with data, or AppError). */
export async function reportOutcome(server: TestServer, name: string, input: Record<string, unknown>, credential: string) {
  const mutation = `report${PASCAL(name)}`;
  const document = `mutation ($input: Report${PASCAL(name)}Input!) { ${mutation}(input: $input) { __typename
    ... on Mutation${PASCAL(mutation)}Success { data { happeningId replayed events { ${EVENT_FIELDS} } } }
    ... on AppError { code message field } } }`;
  return call(server, document, { input }, credential);
}

/** Runs `report<Name>` and expects success. */
export async function report(server: TestServer, name: string, input: Record<string, unknown>, credential: string): Promise<ReportView> {
  const outcome = await reportOutcome(server, name, input, credential);
  expect(outcome.__typename, JSON.stringify(outcome)).toMatch(/Success$/);
  return outcome.data as ReportView;
}

export const REPORT_HAPPENINGS = `mutation ($input: ReportHappeningsInput!) { reportHappenings(input: $input) { __typename
  ... on MutationReportHappeningsSuccess { data { happeningId replayed events { ${EVENT_FIELDS} } } }
  ... on AppError { code message field } } }`;

/** The decisions of one event for one operator, by channel. */
export function decisionsFor(event: EventView | undefined, operatorId: string) {
  return Object.fromEntries((event?.decisions ?? []).filter((d) => d.operator?.id === operatorId).map((d) => [d.channel, d.reason]));
}

export const eventOf = (result: ReportView, kind: string) => result.events.find((e) => e.kind === kind);

/**
 * Shared set-up of the attention tests (extensions E4-E7): an organization with a receiver and a
 * colleague, escalation switched on with a short delay, and small GraphQL helpers.
 */
import { expect } from 'vitest';
import { call, ok, rawId } from '../helpers/seed.js';
import type { TestServer } from '../helpers/test-server.js';
import { eventually, type LiveOrg, liveOrganization, type Notification, type Subscription } from '../streams/stream-client.js';

export const ACKNOWLEDGE = /* GraphQL */ `
  mutation ($cursors: [String!]!, $shown: Boolean!, $played: Boolean!) {
    acknowledgeNotifications(cursors: $cursors, shown: $shown, played: $played) {
      __typename
      ... on MutationAcknowledgeNotificationsSuccess { data { acknowledgedCount cancelledEscalations } }
      ... on AppError { code message field }
    }
  }
`;

const SET_ESCALATION = /* GraphQL */ `
  mutation ($seconds: Int!) {
    updateEscalationSettings(escalateAfterSeconds: $seconds) {
      __typename
      ... on MutationUpdateEscalationSettingsSuccess { data { escalateAfterSeconds } }
      ... on AppError { code message field }
    }
  }
`;

export async function setEscalation(server: TestServer, adminToken: string, seconds: number) {
  return call(server, SET_ESCALATION, { seconds }, adminToken);
}

export async function acknowledge(server: TestServer, token: string, cursors: string[], shown: boolean, played: boolean) {
  return ok<{ acknowledgedCount: number; cancelledEscalations: number }>(server, ACKNOWLEDGE, { cursors, shown, played }, token);
}

/** An organization with escalation after `seconds`, a widget (no group) and operators by name. */
export async function escalatingOrganization(server: TestServer, names: string[], seconds: number) {
  const live: LiveOrg = await liveOrganization(server, names);
  const { seeder } = live;
  expect((await setEscalation(server, seeder.org.adminToken, seconds)).__typename).toMatch(/Success$/);
  const widgetId = await seeder.widget();
  return { ...live, widgetId };
}

export async function startChat(server: TestServer, apiKey: string, chatId: string, widgetId: string, operatorGlobalId: string) {
  return ok<{ events: { id: string; kind: string }[] }>(
    server,
    `mutation ($input: ReportChatStartedInput!) { reportChatStarted(input: $input) { __typename
      ... on MutationReportChatStartedSuccess { data { events { id kind } } } ... on AppError { code message field } } }`,
    { input: { chatId, widgetId, operatorId: operatorGlobalId } },
    apiKey,
  );
}

/** The CHAT_NOT_ACKNOWLEDGED events of an organization, straight from the database. */
export function escalationsOf(server: TestServer, organizationId: string) {
  return server.app.database.prisma.notificationEvent.findMany({
    where: { organizationId, kind: 'CHAT_NOT_ACKNOWLEDGED' },
    orderBy: { createdAt: 'asc' },
  });
}

/** Waits until the operator's presence is ONLINE in the database (a stream opened). */
export function onlineInDatabase(server: TestServer, operatorId: string) {
  return eventually(
    () => server.app.database.prisma.operator.findUniqueOrThrow({ where: { id: operatorId }, select: { presence: true } }),
    (o) => o.presence === 'ONLINE',
  );
}

export { rawId };

/** Waits for the stream's first item of `event` (presence items of colleagues come and go around it). */
export async function itemOf(stream: Subscription, event: string, ms = 15_000): Promise<Notification> {
  await eventually(
    async () => stream.items.some((i) => i.event === event),
    (found) => found,
    ms,
  );
  return stream.items.find((i) => i.event === event) as Notification;
}

export const itemsOf = (stream: Subscription, event: string) => stream.items.filter((i) => i.event === event);

/**
 * Extension E5: "email me if I have not read it within N minutes". A browser item left unread sends
 * exactly one email to a real SMTP server once due; one read in time sends none. Waiting N real
 * minutes is not a test: the due time is moved to now in the database ("the minutes passed"), the
 * rest is the real queue, worker and SMTP. Quiet time (E2) is a real do-not-disturb a few seconds
 * long: an email that comes due inside it waits for its end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SmtpReceiver, startSmtpReceiver, waitFor } from '../delivery/receivers.js';
import { call, globalId, ok } from '../helpers/seed.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { connect, eventually, liveOrganization, pause, subscribe } from '../streams/stream-client.js';
import { onlineInDatabase, startChat } from './attention-helpers.js';

let server: TestServer;
let smtp: SmtpReceiver;
beforeAll(async () => {
  smtp = await startSmtpReceiver();
  server = await startTestServer({ config: { deliveryPollMs: 50, smtpUrl: smtp.url } });
});
afterAll(async () => {
  await server?.stop();
  await smtp?.close();
});

const SET = /* GraphQL */ `
  mutation ($input: SetUnreadEmailEscalationInput!) {
    setUnreadEmailEscalation(input: $input) {
      __typename
      ... on MutationSetUnreadEmailEscalationSuccess { data { event minutes } }
      ... on AppError { code message field }
    }
  }
`;
const INBOX = /* GraphQL */ `query { inbox(first: 20) { edges { node { id chatId event read } } } }`;
const MARK_READ = /* GraphQL */ `mutation ($ids: [ID!]!) { markNotificationsRead(ids: $ids) { __typename } }`;
const DND = /* GraphQL */ `mutation ($input: SetDoNotDisturbInput!) { setDoNotDisturb(input: $input) { __typename
  ... on MutationSetDoNotDisturbSuccess { data { doNotDisturbUntil } } ... on AppError { code message field } } }`;

/** "N minutes later": the operator's pending escalation emails are due now. */
const minutesPass = (operatorId: string) =>
  server.app.database.prisma.delivery.updateMany({
    where: { operatorId, inboxItemId: { not: null }, status: 'PENDING' },
    data: { runAt: new Date() },
  });

describe('unread escalation to email', () => {
  it('emails once for an item left unread, and not for one read in time', async () => {
    const { seeder, operators } = await liveOrganization(server, ['Ola']);
    const ola = operators.Ola as { id: string; globalId: string; token: string };
    expect(await ok(server, SET, { input: { event: 'NEW_CHAT_SESSION', minutes: 5 } }, ola.token)).toEqual([
      { event: 'NEW_CHAT_SESSION', minutes: 5 },
    ]);
    const widgetId = await seeder.widget();
    // Her client is connected: both items reach it live (being pushed is not being read).
    const conn = connect(server, ola.token);
    const stream = subscribe(conn.client);
    await onlineInDatabase(server, ola.id);
    await startChat(server, seeder.org.apiKey, 'read-in-time', widgetId, ola.globalId);
    await startChat(server, seeder.org.apiKey, 'left-unread', widgetId, ola.globalId);
    expect((await stream.waitFor(2)).map((i) => [i.chatId, i.event])).toEqual([
      ['read-in-time', 'NEW_CHAT_SESSION'],
      ['left-unread', 'NEW_CHAT_SESSION'],
    ]);
    await conn.client.dispose();
    const scheduled = await server.app.database.prisma.delivery.findMany({ where: { operatorId: ola.id } });
    expect(scheduled).toHaveLength(2);
    for (const d of scheduled) {
      expect(d.status).toBe('PENDING');
      // Due in five minutes, not now.
      expect(d.runAt.getTime() - d.createdAt.getTime()).toBeGreaterThan(4.9 * 60_000);
    }
    const inbox = await server.gql<{ inbox: { edges: { node: { id: string; chatId: string } }[] } }>(INBOX, {}, ola.token);
    const readItem = inbox.data?.inbox.edges.find((e) => e.node.chatId === 'read-in-time')?.node.id;
    expect((await server.gql(MARK_READ, { ids: [readItem] }, ola.token)).errors).toBeUndefined();
    await minutesPass(ola.id);
    const mails = await waitFor(() => smtp.to('ola@example.test').length > 0 && smtp.to('ola@example.test'), 'the escalation email');
    await pause(500);
    expect(smtp.to('ola@example.test')).toHaveLength(1);
    expect(mails[0]?.subject).toMatch(/Still unread: New chat with a visitor.*left-unread/);
    const settled = await server.app.database.prisma.delivery.findMany({
      where: { operatorId: ola.id },
      include: { event: { include: { chat: true } } },
    });
    expect(Object.fromEntries(settled.map((d) => [d.event.chat?.externalId, d.status]))).toEqual({
      'read-in-time': 'CANCELLED',
      'left-unread': 'DELIVERED',
    });
    const decisions = await server.app.database.prisma.decision.findMany({ where: { operatorId: ola.id, channel: 'EMAIL' } });
    const chatOf = new Map(settled.map((d) => [d.eventId, d.event.chat?.externalId]));
    expect(Object.fromEntries(decisions.map((d) => [chatOf.get(d.eventId), `${d.reason}:${d.delivered}`]))).toEqual({
      'read-in-time': 'UNREAD_ESCALATION:false',
      'left-unread': 'UNREAD_ESCALATION:true',
    });
  });

  it('waits for the end of quiet time: an email due during do-not-disturb goes out when it ends, once; one read meanwhile never', async () => {
    const { seeder, operators } = await liveOrganization(server, ['Quinn']);
    const quinn = operators.Quinn as { id: string; globalId: string; token: string };
    const address = 'quinn@example.test';
    expect(await ok(server, SET, { input: { event: 'NEW_CHAT_SESSION', minutes: 5 } }, quinn.token)).toHaveLength(1);
    const until = new Date(Date.now() + 5_000);
    const dnd = await call(server, DND, { input: { until: until.toISOString() } }, quinn.token);
    expect(dnd.__typename).toMatch(/Success$/);
    const widgetId = await seeder.widget();
    await startChat(server, seeder.org.apiKey, 'quiet-read', widgetId, quinn.globalId);
    await startChat(server, seeder.org.apiKey, 'quiet-unread', widgetId, quinn.globalId);
    // Five minutes pass while she is still in do-not-disturb: the worker puts both back for its end.
    await minutesPass(quinn.id);
    const deferred = await eventually(
      () => server.app.database.prisma.delivery.findMany({ where: { operatorId: quinn.id } }),
      (ds) => ds.length === 2 && ds.every((d) => d.runAt.getTime() === until.getTime()),
    );
    expect(deferred.map((d) => d.status)).toEqual(['PENDING', 'PENDING']);
    expect(Date.now()).toBeLessThan(until.getTime()); // deferred while quiet, not merely late
    expect(smtp.to(address)).toHaveLength(0);
    // She reads one of them during quiet time: that one is cancelled.
    const inbox = await server.gql<{ inbox: { edges: { node: { id: string; chatId: string } }[] } }>(INBOX, {}, quinn.token);
    const readItem = inbox.data?.inbox.edges.find((e) => e.node.chatId === 'quiet-read')?.node.id;
    expect((await server.gql(MARK_READ, { ids: [readItem] }, quinn.token)).errors).toBeUndefined();
    const mails = await waitFor(() => smtp.to(address).length > 0 && smtp.to(address), 'the escalation email after quiet time');
    const arrived = Date.now();
    expect(arrived).toBeGreaterThanOrEqual(until.getTime());
    await pause(500);
    expect(smtp.to(address)).toHaveLength(1);
    expect(mails[0]?.subject).toMatch(/Still unread: .*quiet-unread/);
    const settled = await server.app.database.prisma.delivery.findMany({
      where: { operatorId: quinn.id },
      include: { event: { include: { chat: true } } },
    });
    expect(Object.fromEntries(settled.map((d) => [d.event.chat?.externalId, d.status]))).toEqual({
      'quiet-read': 'CANCELLED',
      'quiet-unread': 'DELIVERED',
    });
  });

  it('an escalation asked for, then cleared, after the settings were cached applies from the next report on', async () => {
    // The hot path leaves the escalation inserts out when the cached settings say nobody asked for
    // one (inbox-sink.ts): asking (or clearing) must move the settings version those reports check.
    const { seeder, operators } = await liveOrganization(server, ['Rae']);
    const rae = operators.Rae as { id: string; globalId: string; token: string };
    const widgetId = await seeder.widget();
    const scheduledChats = async () => {
      const ds = await server.app.database.prisma.delivery.findMany({
        where: { operatorId: rae.id, inboxItemId: { not: null } },
        include: { event: { include: { chat: true } } },
      });
      return ds.map((d) => d.event.chat?.externalId).sort();
    };
    await startChat(server, seeder.org.apiKey, 'before-asking', widgetId, rae.globalId);
    expect(await scheduledChats()).toEqual([]);
    expect(await ok(server, SET, { input: { event: 'NEW_CHAT_SESSION', minutes: 15 } }, rae.token)).toHaveLength(1);
    await startChat(server, seeder.org.apiKey, 'after-asking', widgetId, rae.globalId);
    expect(await scheduledChats()).toEqual(['after-asking']);
    expect(await ok(server, SET, { input: { event: 'NEW_CHAT_SESSION', minutes: null } }, rae.token)).toEqual([]);
    await startChat(server, seeder.org.apiKey, 'after-clearing', widgetId, rae.globalId);
    expect(await scheduledChats()).toEqual(['after-asking']);
  });

  it('refuses an event that never reaches the inbox, an N not offered, and another operator unless admin', async () => {
    const { seeder, operators } = await liveOrganization(server, ['Ola', 'Pia']);
    const ola = operators.Ola as { id: string; globalId: string; token: string };
    const pia = operators.Pia as { id: string; globalId: string; token: string };
    const refusal = async (input: Record<string, unknown>, token: string) => {
      const outcome = await call(server, SET, { input }, token);
      return [outcome.code, outcome.field];
    };
    expect(await refusal({ event: 'ANALYTICS_DAILY', minutes: 5 }, ola.token)).toEqual(['CHANNEL_NOT_AVAILABLE', 'input.event']);
    expect(await refusal({ event: 'NEW_CHAT_SESSION', minutes: 10 }, ola.token)).toEqual(['INVALID_INPUT', 'input.minutes']);
    expect(await refusal({ operatorId: pia.globalId, event: 'NEW_CHAT_SESSION', minutes: 5 }, ola.token)).toEqual([
      'FORBIDDEN',
      'input.operatorId',
    ]);
    expect(
      await server.app.database.prisma.unreadEscalationPreference.count({ where: { organizationId: seeder.org.organizationId } }),
    ).toBe(0);
    // An admin may; null clears.
    const admin = seeder.org.adminToken;
    expect(await ok(server, SET, { input: { operatorId: pia.globalId, event: 'MESSAGE_RECEIVED', minutes: 60 } }, admin)).toEqual([
      { event: 'MESSAGE_RECEIVED', minutes: 60 },
    ]);
    expect(await ok(server, SET, { input: { operatorId: globalId('Operator', pia.id), event: 'MESSAGE_RECEIVED' } }, admin)).toEqual([]);
  });
});

/**
 * Quiet time and email (extensions.md E2) over the real server, a real SMTP server and the real
 * database queue: during do-not-disturb, browser is QUIET_TIME yet kept in the inbox, email is
 * decided DELIVERED with the time it is due, and at the end of quiet time ONE digest email per
 * operator lists everything deferred, in order, even with three delivery workers racing for it
 * (two extra workers on the same database: on PostgreSQL, concurrent claims). Operators not in
 * quiet time get their emails at once, one per event, as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeliveryWorker, type DeliveryWorker } from '../../src/services/delivery/delivery-worker.js';
import { call, decisionsFor, eventOf, rawId, report, seedOrganization } from '../helpers/seed.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { type SmtpReceiver, startSmtpReceiver, waitFor } from './receivers.js';

let smtp: SmtpReceiver;
let server: TestServer;
const extraWorkers: DeliveryWorker[] = [];
const fast = { deliveryPollMs: 50, deliveryBackoffBaseMs: 50, deliveryBackoffMaxMs: 200 };

beforeAll(async () => {
  smtp = await startSmtpReceiver();
  server = await startTestServer({ config: { ...fast, smtpUrl: smtp.url } });
  for (let i = 0; i < 2; i++) {
    const worker = createDeliveryWorker({ services: server.app.services, config: readWorkerConfig() });
    worker.start();
    extraWorkers.push(worker);
  }
});
afterAll(async () => {
  for (const worker of extraWorkers) await worker.stop(1000);
  await server?.stop();
  await smtp?.close();
});

function readWorkerConfig() {
  return {
    smtpUrl: smtp.url,
    mailFrom: 'Notifications <n@example.test>',
    dataDir: '/tmp',
    deliveryPollMs: 50,
    deliveryBatchSize: 20,
    deliveryMaxAttempts: 8,
    deliveryBackoffBaseMs: 50,
    deliveryBackoffMaxMs: 200,
    deliveryLeaseMs: 60_000,
    deliveryTimeoutMs: 5_000,
    addonAutoDisableAfter: 5,
  };
}

const DND = `mutation ($input: SetDoNotDisturbInput!) { setDoNotDisturb(input: $input) { __typename
  ... on MutationSetDoNotDisturbSuccess { data { doNotDisturbUntil status { quiet endsAt } } } ... on AppError { code message field } } }`;
const EXPLAIN = `query ($eventId: ID!, $operatorId: ID) { explainEvent(eventId: $eventId, operatorId: $operatorId) { __typename
  ... on QueryExplainEventSuccess { data { decisions { channel delivered reason dueAt trace { check passed } } } } } }`;
const UNREAD = 'query { inboxUnreadCount }';

describe('quiet time and email', () => {
  it('defers email to the end of do-not-disturb and sends one digest, in order, once; the inbox keeps the browser items', async () => {
    const seed = await seedOrganization(server, 'Quiet org');
    const olga = await seed.operator('Olga');
    const pete = await seed.operator('Pete');
    const widgetId = await seed.widget();
    const until = new Date(Date.now() + 120_000);
    const set = await call(server, DND, { input: { operatorId: olga, until: until.toISOString() } }, seed.org.adminToken);
    expect(set).toMatchObject({ __typename: 'MutationSetDoNotDisturbSuccess', data: { status: { quiet: true } } });

    const first = await report(server, 'offlineMessage', { widgetId, visitorName: 'Vera', text: 'First question' }, seed.org.apiKey);
    const second = await report(server, 'offlineMessage', { widgetId, visitorName: 'Walt', text: 'Second question' }, seed.org.apiKey);
    const event = eventOf(first, 'ALL_OFFLINE_MESSAGES');
    expect(decisionsFor(event, olga)).toEqual({ BROWSER: 'QUIET_TIME', AUDIO: 'OPERATOR_OPTED_OUT', EMAIL: 'DELIVERED' });
    expect(decisionsFor(event, pete)).toEqual({ BROWSER: 'DELIVERED', AUDIO: 'OPERATOR_OPTED_OUT', EMAIL: 'DELIVERED' });

    const explained = (await call(server, EXPLAIN, { eventId: event?.id, operatorId: olga }, seed.org.adminToken)).data as {
      decisions: { channel: string; dueAt: string | null; trace: { check: string; passed: boolean }[] }[];
    };
    const byChannel = Object.fromEntries(explained.decisions.map((d) => [d.channel, d]));
    expect(byChannel.EMAIL?.dueAt).toBe(until.toISOString());
    expect(byChannel.BROWSER?.trace.at(-1)).toEqual({ check: 'OUTSIDE_QUIET_TIME', passed: false });

    // Nothing lost: both wait in Olga's inbox.
    const olgaToken = await seed.token(olga);
    expect((await server.gql<{ inboxUnreadCount: number }>(UNREAD, {}, olgaToken)).data?.inboxUnreadCount).toBe(2);

    // Pete is not quiet: two emails at once. Olga: nothing while her quiet time lasts.
    await waitFor(() => smtp.to('pete@example.test').length === 2, "Pete's emails");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(smtp.to('olga@example.test')).toHaveLength(0);

    // Do-not-disturb ends early: the digest is due now (a natural end is the same path, due at `until`).
    const ended = await call(server, DND, { input: { operatorId: olga, until: null } }, seed.org.adminToken);
    expect(ended).toMatchObject({
      __typename: 'MutationSetDoNotDisturbSuccess',
      data: { doNotDisturbUntil: null, status: { quiet: false } },
    });
    await waitFor(() => smtp.to('olga@example.test').length > 0, "Olga's digest", 20_000);
    await new Promise((resolve) => setTimeout(resolve, 600)); // any duplicate digest would be sent by now
    const digests = smtp.to('olga@example.test');
    expect(digests).toHaveLength(1);
    const text = digests[0]?.text ?? '';
    expect(digests[0]?.subject).toContain('2 notifications from your quiet time');
    expect(text.indexOf('First question')).toBeGreaterThan(-1);
    expect(text.indexOf('Second question')).toBeGreaterThan(text.indexOf('First question'));

    const deliveries = await server.app.database.prisma.delivery.findMany({
      where: { operatorId: rawId(olga), channel: 'EMAIL' },
      orderBy: { createdAt: 'asc' },
    });
    expect(deliveries.map((d) => [d.status, d.digestAt?.toISOString()])).toEqual([
      ['DELIVERED', until.toISOString()],
      ['DELIVERED', until.toISOString()],
    ]);
    expect(eventOf(second, 'ALL_OFFLINE_MESSAGES')).toBeDefined();
  });

  it('a required email lock ignores quiet time: sent at once, not deferred', async () => {
    const seed = await seedOrganization(server, 'Quiet org 2');
    const olga = await seed.operator('Olga');
    const widgetId = await seed.widget();
    await call(server, DND, { input: { operatorId: olga, until: new Date(Date.now() + 60_000).toISOString() } }, seed.org.adminToken);
    const lock = `mutation ($input: SetAdminLockInput!) { setAdminLock(input: $input) { __typename } }`;
    await call(server, lock, { input: { event: 'ALL_OFFLINE_MESSAGES', channel: 'EMAIL', value: 'REQUIRED' } }, seed.org.adminToken);
    const reported = await report(server, 'offlineMessage', { widgetId, visitorName: 'Vera', text: 'Urgent' }, seed.org.apiKey);
    expect(decisionsFor(eventOf(reported, 'ALL_OFFLINE_MESSAGES'), olga).EMAIL).toBe('DELIVERED');
    await waitFor(
      () => smtp.messages.some((m) => m.text?.includes('Urgent') && [m.to].flat().some((a) => a?.text.includes('olga@'))),
      'the required email',
    );
    const stored = await server.app.database.prisma.decision.findFirst({ where: { operatorId: rawId(olga), channel: 'EMAIL' } });
    expect(stored?.dueAt).toBeNull();
    expect(stored?.lock).toBe('ORGANIZATION_REQUIRED');
  });
});

/**
 * Extension E4 over real graphql-ws clients: a new chat nobody acknowledges raises exactly one
 * CHAT_NOT_ACKNOWLEDGED after the organization's delay (to the online colleague's stream, the
 * admins' inbox, email and a signed webhook `chat_session.unacknowledged`); one acknowledged as shown
 * raises none; a late acknowledgement changes nothing; the timer survives a restart of the service
 * and two instances on one database fire it once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audienceStoredIn } from '../../src/domain/escalation.js';
import { type HttpReceiver, type SmtpReceiver, startHttpReceiver, startSmtpReceiver, waitFor } from '../delivery/receivers.js';
import { ok } from '../helpers/seed.js';
import { openTestDatabase, startTestServer, type TestServer } from '../helpers/test-server.js';
import { connect, pause, subscribe } from '../streams/stream-client.js';
import {
  acknowledge,
  escalatingOrganization,
  escalationsOf,
  itemOf,
  itemsOf,
  onlineInDatabase,
  setEscalation,
  startChat,
} from './attention-helpers.js';

const FAST = { escalationPollMs: 50, deliveryPollMs: 50, presenceGraceMs: 60_000 };
let server: TestServer;
let smtp: SmtpReceiver;
let http: HttpReceiver;

beforeAll(async () => {
  smtp = await startSmtpReceiver();
  http = await startHttpReceiver();
  server = await startTestServer({ config: { ...FAST, smtpUrl: smtp.url } });
});
afterAll(async () => {
  await server?.stop();
  await smtp?.close();
  await http?.close();
});

describe('missed-chat escalation', () => {
  it('raises CHAT_NOT_ACKNOWLEDGED exactly once when the receiver never acknowledges', async () => {
    const org = await escalatingOrganization(server, ['Rita', 'Gus'], 1);
    const { Rita, Gus } = org.operators as Record<string, { id: string; globalId: string; token: string }>;
    await ok(
      server,
      'mutation($input: CreateAddonInput!) { createAddon(input: $input) { __typename ... on MutationCreateAddonSuccess { data { addon { id } } } ... on AppError { code message } } }',
      {
        input: {
          kind: 'WEBHOOK',
          name: 'Hook',
          events: ['CHAT_NOT_ACKNOWLEDGED'],
          config: { webhook: { url: `${http.url}/missed-${org.seeder.org.organizationId}`, secret: 'a-webhook-secret-of-enough-length' } },
        },
      },
      org.seeder.org.adminToken,
    );
    const rita = connect(server, Rita?.token ?? '');
    const gus = connect(server, Gus?.token ?? '');
    try {
      const ritaStream = subscribe(rita.client);
      const gusStream = subscribe(gus.client);
      await onlineInDatabase(server, Gus?.id ?? '');
      await onlineInDatabase(server, Rita?.id ?? '');
      await startChat(server, org.seeder.org.apiKey, 'missed-1', org.widgetId, Rita?.globalId ?? '');
      const newChat = await itemOf(ritaStream, 'NEW_CHAT_SESSION');
      // Rita's client never acknowledges: Gus (online, the widget has no group) hears of it.
      const missed = await itemOf(gusStream, 'CHAT_NOT_ACKNOWLEDGED');
      expect(missed).toMatchObject({ chatId: 'missed-1', showNotification: true, playSound: true, sound: 'new-chat' });
      // The admin (offline) gets it by email, the webhook by its name.
      await waitFor(() => smtp.to('admin@example.test').some((m) => m.subject?.includes('Missed chat')), 'the admin email');
      const hooks = await waitFor(() => {
        const calls = http.requests.filter((r) => r.path === `/missed-${org.seeder.org.organizationId}`);
        return calls.length > 0 && calls;
      }, 'the webhook call');
      expect(hooks[0]?.headers['webhook-event']).toBe('chat_session.unacknowledged');
      // Long past the delay, still once; a late acknowledgement cancels nothing.
      await pause(1500);
      expect(await escalationsOf(server, org.seeder.org.organizationId)).toHaveLength(1);
      expect(itemsOf(gusStream, 'CHAT_NOT_ACKNOWLEDGED')).toHaveLength(1);
      expect(await acknowledge(server, Rita?.token ?? '', [newChat.cursor ?? ''], true, true)).toEqual({
        acknowledgedCount: 1,
        cancelledEscalations: 0,
      });
      const [event] = await escalationsOf(server, org.seeder.org.organizationId);
      // After the delay, not before: armed for one second after the chat started, raised once due.
      const timer = await server.app.database.prisma.escalationTimer.findFirstOrThrow({
        where: { organizationId: org.seeder.org.organizationId },
      });
      expect(timer.dueAt.getTime() - timer.createdAt.getTime()).toBe(1000);
      expect(event?.createdAt.getTime()).toBeGreaterThanOrEqual(timer.dueAt.getTime());
      expect(audienceStoredIn(event?.payload)?.sort()).toEqual(
        // Rita too: she is online, though her client showed nothing (the widget has no group).
        [Rita?.id, Gus?.id, org.seeder.org.adminId].sort(),
      );
    } finally {
      await rita.client.dispose();
      await gus.client.dispose();
    }
  }, 60_000);

  it('raises nothing when a stream of the receiver acknowledges the new chat as shown', async () => {
    const org = await escalatingOrganization(server, ['Rita', 'Gus'], 1);
    const { Rita, Gus } = org.operators as Record<string, { id: string; globalId: string; token: string }>;
    const rita = connect(server, Rita?.token ?? '');
    const gus = connect(server, Gus?.token ?? '');
    try {
      const ritaStream = subscribe(rita.client);
      const gusStream = subscribe(gus.client);
      await onlineInDatabase(server, Gus?.id ?? '');
      await onlineInDatabase(server, Rita?.id ?? '');
      await startChat(server, org.seeder.org.apiKey, 'seen-1', org.widgetId, Rita?.globalId ?? '');
      const newChat = await itemOf(ritaStream, 'NEW_CHAT_SESSION');
      // Played is not claimed (the browser blocked sound): shown is enough.
      expect(await acknowledge(server, Rita?.token ?? '', [newChat.cursor ?? ''], true, false)).toEqual({
        acknowledgedCount: 1,
        cancelledEscalations: 1,
      });
      await pause(2000);
      expect(await escalationsOf(server, org.seeder.org.organizationId)).toEqual([]);
      expect(itemsOf(gusStream, 'CHAT_NOT_ACKNOWLEDGED')).toEqual([]);
      const timer = await server.app.database.prisma.escalationTimer.findFirstOrThrow({
        where: { organizationId: org.seeder.org.organizationId },
      });
      expect(timer).toMatchObject({ status: 'CANCELLED', outcome: 'ACKNOWLEDGED' });
    } finally {
      await rita.client.dispose();
      await gus.client.dispose();
    }
  });

  it("ignores acknowledgements of others' items and received-only ones, and refuses a bad cursor", async () => {
    const org = await escalatingOrganization(server, ['Rita', 'Gus'], 3600);
    const { Rita, Gus } = org.operators as Record<string, { id: string; globalId: string; token: string }>;
    const rita = connect(server, Rita?.token ?? '');
    try {
      const ritaStream = subscribe(rita.client);
      await onlineInDatabase(server, Rita?.id ?? '');
      await startChat(server, org.seeder.org.apiKey, 'others-1', org.widgetId, Rita?.globalId ?? '');
      const newChat = await itemOf(ritaStream, 'NEW_CHAT_SESSION');
      // A cursor is a position in the caller's own inbox: Gus acknowledges his own item there, never Rita's.
      expect((await acknowledge(server, Gus?.token ?? '', [newChat.cursor ?? ''], true, true)).cancelledEscalations).toBe(0);
      expect(await acknowledge(server, Rita?.token ?? '', [newChat.cursor ?? ''], false, false)).toEqual({
        acknowledgedCount: 1,
        cancelledEscalations: 0,
      });
      const refused = await server.gql<{ acknowledgeNotifications: { code: string; field: string } }>(
        `mutation { acknowledgeNotifications(cursors: ["nonsense"], shown: true, played: false) { ... on AppError { code field } } }`,
        {},
        Rita?.token,
      );
      expect(refused.data?.acknowledgeNotifications).toEqual({ code: 'INVALID_INPUT', field: 'cursors.0' });
      expect((await setEscalation(server, org.seeder.org.adminToken, 3601)).code).toBe('INVALID_INPUT');
      expect((await setEscalation(server, Rita?.token ?? '', 5)).code).toBe('FORBIDDEN');
      const timer = await server.app.database.prisma.escalationTimer.findFirstOrThrow({
        where: { organizationId: org.seeder.org.organizationId },
      });
      expect(timer.status).toBe('PENDING');
    } finally {
      await rita.client.dispose();
    }
  });

  it('arms nothing when the organization turned escalation off', async () => {
    const org = await escalatingOrganization(server, ['Rita'], 0);
    const { Rita } = org.operators as Record<string, { id: string; globalId: string; token: string }>;
    await startChat(server, org.seeder.org.apiKey, 'off-1', org.widgetId, Rita?.globalId ?? '');
    expect(await server.app.database.prisma.escalationTimer.count({ where: { organizationId: org.seeder.org.organizationId } })).toBe(0);
  });
});

describe('durable escalation timers', () => {
  it('still escalates once after a restart in between, with two instances on the database', async () => {
    // One database (the migrated PGlite template, or the suite's PostgreSQL) outliving the services.
    const database = await openTestDatabase();
    const first = await startTestServer({ database, config: FAST });
    const org = await escalatingOrganization(first, ['Rita'], 2);
    const { Rita } = org.operators as Record<string, { id: string; globalId: string; token: string }>;
    const rita = connect(first, Rita?.token ?? '');
    const stream = subscribe(rita.client);
    await onlineInDatabase(first, Rita?.id ?? '');
    await startChat(first, org.seeder.org.apiKey, 'restart-1', org.widgetId, Rita?.globalId ?? '');
    await itemOf(stream, 'NEW_CHAT_SESSION');
    await rita.client.dispose();
    await first.stop();
    // Nothing fired before the stop; the next service (two instances on one database) fires it once.
    const a = await startTestServer({ database, config: FAST });
    const b = await startTestServer({ database, config: FAST });
    try {
      expect(await escalationsOf(a, org.seeder.org.organizationId)).toEqual([]);
      await waitFor(async () => (await escalationsOf(a, org.seeder.org.organizationId)).length > 0, 'the escalation');
      await pause(1000);
      expect(await escalationsOf(a, org.seeder.org.organizationId)).toHaveLength(1);
      const timer = await database.prisma.escalationTimer.findFirstOrThrow({ where: { organizationId: org.seeder.org.organizationId } });
      expect(timer).toMatchObject({ status: 'FIRED', outcome: 'FIRED' });
      // The admin, offline, still finds it in their inbox.
      expect(await database.prisma.inboxItem.count({ where: { operatorId: org.seeder.org.adminId, kind: 'CHAT_NOT_ACKNOWLEDGED' } })).toBe(
        1,
      );
    } finally {
      await a.stop();
      await b.stop();
      await database.close();
    }
    // Three services started one after the other: generous under a loaded CI machine.
  }, 60_000);
});

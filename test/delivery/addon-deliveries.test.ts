/**
 * Issue 4 end to end over real parts: the tutorial's two sample setups, widget switches muting
 * exactly their events, signed webhooks, a receiver down and back, a permanent failure.
 */

import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import {
  createAddon,
  createWidget,
  deliveryLog,
  globalId,
  type HttpReceiver,
  mutate,
  report,
  type SmtpReceiver,
  startHttpReceiver,
  startSmtpReceiver,
  waitFor,
} from './receivers.js';

let server: TestServer;
let smtp: SmtpReceiver;
let http: HttpReceiver;
const SECRET = 'a-webhook-secret-of-enough-length';

beforeAll(async () => {
  smtp = await startSmtpReceiver();
  http = await startHttpReceiver();
  server = await startTestServer({
    config: {
      smtpUrl: smtp.url,
      deliveryPollMs: 50,
      deliveryBackoffBaseMs: 50,
      deliveryBackoffMaxMs: 200,
      deliveryMaxAttempts: 8,
      addonAutoDisableAfter: 2,
    },
  });
});

afterAll(async () => {
  await server?.stop();
  await http?.close();
  await smtp?.close();
});

describe('sample setup: an email with a JSON attachment for every new chat (EmailTicket)', () => {
  it('sends the ticket address one email per started chat, with the chat meta attached', async () => {
    const org = await server.newOrganization();
    const widgetId = await createWidget(server, org.adminToken, { name: 'Pricing page', addons: true });
    await createAddon(server, org.adminToken, {
      kind: 'EMAIL_TICKET',
      name: 'Tickets',
      events: ['ALL_NEW_CHAT_SESSIONS'],
      config: { emailTicket: { toAddress: `tickets-${org.organizationId}@example.test` } },
    });
    for (const chatId of ['chat-1', 'chat-2'])
      await report(server, org.apiKey, 'reportChatStarted', {
        chatId,
        widgetId,
        operatorId: globalId('Operator', org.adminId),
        visitorName: 'Vera Visitor',
        visitorEmail: 'vera@example.test',
      });
    const mails = await waitFor(() => {
      const got = smtp.to(`tickets-${org.organizationId}@example.test`);
      return got.length === 2 && got;
    }, 'two ticket emails');
    const attachments = mails.map((m) => JSON.parse(m.attachments[0]?.content.toString('utf8') ?? 'null'));
    expect(attachments.map((a) => a.chat.id).sort()).toEqual(['chat-1', 'chat-2']);
    expect(attachments[0]).toMatchObject({
      event: 'chat_session.start',
      widget: { name: 'Pricing page' },
      visitor: { name: 'Vera Visitor', email: 'vera@example.test' },
      chat: { operator: { name: 'Admin' } },
    });
    expect(mails[0]?.attachments[0]?.contentType).toBe('application/json');
    expect(mails[0]?.subject).toContain('New chat with Vera Visitor');
    expect(mails[0]?.html).toContain('Pricing page');
  });
});

describe('sample setup: a Help Scout ticket for every offline message', () => {
  it('creates one conversation per offline message through the configured API', async () => {
    const org = await server.newOrganization();
    const widgetId = await createWidget(server, org.adminToken, { name: 'Contact', addons: true });
    await createAddon(server, org.adminToken, {
      kind: 'HELP_SCOUT',
      name: 'Help Scout',
      events: ['ALL_OFFLINE_MESSAGES'],
      config: { helpScout: { apiBaseUrl: `${http.url}/hs-${org.organizationId}/v2`, apiToken: 'hs-token', mailboxId: '42' } },
    });
    await report(server, org.apiKey, 'reportOfflineMessage', {
      widgetId,
      visitorName: 'Olga',
      visitorEmail: 'olga@example.test',
      text: 'Do you ship to Iceland?',
    });
    const [call] = await waitFor(() => {
      const got = http.requests.filter((r) => r.path === `/hs-${org.organizationId}/v2/conversations`);
      return got.length > 0 && got;
    }, 'a Help Scout conversation');
    expect(call?.headers.authorization).toBe('Bearer hs-token');
    expect(call?.json).toMatchObject({
      mailboxId: 42,
      customer: { email: 'olga@example.test', firstName: 'Olga' },
      threads: [{ type: 'customer' }],
    });
    expect(JSON.stringify(call?.json)).toContain('Do you ship to Iceland?');
    // The admin's own email (offline messages are emailed by default) carries the text too.
    const [mail] = await waitFor(() => {
      const got = smtp.to('admin@example.test').filter((m) => m.text?.includes('Do you ship to Iceland?'));
      return got.length > 0 && got;
    }, "the admin's email");
    expect(mail?.subject).toContain('Offline message from Olga');
    expect(mail?.text).toContain('Widget: Contact');
  });
});

describe('widget switches', () => {
  it('mute exactly their events on email and addons', async () => {
    const org = await server.newOrganization();
    const noAddons = await createWidget(server, org.adminToken, { name: 'No addons', addons: false });
    const noEmail = await createWidget(server, org.adminToken, { name: 'No email', email: false });
    const path = `/switches-${org.organizationId}`;
    await createAddon(server, org.adminToken, {
      kind: 'WEBHOOK',
      name: 'Hook',
      events: ['ALL_OFFLINE_MESSAGES', 'OPERATOR_ONLINE'],
      config: { webhook: { url: `${http.url}${path}`, secret: SECRET } },
    });
    const [viaNoAddons] = await report(server, org.apiKey, 'reportOfflineMessage', { widgetId: noAddons, text: 'one' });
    const [viaNoEmail] = await report(server, org.apiKey, 'reportOfflineMessage', { widgetId: noEmail, text: 'two' });
    const [online] = await report(server, org.apiKey, 'reportPresenceChanged', {
      operatorId: globalId('Operator', org.adminId),
      presence: 'ONLINE',
    });
    const log = await deliveryLog(server, org.adminToken);
    const summary = log.map(
      (d) =>
        `${d.event.id === viaNoAddons ? 'noAddons' : d.event.id === viaNoEmail ? 'noEmail' : d.event.id === online ? 'online' : '?'}:${d.channel}`,
    );
    expect(summary.sort()).toEqual(['noAddons:EMAIL', 'noEmail:ADDON', 'online:ADDON']);
    const hooks = await waitFor(() => {
      const got = http.requests.filter((r) => r.path === path);
      return got.length === 2 && got;
    }, 'two webhook calls');
    expect(hooks.map((r) => r.headers['webhook-event']).sort()).toEqual(['offline_message.receive', 'operator.online']);
    await waitFor(() => smtp.to('admin@example.test').some((m) => m.text?.includes('Message: one')), 'the email of the unmuted widget');
    expect(smtp.messages.some((m) => m.text?.includes('Message: two'))).toBe(false);
  });
});

describe('webhooks', () => {
  it('are signed by Standard Webhooks: the standardwebhooks library verifies them, with a stable delivery id', async () => {
    const org = await server.newOrganization();
    const path = `/signed-${org.organizationId}`;
    // No secret given: the service generates a whsec_ one and shows it this once.
    const created = await mutate<{ webhookSecret: string }>(
      server,
      org.adminToken,
      'mutation($input: CreateAddonInput!) { createAddon(input: $input) { ... on MutationCreateAddonSuccess { data { webhookSecret } } } }',
      { input: { kind: 'WEBHOOK', name: 'Signed', events: ['OPERATOR_ONLINE'], config: { webhook: { url: `${http.url}${path}` } } } },
    );
    expect(created.webhookSecret).toMatch(/^whsec_/);
    await report(server, org.apiKey, 'reportPresenceChanged', { operatorId: globalId('Operator', org.adminId), presence: 'ONLINE' });
    const [call] = await waitFor(() => {
      const got = http.requests.filter((r) => r.path === path);
      return got.length > 0 && got;
    }, 'a webhook call');
    const headers = call?.headers as Record<string, string>;
    // What a receiver writes (README "Webhook signatures").
    const payload = new Webhook(created.webhookSecret).verify(call?.body ?? '', headers);
    expect(payload).toMatchObject({ event: 'operator.online', data: { operator: { name: 'Admin' } } });
    expect(() => new Webhook(`whsec_${Buffer.from(SECRET).toString('base64')}`).verify(call?.body ?? '', headers)).toThrow();
    expect(() => new Webhook(created.webhookSecret).verify(`${call?.body} `, headers)).toThrow();
    const [logged] = await deliveryLog(server, org.adminToken, { channel: 'ADDON' });
    expect((payload as { id?: string }).id).toBe(headers['webhook-id']);
    expect(headers['webhook-id']).toBe(logged?.id);
  });

  it('keep working for a secret stored before Standard Webhooks: it verifies as whsec_ + base64 of its bytes', async () => {
    const org = await server.newOrganization();
    const path = `/legacy-${org.organizationId}`;
    const addonId = await createAddon(server, org.adminToken, {
      kind: 'WEBHOOK',
      name: 'Old',
      events: ['OPERATOR_ONLINE'],
      config: { webhook: { url: `${http.url}${path}` } },
    });
    // As an addon created before the change has it stored: a plain (non-whsec_) secret.
    const prisma = server.app.database.prisma;
    const rowId = Buffer.from(addonId, 'base64').toString().split(':')[1] ?? '';
    await prisma.addon.update({ where: { id: rowId }, data: { config: { url: `${http.url}${path}`, secret: SECRET } } });
    await report(server, org.apiKey, 'reportPresenceChanged', { operatorId: globalId('Operator', org.adminId), presence: 'ONLINE' });
    const [call] = await waitFor(() => {
      const got = http.requests.filter((r) => r.path === path);
      return got.length > 0 && got;
    }, 'a webhook call');
    const wrapped = `whsec_${Buffer.from(SECRET, 'utf8').toString('base64')}`;
    expect(new Webhook(wrapped).verify(call?.body ?? '', call?.headers as Record<string, string>)).toMatchObject({
      event: 'operator.online',
    });
  });

  it('carry the global ids the API accepts: each one passed back to node() finds its object (issue 7)', async () => {
    const org = await server.newOrganization();
    const path = `/ids-${org.organizationId}`;
    await createAddon(server, org.adminToken, {
      kind: 'WEBHOOK',
      name: 'Ids',
      events: ['OPERATOR_ONLINE'],
      config: { webhook: { url: `${http.url}${path}`, secret: SECRET } },
    });
    await report(server, org.apiKey, 'reportPresenceChanged', { operatorId: globalId('Operator', org.adminId), presence: 'ONLINE' });
    const [call] = await waitFor(() => {
      const got = http.requests.filter((r) => r.path === path);
      return got.length > 0 && got;
    }, 'a webhook call');
    const body = call?.json as { id: string; data: { eventId: string; organization: { id: string }; operator: { id: string } } };
    const ids = {
      Delivery: body.id,
      NotificationEvent: body.data.eventId,
      Organization: body.data.organization.id,
      Operator: body.data.operator.id,
    };
    for (const [typename, id] of Object.entries(ids)) {
      const found = await server.gql<{ node: { __typename: string; id: string } | null }>(
        'query ($id: ID!) { node(id: $id) { __typename id } }',
        { id },
        org.adminToken,
      );
      expect(found.data?.node, typename).toEqual({ __typename: typename, id });
    }
  });

  it('reach a receiver that was down once it is back, exactly once', async () => {
    const receiver = await startHttpReceiver();
    try {
      const org = await server.newOrganization();
      await createAddon(server, org.adminToken, {
        kind: 'WEBHOOK',
        name: 'Flaky',
        events: ['OPERATOR_ONLINE'],
        config: { webhook: { url: `${receiver.url}/flaky`, secret: SECRET } },
      });
      await receiver.down();
      await report(server, org.apiKey, 'reportPresenceChanged', { operatorId: globalId('Operator', org.adminId), presence: 'ONLINE' });
      const [failing] = await waitFor(async () => {
        const log = await deliveryLog(server, org.adminToken);
        return log[0] && log[0].attempts >= 2 && log;
      }, 'two failed attempts');
      expect(failing).toMatchObject({ status: 'PENDING' });
      // The URL appears as its origin only (its path may be a secret).
      expect(failing?.lastError).toBe(`POST ${receiver.url}/… failed: ECONNREFUSED`);
      await receiver.up();
      await waitFor(async () => (await deliveryLog(server, org.adminToken))[0]?.status === 'DELIVERED', 'the delivery');
      expect(receiver.requests).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });
});

describe('a permanent failure', () => {
  it('is dead, visible and retryable; an addon failing again and again is disabled and the admins told', async () => {
    const receiver = await startHttpReceiver();
    try {
      const org = await server.newOrganization();
      const addonId = await createAddon(server, org.adminToken, {
        kind: 'SLACK',
        name: 'Gone Slack',
        events: ['OPERATOR_ONLINE', 'OPERATOR_OFFLINE'],
        config: { slack: { webhookUrl: `${receiver.url}/slack`, channel: '#support' } },
      });
      receiver.status = 410;
      const operatorId = globalId('Operator', org.adminId);
      await report(server, org.apiKey, 'reportPresenceChanged', { operatorId, presence: 'ONLINE' });
      const [dead] = await waitFor(async () => {
        const log = await deliveryLog(server, org.adminToken, { status: 'DEAD', addonId });
        return log.length === 1 && log;
      }, 'a dead delivery');
      expect(dead?.lastError).toMatch(/answered 410/);
      expect(dead?.attempts).toBe(1);

      receiver.status = 200;
      const retried = await server.gql<{ retryDelivery: { data?: { status: string } } }>(
        'mutation($id: ID!) { retryDelivery(id: $id) { ... on MutationRetryDeliverySuccess { data { status } } ... on AppError { code } } }',
        { id: dead?.id },
        org.adminToken,
      );
      expect(retried.data?.retryDelivery.data?.status).toBe('PENDING');
      await waitFor(
        async () => (await deliveryLog(server, org.adminToken, { addonId }))[0]?.status === 'DELIVERED',
        'the retried delivery',
      );
      expect(receiver.requests[0]?.json).toMatchObject({ text: expect.stringContaining('Admin is online') });
      expect(receiver.requests[0]?.json).not.toHaveProperty('channel');

      // Two dead deliveries in a row (ADDON_AUTO_DISABLE_AFTER=2) disable the addon and raise a system message.
      receiver.status = 410;
      await report(server, org.apiKey, 'reportPresenceChanged', { operatorId, presence: 'OFFLINE' });
      await report(server, org.apiKey, 'reportPresenceChanged', { operatorId, presence: 'ONLINE' });
      const mail = await waitFor(
        () => smtp.to('admin@example.test').find((m) => m.subject?.includes('Addon "Gone Slack" was disabled')),
        'the system message email',
      );
      expect(mail.text).toContain('answered 410');
      const addon = await server.gql<{ node: { enabled: boolean } }>(
        'query($id: ID!) { node(id: $id) { ... on Addon { enabled } } }',
        { id: addonId },
        org.adminToken,
      );
      expect(addon.data?.node.enabled).toBe(false);

      // Replay: the addon's deliveries of the period queued again as new deliveries.
      receiver.status = 200;
      const replay = await server.gql<{ replayAddonDeliveries: { data?: { replayed: number } } }>(
        `mutation($input: ReplayAddonDeliveriesInput!) { replayAddonDeliveries(input: $input) {
          ... on MutationReplayAddonDeliveriesSuccess { data { replayed } } ... on AppError { code message } } }`,
        { input: { addonId, from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() } },
        org.adminToken,
      );
      expect(replay.data?.replayAddonDeliveries.data?.replayed).toBe(3);
      await waitFor(() => receiver.requests.length === 4, 'three replayed deliveries');
    } finally {
      await receiver.close();
    }
  });

  it('is visible only to admins of the organization', async () => {
    const org = await server.newOrganization();
    const other = await server.newOrganization();
    const result = await server.gql('{ deliveries(first: 5) { edges { node { id } } } }', {}, org.apiKey);
    expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await deliveryLog(server, other.adminToken)).toEqual([]);
  });
});

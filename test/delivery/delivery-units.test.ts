/**
 * Issue 4, the parts under the end-to-end tests: renderers for every event kind, the signature
 * recipe, backoff, local days; the embedded .eml outbox; two instances sharing one queue.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { simpleParser } from 'mailparser';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { generateWebhookSecret, validateAddonConfig } from '../../src/domain/addon-config.js';
import { helpScoutConversation, slackMessage, WEBHOOK_EVENT_NAMES, webhookBody } from '../../src/domain/addon-payloads.js';
import { NOTIFICATION_EVENTS } from '../../src/domain/catalog.js';
import { type EventDetails, renderEmail } from '../../src/domain/email-content.js';
import { signWebhook, standardWebhookSecret } from '../../src/domain/webhook-signature.js';
import { dayBounds, isDay, localDayAndTime } from '../../src/services/analytics/local-day.js';
import { createMailer } from '../../src/services/delivery/create-mailer.js';
import { retryDelayMs } from '../../src/services/delivery/retry-delay.js';
import { startTestServer } from '../helpers/test-server.js';
import { createAddon, globalId, report, startHttpReceiver, waitFor } from './receivers.js';

const details = (kind: EventDetails['kind'], payload: Record<string, unknown> = {}): EventDetails => ({
  eventId: 'e1',
  kind,
  occurredAt: new Date('2024-05-01T10:00:00Z'),
  organization: { id: 'o1', name: 'Acme', timeZone: 'UTC' },
  widget: { id: 'w1', name: 'Pricing <page>' },
  chat: {
    id: 'c1',
    externalId: 'ext-1',
    visitorName: 'Vera',
    visitorEmail: null,
    operator: { id: 'op1', name: 'Otto' },
    startedAt: new Date(0),
    finishedAt: null,
  },
  subjectOperator: { id: 'op1', name: 'Otto' },
  operators: { op1: { id: 'op1', name: 'Otto' }, op2: { id: 'op2', name: 'Paula' } },
  payload,
});

describe('renderers', () => {
  it.each(NOTIFICATION_EVENTS)('render %s as email, Slack, webhook and Help Scout', (kind) => {
    const d = details(kind, { text: 'hi', rating: 5, title: 'T', body: 'B', day: '2024-05-01', figures: { chatsStarted: 2 } });
    const email = renderEmail(d);
    expect(email.subject).toMatch(/^\[Acme\] \S/);
    expect(email.text).toContain(kind);
    expect(email.html).not.toContain('<page>');
    expect(slackMessage(d).text).toContain('Acme');
    // The API's global ids (plugin-relay's encoding), so a receiver can pass them back.
    expect(webhookBody(d, 'd1')).toMatchObject({
      id: encodeGlobalID('Delivery', 'd1'),
      event: WEBHOOK_EVENT_NAMES[kind],
      data: {
        eventId: encodeGlobalID('NotificationEvent', d.eventId),
        organization: { id: encodeGlobalID('Organization', d.organization.id) },
      },
    });
    expect(helpScoutConversation(d, '7', { fallbackCustomerEmail: 'chat@shop.test' })?.customer).toEqual({ email: 'chat@shop.test' });
  });

  it('gives the useful details: transcript, forwarding, widget changes', () => {
    const finished = renderEmail(
      details('ALL_FINISHED_CHAT_SESSIONS', {
        summary: 'Sorted',
        transcript: [
          { from: 'VISITOR', text: 'Help' },
          { from: 'OPERATOR', text: 'Sure' },
        ],
      }),
    );
    expect(finished.text).toContain('Summary: Sorted');
    expect(finished.text).toContain('Visitor: Help');
    expect(finished.text).toContain('Operator: Sure');
    expect(renderEmail(details('ALL_FORWARDED_CHAT_SESSIONS', { fromOperatorId: 'op1', toOperatorId: 'op2' })).text).toContain(
      'Forwarded to: Paula',
    );
    expect(renderEmail(details('WIDGET_CHANGED', { changes: [{ field: 'emailEnabled', from: true, to: false }] })).text).toContain(
      'emailEnabled: true → false',
    );
  });

  it('names webhook events uniquely', () => {
    expect(new Set(Object.values(WEBHOOK_EVENT_NAMES)).size).toBe(NOTIFICATION_EVENTS.length);
  });
});

describe('webhook signatures (Standard Webhooks)', () => {
  const body = '{"a":1}';
  const headersOf = (secret: string, id: string, at: number) => ({
    'webhook-id': id,
    'webhook-timestamp': String(at),
    'webhook-signature': signWebhook(secret, id, at, body),
  });
  const now = () => Math.floor(Date.now() / 1000);

  it('verify with the standardwebhooks library for a generated whsec_ secret, and nothing else', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const receiver = new Webhook(secret);
    const headers = headersOf(secret, 'msg_1', now());
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(receiver.verify(body, headers)).toEqual({ a: 1 });
    expect(() => receiver.verify('{"a":2}', headers)).toThrow();
    expect(() => receiver.verify(body, { ...headers, 'webhook-id': 'msg_2' })).toThrow();
    expect(() => new Webhook(generateWebhookSecret()).verify(body, headers)).toThrow();
    expect(() => receiver.verify(body, headersOf(secret, 'msg_1', now() - 301))).toThrow(/too old/);
  });

  it('carry a secret stored before Standard Webhooks over as whsec_ + base64 of its bytes', () => {
    const legacy = 'a-webhook-secret-of-enough-length';
    const wrapped = `whsec_${Buffer.from(legacy).toString('base64')}`;
    expect(standardWebhookSecret(legacy)).toBe(wrapped);
    expect(standardWebhookSecret(wrapped)).toBe(wrapped);
    const headers = headersOf(legacy, 'msg_1', now());
    expect(new Webhook(wrapped).verify(body, headers)).toEqual({ a: 1 });
    // The same key bytes: the library's raw form of the old secret verifies too.
    expect(new Webhook(legacy, { format: 'raw' }).verify(body, headers)).toEqual({ a: 1 });
  });

  it('accept given whsec_ secrets of 24-64 key bytes only', () => {
    const hook = (secret: string) => validateAddonConfig('WEBHOOK', { url: 'https://x.test/h', secret });
    const ofBytes = (n: number) => `whsec_${Buffer.alloc(n, 7).toString('base64')}`;
    expect(hook(ofBytes(24)).ok).toBe(true);
    expect(hook(ofBytes(64)).ok).toBe(true);
    expect(hook(ofBytes(23))).toMatchObject({ ok: false, field: 'secret' });
    expect(hook(ofBytes(65))).toMatchObject({ ok: false, field: 'secret' });
    expect(hook('whsec_not*base64*at*all!!')).toMatchObject({ ok: false, field: 'secret' });
    expect(hook('a-legacy-secret-of-16+')).toMatchObject({ ok: true });
  });
});

describe('retry delay', () => {
  it('doubles up to the cap, with jitter in the upper half', () => {
    expect([1, 2, 3, 10].map((a) => retryDelayMs(a, 100, 1000, () => 0))).toEqual([50, 100, 200, 500]);
    expect([1, 2, 3, 10].map((a) => retryDelayMs(a, 100, 1000, () => 1))).toEqual([100, 200, 400, 1000]);
  });
});

describe('local days', () => {
  it('finds the bounds of local days, daylight-saving days included', () => {
    expect(dayBounds('2024-03-31', 'Europe/Berlin')).toEqual({
      start: new Date('2024-03-30T23:00:00Z'),
      end: new Date('2024-03-31T22:00:00Z'),
    });
    expect(dayBounds('2024-05-01', 'UTC')).toEqual({ start: new Date('2024-05-01T00:00:00Z'), end: new Date('2024-05-02T00:00:00Z') });
    expect(localDayAndTime(new Date('2024-05-01T22:30:00Z'), 'Asia/Tokyo')).toEqual({ day: '2024-05-02', time: '07:30' });
    expect(isDay('2024-02-29')).toBe(true);
    expect(isDay('2023-02-29')).toBe(false);
  });
});

describe('embedded email outbox', () => {
  it('writes a standard .eml file per email when no SMTP server is configured', async () => {
    const dataDir = join(tmpdir(), `eml-${process.pid}-${Date.now()}`);
    const logged: string[] = [];
    const mailer = createMailer({ smtpUrl: undefined, mailFrom: 'n@example.test', dataDir, timeoutMs: 1000, log: (m) => logged.push(m) });
    try {
      await mailer.send({
        deliveryId: 'd-1',
        to: 'x@example.test',
        subject: 'Hello',
        text: 'plain',
        html: '<p>html</p>',
        attachments: [{ filename: 'a.json', content: '{}', contentType: 'application/json' }],
      });
      const files = await readdir(join(dataDir, 'outbox-mail'));
      expect(files).toHaveLength(1);
      const parsed = await simpleParser(await readFile(join(dataDir, 'outbox-mail', files[0] ?? '')));
      expect(parsed).toMatchObject({ subject: 'Hello', text: 'plain', messageId: '<d-1@notification-service>' });
      expect(parsed.attachments[0]?.filename).toBe('a.json');
      expect(logged[0]).toContain('x@example.test');
    } finally {
      mailer.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('several instances on one database', () => {
  it('never deliver the same item twice', async () => {
    const receiver = await startHttpReceiver();
    const config = { deliveryPollMs: 20, deliveryBatchSize: 3, deliveryBackoffBaseMs: 50, deliveryBackoffMaxMs: 100 };
    const one = await startTestServer({ config });
    const two = await startTestServer({ config, database: one.app.database });
    try {
      const org = await one.newOrganization();
      await createAddon(one, org.adminToken, {
        kind: 'WEBHOOK',
        name: 'Hook',
        events: ['OPERATOR_ONLINE', 'OPERATOR_OFFLINE'],
        config: { webhook: { url: `${receiver.url}/multi`, secret: 'a-webhook-secret-of-enough-length' } },
      });
      const operatorId = globalId('Operator', org.adminId);
      for (let i = 0; i < 10; i++)
        await report(i % 2 ? two : one, org.apiKey, 'reportPresenceChanged', { operatorId, presence: i % 2 ? 'OFFLINE' : 'ONLINE' });
      await waitFor(
        async () =>
          (await one.app.database.prisma.delivery.count({ where: { organizationId: org.organizationId, status: 'DELIVERED' } })) === 10,
        'ten deliveries',
      );
      const ids = receiver.requests.map((r) => r.headers['webhook-id']);
      expect(ids).toHaveLength(10);
      expect(new Set(ids).size).toBe(10);
    } finally {
      await two.stop();
      await one.stop();
      await receiver.close();
    }
  });
});

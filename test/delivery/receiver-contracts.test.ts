/**
 * Issue 10: what each addon sends meets its receiver's public contract, over a real server and a
 * real HTTP receiver. Slack incoming webhooks: `text` and/or `blocks`, `&`, `<`, `>` escaped
 * (Slack "Formatting text"), no `channel` unless the admin marked a legacy webhook. Help Scout
 * POST /v2/conversations: subject, customer (email or id), mailboxId, type, status, threads with
 * type, text and customer; never an invented customer address. Webhooks: Standard Webhooks headers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import {
  createAddon,
  createWidget,
  deliveryLog,
  type HttpReceiver,
  type ReceivedRequest,
  report,
  startHttpReceiver,
  waitFor,
} from './receivers.js';

let server: TestServer;
let http: HttpReceiver;

beforeAll(async () => {
  http = await startHttpReceiver();
  server = await startTestServer({ config: { deliveryPollMs: 50, deliveryBackoffBaseMs: 50, deliveryMaxAttempts: 2 } });
});
afterAll(async () => {
  await server?.stop();
  await http?.close();
});

const HOSTILE = {
  visitorName: 'Vera <vera@visitor.test> & <!channel>',
  visitorEmail: '<mailto:x@evil.test|boss@bank.test>',
  text: 'Hi <!here> <https://evil.test|click me> & win >_<',
};

const callsTo = (path: string) =>
  waitFor(() => {
    const got = http.requests.filter((r) => r.path === path);
    return got.length > 0 && got;
  }, `a call to ${path}`);

/** Every string of a JSON value. */
const stringsOf = (value: unknown): string[] =>
  typeof value === 'string' ? [value] : typeof value === 'object' && value !== null ? Object.values(value).flatMap(stringsOf) : [];

/** The Slack incoming-webhook contract: what is missing or wrong, empty when the message is valid. */
function slackViolations(json: unknown): string[] {
  const m = json as { text?: unknown; blocks?: { type?: unknown; text?: { type?: unknown; text?: unknown } }[] };
  const problems: string[] = [];
  if (typeof m.text !== 'string' && !Array.isArray(m.blocks)) problems.push('text or blocks');
  if (m.text !== undefined && (typeof m.text !== 'string' || m.text === '')) problems.push('text must be a non-empty string');
  for (const block of m.blocks ?? []) {
    if (typeof block.type !== 'string') problems.push('block.type');
    if (block.type === 'header' && (block.text?.type !== 'plain_text' || String(block.text.text).length > 150)) problems.push('header');
    if (block.type === 'section' && String(block.text?.text ?? '').length > 3000) problems.push('section text > 3000');
  }
  // Unescaped control characters anywhere in the message's text.
  if (stringsOf(json).some((s) => /[<>]|&(?!amp;|lt;|gt;)/.test(s))) problems.push('unescaped & < >');
  return problems;
}

/** The Help Scout create-conversation contract (Mailbox API 2.0). */
function helpScoutViolations(json: unknown): string[] {
  const c = json as Record<string, unknown>;
  const problems = ['subject', 'customer', 'mailboxId', 'type', 'status', 'threads'].filter((f) => c[f] === undefined || c[f] === '');
  const hasIdentity = (customer: unknown) => typeof customer === 'object' && customer !== null && ('email' in customer || 'id' in customer);
  if (!hasIdentity(c.customer)) problems.push('customer.email or customer.id');
  if (!['email', 'chat', 'phone'].includes(String(c.type))) problems.push('type');
  if (!['active', 'closed', 'pending'].includes(String(c.status))) problems.push('status');
  const threads = Array.isArray(c.threads) ? (c.threads as Record<string, unknown>[]) : [];
  if (threads.length === 0) problems.push('at least one thread');
  for (const thread of threads) {
    if (typeof thread.type !== 'string') problems.push('thread.type');
    if (typeof thread.text !== 'string' || thread.text === '') problems.push('thread.text');
    if (thread.type === 'customer' && !hasIdentity(thread.customer)) problems.push('thread.customer');
  }
  return problems;
}

describe('Slack', () => {
  it('escapes hostile visitor names, emails and messages and sends no channel to an app webhook', async () => {
    const org = await server.newOrganization();
    const widgetId = await createWidget(server, org.adminToken, { name: 'Shop & <Co>' });
    const path = `/slack-${org.organizationId}`;
    await createAddon(server, org.adminToken, {
      kind: 'SLACK',
      name: 'Slack',
      events: ['ALL_OFFLINE_MESSAGES'],
      config: { slack: { webhookUrl: `${http.url}${path}`, channel: '#support' } },
    });
    await report(server, org.apiKey, 'reportOfflineMessage', { widgetId, ...HOSTILE });
    const [call] = await callsTo(path);
    expect(slackViolations(call?.json)).toEqual([]);
    const message = call?.json as { channel?: string; text: string; blocks: { text?: { text: string } }[] };
    expect(message).not.toHaveProperty('channel');
    expect(message.text).toContain('Vera &lt;vera@visitor.test&gt; &amp; &lt;!channel&gt;');
    const all = stringsOf(message).join('\n');
    expect(all).toContain('&lt;mailto:x@evil.test|boss@bank.test&gt;');
    expect(all).toContain('Hi &lt;!here&gt; &lt;https://evil.test|click me&gt; &amp; win &gt;_&lt;');
    expect(all).toContain('Shop &amp; &lt;Co&gt;');
  });

  it('sends the channel to a legacy webhook the admin marked as such', async () => {
    const org = await server.newOrganization();
    const widgetId = await createWidget(server, org.adminToken, { name: 'Main' });
    const path = `/slack-legacy-${org.organizationId}`;
    await createAddon(server, org.adminToken, {
      kind: 'SLACK',
      name: 'Old Slack',
      events: ['ALL_OFFLINE_MESSAGES'],
      config: { slack: { webhookUrl: `${http.url}${path}`, channel: '#support', legacyWebhook: true } },
    });
    await report(server, org.apiKey, 'reportOfflineMessage', { widgetId, text: 'hello' });
    const [call] = await callsTo(path);
    expect(slackViolations(call?.json)).toEqual([]);
    expect(call?.json).toMatchObject({ channel: '#support' });
  });
});

describe('Help Scout', () => {
  const setUp = async (extra: Record<string, unknown>) => {
    const org = await server.newOrganization();
    const widgetId = await createWidget(server, org.adminToken, { name: 'Contact' });
    const base = `/hs-${org.organizationId}-${Object.keys(extra).join('-')}/v2`;
    await createAddon(server, org.adminToken, {
      kind: 'HELP_SCOUT',
      name: 'Help Scout',
      events: ['ALL_OFFLINE_MESSAGES'],
      config: { helpScout: { apiBaseUrl: `${http.url}${base}`, apiToken: 'hs-token', mailboxId: '42', ...extra } },
    });
    return { org, widgetId, path: `${base}/conversations` };
  };

  it('uses the visitor email when given, and meets the create-conversation contract', async () => {
    const { org, widgetId, path } = await setUp({ fallbackCustomerEmail: 'chat@shop.test' });
    await report(server, org.apiKey, 'reportOfflineMessage', {
      widgetId,
      visitorName: 'Olga',
      visitorEmail: 'olga@example.test',
      text: 'Hi',
    });
    const [call] = await callsTo(path);
    expect(helpScoutViolations(call?.json)).toEqual([]);
    expect(call?.json).toMatchObject({ customer: { email: 'olga@example.test', firstName: 'Olga' }, mailboxId: 42 });
  });

  it('uses the configured customer when the visitor left no email, and names the visitor in the thread', async () => {
    const { org, widgetId, path } = await setUp({ fallbackCustomerEmail: 'chat@shop.test' });
    await report(server, org.apiKey, 'reportOfflineMessage', { widgetId, visitorName: 'Anon', text: 'No email here' });
    const [call] = await callsTo(path);
    expect(helpScoutViolations(call?.json)).toEqual([]);
    const json = call?.json as { customer: unknown; threads: { customer: unknown; text: string }[] };
    expect(json.customer).toEqual({ email: 'chat@shop.test' });
    expect(json.threads[0]?.customer).toEqual({ email: 'chat@shop.test' });
    expect(json.threads[0]?.text).toContain('Visitor: Anon');
  });

  it('prefers a configured customer id', async () => {
    const { org, widgetId, path } = await setUp({ fallbackCustomerId: '987', fallbackCustomerEmail: 'chat@shop.test' });
    await report(server, org.apiKey, 'reportOfflineMessage', { widgetId, text: 'Id please' });
    const [call] = await callsTo(path);
    expect(helpScoutViolations(call?.json)).toEqual([]);
    expect(call?.json).toMatchObject({ customer: { id: 987 } });
  });

  it('never invents an address: without visitor email or configured customer the delivery fails, saying why', async () => {
    const { org, widgetId, path } = await setUp({});
    await report(server, org.apiKey, 'reportOfflineMessage', { widgetId, visitorName: 'Nomail', text: 'Nothing to reply to' });
    const [dead] = await waitFor(async () => {
      const log = await deliveryLog(server, org.adminToken, { channel: 'ADDON', status: 'DEAD' });
      return log.length > 0 && log;
    }, 'a dead Help Scout delivery');
    expect(dead?.lastError).toMatch(/no email.*fallback customer/);
    expect(http.requests.filter((r: ReceivedRequest) => r.path === path)).toEqual([]);
  });
});

describe('webhook', () => {
  it('sends the Standard Webhooks headers and the JSON body as before', async () => {
    const org = await server.newOrganization();
    const widgetId = await createWidget(server, org.adminToken, { name: 'Main' });
    const path = `/hook-${org.organizationId}`;
    await createAddon(server, org.adminToken, {
      kind: 'WEBHOOK',
      name: 'Hook',
      events: ['ALL_OFFLINE_MESSAGES'],
      config: { webhook: { url: `${http.url}${path}` } },
    });
    await report(server, org.apiKey, 'reportOfflineMessage', { widgetId, text: 'hi' });
    const [call] = await callsTo(path);
    expect(call?.headers['content-type']).toBe('application/json');
    expect(call?.headers['webhook-id']).toMatch(/\S/);
    expect(call?.headers['webhook-timestamp']).toMatch(/^\d+$/);
    expect(call?.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(call?.json).toMatchObject({
      id: call?.headers['webhook-id'],
      event: 'offline_message.receive',
      data: { details: { text: 'hi' } },
    });
  });
});

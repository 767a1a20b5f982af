/**
 * Issue 10: Prometheus metrics at /metrics, scraped through HTTP after a real flow (reports,
 * decisions, a delivered and a dead webhook, an auto-disabled addon, a live stream, a rate-limit
 * refusal), and refused without the token. Counters are compared before and after the flow, so
 * the test does not depend on what else ran in this process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/services/organizations.js';
import { createAddon, createWidget, type HttpReceiver, report, startHttpReceiver, waitFor } from '../delivery/receivers.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { connect, subscribe } from '../streams/stream-client.js';

const TOKEN = 'metrics-token-for-tests';
let server: TestServer;
let http: HttpReceiver;
let failing: HttpReceiver;

beforeAll(async () => {
  http = await startHttpReceiver();
  failing = await startHttpReceiver();
  failing.status = 500;
  server = await startTestServer({
    config: {
      metricsToken: TOKEN,
      metricsPort: 0,
      deliveryPollMs: 50,
      deliveryBackoffBaseMs: 50,
      deliveryMaxAttempts: 1,
      addonAutoDisableAfter: 1,
      rateLimitApiKeyHappenings: 3,
      rateLimitWindowSeconds: 60,
    },
  });
});
afterAll(async () => {
  await server?.stop();
  await http?.close();
  await failing?.close();
});

const scrape = async (base = server.url, token: string | null = TOKEN) => {
  const response = await fetch(`${base}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: response.status, text: await response.text(), type: response.headers.get('content-type') };
};

/** The sum of the samples of `name` having these labels (others may differ), 0 when none. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) sum += Number(match[3]);
  }
  return sum;
}

describe('/metrics', () => {
  it('is refused without the token, or with a wrong one', async () => {
    expect((await scrape(server.url, null)).status).toBe(401);
    const wrong = await scrape(server.url, 'not-the-token');
    expect(wrong.status).toBe(401);
    expect(wrong.text).not.toContain('notifications_');
  });

  it('counts a real flow: happenings, decisions, deliveries, dead letters, streams, refusals, request durations', async () => {
    const before = (await scrape()).text;
    const org = await server.newOrganization();
    const widgetId = await createWidget(server, org.adminToken, { name: 'Main' });
    await createAddon(server, org.adminToken, {
      kind: 'WEBHOOK',
      name: 'Good',
      events: ['ALL_OFFLINE_MESSAGES'],
      config: { webhook: { url: `${http.url}/metrics-${org.organizationId}` } },
    });
    await createAddon(server, org.adminToken, {
      kind: 'WEBHOOK',
      name: 'Bad',
      events: ['ALL_OFFLINE_MESSAGES'],
      config: { webhook: { url: `${failing.url}/down` } },
    });
    const operator = connect(server, org.adminToken);
    const stream = subscribe(operator.client);
    await waitFor(async () => sample((await scrape()).text, 'notifications_live_streams_open') >= 1, 'an open stream');

    await report(server, org.apiKey, 'reportOfflineMessage', { widgetId, text: 'hello' });
    await stream.waitFor(1);
    // A fresh key over its limit of 3 happenings: the 4th report is refused.
    const { key } = await createApiKey(server.app.database.prisma, org.organizationId, 'limited');
    for (let i = 0; i < 3; i++) await report(server, key, 'reportSystemMessage', { title: `t${i}`, body: 'b' });
    await expect(report(server, key, 'reportSystemMessage', { title: 't3', body: 'b' })).rejects.toThrow(/RATE_LIMITED/);

    const after = await waitFor(async () => {
      const text = (await scrape()).text;
      return (
        sample(text, 'notifications_addons_auto_disabled_total', { kind: 'WEBHOOK' }) >
          sample(before, 'notifications_addons_auto_disabled_total', { kind: 'WEBHOOK' }) && text
      );
    }, 'the failing addon to be disabled');
    const grew = (name: string, labels: Record<string, string> = {}) => sample(after, name, labels) - sample(before, name, labels);

    expect(grew('notifications_happenings_total', { kind: 'OFFLINE_MESSAGE' })).toBe(1);
    expect(grew('notifications_happenings_total', { kind: 'SYSTEM_MESSAGE' })).toBeGreaterThanOrEqual(3);
    expect(grew('notifications_decisions_total', { event: 'ALL_OFFLINE_MESSAGES', channel: 'ADDON', reason: 'DELIVERED' })).toBe(2);
    expect(grew('notifications_decisions_total', { event: 'ALL_OFFLINE_MESSAGES', channel: 'BROWSER', reason: 'DELIVERED' })).toBe(1);
    expect(grew('notifications_delivery_attempts_total', { channel: 'ADDON', outcome: 'delivered' })).toBe(1);
    expect(grew('notifications_delivery_attempts_total', { channel: 'ADDON', outcome: 'dead' })).toBe(1);
    expect(grew('notifications_deliveries_dead_total', { channel: 'ADDON' })).toBe(1);
    expect(grew('notifications_live_items_sent_total', { replayed: 'false' })).toBeGreaterThanOrEqual(1);
    expect(grew('notifications_rate_limit_refusals_total', { credential: 'integrator' })).toBe(1);
    expect(sample(after, 'notifications_live_streams_open')).toBeGreaterThanOrEqual(1);
    // Read from the database on scrape.
    expect(sample(after, 'notifications_deliveries_dead')).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'notifications_addons_disabled_by_failures')).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'notifications_inbox_unread')).toBeGreaterThanOrEqual(1);
    expect(after).toMatch(/^notifications_delivery_queue_depth \d+$/m);
    expect(after).toMatch(/^notifications_delivery_oldest_due_seconds [\d.]+$/m);
    // graphql-yoga's request and operation durations.
    expect(grew('graphql_yoga_http_duration_count', { method: 'POST', statusCode: '200' })).toBeGreaterThan(0);
    expect(grew('graphql_envelop_phase_execute_count', { operationType: 'mutation' })).toBeGreaterThan(0);
    for (const name of ['request_duration', 'phase_parse', 'phase_validate', 'phase_context'])
      expect(grew(`graphql_envelop_${name}_count`, { operationType: 'mutation' })).toBeGreaterThan(0);
    // Bounded labels only: no client-chosen operation names or URLs.
    expect(after).not.toMatch(/operationName=|url=/);

    stream.dispose();
    await operator.client.dispose();
    await waitFor(
      async () => sample((await scrape()).text, 'notifications_live_streams_open') === sample(before, 'notifications_live_streams_open'),
      'the stream to close',
    );
  }, 60_000);

  it('is also served on the separate metrics port, in the Prometheus text format', async () => {
    const base = server.app.metricsUrl();
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const scraped = await scrape(base ?? '');
    expect(scraped.status).toBe(200);
    expect(scraped.type).toContain('text/plain');
    expect(scraped.text).toContain('# TYPE notifications_delivery_queue_depth gauge');
    expect((await scrape(base ?? '', null)).status).toBe(401);
    expect((await fetch(`${base}/graphql`)).status).toBe(404);
  });
});

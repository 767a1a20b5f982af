/**
 * Issue 10: structured logs. The app's log stream is captured (JSON lines) during a real flow that
 * handles every kind of secret: an integrator API key, an operator token, a webhook secret, a Help
 * Scout API token, an SMTP password and credentials and a token in addon URLs. No line may carry
 * any of them; the lines that matter carry their fields (request id, organization, operator,
 * delivery attempts, dead deliveries, an auto-disabled addon, stream open, close and refusal).
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import {
  createAddon,
  createWidget,
  type HttpReceiver,
  report,
  type SmtpReceiver,
  startHttpReceiver,
  startSmtpReceiver,
  waitFor,
} from '../delivery/receivers.js';
import { rawId } from '../helpers/seed.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { connect, subscribe } from '../streams/stream-client.js';

const lines: string[] = [];
const capture = () =>
  new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
const entries = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
const entriesWith = (msg: string) => entries().filter((e) => e.msg === msg);

const SMTP_PASSWORD = 'smtp-PASSWORD-123';
const URL_PASSWORD = 'hook-PASS-456';
const URL_TOKEN = 'query-SECRET-789';
const HELP_SCOUT_TOKEN = 'hs-API-TOKEN-abc';
const WEBHOOK_KEY = Buffer.alloc(32, 'k').toString('base64');

let server: TestServer;
let smtp: SmtpReceiver;
let http: HttpReceiver;
let failing: HttpReceiver;

beforeAll(async () => {
  smtp = await startSmtpReceiver();
  http = await startHttpReceiver();
  failing = await startHttpReceiver();
  failing.status = 500;
  server = await startTestServer({
    logStream: capture(),
    config: {
      logLevel: 'debug',
      logQueries: true,
      smtpUrl: `smtp://mailer:${SMTP_PASSWORD}@127.0.0.1:${smtp.port}`,
      deliveryPollMs: 50,
      deliveryBackoffBaseMs: 50,
      deliveryBackoffMaxMs: 100,
      deliveryMaxAttempts: 2,
      addonAutoDisableAfter: 1,
    },
  });
});
afterAll(async () => {
  await server?.stop();
  await smtp?.close();
  await http?.close();
  await failing?.close();
});

describe('logs', () => {
  it('carry their fields and never a secret through a flow that handles each kind of secret', async () => {
    const org = await server.newOrganization();
    const widgetId = await createWidget(server, org.adminToken, { name: 'Main' });
    const events = ['ALL_OFFLINE_MESSAGES'];
    await createAddon(server, org.adminToken, {
      kind: 'WEBHOOK',
      name: 'Signed',
      events,
      config: { webhook: { url: `${http.url}/hook?token=${URL_TOKEN}`, secret: `whsec_${WEBHOOK_KEY}` } },
    });
    const withCredentials = await createAddon(server, org.adminToken, {
      kind: 'WEBHOOK',
      name: 'Credentials',
      events,
      config: { webhook: { url: `${http.url}/other` } },
    });
    // As stored before the outbound guard: credentials in the URL (refused when sent, never shown).
    await server.app.database.prisma.addon.update({
      where: { id: rawId(withCredentials) },
      data: { config: { url: `http://user:${URL_PASSWORD}@127.0.0.1:${new URL(http.url).port}/x`, secret: `whsec_${WEBHOOK_KEY}` } },
    });
    await createAddon(server, org.adminToken, {
      kind: 'HELP_SCOUT',
      name: 'Help Scout',
      events,
      config: {
        helpScout: { apiBaseUrl: `${failing.url}/v2`, apiToken: HELP_SCOUT_TOKEN, mailboxId: '1', fallbackCustomerEmail: 'c@shop.test' },
      },
    });

    // A stream opens, receives and closes; an API key is refused a stream.
    const operator = connect(server, org.adminToken);
    const stream = subscribe(operator.client);
    await waitFor(() => entriesWith('stream opened').length > 0, 'the stream to open');
    const refused = connect(server, org.apiKey);
    expect(await refused.closed).toBe(4403);

    // A request with its own id: its lines carry it, with the organization and operator.
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${org.adminToken}`, 'x-request-id': 'req-abc-1' },
      body: JSON.stringify({ query: '{ addons(first: 5) { edges { node { name } } } }' }),
    });
    expect(response.headers.get('x-request-id')).toBe('req-abc-1');
    await response.body?.cancel();

    await report(server, org.apiKey, 'reportOfflineMessage', { widgetId, visitorName: 'Vera', text: 'hello' });
    await stream.waitFor(1);
    stream.dispose();
    await operator.client.dispose();
    await refused.client.dispose();
    await waitFor(() => entriesWith('stream closed').length > 0, 'the stream to close');
    await waitFor(() => entriesWith('addon auto-disabled').length === 2, 'the failing addons to be disabled');
    await waitFor(
      () =>
        entriesWith('delivery dead').some((e) => e.channel === 'EMAIL') ||
        entriesWith('delivery attempt').some((e) => e.channel === 'EMAIL'),
      'an email attempt',
    );

    // Fields.
    const requestLines = entries().filter((e) => e.requestId === 'req-abc-1');
    expect(requestLines.length).toBeGreaterThan(0);
    // Once the caller is known (its credential checked), every line of the request names it.
    const known = requestLines.findIndex((e) => e.organizationId !== undefined);
    expect(known).toBeGreaterThanOrEqual(0);
    expect(requestLines.slice(known).every((e) => e.organizationId === org.organizationId && e.operatorId === org.adminId)).toBe(true);
    expect(entriesWith('delivery attempt').find((e) => e.outcome === 'delivered')).toMatchObject({
      organizationId: org.organizationId,
      channel: 'ADDON',
      attempt: 1,
      deliveryId: expect.any(String),
    });
    expect(entriesWith('delivery dead').find((e) => e.error && String(e.error).includes('credentials'))).toMatchObject({
      organizationId: org.organizationId,
      level: 40,
    });
    const disabled = entriesWith('addon auto-disabled');
    expect(disabled.map((e) => e.kind).sort()).toEqual(['HELP_SCOUT', 'WEBHOOK']);
    expect(disabled[0]).toMatchObject({ organizationId: org.organizationId, deadInARow: 1, addonId: expect.any(String) });
    expect(entriesWith('stream opened')[0]).toMatchObject({ organizationId: org.organizationId, operatorId: org.adminId });
    expect(entriesWith('stream closed')[0]).toMatchObject({ operatorId: org.adminId, reason: 'CLIENT' });
    expect(entriesWith('stream refused')[0]).toMatchObject({ viewer: 'integrator' });

    // Secrets.
    const secrets = [org.apiKey, org.adminToken, WEBHOOK_KEY, HELP_SCOUT_TOKEN, SMTP_PASSWORD, URL_PASSWORD, URL_TOKEN];
    const all = lines.join('\n');
    for (const secret of secrets) expect(all).not.toContain(secret);
  }, 60_000);

  it('redact secret fields and scrub secrets from any text', () => {
    const out: string[] = [];
    const logger = createLogger({
      level: 'info',
      pretty: false,
      stream: { write: (line: string) => void out.push(line) },
    });
    logger.warn(
      {
        headers: { authorization: 'Bearer abc.def' },
        config: { secret: 'whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0', apiToken: 'hs-1', url: 'https://h.test/x' },
        smtpUrl: 'smtp://u:p4ss@mail.test',
        err: new Error('connect to smtp://user:pw-in-error@mail.test failed with Bearer tok-123'),
      },
      'sent nbk_00000000-0000-0000-0000-000000000000_S3cr3tKey with v1.eyJzdWIiOiJhIn0.c2lnbmF0dXJlMTIz and whsec_QUJDREVGR0g=',
    );
    const line = out.join('');
    for (const secret of ['abc.def', 'c2VjcmV0', 'hs-1', 'p4ss', 'pw-in-error', 'tok-123', 'S3cr3tKey', 'eyJzdWIiOiJhIn0', 'QUJDREVGR0g'])
      expect(line).not.toContain(secret);
    expect(JSON.parse(line)).toMatchObject({ config: { url: 'https://h.test/x', secret: '[REDACTED]' }, level: 40 });
  });
});

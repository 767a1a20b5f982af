/**
 * Issue 4: deliveries pending when the service stops are delivered by the next service on the same
 * database; the daily summary's figures match the happenings reported.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { createDailySummaryScheduler } from '../../src/services/analytics/daily-summary-scheduler.js';
import { localDayAndTime } from '../../src/services/analytics/local-day.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import {
  createWidget,
  deliveryLog,
  globalId,
  report,
  type SmtpReceiver,
  startHttpReceiver,
  startSmtpReceiver,
  waitFor,
} from './receivers.js';

let smtp: SmtpReceiver;
beforeAll(async () => {
  smtp = await startSmtpReceiver();
});
afterAll(async () => {
  await smtp?.close();
});

const fast = { deliveryPollMs: 50, deliveryBackoffBaseMs: 50, deliveryBackoffMaxMs: 200, deliveryMaxAttempts: 1000 };

describe('a service restarted with deliveries pending', () => {
  it('delivers all of them from the new instance, each once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'delivery-restart-'));
    // The same database twice: the suite's PostgreSQL, or a PGlite data directory on disk.
    const open = () => openDatabase({ databaseUrl: process.env.TEST_DATABASE_URL, dataDir: dir });
    const receiver = await startHttpReceiver();
    await receiver.down();
    let first: TestServer | null = null;
    let second: TestServer | null = null;
    try {
      const db1 = await open();
      first = await startTestServer({ database: db1, config: { ...fast, smtpUrl: smtp.url } });
      const org = await first.newOrganization();
      await first.gql(
        'mutation($input: CreateAddonInput!) { createAddon(input: $input) { __typename } }',
        {
          input: {
            kind: 'WEBHOOK',
            name: 'Hook',
            events: ['OPERATOR_ONLINE', 'OPERATOR_OFFLINE'],
            config: { webhook: { url: `${receiver.url}/hook`, secret: 'a-webhook-secret-of-enough-length' } },
          },
        },
        org.adminToken,
      );
      const operatorId = globalId('Operator', org.adminId);
      for (const presence of ['ONLINE', 'OFFLINE', 'ONLINE'])
        await report(first, org.apiKey, 'reportPresenceChanged', { operatorId, presence });
      await waitFor(async () => {
        const log = await deliveryLog(first as TestServer, org.adminToken);
        return log.length === 3 && log.every((d) => d.attempts >= 1 && d.status === 'PENDING');
      }, 'three failing deliveries');
      await first.stop();
      first = null;
      await db1.close();

      await receiver.up();
      const db2 = await open();
      second = await startTestServer({ database: db2, config: { ...fast, smtpUrl: smtp.url } });
      await waitFor(async () => {
        const log = await deliveryLog(second as TestServer, org.adminToken);
        return log.length === 3 && log.every((d) => d.status === 'DELIVERED');
      }, 'every delivery delivered');
      const ids = receiver.requests.map((r) => r.headers['webhook-id']);
      expect(ids).toHaveLength(3);
      expect(new Set(ids).size).toBe(3);
      await second.stop();
      second = null;
      await db2.close();
    } finally {
      await first?.stop();
      await second?.stop();
      await receiver.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);
});

describe('the daily summary', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ config: { ...fast, smtpUrl: smtp.url } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('computes the day’s figures from the reported happenings, on demand and once a day when scheduled', async () => {
    const org = await server.newOrganization();
    const prisma = server.app.database.prisma;
    await prisma.organization.update({
      where: { id: org.organizationId },
      // Created yesterday: an organization created today after its summary time gets its first tomorrow.
      data: { timeZone: 'Pacific/Kiritimati', dailySummaryTime: '00:00', createdAt: new Date(Date.now() - 86_400_000) },
    });
    const day = localDayAndTime(new Date(), 'Pacific/Kiritimati').day;
    const widgetId = await createWidget(server, org.adminToken, { name: 'Main' });
    const operatorId = globalId('Operator', org.adminId);
    const role = await prisma.role.findFirstOrThrow({ where: { organizationId: org.organizationId, isAdmin: false } });
    const colleague = await server.gql<{ createOperator: { data: { id: string } } }>(
      'mutation($input: CreateOperatorInput!) { createOperator(input: $input) { ... on MutationCreateOperatorSuccess { data { id } } } }',
      { input: { name: 'Colleague', roleId: globalId('Role', role.id) } },
      org.adminToken,
    );
    for (const chatId of ['a', 'b', 'c']) await report(server, org.apiKey, 'reportChatStarted', { chatId, widgetId, operatorId });
    await report(server, org.apiKey, 'reportChatForwarded', { chatId: 'a', toOperatorId: colleague.data?.createOperator.data.id });
    await report(server, org.apiKey, 'reportChatRated', { chatId: 'a', rating: 4 });
    await report(server, org.apiKey, 'reportChatRated', { chatId: 'b', rating: 5 });
    await report(server, org.apiKey, 'reportGoalReached', { chatId: 'b', goal: 'signup' });
    await report(server, org.apiKey, 'reportChatFinished', { chatId: 'b', summary: 'done' });
    await report(server, org.apiKey, 'reportOfflineMessage', { widgetId, text: 'hello?' });

    const expected = {
      day,
      timeZone: 'Pacific/Kiritimati',
      chatsStarted: 3,
      chatsFinished: 1,
      offlineMessages: 1,
      chatsForwarded: 1,
      ratings: 2,
      averageRating: 4.5,
      goalsReached: 1,
    };
    const figures = await server.gql<{ dailyFigures: { data: Record<string, unknown> } }>(
      `query($day: String!) { dailyFigures(day: $day) { ... on QueryDailyFiguresSuccess { data {
        day timeZone chatsStarted chatsFinished offlineMessages chatsForwarded ratings averageRating goalsReached } } } }`,
      { day },
      org.adminToken,
    );
    expect(figures.data?.dailyFigures.data).toEqual(expected);

    const run = await server.gql<{ runDailySummary: { data: { eventCount: number; figures: { chatsStarted: number } } } }>(
      'mutation($day: String!) { runDailySummary(day: $day) { ... on MutationRunDailySummarySuccess { data { eventCount figures { chatsStarted } } } } }',
      { day },
      org.adminToken,
    );
    expect(run.data?.runDailySummary.data).toEqual({ eventCount: 1, figures: { chatsStarted: 3 } });
    const mail = await waitFor(
      () => smtp.to('admin@example.test').find((m) => m.subject?.includes(`Daily summary for ${day}`)),
      'the summary email',
    );
    expect(mail.text).toContain('chatsStarted: 3');
    expect(mail.text).toContain('averageRating: 4.5');

    // The scheduler raises the day's summary once, however often it ticks (and however many instances tick).
    const scheduler = createDailySummaryScheduler({
      services: server.app.services,
      config: { analyticsDailyAt: '18:00', analyticsTickMs: 0 },
    });
    await Promise.all([scheduler.tick(), scheduler.tick()]);
    await scheduler.tick();
    const scheduled = await prisma.happening.findMany({ where: { organizationId: org.organizationId, kind: 'ANALYTICS_DAILY' } });
    expect(scheduled.map((h) => h.idempotencyKey?.split(':')[0]).sort()).toEqual(['analytics', 'analytics-on-demand']);
    expect(scheduled.find((h) => h.idempotencyKey === `analytics:${org.organizationId}:${day}`)?.payload).toMatchObject({
      day,
      figures: { chatsStarted: 3 },
    });
  });

  it('refuses a malformed day', async () => {
    const org = await server.newOrganization();
    const result = await server.gql<{ dailyFigures: { code?: string; field?: string } }>(
      '{ dailyFigures(day: "2024-02-30") { ... on AppError { code field } } }',
      {},
      org.adminToken,
    );
    expect(result.data?.dailyFigures).toEqual({ code: 'INVALID_INPUT', field: 'day' });
  });
});

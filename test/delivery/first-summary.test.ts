/**
 * Issue 10: a quiet, predictable first start. An organization gets its first daily summary at the
 * first summary time after its creation: created after today's time (a first start at 19:00 with
 * the 18:00 default), nothing today, one tomorrow at 18:00; created before it, today's. The
 * scheduler runs on an injected clock; summaries go out as real emails to a real SMTP server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDailySummaryScheduler, dueSummaryDay } from '../../src/services/analytics/daily-summary-scheduler.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { type SmtpReceiver, startSmtpReceiver, waitFor } from './receivers.js';

let server: TestServer;
let smtp: SmtpReceiver;
beforeAll(async () => {
  smtp = await startSmtpReceiver();
  server = await startTestServer({ config: { smtpUrl: smtp.url, deliveryPollMs: 50 } });
});
afterAll(async () => {
  await server?.stop();
  await smtp?.close();
});

describe('dueSummaryDay', () => {
  const org = (createdAt: string, timeZone = 'UTC') => ({ timeZone, createdAt: new Date(createdAt) });
  it.each([
    ['created today after the time: nothing today', '2026-03-10T19:00:05Z', '2026-03-10T19:00:00Z', null],
    ['created today at the very minute: nothing today', '2026-03-10T18:00:30Z', '2026-03-10T18:00:00Z', null],
    ['…then the next day at the time', '2026-03-11T18:00:00Z', '2026-03-10T19:00:00Z', '2026-03-11'],
    ['…not before it', '2026-03-11T17:59:59Z', '2026-03-10T19:00:00Z', null],
    ['created today before the time: today’s', '2026-03-10T18:00:00Z', '2026-03-10T10:00:00Z', '2026-03-10'],
    ['created on an earlier day: today’s', '2026-03-10T18:30:00Z', '2026-02-01T23:00:00Z', '2026-03-10'],
  ])('%s', (_what, now, createdAt, expected) => {
    expect(dueSummaryDay(new Date(now), org(createdAt), '18:00')).toBe(expected);
  });

  it('counts days and times in the organization’s time zone', () => {
    // 19:30 UTC on March 10 is 06:30 on March 11 in Sydney: created before 18:00 local on the 11th.
    expect(dueSummaryDay(new Date('2026-03-11T07:00:00Z'), org('2026-03-10T19:30:00Z', 'Australia/Sydney'), '18:00')).toBe('2026-03-11');
    expect(dueSummaryDay(new Date('2026-03-11T07:00:00Z'), org('2026-03-11T07:30:00Z', 'Australia/Sydney'), '18:00')).toBe(null);
  });
});

// The scheduler walks every organization of its database: on the PostgreSQL pass the database is
// shared by every test file (hundreds of organizations to summarise at each simulated day), so this
// end-to-end part runs where the server has its own database; dueSummaryDay above runs everywhere.
describe.runIf(!process.env.TEST_DATABASE_URL)('first start after the summary time', () => {
  it('sends no summary at once, and exactly one at the next summary time', async () => {
    const org = await server.newOrganization('Fresh');
    const prisma = server.app.database.prisma;
    // The organization was created by the first start, at 19:00 (after the 18:00 default).
    const createdAt = new Date('2026-03-10T19:00:00Z');
    await prisma.organization.update({ where: { id: org.organizationId }, data: { createdAt, timeZone: 'UTC' } });
    // An older organization on the same service still gets today's summary.
    const older = await server.newOrganization('Older');
    await prisma.organization.update({
      where: { id: older.organizationId },
      data: { createdAt: new Date('2026-03-01T08:00:00Z'), timeZone: 'UTC' },
    });

    let clock = new Date('2026-03-10T19:00:02Z');
    const scheduler = createDailySummaryScheduler({
      services: server.app.services,
      config: { analyticsDailyAt: '18:00', analyticsTickMs: 20 },
      now: () => clock,
    });
    const summariesOf = (organizationId: string) =>
      prisma.happening.findMany({ where: { organizationId, kind: 'ANALYTICS_DAILY' }, select: { idempotencyKey: true } });
    try {
      scheduler.start();
      await waitFor(async () => (await summariesOf(older.organizationId)).length === 1, "the older organization's summary");
      // Several more ticks on the first evening: still nothing for the new organization.
      clock = new Date('2026-03-10T23:59:00Z');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await summariesOf(org.organizationId)).toEqual([]);

      clock = new Date('2026-03-11T17:59:00Z');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await summariesOf(org.organizationId)).toEqual([]);

      clock = new Date('2026-03-11T18:00:00Z');
      await waitFor(async () => (await summariesOf(org.organizationId)).length > 0, 'the first summary');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await summariesOf(org.organizationId)).toEqual([{ idempotencyKey: `analytics:${org.organizationId}:2026-03-11` }]);
    } finally {
      await scheduler.stop();
    }
    // The admins' emails: one for the new organization (tomorrow's), none at once.
    const mail = await waitFor(() => {
      const got = smtp.messages.filter((m) => m.subject?.startsWith('[Fresh] Daily summary'));
      return got.length > 0 && got;
    }, 'the summary email');
    expect(mail.map((m) => m.subject)).toEqual(['[Fresh] Daily summary for 2026-03-11']);
  });
});

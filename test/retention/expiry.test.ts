/**
 * Retention (issue 15): expiry with an injected clock (the ingestion's Date is set with
 * vi.setSystemTime; the scheduler's tick takes `now`), over the real app and database. The
 * simulated days lie before today, so on the suite's shared PostgreSQL only this file's partitions
 * and rows are old enough to expire.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { HappeningInput } from '../../src/domain/derive-events.js';
import { runDailySummary } from '../../src/services/analytics/run-daily-summary.js';
import { reportHappenings } from '../../src/services/ingestion/report-happenings.js';
import type { ExpiryReport } from '../../src/services/retention/expire-data.js';
import { ensurePartitions, listPartitions } from '../../src/services/retention/partitions.js';
import { prismaSql, type RetentionSql } from '../../src/services/retention/retention-sql.js';
import { call, decisionCount, globalId, rawId, seedOrganization } from '../helpers/seed.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { connect, subscribe } from '../streams/stream-client.js';

const DAY = 86_400_000;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  vi.useRealTimers();
  await server?.stop();
});

const retention = () => {
  const r = server.app.services.retention;
  if (!r) throw new Error('no retention');
  return r;
};

/** One expiry pass at `now`; waits while another instance (a test file's start-up) holds the lock. */
async function tick(now: Date): Promise<ExpiryReport> {
  for (;;) {
    const report = await retention().scheduler.tick(now);
    if (report !== null) return report;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Reports as the integrator would, at the simulated time `at`. */
async function reportAt(at: Date, organizationId: string, inputs: HappeningInput[]) {
  vi.setSystemTime(at);
  try {
    return await reportHappenings(server.app.services, organizationId, { kind: 'INTEGRATOR', id: 'test' }, inputs);
  } finally {
    vi.useRealTimers();
  }
}

async function rowsOf(organizationId: string) {
  const prisma = server.app.database.prisma;
  const [happenings, events, decisions, inbox, chats] = await Promise.all([
    prisma.happening.count({ where: { organizationId } }),
    prisma.notificationEvent.count({ where: { organizationId } }),
    decisionCount(server, organizationId),
    prisma.inboxItem.count({ where: { organizationId } }),
    prisma.chat.count({ where: { organizationId } }),
  ]);
  return { happenings, events, decisions, inbox, chats, total: happenings + events + decisions + inbox + chats };
}

async function chatOrganization(operators: string[]) {
  const seeder = await seedOrganization(server, 'Retention org');
  const ids: Record<string, string> = {};
  for (const name of operators) ids[name] = rawId(await seeder.operator(name));
  const widgetId = rawId(await seeder.widget());
  return { seeder, ids, widgetId, organizationId: seeder.org.organizationId };
}

const aChat = (chatId: string, widgetId: string, operatorId: string, messages: number): HappeningInput[] => [
  { kind: 'CHAT_STARTED', chatId, widgetId, operatorId, visitorName: 'Vera', visitorEmail: 'vera@visitor.test' },
  ...Array.from({ length: messages }, (_, i) => ({ kind: 'VISITOR_MESSAGE' as const, chatId, text: `message ${i}` })),
  { kind: 'CHAT_FINISHED', chatId },
];

const EXPLAIN = `query ($eventId: ID!) { explainEvent(eventId: $eventId) { __typename ... on QueryExplainEventSuccess { data { event { id } } } ... on AppError { code message field } } }`;
const UNREAD = `query { inboxUnreadCount }`;
const SET = `mutation ($input: SetRetentionWindowsInput!) { setRetentionWindows(input: $input) { __typename
  ... on MutationSetRetentionWindowsSuccess { data { kind unit inEffect override serviceWindow minimum reason } } ... on AppError { code message field } } }`;

// First in the file: event ids are time-ordered and never go back within a process (ordered-id.ts),
// so the expired event must be the first one this process derives for its id to carry its old time.
describe('explainEvent past the window', () => {
  it('explainEvent on an expired event is EVENT_EXPIRED; an unknown one stays NOT_FOUND', async () => {
    const { seeder, ids, widgetId, organizationId } = await chatOrganization(['Eve']);
    const old = new Date(Date.now() - 50 * DAY);
    await retention().scheduler.tick(old, { partitionsOnly: true });
    const [started] = await reportAt(old, organizationId, aChat('expiring', widgetId, ids.Eve as string, 0).slice(0, 1));
    const eventId = started?.events[0]?.id as string;
    expect((await call(server, EXPLAIN, { eventId: globalId('NotificationEvent', eventId) }, seeder.org.adminToken)).__typename).toMatch(
      /Success$/,
    );
    await tick(new Date());
    expect(await call(server, EXPLAIN, { eventId: globalId('NotificationEvent', eventId) }, seeder.org.adminToken)).toMatchObject({
      code: 'EVENT_EXPIRED',
      field: 'eventId',
    });
    const unknown = globalId('NotificationEvent', crypto.randomUUID());
    expect(await call(server, EXPLAIN, { eventId: unknown }, seeder.org.adminToken)).toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('expiry', () => {
  it('a simulated month at a steady rate: storage is flat past the window (day 31 within 10% of day 30)', async () => {
    const { ids, widgetId, organizationId } = await chatOrganization(['Ann', 'Ben']);
    const start = Math.floor((Date.now() - 80 * DAY) / DAY) * DAY;
    const sizes: number[] = [];
    const bytes: number[] = [];
    let dropped = 0;
    const sql = prismaSql(server.app.database.prisma);
    /** Bytes of the simulated days' Decision and InboxItem partitions (heap and indexes): only this test writes there. */
    const partitionBytes = async () => {
      let total = 0;
      for (const table of ['Decision', 'InboxItem'] as const) {
        for (const p of await listPartitions(sql, table)) {
          if (p.from === null || p.from.getTime() < start || p.to.getTime() > start + 40 * DAY) continue;
          const [row] = await sql.query<{ bytes: bigint }>('SELECT pg_total_relation_size($1::regclass) AS "bytes"', [`"${p.name}"`]);
          total += Number(row?.bytes ?? 0);
        }
      }
      return total;
    };
    await retention().scheduler.tick(new Date(start), { partitionsOnly: true });
    for (let day = 0; day <= 31; day++) {
      // One working day: Ben comes online, a chat of 4 visitor messages, Ben goes offline.
      await reportAt(new Date(start + day * DAY + 9 * 3_600_000), organizationId, [
        { kind: 'PRESENCE_CHANGED', operatorId: ids.Ben as string, presence: 'ONLINE' },
        ...aChat(`chat-${day}`, widgetId, ids.Ann as string, 4),
        { kind: 'PRESENCE_CHANGED', operatorId: ids.Ben as string, presence: 'OFFLINE' },
      ]);
      // The nightly pass (it also makes the next days' partitions).
      const report = await tick(new Date(start + day * DAY + 23 * 3_600_000));
      dropped += report.partitionsDropped.length;
      sizes.push((await rowsOf(organizationId)).total);
      bytes.push(await partitionBytes());
    }
    const day30 = sizes[30] as number;
    const day31 = sizes[31] as number;
    expect(day30).toBeGreaterThan(0);
    expect(Math.abs(day31 - day30) / day30).toBeLessThanOrEqual(0.1);
    // In bytes too, where expiry drops whole days; and past the window a day adds less than half
    // of what a day added inside it (without expiry it would add as much: 10% alone cannot tell).
    const [bytes30, bytes31] = [bytes[30] as number, bytes[31] as number];
    expect(Math.abs(bytes31 - bytes30) / bytes30, `${bytes30} -> ${bytes31} B`).toBeLessThanOrEqual(0.1);
    const perDay = (series: number[]) => ((series[20] as number) - (series[10] as number)) / 10;
    expect(perDay(bytes)).toBeGreaterThan(0);
    expect(Math.abs(bytes31 - bytes30)).toBeLessThan(perDay(bytes) / 2);
    expect(Math.abs(day31 - day30)).toBeLessThan(perDay(sizes) / 2);
    // Without expiry day 31 would hold 32 days of rows; it holds the 31 days of the window (whole days).
    expect(day31).toBeLessThan((sizes[0] as number) * 31.5);
    expect(dropped).toBeGreaterThan(0);
    // Partitions of the expired simulated days are gone, the window's are there.
    const simulated = (await listPartitions(sql, 'Decision')).filter(
      (p) => p.from !== null && p.from.getTime() >= start && p.to.getTime() <= start + 40 * DAY,
    );
    expect(simulated.length).toBeGreaterThan(0);
    expect(simulated.every((p) => (p.from as Date).getTime() >= start + DAY)).toBe(true);
  }, 90_000);

  it('expiry while reports keep coming: every report is stored, only expired rows go', async () => {
    const { seeder, ids, widgetId, organizationId } = await chatOrganization(['Dee']);
    const old = new Date(Date.now() - 45 * DAY);
    await retention().scheduler.tick(old, { partitionsOnly: true });
    for (let i = 0; i < 5; i++)
      await reportAt(new Date(old.getTime() + i * 1000), organizationId, aChat(`old-${i}`, widgetId, ids.Dee as string, 20));
    const before = await rowsOf(organizationId);
    expect(before.decisions).toBeGreaterThan(0);
    const REPORT = `mutation ($input: ReportVisitorMessageInput!) { reportVisitorMessage(input: $input) { __typename ... on AppError { code message } } }`;
    const START = `mutation ($input: ReportChatStartedInput!) { reportChatStarted(input: $input) { __typename ... on AppError { code message } } }`;
    for (let c = 0; c < 4; c++)
      expect(
        (
          await call(
            server,
            START,
            { input: { chatId: `live-${c}`, widgetId: globalId('Widget', widgetId), operatorId: globalId('Operator', ids.Dee as string) } },
            seeder.org.apiKey,
          )
        ).__typename,
      ).toMatch(/Success$/);
    let expiring = true;
    const load = Promise.all(
      Array.from({ length: 4 }, async (_, c) => {
        const outcomes: string[] = [];
        for (let i = 0; expiring || i < 5; i++) {
          const outcome = await call(server, REPORT, { input: { chatId: `live-${c}`, text: `live ${i}` } }, seeder.org.apiKey);
          outcomes.push(outcome.__typename);
        }
        return outcomes;
      }),
    );
    const report = await tick(new Date());
    expiring = false;
    const outcomes = (await load).flat();
    expect(
      outcomes.every((t) => /Success$/.test(t)),
      outcomes.join(),
    ).toBe(true);
    expect(report.deleted.NotificationEvent ?? 0).toBeGreaterThan(0);
    const after = await rowsOf(organizationId);
    // What is left is exactly the live chats: 4 starts + every live message.
    expect(after.happenings).toBe(4 + outcomes.length);
    expect(
      await server.app.database.prisma.happening.count({ where: { organizationId, createdAt: { lt: new Date(Date.now() - 30 * DAY) } } }),
    ).toBe(0);
  });
});

describe('chats and what hangs on them', () => {
  it('a chat goes with its visitor and missed-chat timer once nothing names it; one still rated within the window stays', async () => {
    const { seeder, ids, widgetId, organizationId } = await chatOrganization(['Kim']);
    const prisma = server.app.database.prisma;
    // Missed-chat timers (E4: off in test organizations) armed, far beyond the test's length.
    await prisma.organization.update({ where: { id: organizationId }, data: { escalateAfterSeconds: 3600 } });
    const old = new Date(Date.now() - 45 * DAY);
    await retention().scheduler.tick(old, { partitionsOnly: true });
    await reportAt(old, organizationId, aChat('gone', widgetId, ids.Kim as string, 2));
    await reportAt(old, organizationId, aChat('rated', widgetId, ids.Kim as string, 2));
    await reportAt(new Date(), organizationId, [{ kind: 'CHAT_RATED', chatId: 'rated', rating: 5 }]);
    const gone = await prisma.chat.findFirstOrThrow({ where: { organizationId, externalId: 'gone' } });
    expect(gone.visitorEmail).toBe('vera@visitor.test');
    expect(await prisma.escalationTimer.count({ where: { chatId: gone.id } })).toBe(1);
    // An acknowledgement of an expired event goes with it; a recent one stays.
    const [oldEvent] = await prisma.notificationEvent.findMany({ where: { organizationId, chatId: gone.id }, take: 1 });
    await prisma.acknowledgement.createMany({
      data: [
        { operatorId: ids.Kim as string, eventId: oldEvent?.id as string, organizationId, shown: true, createdAt: old },
        { operatorId: ids.Kim as string, eventId: crypto.randomUUID(), organizationId, shown: true },
      ],
    });

    const report = await tick(new Date());
    expect(report.deleted.Chat).toBe(1);
    expect(await prisma.chat.findMany({ where: { organizationId }, select: { externalId: true } })).toEqual([{ externalId: 'rated' }]);
    expect(await prisma.escalationTimer.count({ where: { chatId: gone.id } })).toBe(0);
    expect(await prisma.acknowledgement.count({ where: { organizationId } })).toBe(1);
    // A chat still named cannot be deleted (NO ACTION): a report racing an expiry pass keeps its chat.
    await expect(prisma.chat.deleteMany({ where: { organizationId, externalId: 'rated' } })).rejects.toThrow();
    // The kept chat's rating still reads its chat (the event payload's chat id comes from the Chat row).
    const rating = await prisma.notificationEvent.findFirstOrThrow({ where: { organizationId, kind: 'ALL_CHAT_RATINGS' } });
    const EVENT = `query ($id: ID!) { node(id: $id) { ... on NotificationEvent { chatExternalId payload } } }`;
    const node = (
      await server.gql<{ node: { chatExternalId: string; payload: Record<string, unknown> } }>(
        EVENT,
        { id: globalId('NotificationEvent', rating.id) },
        seeder.org.adminToken,
      )
    ).data?.node;
    expect(node).toMatchObject({
      chatExternalId: 'rated',
      payload: { chatExternalId: 'rated', visitorEmail: 'vera@visitor.test', rating: 5 },
    });
  });
});

describe('partitions ahead on PostgreSQL', () => {
  // Creating a partition locks its parent for a moment; the expiry session gives up on a lock after
  // 500 ms, so a writer holding the table longer used to fail the whole pass (seen in CI).
  it.runIf(process.env.TEST_DATABASE_URL)('are created behind a writer that holds the table longer than the lock timeout', async () => {
    const url = process.env.TEST_DATABASE_URL as string;
    const writer = new pg.Client({ connectionString: url });
    const client = new pg.Client({ connectionString: url });
    await writer.connect();
    await client.connect();
    await client.query("SET lock_timeout = '500ms'");
    const sql: RetentionSql = {
      kind: 'postgresql',
      query: async <T>(text: string, params: readonly unknown[] = []) => (await client.query(text, [...params])).rows as T[],
      exec: async (text, params = []) => (await client.query(text, [...params])).rowCount ?? 0,
      release: async () => {},
    };
    let created: string[] = [];
    try {
      await writer.query('BEGIN');
      await writer.query('LOCK TABLE "Decision" IN ROW EXCLUSIVE MODE'); // what an insert holds
      const committed = new Promise((resolve) => setTimeout(resolve, 1200)).then(() => writer.query('COMMIT'));
      created = await ensurePartitions(sql, 'Decision', new Date(Date.now() + 400 * DAY), 0);
      await committed;
      expect(created).toHaveLength(2);
      expect((await listPartitions(sql, 'Decision')).map((p) => p.name)).toEqual(expect.arrayContaining(created));
    } finally {
      for (const name of created) await client.query(`DROP TABLE IF EXISTS "${name}"`);
      await writer.end();
      await client.end();
    }
  });
});

describe('presence items', () => {
  it('expire within hours (12 h by default) while chat items of the same time stay; the unread count follows', async () => {
    const { seeder, ids, widgetId, organizationId } = await chatOrganization(['Lea', 'Max']);
    const token = await seeder.token(globalId('Operator', ids.Lea as string));
    const hour = 3_600_000;
    const now = Date.now();
    await reportAt(new Date(now - 13 * hour), organizationId, [
      { kind: 'PRESENCE_CHANGED', operatorId: ids.Max as string, presence: 'ONLINE' },
      ...aChat('morning', widgetId, ids.Lea as string, 0).slice(0, 1),
    ]);
    await reportAt(new Date(now - hour), organizationId, [
      { kind: 'PRESENCE_CHANGED', operatorId: ids.Max as string, presence: 'OFFLINE' },
    ]);
    const kinds = async () =>
      (await server.app.database.prisma.inboxItem.findMany({ where: { operatorId: ids.Lea as string }, orderBy: { seq: 'asc' } })).map(
        (i) => i.kind,
      );
    const unread = async () => (await server.gql<{ inboxUnreadCount: number }>(UNREAD, {}, token)).data?.inboxUnreadCount;
    expect(await kinds()).toEqual(['OPERATOR_ONLINE', 'NEW_CHAT_SESSION', 'OPERATOR_OFFLINE']);
    expect(await unread()).toBe(3);
    const report = await tick(new Date(now));
    expect(report.deleted.InboxItem ?? 0).toBeGreaterThanOrEqual(1);
    expect(await kinds()).toEqual(['NEW_CHAT_SESSION', 'OPERATOR_OFFLINE']);
    expect(await unread()).toBe(2);
  });
});

describe('honest answers past the window', () => {
  it('a replay cursor older than the oldest kept item is CURSOR_EXPIRED with where to resync; the unread count follows expiry', async () => {
    const { seeder, ids, widgetId, organizationId } = await chatOrganization(['Fay', 'Gus']);
    const token = await seeder.token(globalId('Operator', ids.Gus as string));
    const old = new Date(Date.now() - 40 * DAY);
    await retention().scheduler.tick(old, { partitionsOnly: true });
    // Chats given to Gus (NEW_CHAT_SESSION in his inbox): two 40 days ago, two now.
    await reportAt(old, organizationId, aChat('c-old-1', widgetId, ids.Gus as string, 0).slice(0, 1));
    await reportAt(new Date(old.getTime() + 1000), organizationId, aChat('c-old-2', widgetId, ids.Gus as string, 0).slice(0, 1));
    await reportAt(new Date(), organizationId, aChat('c-new-1', widgetId, ids.Gus as string, 0).slice(0, 1));
    await reportAt(new Date(), organizationId, aChat('c-new-2', widgetId, ids.Gus as string, 0).slice(0, 1));
    const unread = async () => (await server.gql<{ inboxUnreadCount: number }>(UNREAD, {}, token)).data?.inboxUnreadCount;
    expect(await unread()).toBe(4);
    await tick(new Date());
    expect(await unread()).toBe(2);

    const connection = connect(server, token);
    try {
      const fromStart = subscribe(connection.client, Buffer.from('inbox:0').toString('base64url'));
      const error = (await fromStart.waitForError()) as { extensions?: { code?: string; resyncAfter?: string } }[];
      expect(error[0]?.extensions?.code).toBe('CURSOR_EXPIRED');
      const resyncAfter = error[0]?.extensions?.resyncAfter as string;
      expect(Buffer.from(resyncAfter, 'base64url').toString()).toBe('inbox:2');
      const resumed = subscribe(connection.client, resyncAfter);
      const items = await resumed.waitFor(2);
      expect(items.map((i) => i.chatId)).toEqual(['c-new-1', 'c-new-2']);
      expect(resumed.errors).toEqual([]);
      resumed.dispose();
    } finally {
      await connection.client.dispose();
    }
  });

  it('dailyFigures of a day whose happenings expired answers from its stored summary', async () => {
    const { seeder, ids, widgetId, organizationId } = await chatOrganization(['Jo']);
    const old = new Date(Math.floor((Date.now() - 60 * DAY) / DAY) * DAY + 10 * 3_600_000);
    const day = old.toISOString().slice(0, 10);
    await retention().scheduler.tick(old, { partitionsOnly: true });
    await reportAt(old, organizationId, aChat('summarised', widgetId, ids.Jo as string, 3));
    vi.setSystemTime(new Date(old.getTime() + 8 * 3_600_000));
    try {
      await runDailySummary(server.app.services, organizationId, day);
    } finally {
      vi.useRealTimers();
    }
    const FIGURES = `query ($day: String!) { dailyFigures(day: $day) { __typename ... on QueryDailyFiguresSuccess { data { chatsStarted visitorMessages chatsFinished } } } }`;
    const figures = async () =>
      (await server.gql<{ dailyFigures: { data: unknown } }>(FIGURES, { day }, seeder.org.adminToken)).data?.dailyFigures.data;
    const expected = { chatsStarted: 1, visitorMessages: 3, chatsFinished: 1 };
    expect(await figures()).toEqual(expected);
    await tick(new Date());
    expect(await server.app.database.prisma.happening.count({ where: { organizationId, kind: { not: 'ANALYTICS_DAILY' } } })).toBe(0);
    expect(await figures()).toEqual(expected);
  });

  it('admins set windows inside the bounds; outside them is INVALID_INPUT; others are FORBIDDEN; a shorter window expires that organization only', async () => {
    const { seeder, ids, widgetId, organizationId } = await chatOrganization(['Hal']);
    const other = await chatOrganization(['Ivy']);
    const admin = seeder.org.adminToken;
    const tooLong = await call(server, SET, { input: { eventsDays: 31 } }, admin);
    expect(tooLong).toMatchObject({ code: 'INVALID_INPUT', field: 'input.eventsDays' });
    expect(await call(server, SET, { input: { presenceInboxHours: 0 } }, admin)).toMatchObject({ code: 'INVALID_INPUT' });
    expect(await call(server, SET, { input: { inboxReadDays: 20, inboxUnreadDays: 10 } }, admin)).toMatchObject({ code: 'INVALID_INPUT' });
    const halToken = await seeder.token(globalId('Operator', ids.Hal as string));
    expect(await call(server, SET, { input: { eventsDays: 5 } }, halToken)).toMatchObject({ code: 'FORBIDDEN' });

    const set = await call(server, SET, { input: { eventsDays: 5, happeningsDays: 5 } }, admin);
    const windows = set.data as { kind: string; inEffect: number; override: number | null; serviceWindow: number }[];
    expect(windows.find((w) => w.kind === 'eventsDays')).toMatchObject({ inEffect: 5, override: 5, serviceWindow: 30 });
    expect(windows.find((w) => w.kind === 'inboxReadDays')).toMatchObject({ inEffect: 7, override: null });

    const tenDaysAgo = new Date(Date.now() - 10 * DAY);
    await retention().scheduler.tick(tenDaysAgo, { partitionsOnly: true });
    await reportAt(tenDaysAgo, organizationId, aChat('mine', widgetId, ids.Hal as string, 2));
    await reportAt(tenDaysAgo, other.organizationId, aChat('theirs', other.widgetId, other.ids.Ivy as string, 2));
    await tick(new Date());
    expect((await rowsOf(organizationId)).events).toBe(0);
    expect((await rowsOf(organizationId)).happenings).toBe(0);
    // Inside the service's window their day partitions stay: the events' deletion took the decisions.
    expect((await rowsOf(organizationId)).decisions).toBe(0);
    expect((await rowsOf(other.organizationId)).events).toBeGreaterThan(0);
    expect((await rowsOf(other.organizationId)).decisions).toBeGreaterThan(0);

    const reset = await call(server, SET, { input: { eventsDays: null } }, admin);
    expect((reset.data as { kind: string; inEffect: number }[]).find((w) => w.kind === 'eventsDays')?.inEffect).toBe(30);
  });
});

/**
 * The hot path (report-in-one-statement.ts) over the real database: a chat changed between its
 * read and its write fails the guard and nothing of the report is written, then the
 * transactional path decides on the new state; what the hot path cannot write takes the
 * transaction from the start.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/database.js';
import { ChatStateCache, chatStateCacheFor } from '../../src/services/ingestion/chat-state-cache.js';
import { reportHappenings } from '../../src/services/ingestion/report-happenings.js';
import { reportInOneStatement } from '../../src/services/ingestion/report-in-one-statement.js';
import { decisionsFor, rawId, report, reportOutcome, seedOrganization } from '../helpers/seed.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

const INTEGRATOR = { kind: 'INTEGRATOR' as const, id: 'hot-path-test' };

async function startedChat(chatId: string) {
  const seed = await seedOrganization(server);
  const alice = await seed.operator('Alice');
  const widgetId = await seed.widget();
  await report(server, 'chatStarted', { chatId, widgetId, operatorId: alice }, seed.org.apiKey);
  return { organizationId: seed.org.organizationId, alice: rawId(alice), aliceId: alice, widgetId, apiKey: seed.org.apiKey };
}

/** The services, with `before` run (and committed) just before the hot path's write statement. */
function interleaved(before: (prisma: Db) => Promise<unknown>) {
  const prisma = server.app.services.prisma;
  const wrapped = new Proxy(prisma, {
    get(target, property, receiver) {
      if (property !== '$queryRawUnsafe') return Reflect.get(target, property, receiver);
      return async (sql: string, ...values: unknown[]) => {
        if (sql.startsWith('WITH guard')) await before(prisma);
        return target.$queryRawUnsafe(sql, ...values);
      };
    },
  });
  return { ...server.app.services, prisma: wrapped };
}

const happeningsOf = (organizationId: string) => server.app.services.prisma.happening.count({ where: { organizationId } });

describe('the one-statement hot path', () => {
  it('writes a report when the chat is as it was read', async () => {
    const { organizationId } = await startedChat('hp-1');
    const before = await happeningsOf(organizationId);
    const outcome = await reportInOneStatement(server.app.services, organizationId, INTEGRATOR, [
      { kind: 'VISITOR_MESSAGE', chatId: 'hp-1', text: 'Hello' },
    ]);
    expect(outcome?.events[0]?.map((e) => e.kind)).toEqual(['FIRST_MESSAGE_RECEIVED', 'MESSAGE_RECEIVED']);
    expect(await happeningsOf(organizationId)).toBe(before + 1);
  });

  it('writes nothing when the chat changed after it was read, and the transaction decides on the new state', async () => {
    const { organizationId } = await startedChat('hp-2');
    const before = await happeningsOf(organizationId);
    const inboxOf = () => server.app.services.prisma.inboxItem.count({ where: { organizationId } });
    const inboxBefore = await inboxOf();
    // Another report's first message commits between this report's read and its write.
    const services = interleaved((prisma) =>
      prisma.chat.updateMany({ where: { organizationId, externalId: 'hp-2' }, data: { firstVisitorMessageAt: new Date() } }),
    );
    const outcome = await reportInOneStatement(services, organizationId, INTEGRATOR, [
      { kind: 'VISITOR_MESSAGE', chatId: 'hp-2', text: 'Hi' },
    ]);
    expect(outcome).toBeNull();
    expect(await happeningsOf(organizationId)).toBe(before);
    expect(await inboxOf()).toBe(inboxBefore);
    // The full pipeline takes the transaction: no second FIRST_MESSAGE_RECEIVED.
    const [result] = await reportHappenings(services, organizationId, INTEGRATOR, [
      { kind: 'VISITOR_MESSAGE', chatId: 'hp-2', text: 'Hi' },
    ]);
    expect(result?.events.map((e) => e.kind)).toEqual(['MESSAGE_RECEIVED']);
    expect(await happeningsOf(organizationId)).toBe(before + 1);
  });

  it('a chat finished in between: the report is refused as on a finished chat, nothing stored', async () => {
    const { organizationId } = await startedChat('hp-3');
    const before = await happeningsOf(organizationId);
    const services = interleaved((prisma) =>
      prisma.chat.updateMany({ where: { organizationId, externalId: 'hp-3' }, data: { finishedAt: new Date() } }),
    );
    await expect(
      reportHappenings(services, organizationId, INTEGRATOR, [{ kind: 'VISITOR_MESSAGE', chatId: 'hp-3', text: 'Late' }]),
    ).rejects.toMatchObject({ code: 'CHAT_FINISHED' });
    expect(await happeningsOf(organizationId)).toBe(before);
  });

  it('leaves presence changes to the transaction', async () => {
    const { organizationId, alice } = await startedChat('hp-4');
    const outcome = await reportInOneStatement(server.app.services, organizationId, INTEGRATOR, [
      { kind: 'PRESENCE_CHANGED', operatorId: alice, presence: 'AWAY' },
    ]);
    expect(outcome).toBeNull();
  });

  it('hot and transactional reports on the same chats and counters, concurrently: all stored, no deadlock', async () => {
    const seed = await seedOrganization(server);
    const operators = [await seed.operator('Ann'), await seed.operator('Ben'), await seed.operator('Cid')];
    const widgetId = await seed.widget();
    const { organizationId } = seed.org;
    for (const [i, operatorId] of operators.entries())
      await report(server, 'chatStarted', { chatId: `dl-${i}`, widgetId, operatorId }, seed.org.apiKey);
    const deadlocks = async () =>
      Number(
        (
          await server.app.services.prisma.$queryRawUnsafe<{ n: bigint }[]>(
            `SELECT deadlocks AS n FROM pg_stat_database WHERE datname = current_database()`,
          )
        )[0]?.n ?? 0,
      );
    const before = await deadlocks();
    const happenings = await happeningsOf(organizationId);
    // Messages (hot path), chat starts reaching every operator's counter, presence changes (transaction).
    const reports = Array.from({ length: 30 }, (_, i) => {
      const operatorId = rawId(operators[i % 3] ?? '');
      if (i % 3 === 0) return [{ kind: 'CHAT_STARTED' as const, chatId: `dl-new-${i}`, widgetId: rawId(widgetId), operatorId }];
      // One operator's presence only: two operators' presence changes deadlock each other in the
      // transactional path itself (FOR UPDATE on one's row, KEY SHARE on the other's; issue 14).
      if (i % 5 === 0)
        return [
          {
            kind: 'PRESENCE_CHANGED' as const,
            operatorId: rawId(operators[0] ?? ''),
            presence: i % 2 === 0 ? ('AWAY' as const) : ('ONLINE' as const),
          },
        ];
      return [{ kind: 'VISITOR_MESSAGE' as const, chatId: `dl-${i % 3}`, text: `m${i}` }];
    });
    await Promise.all(reports.map((inputs) => reportHappenings(server.app.services, organizationId, INTEGRATOR, inputs)));
    expect(await happeningsOf(organizationId)).toBe(happenings + 30);
    expect(await deadlocks()).toBe(before);
  });
});

describe('the chat state cache (chat-state-cache.ts): one round trip on a known chat, never trusted', () => {
  const chatReads = () => server.queries.filter((sql) => sql.includes('LEFT JOIN (SELECT * FROM "Chat"')).length;
  const chatWrites = () => server.queries.filter((sql) => sql.startsWith('WITH guard')).length;
  const message = (chatId: string, apiKey: string, text = 'Hi') => report(server, 'visitorMessage', { chatId, text }, apiKey);

  it('a report on a chat this instance knows is one statement: no read', async () => {
    const { apiKey } = await startedChat('cc-1');
    await message('cc-1', apiKey, 'first');
    server.queries.length = 0;
    const result = await message('cc-1', apiKey);
    expect(result.events.map((e) => e.kind)).toEqual(['MESSAGE_RECEIVED']);
    expect([chatReads(), chatWrites()]).toEqual([0, 1]);
  });

  it('a chat another instance changed behind the cache: the guard sees it and the report decides on the stored state', async () => {
    const { organizationId, apiKey } = await startedChat('cc-2');
    const prisma = server.app.services.prisma;
    // Another instance writes the first visitor message: this one still caches "no message yet".
    await prisma.$executeRaw`UPDATE "Chat" SET "firstVisitorMessageAt" = now() WHERE "organizationId" = ${organizationId}::uuid AND "externalId" = 'cc-2'`;
    const before = await happeningsOf(organizationId);
    const result = await message('cc-2', apiKey);
    expect(result.events.map((e) => e.kind)).toEqual(['MESSAGE_RECEIVED']);
    expect(await happeningsOf(organizationId)).toBe(before + 1);
    // Then finishes the chat: refused as finished, nothing stored.
    await prisma.$executeRaw`UPDATE "Chat" SET "finishedAt" = now() WHERE "organizationId" = ${organizationId}::uuid AND "externalId" = 'cc-2'`;
    const refused = await reportOutcome(server, 'visitorMessage', { chatId: 'cc-2', text: 'Late' }, apiKey);
    expect(refused).toMatchObject({ __typename: 'AppError', code: 'CHAT_FINISHED' });
    expect(await happeningsOf(organizationId)).toBe(before + 1);
  });

  it('a settings change made straight in the database is seen by the next report on a known chat', async () => {
    const { organizationId, aliceId, apiKey } = await startedChat('cc-3');
    await message('cc-3', apiKey, 'first');
    expect(decisionsFor((await message('cc-3', apiKey)).events[0], aliceId).BROWSER).toBe('DELIVERED');
    await server.app.services.prisma
      .$executeRaw`UPDATE "Role" SET "notificationsEnabled" = false WHERE "organizationId" = ${organizationId}::uuid AND NOT "isAdmin"`;
    expect(decisionsFor((await message('cc-3', apiKey)).events[0], aliceId).BROWSER).toBe('ROLE_DISABLED');
  });

  it('a chat started elsewhere and unknown here is refused when started again (its unique id), nothing stored', async () => {
    const { organizationId, aliceId, widgetId, apiKey } = await startedChat('cc-4');
    // As if another instance had started it: this one does not know the chat.
    chatStateCacheFor(server.app.services.prisma).forget(organizationId, ['cc-4']);
    const before = await happeningsOf(organizationId);
    const refused = await reportOutcome(server, 'chatStarted', { chatId: 'cc-4', widgetId, operatorId: aliceId }, apiKey);
    expect(refused).toMatchObject({ __typename: 'AppError', code: 'CHAT_ALREADY_STARTED' });
    expect(await happeningsOf(organizationId)).toBe(before);
  });

  it('keeps the most recently used chats only', () => {
    const cache = new ChatStateCache(2);
    const chat = (externalId: string) => ({
      id: externalId,
      externalId,
      widgetId: 'w',
      operatorId: null,
      visitorName: null,
      visitorEmail: null,
      firstVisitorMessageAt: null,
      finishedAt: null,
    });
    cache.remember('o', [chat('a'), chat('b')]);
    cache.get('o', 'a');
    cache.remember('o', [chat('c')]);
    expect([cache.get('o', 'a')?.id, cache.get('o', 'b'), cache.get('o', 'c')?.id, cache.size]).toEqual(['a', undefined, 'c', 2]);
  });
});

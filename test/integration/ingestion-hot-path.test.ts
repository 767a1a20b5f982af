/**
 * The hot path (report-in-one-statement.ts) over the real database: a chat changed between its
 * read and its write fails the guard and nothing of the report is written, then the
 * transactional path decides on the new state; what the hot path cannot write takes the
 * transaction from the start.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/database.js';
import { reportHappenings } from '../../src/services/ingestion/report-happenings.js';
import { reportInOneStatement } from '../../src/services/ingestion/report-in-one-statement.js';
import { rawId, report, seedOrganization } from '../helpers/seed.js';
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
  return { organizationId: seed.org.organizationId, alice: rawId(alice) };
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
});

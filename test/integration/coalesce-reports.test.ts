/**
 * Group commit of single reports (coalesce-reports.ts) through the real API: reports fired
 * together are written in fewer statements than reports, each answer is its own, what is stored is
 * what sequential reports store; a bad member gets its own refusal or replay while the others
 * succeed; two API keys are never joined (each happening records its own reporter).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/services/organizations.js';
import { ingestionRowCounts, type ReportView, rawId, report, reportOutcome, seedOrganization } from '../helpers/seed.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const METRICS_TOKEN = 'coalesce-metrics-token';
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ config: { metricsToken: METRICS_TOKEN } });
});
afterAll(() => server.stop());

const hotStatements = () => server.queries.filter((sql) => sql.startsWith('WITH guard')).length;

/** Groups rerun alone so far (a counter of this process: compared before and after). */
async function groupsRerun(): Promise<number> {
  const response = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  const text = await response.text();
  const line = text.split('\n').find((l) => l.startsWith('notifications_report_groups_total{outcome="rerun"}'));
  return Number(line?.split(' ')[1] ?? 0);
}

/**
 * Sends the requests at once, over connections opened beforehand: with PGlite the server runs in
 * this process and a request arriving on a connection still being opened is served only after the
 * ones before it (their database work never yields), so nothing would be concurrent to join.
 */
async function fireTogether<T>(requests: (() => Promise<T>)[]): Promise<T[]> {
  await Promise.all(requests.map(() => server.gql('{ __typename }')));
  server.queries.length = 0;
  return Promise.all(requests.map((request) => request()));
}

/** An organization with three operators and two started chats each (started one by one). */
async function organizationWithChats() {
  const seed = await seedOrganization(server);
  const operators = [await seed.operator('Ann'), await seed.operator('Ben'), await seed.operator('Cid')];
  const widgetId = await seed.widget();
  const chats = Array.from({ length: 6 }, (_, i) => ({ chatId: `chat-${i}`, operatorId: operators[i % 3] as string }));
  for (const chat of chats) await report(server, 'chatStarted', { ...chat, widgetId }, seed.org.apiKey);
  return { seed, operators, widgetId, chats, organizationId: seed.org.organizationId };
}

/** Each operator's inbox in seq order: the event ids and the seqs. */
async function inboxesOf(organizationId: string) {
  const items = await server.app.database.prisma.inboxItem.findMany({
    where: { organizationId },
    select: { operatorId: true, seq: true, eventId: true, kind: true },
    orderBy: [{ operatorId: 'asc' }, { seq: 'asc' }],
  });
  const byOperator = new Map<string, typeof items>();
  for (const item of items) byOperator.set(item.operatorId, [...(byOperator.get(item.operatorId) ?? []), item]);
  return byOperator;
}

describe('single reports fired together', () => {
  it('are written in fewer statements than reports; each answer is its own; rows and inbox order are those of sequential reports', async () => {
    const together = await organizationWithChats();
    const messages = Array.from({ length: 12 }, (_, i) => ({ chatId: `chat-${i % 6}`, text: `message ${i}` }));
    const results = await fireTogether(messages.map((m) => () => report(server, 'visitorMessage', m, together.seed.org.apiKey)));
    expect(hotStatements()).toBeLessThan(messages.length);

    // Each answer carries its own happening and events: its text, its chat.
    expect(new Set(results.map((r) => r.happeningId)).size).toBe(messages.length);
    const prisma = server.app.database.prisma;
    for (const [i, result] of results.entries()) {
      const received = result.events.find((e) => e.kind === 'MESSAGE_RECEIVED');
      expect([received?.payload.text, received?.chatExternalId]).toEqual([messages[i]?.text, messages[i]?.chatId]);
      const stored = await prisma.happening.findUniqueOrThrow({ where: { id: result.happeningId }, include: { chat: true } });
      expect(stored.chat?.externalId).toBe(messages[i]?.chatId);
      const events = await prisma.notificationEvent.findMany({ where: { happeningId: result.happeningId }, orderBy: { id: 'asc' } });
      expect(events.map((e) => e.id)).toEqual(result.events.map((e) => rawId(e.id)).sort());
    }

    // The same messages one after the other, in another organization set up the same way.
    const sequential = await organizationWithChats();
    for (const m of messages) await report(server, 'visitorMessage', m, sequential.seed.org.apiKey);
    const counts = async (organizationId: string) => {
      const { happenings, events, decisions } = await ingestionRowCounts(server, organizationId);
      const kinds = await prisma.notificationEvent.groupBy({
        by: ['kind'],
        where: { organizationId },
        _count: true,
        orderBy: { kind: 'asc' },
      });
      return { happenings, events, decisions, kinds: kinds.map((k) => [k.kind, k._count]) };
    };
    expect(await counts(together.organizationId)).toEqual(await counts(sequential.organizationId));

    // Each operator's inbox: seqs 1..n with no gap, in the order the events were raised, and as many
    // items of each kind as sequential reports leave.
    const shape = (inboxes: Awaited<ReturnType<typeof inboxesOf>>, operators: string[]) =>
      operators.map((id) => (inboxes.get(rawId(id)) ?? []).map((item) => item.kind).sort());
    const inboxes = await inboxesOf(together.organizationId);
    for (const items of inboxes.values()) {
      expect(items.map((item) => Number(item.seq))).toEqual(items.map((_, i) => i + 1));
      expect(items.map((item) => item.eventId)).toEqual(items.map((item) => item.eventId).sort());
    }
    expect(shape(inboxes, together.operators)).toEqual(shape(await inboxesOf(sequential.organizationId), sequential.operators));
  });

  it('a bad member gets its own refusal or replay, the others succeed, nothing of the bad ones is stored', async () => {
    const { seed, operators, widgetId, organizationId } = await organizationWithChats();
    const key = seed.org.apiKey;
    const first = await report(server, 'visitorMessage', { chatId: 'chat-0', text: 'keyed', idempotencyKey: 'k-1' }, key);
    const rerunBefore = await groupsRerun();
    const bad = [
      ['chatStarted', { chatId: 'chat-1', widgetId, operatorId: operators[0] }],
      ['visitorMessage', { chatId: 'no-such-chat', text: 'lost' }],
      ['visitorMessage', { chatId: 'chat-0', text: 'keyed', idempotencyKey: 'k-1' }],
      ['visitorMessage', { chatId: 'chat-0', text: 'other', idempotencyKey: 'k-1' }],
    ] as const;
    // Arrival decides what is joined: rounds until a group holding a bad member was rerun (the first, mostly).
    for (let round = 0; round < 8 && (await groupsRerun()) === rerunBefore; round++) {
      const before = await ingestionRowCounts(server, organizationId);
      const good = Array.from({ length: 6 }, (_, i) => ['visitorMessage', { chatId: `chat-${i}`, text: `good ${round}.${i}` }] as const);
      const outcomes = await fireTogether(
        [...good.slice(0, 3), ...bad, ...good.slice(3)].map(
          ([name, input]) =>
            () =>
              reportOutcome(server, name, input, key),
        ),
      );
      const [started, unknown, replayed, reused] = outcomes.slice(3, 7);
      for (const outcome of [...outcomes.slice(0, 3), ...outcomes.slice(7)]) expect(outcome.__typename).toMatch(/Success$/);
      expect(started).toMatchObject({ __typename: 'AppError', code: 'CHAT_ALREADY_STARTED', field: 'input.chatId' });
      expect(unknown).toMatchObject({ __typename: 'AppError', code: 'NOT_FOUND', field: 'input.chatId' });
      expect(replayed?.data).toEqual({ ...first, replayed: true });
      expect(reused).toMatchObject({ __typename: 'AppError', code: 'IDEMPOTENCY_KEY_REUSED', field: 'input.idempotencyKey' });
      // Only the six good messages were stored.
      const after = await ingestionRowCounts(server, organizationId);
      expect([after.happenings - before.happenings, after.chats.length]).toEqual([6, before.chats.length]);
    }
    // A group holding bad members was written by none of them: each was rerun alone.
    expect(await groupsRerun()).toBeGreaterThan(rerunBefore);
  });

  it('reports of two API keys are never joined: each happening records its own reporter', async () => {
    const { seed, organizationId } = await organizationWithChats();
    const second = await createApiKey(server.app.database.prisma, organizationId, 'second');
    const keys = [seed.org.apiKey, second.key];
    const results: ReportView[] = await fireTogether(
      Array.from(
        { length: 12 },
        (_, i) => () => report(server, 'visitorMessage', { chatId: `chat-${i % 6}`, text: `m${i}` }, keys[i % 2] as string),
      ),
    );
    // Joined within each key…
    expect(hotStatements()).toBeLessThan(results.length);
    // …never across them.
    const reporters = await server.app.database.prisma.happening.findMany({
      where: { id: { in: results.map((r) => r.happeningId) } },
      select: { id: true, reportedBy: true },
    });
    const reporterOf = new Map(reporters.map((h) => [h.id, h.reportedBy]));
    const byKey = [0, 1].map((k) => new Set(results.filter((_, i) => i % 2 === k).map((r) => reporterOf.get(r.happeningId))));
    expect(byKey.map((s) => s.size)).toEqual([1, 1]);
    expect([...(byKey[1] ?? [])]).toEqual([`INTEGRATOR:${second.apiKey.id}`]);
    expect([...(byKey[0] ?? [])]).not.toEqual([...(byKey[1] ?? [])]);
  });
});

/**
 * Ingestion through the real API: chat state kept from reports, events and audiences derived,
 * decisions stored, idempotency (also concurrent), typed errors that store nothing, and query
 * counts that do not grow with the number of operators or events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  decisionsFor,
  eventOf,
  ingestionRowCounts,
  REPORT_HAPPENINGS,
  type ReportView,
  rawId,
  report,
  reportOutcome,
  seedOperatorsInBulk,
  seedOrganization,
} from '../helpers/seed.js';
import { refusalOf, startTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

async function chatSetup() {
  const seed = await seedOrganization(server);
  const alice = await seed.operator('Alice');
  const bob = await seed.operator('Bob');
  const widgetId = await seed.widget();
  return { seed, key: seed.org.apiKey, alice, bob, widgetId };
}

describe('deriving events from reports', () => {
  it('a chat start raises NEW_CHAT_SESSION for the receiver and ALL_NEW_CHAT_SESSIONS for every other operator', async () => {
    const { seed, key, alice, bob, widgetId } = await chatSetup();
    const result = await report(server, 'chatStarted', { chatId: 'c-1', widgetId, operatorId: alice, visitorName: 'Vera' }, key);
    expect(result.replayed).toBe(false);
    expect(result.events.map((e) => e.kind)).toEqual(['NEW_CHAT_SESSION', 'ALL_NEW_CHAT_SESSIONS']);
    const mine = eventOf(result, 'NEW_CHAT_SESSION');
    const others = eventOf(result, 'ALL_NEW_CHAT_SESSIONS');
    expect(mine?.subjectOperator?.id).toBe(alice);
    expect(mine?.widget?.id).toBe(widgetId);
    expect(mine?.chatExternalId).toBe('c-1');
    expect(mine?.payload).toMatchObject({ visitorName: 'Vera', chatExternalId: 'c-1' });
    // Stored: the channels the event offers (browser, audio) per operator in the audience; no email row.
    expect(decisionsFor(mine, alice)).toEqual({ BROWSER: 'DELIVERED', AUDIO: 'DELIVERED' });
    expect(decisionsFor(mine, bob)).toEqual({});
    expect(decisionsFor(others, alice)).toEqual({});
    expect(decisionsFor(others, bob)).toEqual({ BROWSER: 'DELIVERED', AUDIO: 'OPERATOR_OPTED_OUT' });
    expect(decisionsFor(others, seed.adminId)).toEqual({ BROWSER: 'DELIVERED', AUDIO: 'OPERATOR_OPTED_OUT' });
  });

  it('the first visitor message raises FIRST_MESSAGE_RECEIVED with MESSAGE_RECEIVED, once per chat, for the chat operator', async () => {
    const { key, alice, bob, widgetId } = await chatSetup();
    await report(server, 'chatStarted', { chatId: 'c-1', widgetId, operatorId: alice }, key);
    const first = await report(server, 'visitorMessage', { chatId: 'c-1', text: 'Hello' }, key);
    expect(first.events.map((e) => e.kind)).toEqual(['FIRST_MESSAGE_RECEIVED', 'MESSAGE_RECEIVED']);
    expect(decisionsFor(eventOf(first, 'MESSAGE_RECEIVED'), alice)).toEqual({ BROWSER: 'DELIVERED', AUDIO: 'DELIVERED' });
    expect(decisionsFor(eventOf(first, 'MESSAGE_RECEIVED'), bob)).toEqual({});
    const second = await report(server, 'visitorMessage', { chatId: 'c-1', text: 'Anyone?' }, key);
    expect(second.events.map((e) => e.kind)).toEqual(['MESSAGE_RECEIVED']);
    const sent = await report(server, 'operatorMessage', { chatId: 'c-1', text: 'Hi!' }, key);
    expect(sent.events.map((e) => [e.kind, e.subjectOperator?.id])).toEqual([['MESSAGE_SENT', alice]]);
  });

  it('a forwarded chat belongs to its new operator afterwards', async () => {
    const { key, alice, bob, widgetId } = await chatSetup();
    await report(server, 'chatStarted', { chatId: 'c-1', widgetId, operatorId: alice }, key);
    const forwarded = await report(server, 'chatForwarded', { chatId: 'c-1', toOperatorId: bob }, key);
    expect(forwarded.events[0]?.kind).toBe('ALL_FORWARDED_CHAT_SESSIONS');
    expect(forwarded.events[0]?.payload).toMatchObject({ fromOperatorId: rawId(alice), toOperatorId: rawId(bob) });
    const message = await report(server, 'visitorMessage', { chatId: 'c-1', text: 'Hello' }, key);
    expect(message.events.every((e) => e.subjectOperator?.id === bob)).toBe(true);
    expect(decisionsFor(eventOf(message, 'MESSAGE_RECEIVED'), bob)).toEqual({ BROWSER: 'DELIVERED', AUDIO: 'DELIVERED' });
  });

  it('derives every chat event, and after a chat finished accepts only ratings, feedback and surveys', async () => {
    const { key, alice, widgetId } = await chatSetup();
    await report(server, 'chatStarted', { chatId: 'c-1', widgetId, operatorId: alice }, key);
    const kinds = async (name: string, input: Record<string, unknown>) =>
      (await report(server, name, { chatId: 'c-1', ...input }, key)).events.map((e) => e.kind);
    expect(await kinds('goalReached', { goal: 'Booked a demo' })).toEqual(['ALL_CHAT_GOALS']);
    expect(await kinds('chatFinished', { summary: 'Done', transcript: [{ from: 'VISITOR', text: 'Hi' }] })).toEqual([
      'ALL_FINISHED_CHAT_SESSIONS',
    ]);
    expect(await kinds('chatRated', { rating: 5, comment: 'Great' })).toEqual(['ALL_CHAT_RATINGS']);
    expect(await kinds('feedbackGiven', { text: 'Quick answer' })).toEqual(['ALL_CHAT_FEEDBACK']);
    expect(await kinds('surveyAnswered', { answers: [{ question: 'Happy?', answer: 'Yes' }] })).toEqual(['ALL_CHAT_SURVEYS']);
    const refused = await reportOutcome(server, 'visitorMessage', { chatId: 'c-1', text: 'Hello?' }, key);
    expect(refused).toMatchObject({ __typename: 'AppError', code: 'CHAT_FINISHED', field: 'input.chatId' });
  });

  it('offline messages, presence changes and system messages raise their events', async () => {
    const { seed, key, alice, widgetId } = await chatSetup();
    const offline = await report(server, 'offlineMessage', { widgetId, visitorEmail: 'v@example.test', text: 'Call me' }, key);
    expect(offline.events.map((e) => [e.kind, e.widget?.id])).toEqual([['ALL_OFFLINE_MESSAGES', widgetId]]);
    expect(decisionsFor(offline.events[0], alice)).toEqual({ BROWSER: 'DELIVERED', AUDIO: 'OPERATOR_OPTED_OUT', EMAIL: 'DELIVERED' });
    const presence = async (value: string) =>
      (await report(server, 'presenceChanged', { operatorId: alice, presence: value }, key)).events.map((e) => e.kind);
    expect(await presence('ONLINE')).toEqual(['OPERATOR_ONLINE']);
    expect(await presence('ONLINE')).toEqual([]);
    expect(await presence('AWAY')).toEqual(['OPERATOR_AWAY']);
    expect(await presence('ONLINE')).toEqual(['OPERATOR_BACK']);
    const online = await report(server, 'presenceChanged', { operatorId: alice, presence: 'OFFLINE' }, key);
    expect(online.events[0]?.kind).toBe('OPERATOR_OFFLINE');
    expect(decisionsFor(online.events[0], alice)).toEqual({});
    expect(decisionsFor(online.events[0], seed.adminId)).toEqual({ BROWSER: 'DELIVERED', AUDIO: 'OPERATOR_OPTED_OUT' });
    const system = await report(server, 'systemMessage', { title: 'Trial', body: 'Ends soon' }, seed.org.adminToken);
    expect(system.events.map((e) => e.kind)).toEqual(['SYSTEM_MESSAGE']);
    expect(decisionsFor(system.events[0], alice)).toEqual({ BROWSER: 'DELIVERED', EMAIL: 'DELIVERED' });
  });

  it('a batch is decided in order: it may start a chat and then message it', async () => {
    const { key, alice, widgetId } = await chatSetup();
    const response = await call(
      server,
      REPORT_HAPPENINGS,
      {
        input: {
          happenings: [
            { chatStarted: { chatId: 'b-1', widgetId, operatorId: alice } },
            { visitorMessage: { chatId: 'b-1', text: 'Hi' } },
            { visitorMessage: { chatId: 'b-1', text: 'Hello?' } },
            { chatFinished: { chatId: 'b-1' } },
          ],
        },
      },
      key,
    );
    const results = response.data as ReportView[];
    expect(results.map((r) => r.events.map((e) => e.kind))).toEqual([
      ['NEW_CHAT_SESSION', 'ALL_NEW_CHAT_SESSIONS'],
      ['FIRST_MESSAGE_RECEIVED', 'MESSAGE_RECEIVED'],
      ['MESSAGE_RECEIVED'],
      ['ALL_FINISHED_CHAT_SESSIONS'],
    ]);
    const refused = await reportOutcome(server, 'visitorMessage', { chatId: 'b-1', text: 'Late' }, key);
    expect(refused.code).toBe('CHAT_FINISHED');
  });
});

describe('idempotency', () => {
  it('the same key again returns the first result and stores nothing twice; another payload under it is refused', async () => {
    const { seed, key, alice, widgetId } = await chatSetup();
    const input = { chatId: 'c-1', widgetId, operatorId: alice, idempotencyKey: 'start-c-1' };
    const first = await report(server, 'chatStarted', input, key);
    const before = await ingestionRowCounts(server, seed.org.organizationId);
    const again = await report(server, 'chatStarted', input, key);
    expect(again).toEqual({ ...first, replayed: true });
    expect(await ingestionRowCounts(server, seed.org.organizationId)).toEqual(before);
    const reused = await reportOutcome(server, 'chatStarted', { ...input, chatId: 'c-2' }, key);
    expect(reused).toMatchObject({ __typename: 'AppError', code: 'IDEMPOTENCY_KEY_REUSED', field: 'input.idempotencyKey' });
    expect(await ingestionRowCounts(server, seed.org.organizationId)).toEqual(before);
  });

  it('concurrent duplicates are stored once and all get the same result', async () => {
    const { seed, key, alice, widgetId } = await chatSetup();
    await report(server, 'chatStarted', { chatId: 'c-1', widgetId, operatorId: alice }, key);
    const input = { chatId: 'c-1', text: 'Hello', idempotencyKey: 'msg-1' };
    const results = await Promise.all(Array.from({ length: 6 }, () => report(server, 'visitorMessage', input, key)));
    expect(new Set(results.map((r) => r.happeningId)).size).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    const prisma = server.app.database.prisma;
    expect(await prisma.happening.count({ where: { organizationId: seed.org.organizationId, idempotencyKey: 'msg-1' } })).toBe(1);
    expect(await prisma.notificationEvent.count({ where: { organizationId: seed.org.organizationId, kind: 'MESSAGE_RECEIVED' } })).toBe(1);
  });

  it('concurrent first messages on one chat raise FIRST_MESSAGE_RECEIVED once', async () => {
    const { seed, key, alice, widgetId } = await chatSetup();
    await report(server, 'chatStarted', { chatId: 'c-1', widgetId, operatorId: alice }, key);
    await Promise.all(Array.from({ length: 6 }, (_, i) => report(server, 'visitorMessage', { chatId: 'c-1', text: `m${i}` }, key)));
    const prisma = server.app.database.prisma;
    const count = (kind: 'FIRST_MESSAGE_RECEIVED' | 'MESSAGE_RECEIVED') =>
      prisma.notificationEvent.count({ where: { organizationId: seed.org.organizationId, kind } });
    expect(await count('FIRST_MESSAGE_RECEIVED')).toBe(1);
    expect(await count('MESSAGE_RECEIVED')).toBe(6);
  });

  it('a chat id started twice concurrently is stored once; the loser gets CHAT_ALREADY_STARTED', async () => {
    const { key, alice, widgetId } = await chatSetup();
    const outcomes = await Promise.all(
      Array.from({ length: 4 }, () => reportOutcome(server, 'chatStarted', { chatId: 'race', widgetId, operatorId: alice }, key)),
    );
    expect(outcomes.filter((o) => o.__typename.endsWith('Success'))).toHaveLength(1);
    expect(outcomes.filter((o) => o.code === 'CHAT_ALREADY_STARTED')).toHaveLength(3);
  });
});

describe('bad input: a typed error and nothing stored', () => {
  it('refuses each kind of bad report with its code and field, storing nothing', async () => {
    const { seed, key, alice, widgetId } = await chatSetup();
    await report(server, 'chatStarted', { chatId: 'c-1', widgetId, operatorId: alice }, key);
    await report(server, 'chatStarted', { chatId: 'done', widgetId, operatorId: alice }, key);
    await report(server, 'chatFinished', { chatId: 'done' }, key);
    const deletedWidget = await seed.widget({ name: 'Old' });
    await server.app.database.prisma.widget.update({ where: { id: rawId(deletedWidget) }, data: { deletedAt: new Date() } });
    const unknownOperator = Buffer.from(`Operator:${crypto.randomUUID()}`).toString('base64');
    const cases: [string, Record<string, unknown>, string, string][] = [
      ['visitorMessage', { chatId: 'c-1', text: '  ' }, 'INVALID_INPUT', 'input.text'],
      ['visitorMessage', { chatId: '', text: 'x' }, 'INVALID_INPUT', 'input.chatId'],
      ['operatorMessage', { chatId: 'c-1', text: 'x'.repeat(20_001) }, 'TOO_LONG', 'input.text'],
      ['chatRated', { chatId: 'c-1', rating: 0 }, 'INVALID_INPUT', 'input.rating'],
      ['chatRated', { chatId: 'c-1', rating: 6 }, 'INVALID_INPUT', 'input.rating'],
      ['surveyAnswered', { chatId: 'c-1', answers: [] }, 'INVALID_INPUT', 'input.answers'],
      ['visitorMessage', { chatId: 'nope', text: 'x' }, 'NOT_FOUND', 'input.chatId'],
      ['chatStarted', { chatId: 'c-2', widgetId, operatorId: unknownOperator }, 'NOT_FOUND', 'input.operatorId'],
      ['chatStarted', { chatId: 'c-2', widgetId: deletedWidget, operatorId: alice }, 'NOT_FOUND', 'input.widgetId'],
      ['chatForwarded', { chatId: 'c-1', toOperatorId: unknownOperator }, 'NOT_FOUND', 'input.toOperatorId'],
      ['presenceChanged', { operatorId: unknownOperator, presence: 'ONLINE' }, 'NOT_FOUND', 'input.operatorId'],
      ['chatStarted', { chatId: 'c-1', widgetId, operatorId: alice }, 'CHAT_ALREADY_STARTED', 'input.chatId'],
      ['goalReached', { chatId: 'done', goal: 'x' }, 'CHAT_FINISHED', 'input.chatId'],
    ];
    const before = await ingestionRowCounts(server, seed.org.organizationId);
    for (const [name, input, code, field] of cases) {
      const outcome = await reportOutcome(server, name, input, key);
      expect(outcome, `${name} ${JSON.stringify(input).slice(0, 80)}`).toMatchObject({ __typename: 'AppError', code, field });
    }
    expect(await ingestionRowCounts(server, seed.org.organizationId)).toEqual(before);
  });

  it('refuses a whole batch when one happening is bad, an empty batch and a batch over the limit', async () => {
    const { seed, key, alice, widgetId } = await chatSetup();
    const before = await ingestionRowCounts(server, seed.org.organizationId);
    const batch = async (happenings: unknown[]) => call(server, REPORT_HAPPENINGS, { input: { happenings } }, key);
    const bad = await batch([
      { chatStarted: { chatId: 'b-1', widgetId, operatorId: alice } },
      { visitorMessage: { chatId: 'b-1', text: 'Hi' } },
      { chatRated: { chatId: 'b-1', rating: 9 } },
    ]);
    expect(bad).toMatchObject({ code: 'INVALID_INPUT', field: 'input.happenings.2.chatRated.rating' });
    const stateful = await batch([
      { chatStarted: { chatId: 'b-1', widgetId, operatorId: alice } },
      { chatFinished: { chatId: 'b-1' } },
      { visitorMessage: { chatId: 'b-1', text: 'Hi' } },
    ]);
    expect(stateful).toMatchObject({ code: 'CHAT_FINISHED', field: 'input.happenings.2.visitorMessage.chatId' });
    expect(await batch([])).toMatchObject({ code: 'INVALID_INPUT', field: 'input.happenings' });
    const tooMany = Array.from({ length: server.app.services.maxBatchSize + 1 }, () => ({ systemMessage: { title: 't', body: 'b' } }));
    expect(await batch(tooMany)).toMatchObject({ code: 'INVALID_INPUT', field: 'input.happenings' });
    expect(await ingestionRowCounts(server, seed.org.organizationId)).toEqual(before);
  });

  it('only integrators report, except system messages which admins may send too', async () => {
    const { seed, key, alice, widgetId } = await chatSetup();
    const aliceToken = await seed.token(alice);
    const asAdmin = await server.gql(
      `mutation ($input: ReportChatStartedInput!) { reportChatStarted(input: $input) { __typename ... on AppError { code } } }`,
      {
        input: { chatId: 'x', widgetId, operatorId: alice },
      },
      seed.org.adminToken,
    );
    expect(refusalOf(asAdmin)).toMatchObject({ __typename: 'AppError', code: 'FORBIDDEN' });
    const asOperator = await server.gql(
      `mutation { reportSystemMessage(input: { title: "t", body: "b" }) { __typename ... on AppError { code } } }`,
      {},
      aliceToken,
    );
    expect(refusalOf(asOperator)).toMatchObject({ __typename: 'AppError', code: 'FORBIDDEN' });
    const anonymous = await server.gql(`mutation { reportSystemMessage(input: { title: "t", body: "b" }) { __typename } }`, {});
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await report(server, 'systemMessage', { title: 't', body: 'b' }, key)).events).toHaveLength(1);
  });
});

describe('query counts', () => {
  it('ingesting one happening issues the same number of SQL statements for 5 and for 50 operators', async () => {
    const statementsFor = async (operators: number) => {
      const seed = await seedOrganization(server, `org of ${operators}`);
      const ids = await seedOperatorsInBulk(server, seed.org.organizationId, operators - 1);
      const widgetId = await seed.widget();
      await report(server, 'chatStarted', { chatId: 'warm-up', widgetId, operatorId: ids[0] }, seed.org.apiKey);
      server.queries.length = 0;
      const result = await report(server, 'chatStarted', { chatId: 'c-1', widgetId, operatorId: ids[0] }, seed.org.apiKey);
      expect(result.events[1]?.decisions.length).toBe(2 * (operators - 1));
      return server.queries.length;
    };
    expect(await statementsFor(50)).toBe(await statementsFor(5));
  });

  it('listing events with their decisions issues a number of statements that does not grow with the number of events', async () => {
    const { seed, key, alice, widgetId } = await chatSetup();
    const token = seed.org.adminToken;
    const list = `query ($first: Int) { events(first: $first) { edges { node { id kind subjectOperator { name } widget { name }
      decisions { operator { name } channel reason delivered trace { check passed } } } } } }`;
    const statementsFor = async (events: number) => {
      server.queries.length = 0;
      const response = await server.gql<{ events: { edges: unknown[] } }>(list, { first: events }, token);
      expect(response.errors).toBeUndefined();
      expect(response.data?.events.edges).toHaveLength(events);
      return server.queries.length;
    };
    for (let i = 0; i < 5; i++) await report(server, 'chatStarted', { chatId: `c-${i}`, widgetId, operatorId: alice }, key);
    expect(await statementsFor(10)).toBe(await statementsFor(2));
  });
});

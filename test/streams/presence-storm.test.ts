/**
 * A shift start and end (issue 14): many operators of one organization open their streams at once,
 * then all close. No deadlock (pg_stat_database.deadlocks unchanged on PostgreSQL), every operator
 * ends ONLINE then OFFLINE with each presence event raised exactly once and in order, and a visitor
 * message reported in the middle of the storm is answered and delivered.
 * Runs on PostgreSQL in CI's second pass (TEST_DATABASE_URL); on PGlite (one connection, where no
 * deadlock can happen) the same storm checks presence and delivery.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueOperatorToken } from '../../src/services/organizations.js';
import { globalId, rawId, seedOperatorsInBulk, seedOrganization } from '../helpers/seed.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { type Connection, connect, eventually, pause, subscribe } from './stream-client.js';

const OPERATORS = 60;
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ config: { presenceGraceMs: 300, presenceBatchMs: 50 } });
});
afterAll(() => server.stop());

const PRESENCE = /* GraphQL */ `query { operatorPresence { operator { id } presence openStreams } }`;
type Presence = { operatorPresence: { operator: { id: string }; presence: string; openStreams: number }[] };
const REPORT = /* GraphQL */ `mutation ($input: ReportHappeningsInput!) { reportHappenings(input: $input) { __typename ... on AppError { code message } } }`;

async function deadlocks(): Promise<number | null> {
  const { database } = server.app;
  if (database.kind !== 'postgresql') return null;
  // A backend reports its statistics when it goes idle, at most once a second.
  await pause(1100);
  const rows = await database.prisma.$queryRaw<
    { n: bigint }[]
  >`SELECT deadlocks AS n FROM pg_stat_database WHERE datname = current_database()`;
  return Number(rows[0]?.n ?? 0);
}

/** Resolves once the server acknowledged the connection (connection_ack). */
const acknowledged = (connection: Connection) => new Promise<void>((resolve) => connection.client.on('connected', () => resolve()));

describe('shift start and end', () => {
  it(`${OPERATORS} streams opened at once, then closed: no deadlock, no lost or repeated presence, alerts answered`, async () => {
    const seeder = await seedOrganization(server, 'Shift org');
    const { organizationId, apiKey } = seeder.org;
    const others = await seedOperatorsInBulk(server, organizationId, OPERATORS - 1);
    const ids = [seeder.org.adminId, ...others.map(rawId)];
    const tokenOf = (id: string) => issueOperatorToken('test-secret', 3600, { id, organizationId }).token;
    const widgetId = await seeder.widget();
    const chatOperator = ids[1] as string;
    const started = await server.gql<{ reportHappenings: { __typename: string } }>(
      REPORT,
      { input: { happenings: [{ chatStarted: { chatId: 'storm-chat', widgetId, operatorId: globalId('Operator', chatOperator) } }] } },
      apiKey,
    );
    expect(started.data?.reportHappenings.__typename).toMatch(/Success$/);
    const deadlocksBefore = await deadlocks();

    const { prisma } = server.app.database;
    const inboxOf = (operatorId: string) =>
      prisma.inboxItem.findMany({ where: { operatorId }, orderBy: { seq: 'asc' }, select: { id: true, kind: true } });
    const inboxBefore = new Set((await inboxOf(chatOperator)).map((row) => row.id));

    // The chat's operator is connected first, so the visitor message must reach their stream.
    const first = connect(server, tokenOf(chatOperator));
    const chatStream = subscribe(first.client);
    await eventually(
      async () => server.app.services.live?.registry.streamsOf(chatOperator).length,
      (n) => n === 1,
    );
    const rest = ids.filter((id) => id !== chatOperator).map((id) => connect(server, tokenOf(id)));
    const streams = rest.map((c) => subscribe(c.client));
    const acks = Promise.all(rest.map(acknowledged));
    // In the middle of the storm, a visitor writes.
    const message = await server.gql<{ reportHappenings: { __typename: string } }>(
      REPORT,
      { input: { happenings: [{ visitorMessage: { chatId: 'storm-chat', text: 'Is anyone there?' } }] } },
      apiKey,
    );
    expect(message.data?.reportHappenings.__typename, JSON.stringify(message)).toMatch(/Success$/);
    await acks;
    const delivered = await eventually(
      async () => chatStream.items.find((i) => i.event === 'FIRST_MESSAGE_RECEIVED'),
      (item) => item !== undefined,
    );
    expect(delivered?.body).toContain('Is anyone there?');

    const presence = async () => (await server.gql<Presence>(PRESENCE, {}, seeder.org.adminToken)).data?.operatorPresence ?? [];
    await eventually(presence, (all) => all.length === OPERATORS && all.every((p) => p.presence === 'ONLINE' && p.openStreams === 1));

    // The chat operator's stream hears every colleague come online once, the visitor's message
    // included: presence items go out in slices and an alert may overtake them (inbox-sink.ts); the
    // stream reads what it skipped from the inbox and drops what it already has.
    await eventually(
      async () => chatStream.items.filter((i) => i.event === 'OPERATOR_ONLINE').length,
      (n) => n >= OPERATORS - 1,
      20_000,
    );
    const streamed = chatStream.items.map((i) => (i.inboxItemId === null ? null : rawId(i.inboxItemId)));
    expect(new Set(streamed).size, 'no item twice').toBe(streamed.length);
    const inboxNow = (await inboxOf(chatOperator)).filter((row) => !inboxBefore.has(row.id));
    expect(streamed, 'every new inbox item, in seq order').toEqual(inboxNow.map((row) => row.id));
    expect(inboxNow.filter((row) => row.kind === 'OPERATOR_ONLINE')).toHaveLength(OPERATORS - 1);

    for (const s of streams) s.dispose();
    await Promise.all([first, ...rest].map((c) => c.client.dispose()));
    await eventually(presence, (all) => all.every((p) => p.presence === 'OFFLINE' && p.openStreams === 0));

    // Presence is stored first; the announcements (events for every other operator) follow: wait
    // until every stored presence is announced, then nothing more may come.
    await eventually(
      () => prisma.operator.count({ where: { organizationId, presenceAnnounced: { not: 'OFFLINE' } } }),
      (n) => n === 0,
      20_000,
    );
    // Every operator: ONLINE then OFFLINE, each once (ordered ids follow the order of writing).
    const events = await prisma.notificationEvent.findMany({
      where: { organizationId, kind: { in: ['OPERATOR_ONLINE', 'OPERATOR_AWAY', 'OPERATOR_BACK', 'OPERATOR_OFFLINE'] } },
      orderBy: { id: 'asc' },
      select: { kind: true, subjectOperatorId: true },
    });
    const byOperator = new Map<string, string[]>();
    for (const e of events) byOperator.set(e.subjectOperatorId ?? '', [...(byOperator.get(e.subjectOperatorId ?? '') ?? []), e.kind]);
    expect(byOperator.size).toBe(OPERATORS);
    for (const id of ids) expect(byOperator.get(id), id).toEqual(['OPERATOR_ONLINE', 'OPERATOR_OFFLINE']);

    const deadlocksAfter = await deadlocks();
    expect(deadlocksAfter).toBe(deadlocksBefore);
  }, 60_000);
});

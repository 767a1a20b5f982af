/**
 * npm run bench — ingestion and decision figures (issue 2, part 9). Prints, never asserts.
 * BENCH_SECONDS (default 5) per measurement, BENCH_SIZES (default 10,100,1000) organization sizes.
 *
 * For organizations of 10, 100 and 1,000 operators, on PGlite and (when reachable) on a fresh
 * PostgreSQL database:
 *  - the pure engine: microseconds to decide one event for every operator of the organization;
 *  - SQL round trips to ingest one happening (must not grow with the number of operators);
 *  - happenings/s and decisions/s through the batch mutation (batches of 98 happenings — 14 whole
 *    chat lives — over HTTP; 28 at 1,000 operators on PGlite, whose inserts are slow enough there
 *    that a 98-happening batch takes many seconds);
 *  - happenings/s through single mutations at 32 concurrent clients (over HTTP).
 * Operators have no email address here, so the delivery queue does not send anything.
 */
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { createApp } from '../src/app.js';
import { readConfig } from '../src/config.js';
import { openDatabase } from '../src/db/database.js';
import { decideNotifications, type SettingsSnapshot } from '../src/domain/decide-notifications.js';
import { productDefaultPreferencesFor } from '../src/domain/product-defaults.js';
import { reportHappenings } from '../src/services/ingestion/report-happenings.js';
import { seedOrganization } from './seed-organization.js';

const SIZES = (process.env.BENCH_SIZES ?? '10,100,1000').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function benchEngine(): void {
  console.log('\n== pure engine (decideNotifications) ==');
  for (const size of SIZES) {
    const snapshot: SettingsSnapshot = {
      operators: Array.from({ length: size }, (_, i) => ({
        id: `op-${i}`,
        roleNotificationsEnabled: i % 10 !== 0,
        groupIds: i % 2 === 0 ? ['g1'] : [],
        preferences: productDefaultPreferencesFor('ALL_OFFLINE_MESSAGES'),
      })),
      widget: { id: 'w1', groupId: 'g1', email: true, browser: true, addons: true, emailSameGroupOnly: true },
      addons: [{ id: 'a1', kind: 'SLACK', enabled: true, events: ['ALL_OFFLINE_MESSAGES'] }],
    };
    const event = { kind: 'ALL_OFFLINE_MESSAGES' as const, widgetId: 'w1', subjectOperatorId: null };
    for (let i = 0; i < 200; i++) decideNotifications(event, snapshot);
    const iterations = Math.max(200, Math.floor(200_000 / size));
    const started = performance.now();
    let decisions = 0;
    for (let i = 0; i < iterations; i++) decisions += decideNotifications(event, snapshot).length;
    const perEventUs = ((performance.now() - started) * 1000) / iterations;
    console.log(
      `${String(size).padStart(5)} operators: ${fmt(perEventUs, 1)} µs per event (${decisions / iterations} decisions)  target < 1,000 µs at 1,000`,
    );
  }
}

type GqlClient = (query: string, variables: Record<string, unknown>, credential: string) => Promise<{ data?: unknown; errors?: unknown[] }>;

function clientFor(url: string): GqlClient {
  return async (query, variables, credential) => {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as { data?: unknown; errors?: unknown[] };
  };
}

const BATCH = /* GraphQL */ `
  mutation ($input: ReportHappeningsInput!) {
    reportHappenings(input: $input) {
      __typename
      ... on AppError { code message field }
    }
  }
`;
const SINGLE = /* GraphQL */ `
  mutation ($input: ReportVisitorMessageInput!) {
    reportVisitorMessage(input: $input) {
      __typename
      ... on AppError { code message field }
    }
  }
`;

/** A chat's life: started, 3 visitor and 2 operator messages, rated, finished (7 happenings). */
function chatLife(chatId: string, widgetId: string, operatorId: string): Record<string, unknown>[] {
  return [
    { chatStarted: { chatId, widgetId, operatorId } },
    { visitorMessage: { chatId, text: 'Hello' } },
    { operatorMessage: { chatId, text: 'Hi, how can I help?' } },
    { visitorMessage: { chatId, text: 'My order is late' } },
    { operatorMessage: { chatId, text: 'Let me check' } },
    { visitorMessage: { chatId, text: 'Thanks' } },
    { chatFinished: { chatId, summary: 'Order status' } },
  ];
}

async function benchBackend(label: string, databaseUrl: string | undefined): Promise<void> {
  console.log(`\n== ${label} ==`);
  const queries: string[] = [];
  const database = await openDatabase({ databaseUrl, dataDir: 'memory://', onQuery: (sql) => queries.push(sql) });
  // No daily-summary scheduler: it would write summary emails of the bench organizations.
  const config = { ...readConfig(), port: 0, tokenSecret: 'bench', databaseUrl, analyticsTickMs: 0 };
  const app = await createApp({ config, database });
  const url = await app.start(0);
  const gql = clientFor(url);
  const toGlobal = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64');
  try {
    for (const size of SIZES) {
      const org = await seedOrganization(database.prisma, 'bench', size);
      const widgetId = toGlobal('Widget', org.widgetId);
      const operator = (i: number) => toGlobal('Operator', org.operatorIds[i % org.operatorIds.length]!);
      // Round trips for one happening (service level, the same code path the mutations call).
      await reportHappenings(app.services, org.organizationId, { kind: 'INTEGRATOR', id: 'bench' }, [
        { kind: 'CHAT_STARTED', chatId: 'rt-warm', widgetId: org.widgetId, operatorId: org.operatorIds[0]! },
      ]);
      // The fewest of three: the delivery worker's polls share the query log.
      let roundTrips = Number.POSITIVE_INFINITY;
      let result: Awaited<ReturnType<typeof reportHappenings>>[number] | undefined;
      for (let i = 1; i <= 3; i++) {
        queries.length = 0;
        [result] = await reportHappenings(app.services, org.organizationId, { kind: 'INTEGRATOR', id: 'bench' }, [
          { kind: 'CHAT_STARTED', chatId: `rt-${i}`, widgetId: org.widgetId, operatorId: org.operatorIds[0]! },
        ]);
        roundTrips = Math.min(roundTrips, queries.length);
      }
      const decisionsPerStart = result?.events.reduce((sum, e) => sum + e.decisions.length, 0) ?? 0;

      // Batch mutation: batches of whole chat lives for SECONDS.
      const batchSize = size >= 1000 && database.kind === 'pglite' ? 28 : 98;
      let happenings = 0;
      let chats = 0;
      const decisionsBefore = await database.prisma.decision.count();
      let started = performance.now();
      while (performance.now() - started < SECONDS * 1000) {
        const batch: Record<string, unknown>[] = [];
        while (batch.length < batchSize) {
          chats += 1;
          batch.push(...chatLife(`${label}-${size}-b${chats}`, widgetId, operator(chats)));
        }
        const response = await gql(BATCH, { input: { happenings: batch } }, org.apiKey);
        if (response.errors || JSON.stringify(response.data).includes('AppError'))
          throw new Error(`batch failed: ${JSON.stringify(response).slice(0, 400)}`);
        happenings += batch.length;
      }
      let elapsed = (performance.now() - started) / 1000;
      const decisions = (await database.prisma.decision.count()) - decisionsBefore;
      const batchRate = happenings / elapsed;
      const decisionRate = decisions / elapsed;

      // Single mutations, 32 concurrent clients, each on its own chat.
      const clients = 32;
      for (let c = 0; c < clients; c++) {
        await reportHappenings(app.services, org.organizationId, { kind: 'INTEGRATOR', id: 'bench' }, [
          {
            kind: 'CHAT_STARTED',
            chatId: `${label}-${size}-s${c}`,
            widgetId: org.widgetId,
            operatorId: org.operatorIds[c % org.operatorIds.length]!,
          },
        ]);
      }
      let singles = 0;
      started = performance.now();
      await Promise.all(
        Array.from({ length: clients }, async (_, c) => {
          while (performance.now() - started < SECONDS * 1000) {
            const response = await gql(SINGLE, { input: { chatId: `${label}-${size}-s${c}`, text: 'ping' } }, org.apiKey);
            if (response.errors) throw new Error(`single failed: ${JSON.stringify(response.errors).slice(0, 400)}`);
            singles += 1;
          }
        }),
      );
      elapsed = (performance.now() - started) / 1000;
      console.log(
        `${String(size).padStart(5)} operators: ${roundTrips} SQL statements per happening (chat start → ${decisionsPerStart} decisions) | ` +
          `batch(${batchSize}) ${fmt(batchRate)} happenings/s, ${fmt(decisionRate)} decisions/s | single ×32 ${fmt(singles / elapsed)} happenings/s | ` +
          `rss ${fmt(process.memoryUsage().rss / 2 ** 20)} MiB`,
      );
    }
  } finally {
    await app.stop();
    await database.close();
  }
}

benchEngine();
await benchBackend('PGlite (in memory)', undefined);
let pgUrl: string | undefined;
try {
  pgUrl = process.env.DATABASE_URL ?? execFileSync('npx', ['tsx', 'scripts/fresh-postgres.ts', 'create'], { encoding: 'utf8' }).trim();
} catch {
  console.log('\nPostgreSQL not reachable: skipped (set DATABASE_URL or start the server)');
}
if (pgUrl) {
  try {
    await benchBackend('PostgreSQL', pgUrl);
  } finally {
    if (!process.env.DATABASE_URL) execFileSync('npx', ['tsx', 'scripts/fresh-postgres.ts', 'drop', pgUrl.split('/').pop()!]);
  }
}

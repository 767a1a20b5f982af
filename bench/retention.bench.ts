/**
 * npm run bench:retention — what is stored, and what expiry costs (issue 15). Prints, never asserts.
 *
 * On a fresh PostgreSQL database (POSTGRES_ADMIN_URL's server), the service in this process:
 *  1. Storage: an organization of BENCH_RETENTION_OPERATORS (100) operators; BENCH_RETENTION_MESSAGES
 *     (2,000) visitor messages over 50 chats, then BENCH_RETENTION_PRESENCE (20) presence changes,
 *     reported over HTTP. Bytes per visitor message and per presence change, per table
 *     (pg_total_relation_size, partitions included), against the 1.5 KB per message, and the
 *     steady-state size a day of that traffic reaches with the default windows.
 *  2. Expiry: BENCH_RETENTION_ROWS (1,000,000) decisions written into one day partition 40 days
 *     old; 4 integrators report visitor messages one after the other for BENCH_RETENTION_QUIET_MS
 *     (quiet), then while one expiry pass drops that day. Report p50/p99/max quiet and during the
 *     pass (reports started while it ran, and the whole phase), and the ratio to the quiet p99.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { createApp } from '../src/app.js';
import { readConfig } from '../src/config.js';
import { openDatabase } from '../src/db/database.js';
import { createApiKey, createOrganization } from '../src/services/organizations.js';
import { materializePreferences } from '../src/services/preference-defaults.js';

const ADMIN_URL = process.env.POSTGRES_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const OPERATORS = Number(process.env.BENCH_RETENTION_OPERATORS ?? 100);
const MESSAGES = Number(process.env.BENCH_RETENTION_MESSAGES ?? 2000);
const PRESENCE = Number(process.env.BENCH_RETENTION_PRESENCE ?? 20);
const ROWS = Number(process.env.BENCH_RETENTION_ROWS ?? 1_000_000);
const QUIET_MS = Number(process.env.BENCH_RETENTION_QUIET_MS ?? 8000);
const CHATS = 50;
const DAY = 86_400_000;

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const gid = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64');
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

const TABLES = ['Chat', 'Happening', 'NotificationEvent', 'Decision', 'InboxItem', 'Delivery'] as const;
const EXPIRY_ROWS_ONLY = process.env.BENCH_RETENTION_STORAGE_ONLY === '1';

async function tableBytes(client: pg.Client): Promise<Record<string, number>> {
  const sizes: Record<string, number> = {};
  for (const table of TABLES) {
    const { rows } = await client.query<{ bytes: string }>(
      `SELECT coalesce((SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree($1::regclass) WHERE isleaf), pg_total_relation_size($1::regclass)) AS "bytes"`,
      [`"${table}"`],
    );
    sizes[table] = Number(rows[0]?.bytes ?? 0);
  }
  return sizes;
}

/**
 * Bytes of every relation of TABLES: each table's heap (with its TOAST) and each of its indexes,
 * partitions summed (a partitioned index is the sum of its leaves).
 */
async function relationBytes(client: pg.Client): Promise<Map<string, number>> {
  const { rows } = await client.query<{ name: string; bytes: string }>(
    `WITH parents AS (SELECT c.oid, c.relname FROM pg_class c WHERE c.relname = ANY($1) AND c.relkind IN ('r', 'p')),
          leaves AS (SELECT p.relname AS "owner", p.relname AS "name", t.relid FROM parents p, pg_partition_tree(p.oid) t WHERE t.isleaf
                     UNION ALL SELECT p.relname, p.relname, p.oid FROM parents p JOIN pg_class c ON c.oid = p.oid WHERE c.relkind = 'r'
                     UNION ALL SELECT p.relname, i.relname, t.relid FROM parents p JOIN pg_index x ON x.indrelid = p.oid
                                JOIN pg_class i ON i.oid = x.indexrelid, pg_partition_tree(i.oid) t WHERE t.isleaf
                     UNION ALL SELECT p.relname, i.relname, i.oid FROM parents p JOIN pg_index x ON x.indrelid = p.oid
                                JOIN pg_class i ON i.oid = x.indexrelid WHERE i.relkind = 'i')
     SELECT CASE WHEN "owner" = "name" THEN "owner" || ' (table)' ELSE "owner" || ' ' || "name" END AS "name",
            sum(CASE WHEN "owner" = "name" THEN pg_table_size(relid) ELSE pg_relation_size(relid) END) AS "bytes"
       FROM leaves GROUP BY 1`,
    [[...TABLES]],
  );
  return new Map(rows.map((r) => [r.name, Number(r.bytes)]));
}

const database = `bench_retention_${Date.now()}`;
const admin = new pg.Client({ connectionString: ADMIN_URL });
await admin.connect();
await admin.query(`CREATE DATABASE "${database}"`);
const url = ADMIN_URL.replace(/\/[^/]*$/, `/${database}`);
const db = await openDatabase({ databaseUrl: url });
const config = {
  ...readConfig(),
  databaseUrl: url,
  port: 0,
  retentionTickMs: 0,
  analyticsTickMs: 0,
  tokenSecret: 'bench-secret',
  redisUrl: undefined,
};
const app = await createApp({ config, database: db });
const base = await app.start(0);
const sql = new pg.Client({ connectionString: url });
await sql.connect();

const prisma = db.prisma;
const { organization } = await createOrganization(prisma, { name: 'bench retention', adminName: 'Admin', adminEmail: 'admin@bench.test' });
// Missed-chat escalations (E4) fire 30 s after a chat starts, in the middle of the messages: off,
// so the figures are what visitor messages and presence changes store, nothing else.
await prisma.organization.update({ where: { id: organization.id }, data: { escalateAfterSeconds: 0 } });
const role = await prisma.role.findFirstOrThrow({ where: { organizationId: organization.id, isAdmin: false } });
const operatorIds = Array.from({ length: OPERATORS - 1 }, () => randomUUID());
await prisma.operator.createMany({
  data: operatorIds.map((id, i) => ({ id, organizationId: organization.id, roleId: role.id, name: `Operator ${i}`, email: null })),
});
await materializePreferences(prisma, organization.id, operatorIds);
const widget = await prisma.widget.create({ data: { organizationId: organization.id, name: 'Website' } });
const { key } = await createApiKey(prisma, organization.id, 'bench');

async function gql(query: string, variables: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { errors?: unknown; data?: Record<string, { __typename: string; message?: string }> };
  const result = Object.values(body.data ?? {})[0];
  if (body.errors || !result?.__typename.endsWith('Success')) throw new Error(JSON.stringify(body));
}
const START = `mutation ($input: ReportChatStartedInput!) { reportChatStarted(input: $input) { __typename ... on AppError { message } } }`;
const MESSAGE = `mutation ($input: ReportVisitorMessageInput!) { reportVisitorMessage(input: $input) { __typename ... on AppError { message } } }`;
const PRESENCE_CHANGE = `mutation ($input: ReportPresenceChangedInput!) { reportPresenceChanged(input: $input) { __typename ... on AppError { message } } }`;

// 1. Storage.
for (let c = 0; c < CHATS; c++) {
  const operatorId = operatorIds[c % operatorIds.length] as string;
  await gql(START, {
    input: {
      chatId: `chat-${c}`,
      widgetId: gid('Widget', widget.id),
      operatorId: gid('Operator', operatorId),
      visitorName: `Visitor ${c}`,
      visitorEmail: `v${c}@example.test`,
    },
  });
}
/** Bytes of the index retention added to InboxItem ((organizationId, createdAt), every partition). */
const retentionIndexBytes = async () =>
  Number(
    (
      await sql.query<{ bytes: string }>(
        `SELECT coalesce(sum(pg_relation_size(relid)), 0) AS "bytes" FROM pg_partition_tree('"InboxItem_organizationId_createdAt_idx"'::regclass) WHERE isleaf`,
      )
    ).rows[0]?.bytes ?? 0,
  );
const rowsNow = async () => Number((await sql.query<{ n: string }>('SELECT count(*) AS "n" FROM "Decision"')).rows[0]?.n ?? 0);
const indexBefore = await retentionIndexBytes();
const decisionsBefore = await rowsNow();
const beforeMessages = await tableBytes(sql);
const relationsBefore = await relationBytes(sql);
for (let i = 0; i < MESSAGES; i++)
  await gql(MESSAGE, { input: { chatId: `chat-${i % CHATS}`, text: `Hello, I have a question about my order number ${i}.` } });
const afterMessages = await tableBytes(sql);
const relationsAfter = await relationBytes(sql);
const indexAdded = ((await retentionIndexBytes()) - indexBefore) / MESSAGES;
const decisionsPerMessage = ((await rowsNow()) - decisionsBefore) / MESSAGES;
for (let i = 0; i < PRESENCE; i++) {
  await gql(PRESENCE_CHANGE, {
    input: { operatorId: gid('Operator', operatorIds[i % operatorIds.length] as string), presence: i % 2 === 0 ? 'ONLINE' : 'OFFLINE' },
  });
}
const afterPresence = await tableBytes(sql);

console.log(
  `\nStorage on PostgreSQL, ${OPERATORS} operators, ${fmt(MESSAGES)} visitor messages over ${CHATS} chats, ${PRESENCE} presence changes`,
);
console.log('table              | bytes per visitor message | bytes per presence change');
let perMessage = 0;
let perPresence = 0;
for (const table of TABLES) {
  const m = ((afterMessages[table] ?? 0) - (beforeMessages[table] ?? 0)) / MESSAGES;
  const p = ((afterPresence[table] ?? 0) - (afterMessages[table] ?? 0)) / PRESENCE;
  perMessage += m;
  perPresence += p;
  console.log(`${table.padEnd(18)} | ${fmt(m).padStart(25)} | ${fmt(p).padStart(25)}`);
}
console.log(`${'total'.padEnd(18)} | ${fmt(perMessage).padStart(25)} | ${fmt(perPresence).padStart(25)}`);
console.log('\nper visitor message, by relation (heap with TOAST, and each index)');
for (const [name, bytes] of [...relationsAfter].sort(([a], [b]) => a.localeCompare(b))) {
  const added = (bytes - (relationsBefore.get(name) ?? 0)) / MESSAGES;
  if (added !== 0) console.log(`  ${name.padEnd(60)} ${fmt(added).padStart(6)} B`);
}
console.log(`per visitor message: ${fmt(perMessage)} B against the issue's ~1,500 B before retention (ratio ${fmt(perMessage / 1500, 2)})`);
// What retention itself adds: the InboxItem index above (measured), and Decision.createdAt: 8 B in
// the row and 8 B in the primary key entry per decision (computed).
const added = indexAdded + decisionsPerMessage * 16;
console.log(
  `of which retention adds about ${fmt(added)} B (InboxItem (organizationId, createdAt) index ${fmt(indexAdded)} B, Decision.createdAt ${fmt(decisionsPerMessage, 2)} decisions x 16 B): without it ${fmt(perMessage - added)} B`,
);
console.log(
  `kept: visitor messages ${30} days (events, decisions, inbox, happenings), presence inbox items 12 h: a day of this traffic (${fmt(MESSAGES)} messages, ${PRESENCE} presence changes) levels off at about ${fmt(((perMessage * MESSAGES + perPresence * PRESENCE) * 30) / 1e6, 1)} MB instead of growing by ${fmt((perMessage * MESSAGES + perPresence * PRESENCE) / 1e6, 1)} MB a day for ever`,
);

// 2. Expiry of a day of ROWS decisions, under report load.
if (EXPIRY_ROWS_ONLY) {
  await sql.end();
  await app.stop();
  await db.close();
  await admin.query(`DROP DATABASE "${database}" WITH (FORCE)`);
  await admin.end();
  process.exit(0);
}
const oldDay = new Date(Math.floor((Date.now() - 40 * DAY) / DAY) * DAY);
const dayTable = `Decision_p${oldDay.toISOString().slice(0, 10).replace(/-/g, '')}`;
await sql.query(
  `CREATE TABLE "${dayTable}" PARTITION OF "Decision" FOR VALUES FROM ('${oldDay.toISOString()}') TO ('${new Date(oldDay.getTime() + DAY).toISOString()}')`,
);
const eventId = randomUUID();
await sql.query(
  `INSERT INTO "NotificationEvent" ("id", "organizationId", "kind", "payload", "createdAt") VALUES ($1, $2, 'SYSTEM_MESSAGE', '{}', $3)`,
  [eventId, organization.id, new Date(oldDay.getTime() + 3_600_000)],
);
let written = performance.now();
await sql.query(
  `INSERT INTO "Decision" ("eventId", "operatorId", "channel", "delivered", "reason", "createdAt")
   SELECT $1, NULL, 'BROWSER', true, 'DELIVERED', $2::timestamp + (i % 80000) * interval '1 second' FROM generate_series(1, $3) AS i`,
  [eventId, new Date(oldDay.getTime() + 3_600_000).toISOString(), ROWS],
);
await sql.query('ANALYZE "Decision"');
written = performance.now() - written;
const partitionBytes = Number(
  (
    await sql.query<{ bytes: string }>(
      `SELECT sum(pg_total_relation_size(relid)) AS "bytes" FROM pg_partition_tree('"Decision"'::regclass) t
        JOIN pg_class c ON c.oid = t.relid WHERE c.relname = $1`,
      [dayTable],
    )
  ).rows[0]?.bytes ?? 0,
);
console.log(
  `\nExpiry: ${fmt(ROWS)} decisions written into the day partition of ${oldDay.toISOString().slice(0, 10)} in ${fmt(written / 1000, 1)} s (${fmt(partitionBytes / 1e6, 1)} MB)`,
);

interface Sample {
  start: number;
  ms: number;
}
async function load(until: () => boolean, clients = 4): Promise<Sample[]> {
  const samples: Sample[] = [];
  let n = 0;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      while (!until()) {
        const start = performance.now();
        await gql(MESSAGE, { input: { chatId: `chat-${c}`, text: `load ${n++}` } });
        samples.push({ start, ms: performance.now() - start });
      }
    }),
  );
  return samples;
}
const quietEnd = performance.now() + QUIET_MS;
const quiet = (await load(() => performance.now() > quietEnd)).map((s) => s.ms);
let passDone = false;
let passStart = 0;
let passEnd = 0;
let passReport = '';
const during = load(() => passDone && performance.now() > passEnd + 1000);
await new Promise((resolve) => setTimeout(resolve, 1000));
passStart = performance.now();
const report = await app.services.retention?.scheduler.tick(new Date());
passEnd = performance.now();
passDone = true;
passReport = `dropped ${report?.partitionsDropped.join(', ')}; deleted ${JSON.stringify(report?.deleted)}`;
const phase = await during;
const overlapping = phase.filter((s) => s.start <= passEnd && s.start + s.ms >= passStart).map((s) => s.ms);
const all = phase.map((s) => s.ms);
const quietP99 = percentile(quiet, 99);
console.log(`expiry pass: ${fmt(passEnd - passStart)} ms (${passReport})`);
console.log('phase                          | reports | p50 ms | p99 ms | max ms | p99 / quiet p99');
const line = (name: string, values: number[]) =>
  console.log(
    `${name.padEnd(30)} | ${fmt(values.length).padStart(7)} | ${fmt(percentile(values, 50), 1).padStart(6)} | ${fmt(percentile(values, 99), 1).padStart(6)} | ${fmt(Math.max(...values), 1).padStart(6)} | ${fmt(percentile(values, 99) / quietP99, 2).padStart(15)}`,
  );
line('quiet', quiet);
line('overlapping the expiry pass', overlapping);
line('whole expiry phase', all);
console.log('target: p99 during expiry <= 2x the quiet p99');

await sql.end();
await app.stop();
await db.close();
await admin.query(`DROP DATABASE "${database}" WITH (FORCE)`);
await admin.end();

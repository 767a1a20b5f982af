/**
 * What PostgreSQL spends on a chat start (issue 8, fifth round): rows written per table, WAL bytes,
 * backend CPU, and the EXPLAIN (ANALYZE, BUFFERS, WAL) of one grouped hot-path statement, for
 * single `reportChatStarted` reports sent by CONNECTIONS clients at once over HTTP (the group
 * commit of coalesce-reports.ts forms the groups, as under bench:compare).
 *
 *   npx tsx bench/chat-start-cost.ts            (fresh database, dropped at the end)
 *   BENCH_KIND=visitorMessage …                 (the same for visitor messages to open chats)
 *   BENCH_REPORTS (2000), BENCH_CONNECTIONS (32), BENCH_OPERATORS (10, the chats' operators),
 *   BENCH_EXPLAIN=1 (prints the plan of one group statement, run once more and rolled back).
 *
 * WAL is counted by EXPLAIN's WAL option for the explained group (the cluster's WAL position moves
 * with every other database on a shared machine); CPU from /proc for this database's backends.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import pg from 'pg';
import { createApp } from '../src/app.js';
import { readConfig } from '../src/config.js';
import { post } from './http-post.js';
import { seedOrganization } from './seed-organization.js';

const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const REPORTS = num('BENCH_REPORTS', 2000);
const CONNECTIONS = num('BENCH_CONNECTIONS', 32);
const OPERATORS = num('BENCH_OPERATORS', 10);
const KIND = process.env.BENCH_KIND ?? 'chatStarted';
const EXPLAIN = process.env.BENCH_EXPLAIN === '1';
const TOKEN_SECRET = 'chat-start-cost-secret';
const here = (file: string) => new URL(file, import.meta.url).pathname;
const toGlobal = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64');

// The group statements as sent (pg named statements whose text starts with the hot path's guard).
type Sent = { text: string; values: unknown[] };
const sent: Sent[] = [];
const originalQuery = pg.Pool.prototype.query;
let explainNext = false;
let hotPool: pg.Pool | null = null;
let explained: string | null = null;
(pg.Pool.prototype as unknown as { query: unknown }).query = async function (this: pg.Pool, config: unknown, ...rest: unknown[]) {
  const c = config as { name?: string; text?: string; values?: unknown[] };
  if (typeof c === 'object' && c !== null && c.name?.startsWith('hot_') && c.text !== undefined) {
    sent.push({ text: c.text, values: c.values ?? [] });
    hotPool = this;
    if (explainNext && sent.length > 20 && (c.values?.length ?? 0) > 0) {
      explainNext = false;
      const client = await this.connect();
      try {
        await client.query('BEGIN');
        const plan = await client.query({ text: `EXPLAIN (ANALYZE, BUFFERS, WAL, VERBOSE) ${c.text}`, values: c.values });
        await client.query('ROLLBACK');
        explained = plan.rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
      } finally {
        client.release();
      }
    }
  }
  return (originalQuery as (...args: unknown[]) => unknown).call(this, config, ...rest);
};

// Every statement sent during the measured run, by its first 90 characters.
const statements = new Map<string, number>();
let counting = false;
const clientQuery = pg.Client.prototype.query;
(pg.Client.prototype as unknown as { query: unknown }).query = function (this: pg.Client, config: unknown, ...rest: unknown[]) {
  if (counting) {
    const text = typeof config === 'string' ? config : ((config as { text?: string })?.text ?? '?');
    const key = text.replace(/\s+/g, ' ').slice(0, 90);
    statements.set(key, (statements.get(key) ?? 0) + 1);
  }
  return (clientQuery as (...args: unknown[]) => unknown).call(this, config, ...rest);
};

const STARTED =
  'mutation ($input: ReportChatStartedInput!) { reportChatStarted(input: $input) { __typename ... on AppError { code message } } }';
const VISITOR =
  'mutation ($input: ReportVisitorMessageInput!) { reportVisitorMessage(input: $input) { __typename ... on AppError { code message } } }';

async function main() {
  let databaseUrl = process.env.DATABASE_URL;
  const fresh = databaseUrl === undefined;
  databaseUrl ??= execFileSync('npx', ['tsx', here('../scripts/fresh-postgres.ts'), 'create'], { encoding: 'utf8' }).trim();
  const app = await createApp({
    config: {
      ...readConfig(),
      port: 0,
      databaseUrl,
      tokenSecret: TOKEN_SECRET,
      logLevel: 'warn',
      rateLimitApiKeyHappenings: 1_000_000_000,
      rateLimitOperatorRequests: 1_000_000_000,
      analyticsTickMs: 0,
    },
  });
  const admin = new pg.Client({ connectionString: databaseUrl });
  try {
    const url = `${await app.start(0)}/graphql`;
    await admin.connect();
    const org = await seedOrganization(app.database.prisma, TOKEN_SECRET, 10);
    const operators = org.operatorIds.slice(0, OPERATORS).map((id) => toGlobal('Operator', id));
    const widgetId = toGlobal('Widget', org.widgetId);
    const open = Array.from({ length: CONNECTIONS }, (_, i) => `open-${i}`);
    for (const chatId of open) {
      await post(url, org.apiKey, JSON.stringify({ query: STARTED, variables: { input: { chatId, widgetId, operatorId: operators[0] } } }));
      await post(url, org.apiKey, JSON.stringify({ query: VISITOR, variables: { input: { chatId, text: 'hello' } } }));
    }
    let n = 0;
    const bodyOf = (prefix: string) => {
      const i = n++;
      return KIND === 'chatStarted'
        ? JSON.stringify({
            query: STARTED,
            variables: { input: { chatId: `${prefix}-${i}`, widgetId, operatorId: operators[i % operators.length] } },
          })
        : JSON.stringify({ query: VISITOR, variables: { input: { chatId: open[i % open.length], text: 'ping' } } });
    };
    let failures = 0;
    const burst = async (prefix: string, count: number) => {
      let left = count;
      await Promise.all(
        Array.from({ length: CONNECTIONS }, async () => {
          while (left-- > 0) {
            const { text } = await post(url, org.apiKey, bodyOf(prefix));
            if (text.includes('"errors"') || text.includes('AppError')) {
              if (failures++ === 0) console.error(text.slice(0, 300));
            }
          }
        }),
      );
    };
    await burst('warm', Number(process.env.BENCH_WARM ?? 300));
    const tables = ['Chat', 'Happening', 'NotificationEvent', 'Decision', 'InboxItem', 'InboxCounter', 'EscalationTimer', 'Delivery'];
    const counts = async () => {
      const row = (await admin.query(`SELECT ${tables.map((t) => `(SELECT count(*) FROM "${t}")::int AS "${t}"`).join(', ')}`))
        .rows[0] as Record<string, number>;
      return row;
    };
    const backendCpu = async () => {
      const { rows } = await admin.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
      );
      let total = 0;
      for (const { pid } of rows) {
        try {
          const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
          total += ((Number(fields[11]) || 0) + (Number(fields[12]) || 0)) * 10_000;
        } catch {}
      }
      return total;
    };
    const before = await counts();
    const sent0 = sent.length;
    const cpu0 = await backendCpu();
    const svc0 = process.cpuUsage();
    const t0 = performance.now();
    counting = true;
    await burst('run', REPORTS);
    counting = false;
    const elapsed = performance.now() - t0;
    const svc = process.cpuUsage(svc0);
    const cpu = (await backendCpu()) - cpu0;
    const after = await counts();
    const groups = sent.length - sent0;
    console.log(`${KIND}: ${REPORTS} reports, ${CONNECTIONS} clients, ${failures} failures, ${(REPORTS / (elapsed / 1000)).toFixed(0)}/s`);
    console.log(`group statements: ${groups} (${(REPORTS / groups).toFixed(1)} reports each)`);
    console.log(
      `PostgreSQL backend CPU ${(cpu / REPORTS).toFixed(0)} µs/report; this process (service + clients) ${((svc.user + svc.system) / REPORTS).toFixed(0)} µs/report`,
    );
    console.log(`rows per report: ${tables.map((t) => `${t} ${(((after[t] ?? 0) - (before[t] ?? 0)) / REPORTS).toFixed(2)}`).join(', ')}`);
    for (const [text, count] of [...statements].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${count}× ${text}`);
    if (hotPool !== null) {
      // Plans of the hot statements on each pooled connection (PostgreSQL plans a prepared statement
      // 5 times for its parameters before it may settle on a generic plan).
      let generic = 0;
      let custom = 0;
      let connections = 0;
      for (const client of (hotPool as unknown as { _clients: pg.PoolClient[] })._clients) {
        const { rows } = await client.query<{ g: string; c: string }>(
          "SELECT coalesce(sum(generic_plans), 0) AS g, coalesce(sum(custom_plans), 0) AS c FROM pg_prepared_statements WHERE name LIKE 'hot_%'",
        );
        if (Number(rows[0]?.c) + Number(rows[0]?.g) > 0) connections++;
        generic += Number(rows[0]?.g);
        custom += Number(rows[0]?.c);
      }
      console.log(`hot statement plans (all runs): ${generic} generic, ${custom} custom, on ${connections} connections`);
    }
    if (EXPLAIN) {
      explainNext = true;
      await burst('explain', 200);
      console.log(explained ?? 'no group statement explained');
      const last = sent.at(-1);
      if (last) console.log(`\nlast statement: ${last.text.length} chars, ${last.values.length} params`);
    }
    if (process.env.BENCH_SQL) writeFileSync(process.env.BENCH_SQL, JSON.stringify(sent.at(-2)));
  } finally {
    await admin.end().catch(() => {});
    await app.stop();
    if (fresh) execFileSync('npx', ['tsx', here('../scripts/fresh-postgres.ts'), 'drop', new URL(databaseUrl).pathname.slice(1)]);
  }
}

await main();
process.exit(0);

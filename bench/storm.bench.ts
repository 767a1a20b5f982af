/**
 * npm run bench:storm — a shift start and end (issue 14). Prints, never asserts.
 *
 * For each N (BENCH_STORM_SIZES, default "100,300"; add 1000 for the big one, ~8 minutes): a fresh
 * organization of N operators, all OFFLINE, on a fresh database (a new PostgreSQL database per N on
 * POSTGRES_ADMIN_URL's server, and in-memory PGlite for BENCH_STORM_PGLITE_SIZES, default "100");
 * BENCH_STORM_DB=postgres|pglite runs one only. The defaults take ~3–4 minutes. The server runs in
 * this process; the N streams run in one forked process (bench/storm-clients.ts) and an integrator
 * reporting one visitor message after the other, every ~100 ms, in another. Phases: quiet (reports
 * only) → N streams opened at once → all closed at once.
 * Printed per phase: time until every stream is acknowledged (connection_ack) and registered on the
 * server; visitor-message report p50/p99/max against the quiet p50 of the same run; deadlocks
 * (pg_stat_database); presence events raised (OPERATOR_ONLINE / OPERATOR_OFFLINE, expected N each);
 * operators whose stored presence disagrees with their open streams 2 s after the last stream opened
 * (closed, plus the grace period); how long until every change was announced (its events, inbox
 * items and decisions written: reports are measured until then, at most BENCH_STORM_PATIENCE_MS);
 * the machine's load average. Below each row: the slow reports, the event loop's delay and the
 * database sessions' waits (pg_stat_activity sampled every 100 ms), rows and bytes written.
 * BENCH_STORM_PROFILE=dir writes a CPU profile of the server over each open phase's first
 * BENCH_STORM_PROFILE_MS (10 s).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import pg from 'pg';
import { createApp } from '../src/app.js';
import { readConfig } from '../src/config.js';
import { type Database, openDatabase } from '../src/db/database.js';
import { issueOperatorToken } from '../src/services/organizations.js';
import { seedOrganization } from './seed-organization.js';

const SIZES = (process.env.BENCH_STORM_SIZES ?? '100,300').split(',').map(Number);
const PGLITE_SIZES = (process.env.BENCH_STORM_PGLITE_SIZES ?? '100').split(',').map(Number);
const WHICH = process.env.BENCH_STORM_DB ?? 'both';
const ADMIN_URL = process.env.POSTGRES_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const GRACE_MS = 1000;
const SETTLE_MS = 2000;
const REPORT_EVERY_MS = 100;
/** How long a phase waits for acknowledgements or a held-up report before giving up. */
const PATIENCE_MS = Number(process.env.BENCH_STORM_PATIENCE_MS ?? 180_000);

/** BENCH_STORM_PROFILE=dir: a CPU profile of this process (the server) over each open phase, written there. */
const PROFILE_DIR = process.env.BENCH_STORM_PROFILE;
const PROFILE_MS = Number(process.env.BENCH_STORM_PROFILE_MS ?? 10_000);

async function profileWindow(name: string): Promise<() => Promise<void>> {
  if (!PROFILE_DIR) return async () => {};
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  let stopped: Promise<void> | null = null;
  const stop = () => {
    stopped ??= (async () => {
      const { profile } = await session.post('Profiler.stop');
      const file = `${PROFILE_DIR}/${name}.cpuprofile`;
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
      console.log(`   profile written: ${file}`);
    })();
    return stopped;
  };
  setTimeout(() => void stop(), PROFILE_MS);
  return stop;
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.now();

interface Reply {
  ok: boolean;
  error?: string;
  ackedMs?: number;
  failed?: number;
  latencies?: number[];
  sentAt?: number[];
  failures?: number;
}

function startChild(): Promise<{ child: ChildProcess; ask(command: object): Promise<Reply> }> {
  const child = fork(new URL('./storm-clients.ts', import.meta.url).pathname, [], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  const waiting: ((r: Reply) => void)[] = [];
  child.on('message', (message) => waiting.shift()?.(message as Reply));
  const ask = (command: object) =>
    new Promise<Reply>((resolve, reject) => {
      waiting.push((r) => (r.ok ? resolve(r) : reject(new Error(r.error))));
      child.send(command);
    });
  return new Promise((resolve) => {
    waiting.push(() => resolve({ child, ask }));
  });
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN);

async function freshPostgres(): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  const name = `nb_storm_${Date.now()}_${process.pid}`;
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    },
  };
}

async function deadlocks(database: Database): Promise<number | null> {
  if (database.kind !== 'postgresql') return null;
  // Statistics reach pg_stat_database when a backend goes idle (at most every second).
  await sleep(1100);
  const rows = await database.prisma.$queryRaw<
    { n: bigint }[]
  >`SELECT deadlocks AS n FROM pg_stat_database WHERE datname = current_database()`;
  return Number(rows[0]?.n ?? 0);
}

/**
 * What the server waits on during a phase: the event loop's delay (this process is the server), and
 * on PostgreSQL, every 100 ms, the database's sessions by state and wait (Lock waits are lock queues).
 */
function watchWaits(database: Database, url: string | undefined) {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const waits = new Map<string, number>();
  let samples = 0;
  let maxLockWaiters = 0;
  let stop = false;
  const client = url ? new pg.Client({ connectionString: url }) : null;
  const sampling = (async () => {
    if (client === null || database.kind !== 'postgresql') return;
    await client.connect();
    while (!stop) {
      const { rows } = await client.query<{ k: string; n: number; locks: number }>(
        `SELECT coalesce(state, '?') || coalesce(' / ' || wait_event_type || ':' || wait_event, '') AS k, count(*)::int AS n,
                count(*) FILTER (WHERE wait_event_type = 'Lock')::int AS locks
           FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() GROUP BY 1`,
      );
      samples++;
      let locks = 0;
      for (const r of rows) {
        waits.set(r.k, (waits.get(r.k) ?? 0) + r.n);
        locks += r.locks;
      }
      maxLockWaiters = Math.max(maxLockWaiters, locks);
      await sleep(100);
    }
    await client.end();
  })();
  return async () => {
    stop = true;
    await sampling;
    loop.disable();
    const top = [...waits]
      .filter(([k]) => !k.startsWith('idle'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([k, n]) => `${k} ${fmt(n / Math.max(1, samples), 1)}`);
    return `event loop delay p99 ${fmt(loop.percentile(99) / 1e6)} ms, max ${fmt(loop.max / 1e6)} ms${
      samples > 0 ? `; sessions busy (mean per sample): ${top.join(', ') || 'none'}; most waiting on a lock at once: ${maxLockWaiters}` : ''
    }`;
  };
}

interface Row {
  db: string;
  n: number;
  phase: string;
  acked: string;
  registered: string;
  quietP50: number;
  p50: number;
  p99: number;
  max: number;
  reports: number;
  failed: number;
  deadlocks: string;
  events: number;
  wrong: number;
  /** Seconds from the last stream opening (closing, plus grace) until every change was announced. */
  announced: string;
  /** The machine's 1-minute load average at the end of the phase. */
  load: number;
}
const rows: Row[] = [];

async function benchSize(kind: 'postgres' | 'pglite', n: number) {
  const fresh = kind === 'postgres' ? await freshPostgres() : null;
  const database = await openDatabase({ databaseUrl: fresh?.url, dataDir: 'memory://' });
  const config = {
    ...readConfig(),
    port: 0,
    tokenSecret: 'bench-secret',
    presenceGraceMs: GRACE_MS,
    // A line per stream opened and closed would bury the table.
    logLevel: process.env.LOG_LEVEL ?? 'warn',
    analyticsTickMs: 0,
    redisUrl: undefined,
    databaseUrl: fresh?.url,
  };
  const app = await createApp({ config, database });
  const url = await app.start(0);
  const wsUrl = `${url.replace(/^http/, 'ws')}/graphql`;
  const prisma = database.prisma;
  const org = await seedOrganization(prisma, config.tokenSecret, n);
  // No emails: only presence, streams and reports are measured.
  await prisma.operator.updateMany({ where: { organizationId: org.organizationId }, data: { email: null } });
  const tokens = org.operatorIds.map(
    (id) => issueOperatorToken(config.tokenSecret, 3600, { id, organizationId: org.organizationId }).token,
  );
  const toGlobal = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64');
  const chatId = `storm-${n}`;
  const start = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${org.apiKey}` },
    body: JSON.stringify({
      query: `mutation ($input: ReportHappeningsInput!) { reportHappenings(input: $input) { __typename } }`,
      variables: {
        input: {
          happenings: [
            { chatStarted: { chatId, widgetId: toGlobal('Widget', org.widgetId), operatorId: toGlobal('Operator', org.operatorIds[1]!) } },
          ],
        },
      },
    }),
  });
  if (!((await start.json()) as { data?: unknown }).data) throw new Error('chat start failed');

  const streams = await startChild();
  const reporter = await startChild();
  const reportFor = async (ms: number | (() => Promise<void>)) => {
    await reporter.ask({ cmd: 'report', url, apiKey: org.apiKey, chatId, everyMs: REPORT_EVERY_MS });
    if (typeof ms === 'number') await sleep(ms);
    else await ms();
    const stopped = reporter.ask({ cmd: 'stop' });
    const reply = await Promise.race([stopped, sleep(PATIENCE_MS).then(() => null)]);
    return reply ?? { ok: false, latencies: [PATIENCE_MS], failures: 1 };
  };
  const presenceEvents = async (k: 'OPERATOR_ONLINE' | 'OPERATOR_OFFLINE') =>
    prisma.notificationEvent.count({ where: { organizationId: org.organizationId, kind: k } });
  const disagreeing = async (expected: 'ONLINE' | 'OFFLINE') =>
    prisma.operator.count({ where: { organizationId: org.organizationId, NOT: { presence: expected } } });
  const registered = () => app.services.live?.registry.size() ?? 0;
  /** Rows and bytes a phase wrote: inbox items and decisions of the organization, and the whole database's size. */
  const footprint = async () => {
    const [inbox, decisions] = await Promise.all([
      prisma.inboxItem.count({ where: { organizationId: org.organizationId } }),
      prisma.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS "n" FROM "Decision" d JOIN "NotificationEvent" e ON e."id" = d."eventId"
        WHERE e."organizationId" = ${org.organizationId}::uuid`.then((rows) => Number(rows[0]?.n ?? 0)),
    ]);
    const size =
      database.kind === 'postgresql'
        ? Number((await prisma.$queryRaw<{ n: bigint }[]>`SELECT pg_database_size(current_database()) AS n`)[0]?.n ?? 0)
        : Number.NaN;
    return { inbox, decisions, size };
  };

  const quiet = await reportFor(2000);
  const quietSorted = [...(quiet.latencies ?? [])].sort((a, b) => a - b);
  const quietP50 = percentile(quietSorted, 50);

  const phase = async (
    name: string,
    run: () => Promise<{ acked: string; registered: string; settleFrom: number }>,
    expected: 'ONLINE' | 'OFFLINE',
  ) => {
    const deadlocks0 = await deadlocks(database);
    const before = await footprint();
    let result = { acked: '–', registered: '–', settleFrom: 0, writtenMs: null as number | null, announcedMs: null as number | null };
    let wrong = -1;
    const kind = expected === 'ONLINE' ? 'OPERATOR_ONLINE' : 'OPERATOR_OFFLINE';
    const eventsBefore = await presenceEvents(kind);
    const waits = watchWaits(database, fresh?.url);
    // Reports go on while the storm lasts: until presence is stored and every change announced (its
    // events, inbox items and decisions written), and at least 2 s after it began.
    const reply = await reportFor(async () => {
      result = { ...(await run()), writtenMs: null, announcedMs: null };
      const { settleFrom } = result;
      for (;;) {
        const left = await disagreeing(expected);
        const at = now();
        if (at >= settleFrom + SETTLE_MS && wrong < 0) wrong = left;
        if (left === 0 && result.writtenMs === null) result.writtenMs = Math.max(0, at - settleFrom);
        if (result.announcedMs === null && (await presenceEvents(kind)) - eventsBefore >= n)
          result.announcedMs = Math.max(0, now() - settleFrom);
        if ((result.writtenMs !== null && result.announcedMs !== null && wrong >= 0) || at - settleFrom > PATIENCE_MS) break;
        await sleep(100);
      }
    });
    const waited = await waits();
    const deadlocks1 = await deadlocks(database);
    const sorted = [...(reply.latencies ?? [])].sort((a, b) => a - b);
    const slow = (reply.latencies ?? [])
      .map((ms, i) => ({ ms, at: reply.sentAt?.[i] ?? Number.NaN }))
      .filter((r) => r.ms > 250)
      .map((r) => `${fmt(r.ms)} ms at +${fmt(r.at / 1000, 1)} s`);
    console.log(`   ${name}: ${waited}`);
    if (slow.length > 0) console.log(`   reports over 250 ms (sent at, since the phase began): ${slow.slice(0, 12).join(', ')}`);
    rows.push({
      db: database.kind,
      n,
      phase: name,
      acked: result.acked,
      registered: result.registered,
      quietP50,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      max: sorted.at(-1) ?? Number.NaN,
      reports: sorted.length,
      failed: reply.failures ?? 0,
      deadlocks: deadlocks0 === null || deadlocks1 === null ? '–' : String(deadlocks1 - deadlocks0),
      events: await presenceEvents(expected === 'ONLINE' ? 'OPERATOR_ONLINE' : 'OPERATOR_OFFLINE'),
      wrong,
      announced: result.announcedMs === null ? 'not yet' : `${fmt(result.announcedMs / 1000, 1)} s`,
      load: loadavg()[0] ?? Number.NaN,
    });
    printRow(rows.at(-1)!);
    const after = await footprint();
    const t = result.writtenMs;
    const a = result.announcedMs;
    console.log(
      `   ${name} wrote ${fmt(after.inbox - before.inbox)} inbox items, ${fmt(after.decisions - before.decisions)} decisions, database +${fmt((after.size - before.size) / 1048576, 1)} MiB; presence stored ${t === null ? 'never' : `${fmt(t / 1000, 2)} s after the last stream ${name === 'open' ? 'opened' : 'closed (grace included)'}`}, all ${fmt(n)} changes announced (events, inbox items, decisions) ${a === null ? 'never' : `${fmt(a / 1000, 2)} s after`}`,
    );
  };

  await phase(
    'open',
    async () => {
      const profiled = await profileWindow(`${database.kind}-${n}-open`);
      const t0 = now();
      const opened = await streams.ask({ cmd: 'open', url: wsUrl, tokens });
      void profiled;
      while (registered() < n && now() - t0 < PATIENCE_MS) await sleep(20);
      const reg = registered() >= n ? `${fmt((now() - t0) / 1000, 2)} s` : `> ${fmt(PATIENCE_MS / 1000)} s (${registered()})`;
      const acked = `${fmt((opened.ackedMs ?? 0) / 1000, 2)} s${opened.failed ? ` (${opened.failed} failed)` : ''}`;
      return { acked, registered: reg, settleFrom: now() };
    },
    'ONLINE',
  );
  await phase(
    'close',
    async () => {
      const t0 = now();
      await streams.ask({ cmd: 'close' });
      while (registered() > 0 && now() - t0 < PATIENCE_MS) await sleep(20);
      return { acked: '–', registered: `${fmt((now() - t0) / 1000, 2)} s`, settleFrom: now() + GRACE_MS };
    },
    'OFFLINE',
  );

  await streams.ask({ cmd: 'exit' });
  await reporter.ask({ cmd: 'exit' });
  await app.stop();
  await database.close();
  await fresh?.drop();
}

const HEADER = `| db | N | phase | all acked | all registered | quiet p50 | storm p50 | p99 | max | p99/quiet | reports (failed) | deadlocks | presence events | presence wrong 2 s after | all announced | load |`;
function printRow(r: Row) {
  console.log(
    `| ${r.db} | ${fmt(r.n)} | ${r.phase} | ${r.acked} | ${r.registered} | ${fmt(r.quietP50, 1)} ms | ${fmt(r.p50, 1)} ms | ${fmt(r.p99, 1)} ms | ${fmt(r.max, 1)} ms | ${fmt(r.p99 / r.quietP50, 1)}× | ${r.reports} (${r.failed}) | ${r.deadlocks} | ${fmt(r.events)} / ${fmt(r.n)} | ${r.wrong} | ${r.announced} | ${fmt(r.load, 1)} |`,
  );
}

console.log(`grace period ${GRACE_MS} ms; reports every ${REPORT_EVERY_MS} ms, one after the other`);
console.log(HEADER);
console.log(`|${'---|'.repeat(16)}`);
if (WHICH !== 'pglite') for (const n of SIZES) await benchSize('postgres', n);
if (WHICH !== 'postgres') for (const n of PGLITE_SIZES) await benchSize('pglite', n);
console.log('\nsummary');
console.log(HEADER);
console.log(`|${'---|'.repeat(16)}`);
for (const r of rows) printRow(r);
process.exit(0);

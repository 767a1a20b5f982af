/**
 * npm run bench:compare — the hot path against its own stack, every figure beside a baseline taken
 * in the same run (issue 8). Prints, never asserts. Processes: this one (orchestrator, seeding),
 * the service (bench/compare-server.ts; BENCH_INSTANCES of them, sharing Redis when > 1), a minimal
 * graphql-yoga server and a plain `ws` server (same file, other modes), the load generator
 * (bench/compare-load.ts: autocannon) and the stream clients (bench/live-clients.ts).
 *
 * Each throughput ratio is against the baseline measured just before it (2 s): the load of a
 * shared machine moves within a run. One such pair moved ±20 points between runs, so each section
 * runs BENCH_REPEATS interleaved pairs (baseline, service, baseline, service, …); every pair's
 * ratio is printed, and the figure is the median ratio (and the median CPU per request). The
 * report → receive windows (3 s each) run BENCH_REPEATS rounds, the rates alternating, the first
 * still right after the batch section; the figure pools every window's samples (p99 at 100/s
 * then rests on the 9th worst of 900, not the 3rd worst of 300) and each window's p99 is printed.
 * Under each `{ __typename }` and single-report figure a second line splits the machine's CPU per
 * request (service, PostgreSQL's backends, the load generator, the rest of the machine) for it and
 * its baselines, with how busy each kept the machine: the throughput ratio is the CPU factor (the
 * baseline's machine CPU per request ÷ the section's) times the busy factor (the section's share of
 * the machine busy ÷ the baseline's).
 *
 * Options (environment): BENCH_SECONDS per throughput figure (default 5), BENCH_LATENCY_SECONDS
 * per latency window (3), BENCH_REPEATS pairs or windows per figure (3; 1 gives the single-pair
 * run of earlier rounds), BENCH_RATES (100,300), BENCH_CONNECTIONS (32), BENCH_BATCH (98),
 * BENCH_FANOUT_STREAMS (1000), BENCH_FANOUT_TOTAL notifications (100000), BENCH_INSTANCES (1;
 * 2 runs two service processes on one database and REDIS_URL, default redis://127.0.0.1:6379),
 * BENCH_PROFILE=<dir> (a CPU profile of the service processes for each measured section, written
 * there as <section>.<instance>.cpuprofile, later pairs as <section>.r<n>; the adjacent baseline's
 * as <section>.baseline.cpuprofile; scripts/profile-summary.ts and profile-diff.ts read them; with BENCH_ALLOC=1 also a sampling allocation profile
 * <section>.<instance>.heapprofile counting every object allocated, garbage included, and with BENCH_ALLOC=live
 * only those still alive at the section's end: DevTools' Memory panel reads them),
 * BENCH_SERVICE_NODE_FLAGS (node flags for the service processes only, e.g. a GC setting), BENCH_ONLY (comma list of typename, singles, chatstarts (the two chat-start sections of singles), batch, latency, fanout: the sections to run;
 * default all), BENCH_WATCH=1 (for each latency window: the service's event-loop delay, GC pauses,
 * slow pg queries and pool checkouts, the sender's lateness, and every 100 ms PostgreSQL's
 * non-idle sessions of all databases (autovacuum included), running vacuums, checkpointer
 * counters and the CPU of every process; the slowest samples are lined up against all of it:
 * bench/compare-watch.ts), BENCH_ANALYZE=1 (ANALYZE the database before the latency windows,
 * printed with its duration: an experiment on stale statistics, off by default), DATABASE_URL
 * (else a fresh database on the local PostgreSQL, dropped at the end).
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { openDatabase } from '../src/db/database.js';
import { issueOperatorToken } from '../src/services/organizations.js';
import type { LoadCommand, LoadResult, Scenario } from './compare-load.js';
import { explain, type Stall, summarize, watchMachine } from './compare-watch.js';
import { forkChild } from './ipc-child.js';
import { type SeededOrganization, seedOrganization } from './seed-organization.js';

const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const SECONDS = num('BENCH_SECONDS', 5);
const LATENCY_SECONDS = num('BENCH_LATENCY_SECONDS', 3);
const RATES = (process.env.BENCH_RATES ?? '100,300').split(',').map(Number);
const CONNECTIONS = num('BENCH_CONNECTIONS', 32);
const BASELINE_SECONDS = Math.min(2, SECONDS);
const REPEATS = Math.max(1, num('BENCH_REPEATS', 3));
const BATCH = num('BENCH_BATCH', 98);
const FANOUT_STREAMS = num('BENCH_FANOUT_STREAMS', 1000);
const FANOUT_TOTAL = num('BENCH_FANOUT_TOTAL', 100_000);
const INSTANCES = num('BENCH_INSTANCES', 1);
const PROFILE = process.env.BENCH_PROFILE;
const ONLY = process.env.BENCH_ONLY?.split(',');
const WATCH = process.env.BENCH_WATCH === '1';
/** Node flags for the service processes only (BENCH_SERVICE_NODE_FLAGS, space-separated): to try a runtime setting on the service alone. */
const SERVICE_NODE_FLAGS = process.env.BENCH_SERVICE_NODE_FLAGS?.split(' ').filter(Boolean) ?? [];
const runs = (section: string) => ONLY === undefined || ONLY.includes(section);
const TOKEN_SECRET = 'bench-compare-secret';
const here = (file: string) => new URL(file, import.meta.url).pathname;
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const fmt = (n: number | undefined, digits = 0) =>
  n === undefined || Number.isNaN(n) ? 'n/a' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
/** The middle value (the mean of the middle two for an even count), NaN when there is none. */
const median = (values: number[]) => {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};
const toGlobal = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64');

const child = <Reply extends { ok: boolean; error?: string }>(file: string, execArgv: string[] = []) =>
  forkChild<Reply>(here(file), execArgv);

interface ServerReply {
  ok: boolean;
  loopDelay?: { p50: number; p99: number; max: number };
  stalls?: Stall[];
  queries?: [string, number][];
  error?: string;
  url?: string;
  cpuUs?: number;
  mainThreadUs?: number;
  heap?: number;
  rss?: number;
  streams?: number;
}
interface ClientStats {
  ok: boolean;
  error?: string;
  received: number;
  samples: number;
  p50: number;
  p95: number;
  p99: number;
  last: unknown;
  slowest?: { at: number; ms: number }[];
  loopDelayMax?: number;
}

const figures: { name: string; value: string; note?: string }[] = [];
/** CPU time of one process, all threads, in µs (/proc: tick granularity, 10 ms). */
function processCpuUs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((Number(fields[11]) || 0) + (Number(fields[12]) || 0)) * 10_000;
  } catch {
    return Number.NaN;
  }
}

/** The whole machine's CPU time in µs: busy (every state but idle and iowait) and total, all cores. */
function machineCpuUs(): { busy: number; total: number } {
  try {
    const ticks = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').split(/\s+/).slice(1, 9).map(Number);
    const total = ticks.reduce((a, b) => a + b, 0);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    return { busy: (total - idle) * 10_000, total: total * 10_000 };
  } catch {
    return { busy: Number.NaN, total: Number.NaN };
  }
}

function print(name: string, value: string, note = '') {
  figures.push({ name, value, note });
  console.log(`${name.padEnd(58)} ${value.padStart(14)}  ${note}`);
}

async function gql(url: string, credential: string, query: string, variables: object) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.text();
  if (body.includes('"errors"') || body.includes('AppError')) throw new Error(`seed request failed: ${body.slice(0, 400)}`);
}

/** Starts chats and sends their first visitor message (so later messages are plain MESSAGE_RECEIVED). */
async function openChats(url: string, org: SeededOrganization, prefix: string, count: number, operators: string[]): Promise<string[]> {
  const chats = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  const happenings = chats.flatMap((chatId, i) => [
    {
      chatStarted: {
        chatId,
        widgetId: toGlobal('Widget', org.widgetId),
        operatorId: toGlobal('Operator', operators[i % operators.length] ?? ''),
      },
    },
    { visitorMessage: { chatId, text: 'hello' } },
  ]);
  await gql(url, org.apiKey, 'mutation ($input: ReportHappeningsInput!) { reportHappenings(input: $input) { __typename } }', {
    input: { happenings },
  });
  return chats;
}

const loadAverage = () =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(' / ');

/** Every figure again as one markdown table, with the machine's load: what docs/capacity.md quotes. */
function printSummary(startLoad: string, startedAt: number) {
  if (figures.length === 0) return;
  console.log(
    `\n== summary: ${INSTANCES} instance(s), ${SECONDS} s per figure, ${fmt((now() - startedAt) / 1000)} s in all; load average (1/5/15 min) ${startLoad} at start, ${loadAverage()} at end ==\n`,
  );
  console.log('| figure | measured | ratio, target, server CPU |\n|---|---|---|');
  for (const f of figures) console.log(`| ${f.name.trim()} | ${f.value} | ${f.note ?? ''} |`);
}

async function main() {
  const startLoad = loadAverage();
  const startedAt = now();
  let databaseUrl = process.env.DATABASE_URL;
  const fresh = databaseUrl === undefined;
  databaseUrl ??= execFileSync('npx', ['tsx', here('../scripts/fresh-postgres.ts'), 'create'], { encoding: 'utf8' }).trim();
  const redisUrl = INSTANCES > 1 ? (process.env.REDIS_URL ?? 'redis://127.0.0.1:6379') : undefined;
  const cleanups: (() => unknown)[] = [];
  try {
    const database = await openDatabase({ databaseUrl });
    cleanups.push(() => database.close());
    const small = await seedOrganization(database.prisma, TOKEN_SECRET, 10);
    const big = await seedOrganization(database.prisma, TOKEN_SECRET, FANOUT_STREAMS);
    // No emails, and every operator ONLINE: only the report → decide → stream path is measured.
    await database.prisma.operator.updateMany({
      where: { organizationId: { in: [small.organizationId, big.organizationId] } },
      data: { email: null, presence: 'ONLINE', presenceAnnounced: 'ONLINE' },
    });
    // No missed-chat escalations (E4) either: chats started early would escalate in a later phase.
    await database.prisma.organization.updateMany({
      where: { id: { in: [small.organizationId, big.organizationId] } },
      data: { escalateAfterSeconds: 0 },
    });

    if (WATCH) {
      // The time backends of this database wait on WAL writes and syncs (their commits), counted in
      // pg_stat_wal's *_time columns: only sessions with the setting add to them, so the cluster-wide
      // view shows this database's own (other databases' counts still add to the counts).
      const name = new URL(databaseUrl).pathname.slice(1);
      await database.prisma.$executeRawUnsafe(`ALTER DATABASE "${name}" SET track_wal_io_timing = on`).catch(() => undefined);
    }
    const services = await Promise.all(
      Array.from({ length: INSTANCES }, () => child<ServerReply>('./compare-server.ts', SERVICE_NODE_FLAGS)),
    );
    /** With BENCH_PROFILE, `fn` runs while every service process records a CPU profile. */
    const profiled = async <T>(section: string, fn: () => Promise<T>): Promise<T> => {
      if (!PROFILE) return fn();
      mkdirSync(PROFILE, { recursive: true });
      await Promise.all(services.map((s) => s.ask({ cmd: 'profileStart' })));
      try {
        return await fn();
      } finally {
        const name = section.replace(/[^\w]+/g, '-');
        await Promise.all(services.map((s, i) => s.ask({ cmd: 'profileStop', file: `${PROFILE}/${name}.${i}.cpuprofile` })));
      }
    };
    const prefix = `bench-${randomUUID()}:`;
    const urls: string[] = [];
    for (const s of services) {
      cleanups.push(async () => {
        await s.ask({ cmd: 'stop' });
        await sleep(300);
      });
      urls.push(
        (await s.ask({ cmd: 'start', mode: 'service', databaseUrl, redisUrl, redisPrefix: prefix, tokenSecret: TOKEN_SECRET })).url ?? '',
      );
    }
    const baseline = await child<ServerReply>('./compare-server.ts');
    cleanups.push(() => baseline.ask({ cmd: 'stop' }));
    const baselineUrl = (await baseline.ask({ cmd: 'start', mode: 'baseline' })).url ?? '';
    /** With BENCH_PROFILE, the adjacent baseline is profiled too: the two profiles side by side show what the service adds. */
    const profiledBaseline = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
      if (!PROFILE) return fn();
      mkdirSync(PROFILE, { recursive: true });
      await baseline.ask({ cmd: 'profileStart' });
      try {
        return await fn();
      } finally {
        await baseline.ask({ cmd: 'profileStop', file: `${PROFILE}/${name.replace(/[^\w.]+/g, '-')}.cpuprofile` });
      }
    };
    const load = await child<LoadResult & { ok: boolean }>('./compare-load.ts');
    cleanups.push(() => load.kill());
    const url = urls[0] ?? '';

    const spread = small.operatorIds.slice(0, 10);
    const busy = [small.operatorIds[1] ?? ''];
    const spreadChats = await openChats(url, small, 'spread', CONNECTIONS, spread);
    const busyChats = await openChats(url, small, 'busy', 8, busy);
    const operatorToken = issueOperatorToken(TOKEN_SECRET, 3600, {
      id: small.operatorIds[0] ?? '',
      organizationId: small.organizationId,
    }).token;

    const mainThreadUsed = async (list: { ask(c: object): Promise<ServerReply> }[]) => {
      let total = 0;
      for (const s of list) total += (await s.ask({ cmd: 'cpu' })).mainThreadUs ?? Number.NaN;
      return total;
    };
    const cpuUsed = async (list: { ask(c: object): Promise<ServerReply> }[]) => {
      let total = 0;
      for (const s of list) total += (await s.ask({ cmd: 'cpu' })).cpuUs ?? 0;
      return total;
    };
    /** Autocannon from the load process; also the server CPU per successful request (robust to the machine's load). */
    /**
     * CPU of the PostgreSQL backends serving this database (µs, from /proc: PostgreSQL is local),
     * which the same machine's other databases do not touch. Null where /proc is not readable.
     */
    /** Each backend's last statement, to tell the service's backends from the bench's own. */
    const lastQuery = new Map<number, string>();
    /** The backends that used the most CPU between two readings, with their last statement. */
    const postgresTop = (before: Map<number, number> | null, after: Map<number, number> | null, seconds: number) =>
      [...(after ?? [])]
        .map(([pid, t]) => ({ pid, ms: (t - (before?.get(pid) ?? 0)) / 1000 / seconds }))
        .filter((b) => b.ms > 0)
        .sort((x, y) => y.ms - x.ms)
        .slice(0, 5)
        .map((b) => `${b.pid} ${fmt(b.ms)} ms/s (${lastQuery.get(b.pid) ?? '?'})`)
        .join('; ');
    const postgresCpu = async (): Promise<Map<number, number> | null> => {
      const rows = await database.prisma.$queryRaw<{ pid: number; query: string }[]>`
        SELECT pid, left(regexp_replace(query, '\s+', ' ', 'g'), 40) AS query FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`;
      for (const { pid, query } of rows) lastQuery.set(pid, query);
      const ticks = new Map<number, number>();
      for (const { pid } of rows) {
        const used = processCpuUs(pid);
        if (Number.isNaN(used)) return null;
        ticks.set(pid, used);
      }
      return ticks;
    };
    const postgresUsed = (before: Map<number, number> | null, after: Map<number, number> | null) => {
      if (!before || !after) return Number.NaN;
      let used = 0;
      for (const [pid, t] of after) used += t - (before.get(pid) ?? 0);
      return used;
    };
    const run = async (targets: string[], scenario: Scenario, seconds = SECONDS, connections = CONNECTIONS) => {
      const servers = targets[0] === baselineUrl ? [baseline] : services;
      const cpu0 = await cpuUsed(servers);
      const main0 = await mainThreadUsed(servers);
      const pg0 = await postgresCpu();
      const load0 = processCpuUs(load.pid);
      const machine0 = machineCpuUs();
      const result = await load.ask({ cmd: 'autocannon', urls: targets, scenario, connections, seconds } satisfies LoadCommand);
      const machine = machineCpuUs();
      const loadCpu = processCpuUs(load.pid) - load0;
      const cpu = (await cpuUsed(servers)) - cpu0;
      const main = (await mainThreadUsed(servers)) - main0;
      const pg = postgresUsed(pg0, await postgresCpu());
      const requests = Math.max(1, (result.requestsPerSecond ?? 0) * seconds);
      const busy = machine.busy - machine0.busy;
      return {
        ...result,
        cpuPerRequest: cpu / requests,
        mainThreadPerRequest: main / requests,
        postgresPerRequest: pg / requests,
        loadPerRequest: loadCpu / requests,
        // Everything else on the machine (other processes, the kernel's own work), per request.
        restPerRequest: (busy - cpu - pg - loadCpu) / requests,
        machinePerRequest: busy / requests,
        machineBusy: busy / Math.max(1, machine.total - machine0.total),
      };
    };

    console.log(
      `\n== bench:compare — PostgreSQL, ${INSTANCES} service instance(s)${redisUrl ? ' + Redis' : ''}, ${CONNECTIONS} connections, ${SECONDS} s per figure ==\n`,
    );
    // Warm-ups: JIT, connection pools and the settings cache, not measured.
    await run([baselineUrl], { kind: 'typename' }, 1);
    await run(urls, { kind: 'typename', credential: small.apiKey }, 1);
    await run(urls, { kind: 'visitorMessage', apiKey: small.apiKey, chats: spreadChats }, 1);

    const base = await run([baselineUrl], { kind: 'typename' });
    print(
      'baseline: minimal graphql-yoga { __typename }',
      `${fmt(base.requestsPerSecond)} req/s`,
      `p50 ${fmt(base.p50)} ms, p99 ${fmt(base.p99)} ms; server CPU ${fmt(base.cpuPerRequest)} µs/request`,
    );
    // The machine's load moves within a run: each ratio is against a baseline taken just before it,
    // CPU included (the baseline's CPU per request falls as its rate rises: comparing with the first
    // baseline's flattered the service by up to a third).
    type Measured = Awaited<ReturnType<typeof run>>;
    /**
     * REPEATS pairs, each a baseline (BASELINE_SECONDS) then the service (SECONDS), interleaved: one
     * pair's ratio moves ±20 points with the machine's load; the median of the pairs' ratios moves less.
     */
    const measure = async (section: string, targets: string[], scenario: Scenario) => {
      const pairs: { near: Measured; r: Measured }[] = [];
      for (let i = 0; i < REPEATS; i++) {
        const tag = i === 0 ? '' : `.r${i + 1}`;
        const near = await profiledBaseline(`${section}${tag}.baseline`, () => run([baselineUrl], { kind: 'typename' }, BASELINE_SECONDS));
        pairs.push({ near, r: await profiled(`${section}${tag}`, () => run(targets, scenario)) });
      }
      return pairs;
    };
    const pct = (x: number) => `${fmt(x * 100, 1)}%`;
    /**
     * The whole machine, per request. Throughput is machine busy ÷ machine CPU per request, so the
     * ratio to the baseline is the product of two factors: how much less CPU the baseline's request
     * costs the machine (moves only with CPU taken away), and how much busier this section kept the
     * machine (moves with more of the work overlapping). Each main thread's busy share tells which
     * side is bound by its one JavaScript thread.
     */
    const machineLine = (pairs: { near: Measured; r: Measured }[]) => {
      const of = (f: (p: { near: Measured; r: Measured }) => number) => median(pairs.map(f));
      const mainBusy = (m: Measured) => (m.mainThreadPerRequest * (m.requestsPerSecond ?? Number.NaN)) / 1e6;
      const service = `service ${fmt(of((p) => p.r.cpuPerRequest))}, its main thread busy ${pct(of((p) => mainBusy(p.r)))} of the time, + PostgreSQL ${fmt(of((p) => p.r.postgresPerRequest))} + load generator ${fmt(of((p) => p.r.loadPerRequest))} + rest ${fmt(of((p) => p.r.restPerRequest))}`;
      const baseline = `server ${fmt(of((p) => p.near.cpuPerRequest))}, its main thread busy ${pct(of((p) => mainBusy(p.near)))} of the time, + load generator ${fmt(of((p) => p.near.loadPerRequest))} + rest ${fmt(of((p) => p.near.restPerRequest))}`;
      const cpuFactor = of((p) => p.near.machinePerRequest / p.r.machinePerRequest);
      const busyFactor = of((p) => p.r.machineBusy / p.near.machineBusy);
      return `machine CPU per request ${fmt(of((p) => p.r.machinePerRequest))} µs (${service}), the baseline's ${fmt(of((p) => p.near.machinePerRequest))} µs (${baseline}): CPU factor ${pct(cpuFactor)}; machine busy ${pct(of((p) => p.r.machineBusy))} against ${pct(of((p) => p.near.machineBusy))}: busy factor ${fmt(busyFactor, 2)}`;
    };
    /** The pairs' medians, every pair's ratio beside them: the value, and its note's ratio and CPU parts. */
    const describe = (pairs: { near: Measured; r: Measured }[], target: string) => {
      const of = (f: (p: { near: Measured; r: Measured }) => number | undefined) => pairs.map((p) => f(p) ?? Number.NaN);
      const ratios = of((p) => (p.r.requestsPerSecond ?? Number.NaN) / (p.near.requestsPerSecond ?? Number.NaN));
      const cpuRatios = of((p) => p.r.cpuPerRequest / p.near.cpuPerRequest);
      const list = pairs.length > 1;
      const failures = pairs.reduce((sum, p) => sum + (p.r.failures ?? 0), 0);
      return {
        value: `${fmt(median(of((p) => p.r.requestsPerSecond)))} req/s`,
        ratio: `${pct(median(ratios))} of baseline ${fmt(median(of((p) => p.near.requestsPerSecond)))}/s (target ${target}${list ? `; median of ${pairs.length} pairs: ${ratios.map(pct).join(', ')}` : ''})`,
        latency: `p50 ${fmt(median(of((p) => p.r.p50)))} ms, p99 ${fmt(median(of((p) => p.r.p99)))} ms`,
        machine: machineLine(pairs),
        cpu: `server CPU ${fmt(median(of((p) => p.r.cpuPerRequest)))} µs/req = ${fmt(median(cpuRatios), 1)}× the adjacent baseline's ${fmt(median(of((p) => p.near.cpuPerRequest)))} µs${list ? ` (${cpuRatios.map((x) => `${fmt(x, 1)}×`).join(', ')})` : ''}, main thread ${fmt(median(of((p) => p.r.mainThreadPerRequest)))} µs, PostgreSQL ${fmt(median(of((p) => p.r.postgresPerRequest)))} µs/req${failures ? `; ${failures} FAILED` : ''}`,
      };
    };
    if (runs('typename')) {
      // No credential: what the service costs without the credential's database lookup (context.ts).
      const typenames: [string, string, string, string | undefined][] = [
        ['typename-anonymous', 'service { __typename }, no credential', 'none', undefined],
        ['typename-api-key', 'service { __typename }, API key', '≥ 80%', small.apiKey],
        ['typename-operator-token', 'service { __typename }, operator token', '≥ 80%', operatorToken],
      ];
      for (const [section, name, target, credential] of typenames) {
        const d = describe(await measure(section, urls, { kind: 'typename', credential }), target);
        print(name, d.value, `${d.ratio}; ${d.cpu}`);
        console.log(`  ${d.machine}`);
      }
    }

    const singles: [string, Scenario][] = [
      [
        `reportVisitorMessage ×${CONNECTIONS}, ${spreadChats.length} chats / 10 operators`,
        { kind: 'visitorMessage', apiKey: small.apiKey, chats: spreadChats },
      ],
      [
        `reportVisitorMessage ×${CONNECTIONS}, 8 chats / 1 busy operator`,
        { kind: 'visitorMessage', apiKey: small.apiKey, chats: busyChats },
      ],
      [
        `reportChatStarted ×${CONNECTIONS}, new chats / 10 operators`,
        {
          kind: 'chatStarted',
          apiKey: small.apiKey,
          widgetId: toGlobal('Widget', small.widgetId),
          operatorIds: spread.map((id) => toGlobal('Operator', id)),
          prefix: 'start-spread',
        },
      ],
      [
        `reportChatStarted ×${CONNECTIONS}, new chats / 1 busy operator`,
        {
          kind: 'chatStarted',
          apiKey: small.apiKey,
          widgetId: toGlobal('Widget', small.widgetId),
          operatorIds: busy.map((id) => toGlobal('Operator', id)),
          prefix: 'start-busy',
        },
      ],
    ];
    // `chatstarts` alone: the two chat-start sections of `singles` (the figure still missed).
    const chosen = runs('singles') ? singles : runs('chatstarts') ? singles.filter(([, s]) => s.kind === 'chatStarted') : [];
    for (const [name, scenario] of chosen) {
      const d = describe(await measure(name, urls, scenario), '≥ 40%');
      print(name, d.value, `${d.ratio}; ${d.latency}; ${d.cpu}`);
      console.log(`  ${d.machine}`);
    }
    if (runs('batch')) {
      const batches: Measured[] = [];
      for (let i = 0; i < REPEATS; i++)
        batches.push(
          await profiled(i === 0 ? 'batch' : `batch.r${i + 1}`, () =>
            run(
              urls,
              {
                kind: 'batch',
                apiKey: small.apiKey,
                widgetId: toGlobal('Widget', small.widgetId),
                operatorIds: spread.map((id) => toGlobal('Operator', id)),
                prefix: 'batch',
                batch: BATCH,
              },
              SECONDS,
              4,
            ),
          ),
        );
      const of = (f: (r: Measured) => number | undefined) => median(batches.map((r) => f(r) ?? Number.NaN));
      const failures = batches.reduce((sum, r) => sum + (r.failures ?? 0), 0);
      print(
        `reportHappenings batches of ${BATCH} ×4 connections, 10 operators`,
        `${fmt(of((r) => r.happeningsPerSecond))} happ./s`,
        `target ≥ 3,000/s${REPEATS > 1 ? ` (median of ${REPEATS} runs: ${batches.map((r) => fmt(r.happeningsPerSecond)).join(', ')})` : ''}; p50 ${fmt(of((r) => r.p50))} ms per batch; server CPU ${fmt(of((r) => r.cpuPerRequest) / BATCH)} µs, PostgreSQL ${fmt(of((r) => r.postgresPerRequest) / BATCH)} µs per happening${failures ? `; ${failures} FAILED` : ''}`,
      );
    }

    // Report → receive: the 10 operators connected from the clients process.
    const clients = await child<ClientStats>('./live-clients.ts');
    cleanups.push(() => clients.kill());
    const wsUrls = urls.map((u) => `${u.replace(/^http/, 'ws')}/graphql`);
    const tokenOf = (org: SeededOrganization, id: string) =>
      issueOperatorToken(TOKEN_SECRET, 3600, { id, organizationId: org.organizationId }).token;
    const connect = async (org: SeededOrganization, ids: string[]) => {
      for (let i = 0; i < wsUrls.length; i++)
        await clients.ask({
          cmd: 'graphql',
          url: wsUrls[i],
          tokens: ids.filter((_, k) => k % wsUrls.length === i).map((id) => tokenOf(org, id)),
        });
    };
    const waitFor = async (count: number, ms: number) => {
      const deadline = Date.now() + ms;
      for (;;) {
        const stats = await clients.ask({ cmd: 'stats' });
        if (stats.received >= count || Date.now() > deadline) return stats;
        await sleep(50);
      }
    };
    await connect(small, spread);
    await sleep(500);
    const roles = new Map<number, string>([
      [process.pid, 'bench orchestrator'],
      [load.pid, 'bench load generator'],
      [clients.pid, 'bench stream clients'],
      [baseline.pid, 'bench baseline'],
      ...services.map((s, i) => [s.pid, `service ${i}`] as [number, string]),
    ]);
    const ownDatabase = new URL(databaseUrl).pathname.slice(1);
    if (WATCH && runs('latency')) {
      const tables = await database.prisma.$queryRaw<
        { relname: string; live: number; dead: number; modified: number; analyzed: Date | null }[]
      >`
        SELECT relname, n_live_tup::int AS live, n_dead_tup::int AS dead, n_mod_since_analyze::int AS modified,
               greatest(last_analyze, last_autoanalyze) AS analyzed
        FROM pg_stat_user_tables ORDER BY n_mod_since_analyze DESC LIMIT 6`;
      console.log(
        `  tables before the latency sections (live/dead rows, modified since analyzed, analyzed): ${tables
          .map((t) => `${t.relname} ${t.live}/${t.dead}, ${t.modified}, ${t.analyzed ? t.analyzed.toISOString().slice(11, 19) : 'never'}`)
          .join('; ')}`,
      );
    }
    if (process.env.BENCH_ANALYZE === '1' && runs('latency')) {
      const a0 = now();
      await database.prisma.$executeRawUnsafe('ANALYZE');
      console.log(`  (experiment) ANALYZE took ${fmt(now() - a0)} ms`);
    }
    /** One open-loop window at `rate`: every sample (send time, latency), the CPU per report, and with BENCH_WATCH what overlapped. */
    const latencyWindow = async (rate: number, name: string) => {
      await clients.ask({ cmd: 'reset' });
      const stopWatch = WATCH ? watchMachine(database.prisma, roles) : null;
      if (WATCH) await Promise.all(services.map((s) => s.ask({ cmd: 'watchStart' })));
      const t0 = now();
      const walStats = () =>
        database.prisma.$queryRaw<{ syncs: number; syncMs: number; writeMs: number; bytes: number; fpi: number }[]>`
          SELECT wal_sync::float8 AS syncs, wal_sync_time AS "syncMs", wal_write_time AS "writeMs", wal_bytes::float8 AS bytes, wal_fpi::float8 AS fpi FROM pg_stat_wal`;
      const wal0 = WATCH ? (await walStats())[0] : undefined;
      const main0 = await mainThreadUsed(services);
      const cpu0 = await cpuUsed(services);
      const pg0 = await postgresCpu();
      const sent = await profiled(name, () =>
        load.ask({ cmd: 'rate', urls, apiKey: small.apiKey, chats: spreadChats, rate, seconds: LATENCY_SECONDS } satisfies LoadCommand),
      );
      await waitFor((sent.sent ?? 0) - (sent.failures ?? 0), 10_000);
      const reports = Math.max(1, sent.sent ?? 0);
      const cpu = ((await cpuUsed(services)) - cpu0) / reports;
      const mainThread = ((await mainThreadUsed(services)) - main0) / reports;
      const pg1 = await postgresCpu();
      const pg = postgresUsed(pg0, pg1) / reports;
      if (WATCH) console.log(`  PostgreSQL CPU by backend (this database): ${postgresTop(pg0, pg1, (now() - t0) / 1000)}`);
      const wal1 = wal0 ? (await walStats())[0] : undefined;
      if (wal0 && wal1)
        console.log(
          `  WAL meanwhile (the whole cluster's bytes, FPIs and syncs; wait times of this database's backends only): ${fmt((wal1.bytes - wal0.bytes) / 1024)} KB, ${fmt(wal1.fpi - wal0.fpi)} full-page images, ${fmt(wal1.syncs - wal0.syncs)} syncs; backends waited ${fmt(wal1.syncMs - wal0.syncMs, 1)} ms on WAL syncs, ${fmt(wal1.writeMs - wal0.writeMs, 1)} ms on WAL writes`,
        );
      const clientStats = await clients.ask({ cmd: 'slowest', count: Number.MAX_SAFE_INTEGER });
      const samples = clientStats.slowest ?? [];
      if (stopWatch) {
        const watched = await Promise.all(services.map((s) => s.ask({ cmd: 'watchStop' })));
        const machine = await stopWatch();
        const stalls = watched.flatMap((w) => w.stalls ?? []);
        const rel = (t: number) => `${((t - t0) / 1000).toFixed(3)} s`;
        const kinds = new Map<string, { n: number; ms: number; max: number }>();
        for (const x of stalls) {
          const kind = x.what.startsWith('query') ? `${x.what.slice(0, 26)}…` : x.what.replace(/ \(CPU .*/, '');
          const k = kinds.get(kind) ?? { n: 0, ms: 0, max: 0 };
          kinds.set(kind, { n: k.n + 1, ms: k.ms + x.ms, max: Math.max(k.max, x.ms) });
        }
        console.log(
          `  ${name} watched: service event-loop delay p50/p99/max ${watched.map((w) => `${fmt(w.loopDelay?.p50, 1)}/${fmt(w.loopDelay?.p99, 1)}/${fmt(w.loopDelay?.max, 1)}`).join(', ')} ms; ` +
            `sender late p99/max ${fmt(sent.lateP99, 1)}/${fmt(sent.lateMax, 1)} ms; slowest HTTP answers ${(sent.slowAnswers ?? [])
              .slice(0, 5)
              .map((x) => `${fmt(x.ms, 0)} ms @${rel(x.at)}`)
              .join(', ')}`,
        );
        // Event-loop stalls: how much of their wall time the process spent on a core (the rest it waited for one).
        const loopStalls = stalls.filter((x) => x.what.startsWith('event loop'));
        const onCore = loopStalls.reduce((sum, x) => sum + Number(x.what.match(/CPU (\d+)/)?.[1] ?? 0), 0);
        const stalled = loopStalls.reduce((sum, x) => sum + x.ms, 0);
        console.log(`  service event-loop stalls ≥ 10 ms: ${fmt(stalled)} ms, of which the process was on a core ${fmt(onCore)} ms`);
        console.log(
          `  service waits ≥ 10 ms (count, total, longest): ${
            [...kinds]
              .sort((x, y) => y[1].ms - x[1].ms)
              .map(([kind, k]) => `${kind} ${k.n}× ${fmt(k.ms)} ms ≤ ${fmt(k.max)} ms`)
              .join('; ') || 'none'
          }`,
        );
        const queries = new Map<string, number>();
        for (const w of watched) for (const [kind, n] of w.queries ?? []) queries.set(kind, (queries.get(kind) ?? 0) + n);
        console.log(
          `  queries sent by the service: ${[...queries]
            .sort((x, y) => y[1] - x[1])
            .map(([kind, n]) => `${kind.trim()}… ${n}`)
            .join('; ')}`,
        );
        const slowQueries = stalls.filter((x) => x.what.startsWith('query'));
        if (slowQueries.length > 0)
          console.log(
            `  slow queries (wall ms @time, which backend and its how-many-th query): ${slowQueries
              .slice(0, 16)
              .map((x) => `${fmt(x.ms)} ms @${rel(x.at)} ${x.what.slice(6, 18)}… ${x.what.match(/\[(.*)\]$/)?.[1] ?? ''}`)
              .join('; ')}`,
          );
        for (const line of summarize(machine, ownDatabase)) console.log(line);
        for (const line of explain(t0, samples.slice(0, 5), stalls, machine, ownDatabase)) console.log(line);
      }
      return { samples: samples.map((x) => x.ms), sent, cpu, mainThread, pg, clientLoopMax: clientStats.loopDelayMax ?? Number.NaN };
    };
    const percentiles = (values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
      return { p50: at(50), p95: at(95), p99: at(99) };
    };
    // REPEATS rounds of every rate, alternating (100, 300, 100, 300, …): each window is as long as
    // before and the first still comes right after the batch section; the figure pools all windows,
    // so its p99 rests on REPEATS × 3 samples per 100/s instead of 3, and each window's p99 is printed.
    const windows = new Map<number, Awaited<ReturnType<typeof latencyWindow>>[]>();
    for (let i = 0; i < (runs('latency') ? REPEATS : 0); i++)
      for (const rate of RATES) {
        const w = await latencyWindow(rate, i === 0 ? `latency-${rate}` : `latency-${rate}.r${i + 1}`);
        windows.set(rate, [...(windows.get(rate) ?? []), w]);
        const p = percentiles(w.samples);
        console.log(
          `  window ${i + 1} at ${rate}/s: p50/p95/p99 ${fmt(p.p50, 1)}/${fmt(p.p95, 1)}/${fmt(p.p99, 1)} ms, ${w.samples.length}/${fmt(w.sent.sent)} received; the load generator's sends late by ≤ ${fmt(w.sent.lateMax, 0)} ms, the clients' event loop delayed ≤ ${fmt(w.clientLoopMax, 0)} ms; server CPU ${fmt(w.cpu)} µs (main thread ${fmt(w.mainThread)} µs, the rest V8's and libuv's helper threads), PostgreSQL ${fmt(w.pg)} µs per report`,
        );
      }
    for (const [rate, list] of windows) {
      const all = percentiles(list.flatMap((w) => w.samples));
      const sent = list.reduce((sum, w) => sum + (w.sent.sent ?? 0), 0);
      const failures = list.reduce((sum, w) => sum + (w.sent.failures ?? 0), 0);
      const received = list.reduce((sum, w) => sum + w.samples.length, 0);
      const perWindow = list.map((w) => fmt(percentiles(w.samples).p99, 1)).join(', ');
      print(
        `report → receive at ${rate} reports/s, 10 operators (p50/p95/p99)`,
        `${fmt(all.p50, 1)}/${fmt(all.p95, 1)}/${fmt(all.p99, 1)} ms`,
        `target p99 ≤ ${rate <= 100 ? 25 : 50} ms; ${fmt(received)}/${fmt(sent)} received${failures ? `, ${failures} reports FAILED` : ''}${list.length > 1 ? `; ${list.length} windows of ${LATENCY_SECONDS} s pooled, each window's p99: ${perWindow} ms${runs('batch') ? ' (the first right after the batch section)' : ''}` : ''}; server CPU ${fmt(median(list.map((w) => w.cpu)))} µs, PostgreSQL ${fmt(median(list.map((w) => w.pg)))} µs per report`,
      );
    }
    if (runs('latency')) {
      // What the latency windows' CPU per report carries when no report comes: the same streams
      // connected, the workers' polls and timers, for as long as one window (after them, so the
      // first window still comes right after the batch section).
      const idle0 = await cpuUsed(services);
      const idlePg0 = await postgresCpu();
      const idleStart = now();
      await profiled('idle', () => sleep(LATENCY_SECONDS * 1000));
      const idleSeconds = (now() - idleStart) / 1000;
      const idleCpu = ((await cpuUsed(services)) - idle0) / 1000 / idleSeconds;
      const idlePg = postgresUsed(idlePg0, await postgresCpu()) / 1000 / idleSeconds;
      let watched = '';
      if (WATCH) {
        // The same, watched as the windows are: what the watch itself costs the service's CPU figures.
        await Promise.all(services.map((s) => s.ask({ cmd: 'watchStart' })));
        const w0 = await cpuUsed(services);
        const ws = now();
        await sleep(LATENCY_SECONDS * 1000);
        const wCpu = ((await cpuUsed(services)) - w0) / 1000 / ((now() - ws) / 1000);
        await Promise.all(services.map((s) => s.ask({ cmd: 'watchStop' })));
        watched = `; watched (BENCH_WATCH's timers in the service): ${fmt(wCpu, 1)} ms/s`;
      }
      console.log(
        `  idle for ${LATENCY_SECONDS} s after the latency windows (streams connected, no report): service ${fmt(idleCpu, 1)} ms/s, PostgreSQL ${fmt(idlePg, 1)} ms/s of CPU${watched}`,
      );
    }

    if (!runs('fanout')) return;
    // Live fan-out: FANOUT_STREAMS idle operators, pre-decided items straight on the pub/sub.
    const cpuOf = async (list: typeof services) => {
      let total = 0;
      for (const s of list) total += (await s.ask({ cmd: 'cpu' })).cpuUs ?? 0;
      return total;
    };
    const memoryOf = async () => {
      let heap = 0;
      let rss = 0;
      for (const s of services) {
        const m = await s.ask({ cmd: 'memory' });
        heap += m.heap ?? 0;
        rss += m.rss ?? 0;
      }
      return { heap, rss };
    };
    const half = Math.floor(FANOUT_STREAMS / 2);
    await connect(big, big.operatorIds.slice(0, half));
    await sleep(500);
    const before = await memoryOf();
    await connect(big, big.operatorIds.slice(half));
    await sleep(500);
    const after = await memoryOf();
    const perStream = (bytes: number) => `${fmt(bytes / (FANOUT_STREAMS - half) / 1024, 1)} KB`;
    print(
      'memory per idle stream (heap / RSS growth)',
      `${perStream(after.heap - before.heap)} / ${perStream(after.rss - before.rss)}`,
      'target ≤ 20 KB',
    );

    const rounds = Math.max(1, Math.round(FANOUT_TOTAL / FANOUT_STREAMS));
    const item = {
      seq: null,
      inboxItemId: null,
      eventId: randomUUID(),
      kind: 'SYSTEM_MESSAGE' as const,
      chatId: null,
      chatExternalId: null,
      widgetId: null,
      title: 'fanout',
      body: 'bench',
      browser: true,
      sound: null,
      createdAt: new Date().toISOString(),
    };
    await clients.ask({ cmd: 'reset' });
    const cpu0 = await cpuOf(services);
    const t0 = now();
    const fanout = await profiled('fanout', async () => {
      await services[0]?.ask({ cmd: 'publish', operatorIds: big.operatorIds, rounds, item });
      return waitFor(rounds * FANOUT_STREAMS, 60_000);
    });
    const fanoutSeconds = (now() - t0) / 1000;
    const fanoutCpu = ((await cpuOf(services)) - cpu0) / Math.max(1, fanout.received);
    const fanoutRate = fanout.received / fanoutSeconds;
    print(
      'live fan-out (pub/sub → graphql-ws)',
      `${fmt(fanoutRate)} notif./s`,
      `target ≥ 20,000/s; ${fmt(fanout.received)}/${fmt(rounds * FANOUT_STREAMS)} received`,
    );
    print('  server CPU per notification', `${fmt(fanoutCpu, 2)} µs`);
    await clients.ask({ cmd: 'close' });
    clients.kill();

    // The same bytes graphql-ws sent, through a plain ws server.
    const message = JSON.stringify({ id: randomUUID(), type: 'next', payload: { data: { notifications: fanout.last } } });
    const plain = await child<ServerReply>('./compare-server.ts');
    cleanups.push(() => plain.ask({ cmd: 'stop' }));
    const plainUrl = (await plain.ask({ cmd: 'start', mode: 'plain' })).url ?? '';
    const plainClients = await child<ClientStats>('./live-clients.ts');
    cleanups.push(() => plainClients.kill());
    await plainClients.ask({ cmd: 'plain', url: plainUrl, count: FANOUT_STREAMS });
    await sleep(300);
    await plainClients.ask({ cmd: 'reset' });
    const plainCpu0 = await cpuOf([plain]);
    const p0 = now();
    await plain.ask({ cmd: 'plainSend', rounds, message });
    const plainStats = await (async () => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const stats = await plainClients.ask({ cmd: 'stats' });
        if (stats.received >= rounds * FANOUT_STREAMS || Date.now() > deadline) return stats;
        await sleep(50);
      }
    })();
    const plainSeconds = (now() - p0) / 1000;
    const plainCpu = ((await cpuOf([plain])) - plainCpu0) / Math.max(1, plainStats.received);
    print(
      `plain ws, same ${message.length} bytes`,
      `${fmt(plainStats.received / plainSeconds)} msg/s`,
      `server CPU ${fmt(plainCpu, 2)} µs per message`,
    );
    print('fan-out cost ratio (CPU per notification, service / plain ws)', `${fmt(fanoutCpu / plainCpu, 2)}×`, 'target ≤ 2×');
    print('fan-out rate ratio (service / plain ws)', `${fmt((fanoutRate / (plainStats.received / plainSeconds)) * 100, 1)}%`);
  } finally {
    printSummary(startLoad, startedAt);
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch((error) => console.error('cleanup:', error));
    if (fresh) execFileSync('npx', ['tsx', here('../scripts/fresh-postgres.ts'), 'drop', databaseUrl.split('/').pop() ?? '']);
  }
}

await main();
process.exit(0);

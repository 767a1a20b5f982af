/**
 * A server process of bench/compare.bench.ts (child_process.fork), so its CPU is measured apart
 * from the load generator and the clients, and so it can run under `node --cpu-prof`. One of:
 *  - `service`: the real app (createApp) on DATABASE_URL, Redis when REDIS_URL is given;
 *  - `baseline`: a minimal graphql-yoga server answering `{ __typename }`;
 *  - `plain`: a plain `ws` server that sends prepared bytes to every socket (the fan-out baseline).
 * Driven over IPC: `cpu`, `memory`, `publish` (pre-decided live items straight on the pub/sub),
 * `plainSend`, `profileStart` / `profileStop` (a CPU profile of one section, written as
 * `<file>.cpuprofile`: read it with scripts/profile-summary.ts), `heapSnapshot` (after a full GC,
 * to `file`), `stop`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { type IntervalHistogram, monitorEventLoopDelay, PerformanceObserver, performance } from 'node:perf_hooks';
import { setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createSchema, createYoga } from 'graphql-yoga';
import pg from 'pg';
import { WebSocketServer } from 'ws';
import { type App, createApp } from '../src/app.js';
import { readConfig } from '../src/config.js';
import { applyGcTuning } from '../src/observability/gc-tuning.js';
import type { LiveItem } from '../src/services/live/live-item.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Command =
  | {
      cmd: 'start';
      mode: 'service' | 'baseline' | 'plain';
      databaseUrl?: string;
      redisUrl?: string;
      redisPrefix?: string;
      tokenSecret?: string;
    }
  | { cmd: 'cpu' }
  | { cmd: 'memory' }
  | { cmd: 'streams' }
  | { cmd: 'publish'; operatorIds: string[]; rounds: number; item: LiveItem }
  | { cmd: 'plainSend'; rounds: number; message: string }
  | { cmd: 'profileStart' }
  | { cmd: 'profileStop'; file: string }
  | { cmd: 'heapSnapshot'; file: string }
  | { cmd: 'watchStart' }
  | { cmd: 'watchStop' }
  | { cmd: 'stop' };

let app: App | null = null;
let stopServer: (() => Promise<void>) | null = null;
let plain: WebSocketServer | null = null;

async function start(command: Extract<Command, { cmd: 'start' }>): Promise<string> {
  if (command.mode === 'service') {
    const config = {
      ...readConfig(),
      port: 0,
      databaseUrl: command.databaseUrl,
      tokenSecret: command.tokenSecret,
      redisUrl: command.redisUrl,
      redisPrefix: command.redisPrefix ?? 'bench:',
      // Streams stay ONLINE for the whole run, the buffer holds a fan-out burst, no daily summaries.
      // Rate limits still run but never refuse (the bench measures their cost, not their effect);
      // warnings only: a stream's open/close lines would cost more than the fan-out measured.
      logLevel: process.env.LOG_LEVEL ?? 'warn',
      rateLimitApiKeyHappenings: 1_000_000_000,
      rateLimitOperatorRequests: 1_000_000_000,
      presenceGraceMs: 3_600_000,
      streamBufferLimit: 100_000,
      analyticsTickMs: 0,
    };
    // What main.ts does before creating the app (the baseline servers keep V8's defaults).
    applyGcTuning(config);
    app = await createApp({ config });
    return app.start(0);
  }
  if (command.mode === 'baseline') {
    const yoga = createYoga({ schema: createSchema({ typeDefs: 'type Query { hello: String }' }), logging: 'warn' });
    const server = createServer(yoga);
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    stopServer = () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    };
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  plain = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  const wss = plain;
  await new Promise((resolve) => wss.once('listening', resolve));
  return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
}

/** The live.bench.ts loop: every operator once per round, yielding to the event loop every 10 rounds. */
async function publish(operatorIds: string[], rounds: number, item: LiveItem): Promise<void> {
  const pubsub = app?.services.live?.pubsub;
  if (!pubsub) throw new Error('no live service');
  for (let r = 0; r < rounds; r++) {
    for (const id of operatorIds) pubsub.publish('operator:notification', id, item);
    if (r % 10 === 9) await sleep(0);
  }
}

async function plainSend(rounds: number, message: string): Promise<void> {
  const sockets = [...(plain?.clients ?? [])];
  for (let r = 0; r < rounds; r++) {
    for (const socket of sockets) socket.send(message);
    if (r % 10 === 9) await sleep(0);
  }
}

let profiler: Session | null = null;

async function profileStart(): Promise<void> {
  profiler = new Session();
  profiler.connect();
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.start');
  // BENCH_ALLOC=1: also sample what is allocated, garbage included (what the GC's share comes from);
  // BENCH_ALLOC=live: only what is still alive when the section ends.
  if (process.env.BENCH_ALLOC) {
    await profiler.post('HeapProfiler.enable');
    await profiler.post('HeapProfiler.startSampling', {
      samplingInterval: 16_384,
      includeObjectsCollectedByMajorGC: process.env.BENCH_ALLOC === '1',
      includeObjectsCollectedByMinorGC: process.env.BENCH_ALLOC !== 'live',
    });
  }
}

async function profileStop(file: string): Promise<void> {
  if (!profiler) return;
  const { profile } = await profiler.post('Profiler.stop');
  writeFileSync(file, JSON.stringify(profile));
  if (process.env.BENCH_ALLOC) {
    const { profile: heap } = await profiler.post('HeapProfiler.stopSampling');
    writeFileSync(file.replace(/\.cpuprofile$/, '.heapprofile'), JSON.stringify(heap));
  }
  profiler.disconnect();
  profiler = null;
}

/** The main thread's CPU (µs, from /proc: clock ticks); the rest of the process's is V8's and libuv's helper threads. */
function mainThreadCpu(): number | undefined {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((Number(fields[11]) || 0) + (Number(fields[12]) || 0)) * 10_000;
  } catch {
    return undefined;
  }
}

const epoch = () => performance.timeOrigin + performance.now();
/** What the process did while a section was watched: stalls of its own, each with when it began. */
export interface Stall {
  at: number;
  ms: number;
  what: string;
}
const STALL_MS = 10;
let watch: {
  loop: IntervalHistogram;
  gc: PerformanceObserver;
  ticker: NodeJS.Timeout;
  stalls: Stall[];
  queries: Map<string, number>;
} | null = null;

/**
 * The pg clients' queries and pool checkouts, timed while a section is watched (the service uses
 * this process's `pg` for Prisma's adapter and its hot statement alike). Installed once, idle
 * (one `watch` test) when nothing is watched.
 */
function timePostgres() {
  const note = (started: number, what: string) => {
    const ms = epoch() - started;
    if (watch && ms >= STALL_MS) watch.stalls.push({ at: started, ms, what });
  };
  const sqlOf = (args: unknown[]) => {
    const first = args[0] as string | { text?: string } | undefined;
    const text = typeof first === 'string' ? first : (first?.text ?? '?');
    return `query ${text.replace(/\s+/g, ' ').slice(0, 70)}`;
  };
  // Which use of its connection a query is (a fresh backend loads its catalog caches and plans
  // each statement text anew): counted always, printed with the slow ones.
  const uses = new WeakMap<object, number>();
  const patch = (proto: object, method: string, describe: (args: unknown[], self: unknown) => string) => {
    const target = proto as Record<string, (...args: unknown[]) => unknown>;
    const original = target[method];
    if (!original) return;
    target[method] = function (this: unknown, ...args: unknown[]) {
      if (!watch) return original.apply(this, args);
      const what = (a: unknown[]) => describe(a, this);
      const started = epoch();
      const last = args.length - 1;
      const callback = args[last];
      if (typeof callback === 'function') {
        args[last] = (...results: unknown[]) => {
          note(started, what(args));
          return (callback as (...r: unknown[]) => unknown)(...results);
        };
        return original.apply(this, args);
      }
      const result = original.apply(this, args);
      const settled = () => note(started, what(args));
      if (result instanceof Promise) result.then(settled, settled);
      return result;
    };
  };
  patch(pg.Client.prototype, 'query', (args, self) => {
    const client = self as { processID?: number };
    return `${sqlOf(args)} [backend ${client.processID ?? '?'}, use ${uses.get(client) ?? '?'}]`;
  });
  const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  pg.Client.prototype.query = function (this: object, ...args: unknown[]) {
    uses.set(this, (uses.get(this) ?? 0) + 1);
    if (watch) {
      const kind = sqlOf(args).slice(6, 30);
      watch.queries.set(kind, (watch.queries.get(kind) ?? 0) + 1);
    }
    return query.apply(this, args);
  } as typeof pg.Client.prototype.query;
  patch(pg.Pool.prototype, 'connect', () => 'pool checkout');
}
timePostgres();

function watchStart() {
  const stalls: Stall[] = [];
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      const name = { 1: 'scavenge', 2: 'mark-compact', 4: 'incremental', 8: 'weak-callbacks' }[kind ?? 0] ?? `kind ${kind}`;
      if (entry.duration >= 2) stalls.push({ at: performance.timeOrigin + entry.startTime, ms: entry.duration, what: `gc ${name}` });
    }
  });
  gc.observe({ entryTypes: ['gc'] });
  // A 5 ms tick: one arriving late by ≥ STALL_MS is a turn of the event loop that long. The CPU the
  // process used meanwhile tells work (CPU ≈ wall) from waiting for a core (CPU ≪ wall).
  let expected = epoch() + 5;
  let cpu = process.cpuUsage();
  const ticker = setInterval(() => {
    const t = epoch();
    const used = process.cpuUsage(cpu);
    cpu = process.cpuUsage();
    if (t - expected >= STALL_MS)
      stalls.push({ at: expected, ms: t - expected, what: `event loop (CPU ${Math.round((used.user + used.system) / 1000)} ms)` });
    expected = t + 5;
  }, 5);
  watch = { loop, gc, ticker, stalls, queries: new Map() };
}

function watchStop() {
  if (!watch) return {};
  const { loop, gc, ticker, stalls, queries } = watch;
  watch = null;
  loop.disable();
  gc.disconnect();
  clearInterval(ticker);
  const ms = (ns: number) => ns / 1e6;
  return { loopDelay: { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) }, stalls, queries: [...queries] };
}

process.on('message', async (command: Command) => {
  try {
    let reply: object = {};
    if (command.cmd === 'start') reply = { url: await start(command) };
    if (command.cmd === 'cpu') {
      const cpu = process.cpuUsage();
      reply = { cpuUs: cpu.user + cpu.system, mainThreadUs: mainThreadCpu(), at: performance.timeOrigin + performance.now() };
    }
    if (command.cmd === 'memory') {
      gc();
      const m = process.memoryUsage();
      reply = { heap: m.heapUsed, rss: m.rss };
    }
    if (command.cmd === 'streams') reply = { streams: app?.services.live?.registry.size() ?? 0 };
    if (command.cmd === 'publish') await publish(command.operatorIds, command.rounds, command.item);
    if (command.cmd === 'plainSend') await plainSend(command.rounds, command.message);
    if (command.cmd === 'profileStart') await profileStart();
    if (command.cmd === 'profileStop') await profileStop(command.file);
    if (command.cmd === 'watchStart') watchStart();
    if (command.cmd === 'watchStop') reply = watchStop();
    if (command.cmd === 'heapSnapshot') {
      gc();
      writeHeapSnapshot(command.file);
    }
    if (command.cmd === 'stop') {
      await app?.stop();
      await stopServer?.();
      plain?.close();
    }
    process.send?.({ ok: true, ...reply });
    if (command.cmd === 'stop') setTimeout(() => process.exit(0), 50);
  } catch (error) {
    process.send?.({ ok: false, error: String(error instanceof Error ? error.stack : error) });
  }
});
process.send?.({ ok: true, ready: true });

/**
 * npm run bench:live — live fan-out figures (issue 3, part 7). Prints, never asserts.
 *
 * The server runs in this process; the clients run in bench/live-clients.ts (a forked process).
 * For K idle operators connected (BENCH_LIVE_SIZES, default "1000"), plus an active organization of
 * 10 operators whose happenings each reach those 10:
 *  - report-to-delivery latency p50/p95/p99 at BENCH_LIVE_RATE happenings/s (default 100) over HTTP;
 *  - notifications delivered per second at saturation (batches into the K-operator organization);
 *  - server memory per connected stream (heap and RSS growth while the K streams connect);
 *  - the same fan-out through a plain `ws` server sending pre-built messages, and the cost ratio
 *    (server CPU per delivered notification, graphql-ws over plain ws).
 * PostgreSQL when DATABASE_URL is set (use a fresh database), else in-memory PGlite.
 */
import { type ChildProcess, fork } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { WebSocketServer } from 'ws';
import { createApp } from '../src/app.js';
import { readConfig } from '../src/config.js';
import { openDatabase } from '../src/db/database.js';
import { issueOperatorToken } from '../src/services/organizations.js';
import { seedOrganization } from './seed-organization.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const SIZES = (process.env.BENCH_LIVE_SIZES ?? '1000').split(',').map(Number);
const RATE = Number(process.env.BENCH_LIVE_RATE ?? 100);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Stats {
  ok: boolean;
  received: number;
  samples: number;
  p50: number;
  p95: number;
  p99: number;
  error?: string;
}

function startClients(): Promise<{ child: ChildProcess; ask(command: object): Promise<Stats> }> {
  const child = fork(new URL('./live-clients.ts', import.meta.url).pathname, [], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  let pending: ((s: Stats) => void) | null = null;
  child.on('message', (message) => {
    const resolve = pending;
    pending = null;
    resolve?.(message as Stats);
  });
  const ask = (command: object) =>
    new Promise<Stats>((resolve, reject) => {
      pending = (s) => (s.ok ? resolve(s) : reject(new Error(s.error)));
      child.send(command);
    });
  return new Promise((resolve) => child.once('message', () => resolve({ child, ask })));
}

const REPORT = `mutation ($input: ReportHappeningsInput!) { reportHappenings(input: $input) { __typename } }`;

async function report(url: string, apiKey: string, titles: string[]) {
  const happenings = titles.map((title) => ({ systemMessage: { title, body: 'bench' } }));
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ query: REPORT, variables: { input: { happenings } } }),
  });
  const body = (await response.json()) as { data?: { reportHappenings?: { __typename: string } } };
  if (!body.data?.reportHappenings?.__typename.endsWith('Success')) throw new Error(JSON.stringify(body));
}

async function waitFor(ask: (c: object) => Promise<Stats>, count: number, ms = 120_000): Promise<Stats> {
  const deadline = Date.now() + ms;
  for (;;) {
    const stats = await ask({ cmd: 'stats' });
    if (stats.received >= count || Date.now() > deadline) return stats;
    await sleep(50);
  }
}

const memory = () => {
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss };
};

async function benchSize(size: number) {
  const database = await openDatabase({ databaseUrl: process.env.DATABASE_URL, dataDir: 'memory://' });
  const config = {
    ...readConfig(),
    port: 0,
    tokenSecret: 'bench-secret',
    presenceGraceMs: 3_600_000,
    streamBufferLimit: 100_000,
    analyticsTickMs: 0,
    redisUrl: undefined,
  };
  const app = await createApp({ config, database });
  const url = await app.start(0);
  const wsUrl = `${url.replace(/^http/, 'ws')}/graphql`;
  const prisma = database.prisma;
  const big = await seedOrganization(prisma, config.tokenSecret, size);
  const small = await seedOrganization(prisma, config.tokenSecret, 10);
  // No emails and no presence events: only the live side is measured.
  await prisma.operator.updateMany({
    where: { organizationId: { in: [big.organizationId, small.organizationId] } },
    data: { email: null, presence: 'ONLINE', presenceAnnounced: 'ONLINE' },
  });
  const token = (organizationId: string, id: string) => issueOperatorToken(config.tokenSecret, 3600, { id, organizationId }).token;
  const { child, ask } = await startClients();

  console.log(`\n== ${fmt(size)} idle operators + 10 active (${database.kind}) ==`);
  // Memory per stream: the growth while the second half connects (the first half warms caches up).
  const tokens = big.operatorIds.map((id) => token(big.organizationId, id));
  const half = Math.floor(size / 2);
  await ask({ cmd: 'graphql', url: wsUrl, tokens: tokens.slice(0, half) });
  await sleep(500);
  const before = memory();
  await ask({ cmd: 'graphql', url: wsUrl, tokens: tokens.slice(half) });
  await sleep(500);
  const after = memory();
  const streams = app.services.live?.registry.size() ?? 0;
  const perStream = (bytes: number) => fmt(bytes / (size - half) / 1024, 1);
  console.log(
    `streams open: ${fmt(streams)}; server memory per idle stream: heap ${perStream(after.heap - before.heap)} KB, RSS ${perStream(after.rss - before.rss)} KB  (target ≤ 50 KB)`,
  );
  await ask({ cmd: 'graphql', url: wsUrl, tokens: small.operatorIds.map((id) => token(small.organizationId, id)) });
  await sleep(300);

  const single0 = now();
  for (let i = 0; i < 20; i++) await report(url, small.apiKey, ['warm']);
  console.log(`one report over HTTP, sequential: ${fmt((now() - single0) / 20, 1)} ms round trip (10 operators)`);
  // Latency: RATE happenings/s for SECONDS, each reaching the 10 active operators.
  await sleep(300);
  await ask({ cmd: 'reset' });
  const total = RATE * SECONDS;
  const started = now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / RATE;
    const wait = due - now();
    if (wait > 0) await sleep(wait);
    inFlight.push(report(url, small.apiKey, [`t:${now()}`]));
  }
  await Promise.all(inFlight);
  const latency = await waitFor(ask, total * 10);
  console.log(
    `latency at ${RATE} happenings/s × 10 operators: p50 ${fmt(latency.p50, 1)} ms, p95 ${fmt(latency.p95, 1)} ms, p99 ${fmt(latency.p99, 1)} ms  (${fmt(latency.received)}/${fmt(total * 10)} delivered; target p99 ≤ 25 ms)`,
  );

  // Saturation: batches of system messages into the K-operator organization, 2 reporters in parallel.
  await ask({ cmd: 'reset' });
  const batch = Math.max(1, Math.round(20_000 / size));
  let reported = 0;
  const cpu0 = process.cpuUsage();
  const t0 = now();
  const reporter = async () => {
    while (now() - t0 < SECONDS * 1000) {
      await report(
        url,
        big.apiKey,
        Array.from({ length: batch }, () => 'sat'),
      );
      reported += batch;
    }
  };
  await Promise.all([reporter(), reporter()]);
  const expected = reported * size;
  const saturation = await waitFor(ask, expected);
  const elapsed = (now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const graphqlCpuPer = (cpu.user + cpu.system) / Math.max(1, saturation.received);
  console.log(
    `saturation: ${fmt(saturation.received / elapsed)} notifications/s delivered (${fmt(saturation.received)} of ${fmt(expected)} in ${fmt(elapsed, 1)} s, ${fmt(reported / elapsed)} happenings/s; target ≥ 20,000/s); server CPU ${fmt(graphqlCpuPer, 1)} µs per notification (ingestion included)`,
  );

  // The live part alone: publish pre-decided items straight on the pub/sub (no ingestion, no database).
  await ask({ cmd: 'reset' });
  const live = app.services.live;
  const sampleItem = {
    seq: null,
    inboxItemId: null,
    eventId: '00000000-0000-0000-0000-000000000000',
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
  const rounds = Math.max(1, Math.round(200_000 / size));
  const cpuL0 = process.cpuUsage();
  const tl0 = now();
  for (let r = 0; r < rounds; r++) {
    for (const id of big.operatorIds) live?.pubsub.publish('operator:notification', id, sampleItem);
    if (r % 10 === 9) await sleep(0);
  }
  const fanout = await waitFor(ask, rounds * size);
  const liveElapsed = (now() - tl0) / 1000;
  const cpuL = process.cpuUsage(cpuL0);
  const liveCpuPer = (cpuL.user + cpuL.system) / Math.max(1, fanout.received);
  console.log(
    `live fan-out only (pub/sub → graphql-ws): ${fmt(fanout.received / liveElapsed)} notifications/s, server CPU ${fmt(liveCpuPer, 2)} µs per notification`,
  );
  await ask({ cmd: 'close' });
  child.kill();

  // Baseline: a plain ws server sending the same pre-built message to K sockets.
  const plain = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => plain.once('listening', resolve));
  const plainUrl = `ws://127.0.0.1:${(plain.address() as AddressInfo).port}`;
  const baseline = await startClients();
  const beforePlain = memory();
  await baseline.ask({ cmd: 'plain', url: plainUrl, count: size });
  await sleep(300);
  const afterPlain = memory();
  const message = JSON.stringify({
    id: '1',
    type: 'next',
    payload: {
      data: { notifications: { title: 'fanout', cursor: 'x', event: 'SYSTEM_MESSAGE', showNotification: true, playSound: false } },
    },
  });
  await baseline.ask({ cmd: 'reset' });
  const cpuB0 = process.cpuUsage();
  const tb0 = now();
  const sockets = [...plain.clients];
  for (let r = 0; r < rounds; r++) {
    for (const socket of sockets) socket.send(message);
    if (r % 10 === 9) await sleep(0);
  }
  const plainStats = await waitFor(baseline.ask, rounds * size);
  const plainElapsed = (now() - tb0) / 1000;
  const cpuB = process.cpuUsage(cpuB0);
  const plainCpuPer = (cpuB.user + cpuB.system) / Math.max(1, plainStats.received);
  console.log(
    `plain ws baseline: ${fmt(plainStats.received / plainElapsed)} messages/s, server CPU ${fmt(plainCpuPer, 2)} µs per message, memory per socket heap ${fmt((afterPlain.heap - beforePlain.heap) / size / 1024, 1)} KB`,
  );
  console.log(
    `cost ratio (server CPU per notification, graphql-ws live fan-out / plain ws): ${fmt(liveCpuPer / plainCpuPer, 2)}×  (target ≤ 2×)`,
  );
  await baseline.ask({ cmd: 'close' });
  baseline.child.kill();
  plain.close();
  await app.stop();
  await database.close();
}

for (const size of SIZES) await benchSize(size);
process.exit(0);

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
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createSchema, createYoga } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import { type App, createApp } from '../src/app.js';
import { readConfig } from '../src/config.js';
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
}

async function profileStop(file: string): Promise<void> {
  if (!profiler) return;
  const { profile } = await profiler.post('Profiler.stop');
  writeFileSync(file, JSON.stringify(profile));
  profiler.disconnect();
  profiler = null;
}

process.on('message', async (command: Command) => {
  try {
    let reply: object = {};
    if (command.cmd === 'start') reply = { url: await start(command) };
    if (command.cmd === 'cpu') {
      const cpu = process.cpuUsage();
      reply = { cpuUs: cpu.user + cpu.system, at: performance.timeOrigin + performance.now() };
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

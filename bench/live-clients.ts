/**
 * The client side of bench/live.bench.ts, run as a separate process (child_process.fork): opens many
 * graphql-ws subscriptions (or plain `ws` sockets for the baseline), counts what arrives and measures
 * report-to-delivery latency from the send time carried in each notification's title or body
 * (`t:<epoch ms>`). `stats` also returns the last notification received, as sent (bench:compare
 * has a plain `ws` server send the same bytes).
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

type Command =
  | { cmd: 'graphql'; url: string; tokens: string[] }
  | { cmd: 'plain'; url: string; count: number }
  | { cmd: 'reset' }
  | { cmd: 'stats' }
  | { cmd: 'slowest'; count: number }
  | { cmd: 'close' };

const now = () => performance.timeOrigin + performance.now();
let received = 0;
let latencies: number[] = [];
/** Each sample's send time (epoch ms), beside its latency: when the slow ones were sent. */
let sentAt: number[] = [];
let last: unknown = null;
const closers: (() => void)[] = [];
// This process's own stalls count in every latency it measures: its event-loop delay since `reset`.
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

type Received = { title?: string; body?: string } | undefined;

function record(notification: Received) {
  received++;
  last = notification ?? last;
  const stamp = [notification?.title, notification?.body].find((text) => text?.startsWith('t:'));
  if (stamp === undefined) return;
  const sent = Number(stamp.slice(2));
  latencies.push(now() - sent);
  sentAt.push(sent);
}

async function inBatches<T>(items: T[], size: number, open: (item: T) => Promise<void>) {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(open));
}

async function openGraphql(url: string, tokens: string[]) {
  await inBatches(
    tokens,
    200,
    (token) =>
      new Promise<void>((resolve, reject) => {
        const client = createClient({
          url,
          webSocketImpl: WebSocket,
          connectionParams: { authorization: `Bearer ${token}` },
          lazy: false,
          retryAttempts: 0,
          onNonLazyError: reject,
        });
        let acked = false;
        client.on('connected', () => {
          acked = true;
          // The server registers the stream on subscribe; give it the subscribe message, then resolve.
          setTimeout(resolve, 5);
        });
        client.subscribe<{ notifications: { title: string; body: string } }>(
          { query: 'subscription { notifications { title body cursor event showNotification playSound } }' },
          { next: (r) => record(r.data?.notifications), error: (e) => (acked ? undefined : reject(e)), complete: () => {} },
        );
        closers.push(() => void client.dispose());
      }),
  );
}

async function openPlain(url: string, count: number) {
  await inBatches(
    Array.from({ length: count }),
    200,
    () =>
      new Promise<void>((resolve, reject) => {
        const socket = new WebSocket(url);
        socket.once('open', () => resolve());
        socket.once('error', reject);
        socket.on('message', (data) => {
          const message = JSON.parse(String(data)) as { payload?: { data?: { notifications?: Received } } };
          record(message.payload?.data?.notifications);
        });
        closers.push(() => socket.terminate());
      }),
  );
}

function percentile(sorted: number[], p: number) {
  return sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN);
}

process.on('message', async (command: Command) => {
  try {
    if (command.cmd === 'graphql') await openGraphql(command.url, command.tokens);
    if (command.cmd === 'plain') await openPlain(command.url, command.count);
    if (command.cmd === 'reset') {
      received = 0;
      latencies = [];
      sentAt = [];
      loopDelay.reset();
    }
    if (command.cmd === 'close') {
      for (const close of closers.splice(0)) close();
    }
    const sorted = command.cmd === 'stats' ? [...latencies].sort((a, b) => a - b) : [];
    const slowest =
      command.cmd === 'slowest'
        ? latencies
            .map((ms, i) => ({ at: sentAt[i] ?? 0, ms }))
            .sort((a, b) => b.ms - a.ms)
            .slice(0, command.count)
        : undefined;
    process.send?.({
      ok: true,
      slowest,
      loopDelayMax: loopDelay.max / 1e6,
      received,
      samples: sorted.length,
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      p99: percentile(sorted, 99),
      last,
    });
    if (command.cmd === 'close') setTimeout(() => process.exit(0), 100);
  } catch (error) {
    process.send?.({ ok: false, error: String(error) });
  }
});
process.send?.({ ok: true, ready: true });

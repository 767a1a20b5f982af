/**
 * The client side of bench/storm.bench.ts, run as a separate process (child_process.fork). One role
 * per process:
 *  - `open`: opens one graphql-ws `notifications` stream per token, all at once, and answers with
 *    the time until every connection was acknowledged (connection_ack); `close` closes them all;
 *  - `report`: reports one visitor message after the other (one every `everyMs` at most) until
 *    `stop`, and answers with the round-trip time of each report.
 */
import { performance } from 'node:perf_hooks';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

type Command =
  | { cmd: 'open'; url: string; tokens: string[] }
  | { cmd: 'close' }
  | { cmd: 'report'; url: string; apiKey: string; chatId: string; everyMs: number }
  | { cmd: 'stop' }
  | { cmd: 'exit' };

const now = () => performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let clients: Client[] = [];
let reporting: Promise<void> | null = null;
let stopReporting = false;
let latencies: number[] = [];
/** When each report was sent, in ms since reporting started (to tell when the slow ones happened). */
let sentAt: number[] = [];
let reportingSince = 0;
let failures = 0;

function openAll(url: string, tokens: string[]): Promise<{ ackedMs: number; failed: number }> {
  const t0 = now();
  let failed = 0;
  const opened = tokens.map(
    (token) =>
      new Promise<void>((resolve) => {
        const client = createClient({
          url,
          webSocketImpl: WebSocket,
          connectionParams: { authorization: `Bearer ${token}` },
          lazy: false,
          retryAttempts: 0,
          // Not acknowledged within the bench's patience: counted as failed.
          connectionAckWaitTimeout: 180_000,
          onNonLazyError: () => {
            failed++;
            resolve();
          },
        });
        client.on('connected', () => resolve());
        client.subscribe(
          { query: 'subscription { notifications { cursor event } }' },
          { next: () => {}, error: () => {}, complete: () => {} },
        );
        clients.push(client);
      }),
  );
  return Promise.all(opened).then(() => ({ ackedMs: now() - t0, failed }));
}

const REPORT = `mutation ($input: ReportHappeningsInput!) { reportHappenings(input: $input) { __typename } }`;

async function reportOnce(url: string, apiKey: string, chatId: string, n: number) {
  const t0 = now();
  try {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ query: REPORT, variables: { input: { happenings: [{ visitorMessage: { chatId, text: `m${n}` } }] } } }),
    });
    const body = (await response.json()) as { data?: { reportHappenings?: { __typename: string } } };
    if (!body.data?.reportHappenings?.__typename.endsWith('Success')) failures++;
  } catch {
    failures++;
  }
  latencies.push(now() - t0);
  sentAt.push(t0 - reportingSince);
}

async function reportLoop(url: string, apiKey: string, chatId: string, everyMs: number) {
  for (let n = 0; !stopReporting; n++) {
    const t0 = now();
    await reportOnce(url, apiKey, chatId, n);
    const wait = everyMs - (now() - t0);
    if (wait > 0) await sleep(wait);
  }
}

process.on('message', async (command: Command) => {
  try {
    if (command.cmd === 'open') {
      const result = await openAll(command.url, command.tokens);
      process.send?.({ ok: true, ...result });
    } else if (command.cmd === 'close') {
      const closing = clients;
      clients = [];
      await Promise.all(closing.map((c) => c.dispose()));
      process.send?.({ ok: true });
    } else if (command.cmd === 'report') {
      latencies = [];
      sentAt = [];
      reportingSince = now();
      failures = 0;
      stopReporting = false;
      reporting = reportLoop(command.url, command.apiKey, command.chatId, command.everyMs);
      process.send?.({ ok: true });
    } else if (command.cmd === 'stop') {
      stopReporting = true;
      await reporting;
      process.send?.({ ok: true, latencies, sentAt, failures });
    } else if (command.cmd === 'exit') {
      process.send?.({ ok: true });
      setTimeout(() => process.exit(0), 50);
    }
  } catch (error) {
    process.send?.({ ok: false, error: String(error) });
  }
});
process.send?.({ ok: true, ready: true });

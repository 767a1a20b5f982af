/**
 * What the outbound guard costs: the URL check alone (µs per URL), and sequential POSTs to a
 * loopback receiver through the guard against plain undici fetch in the same run (requests/s and
 * the ratio). Loopback only: the guard runs with OUTBOUND_ALLOW_PRIVATE on and a faked DNS name.
 *   npx tsx bench/outbound-guard.bench.ts [requests]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, fetch } from 'undici';
import { createOutboundGuard } from '../src/services/outbound/outbound-guard.js';

const requests = Number(process.argv[2] ?? 1000);
const URLS = [
  'https://hooks.slack.com/services/T0/B0/xyz',
  'http://2130706433/',
  'http://[::ffff:127.0.0.1]/',
  'http://169.254.169.254/latest/meta-data/',
  'https://user:pass@example.test/',
  'http://[2606:4700:4700::1111]/',
];

const strict = createOutboundGuard({ allowPrivate: false });
const checks = 200_000;
let refused = 0;
const checkStart = performance.now();
for (let i = 0; i < checks; i++) if (!strict.checkUrl(URLS[i % URLS.length] as string).ok) refused++;
const checkMicros = ((performance.now() - checkStart) * 1000) / checks;
await strict.close();

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.end('ok'));
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as AddressInfo;

async function run(label: string, send: () => Promise<{ status: number; body: { cancel(): Promise<void> } | null }>) {
  for (let i = 0; i < 100; i++) await (await send()).body?.cancel(); // warm-up
  const start = performance.now();
  for (let i = 0; i < requests; i++) {
    const response = await send();
    await response.body?.cancel();
    if (response.status !== 200) throw new Error(`${label}: ${response.status}`);
  }
  const perSecond = requests / ((performance.now() - start) / 1000);
  return { label, perSecond };
}

const init = { method: 'POST', body: '{"text":"hello"}', headers: { 'content-type': 'application/json' } };
const plainAgent = new Agent();
const guard = createOutboundGuard({ allowPrivate: true, resolve: async () => [{ address: '127.0.0.1', family: 4 }] });
const senders: [string, () => ReturnType<typeof fetch>][] = [
  ['plain undici fetch, 127.0.0.1', () => fetch(`http://127.0.0.1:${port}/hook`, { ...init, dispatcher: plainAgent })],
  ['guard.fetch, 127.0.0.1', () => guard.fetch(`http://127.0.0.1:${port}/hook`, init)],
  ['guard.fetch, name via checked lookup', () => guard.fetch(`http://hooks.bench.test:${port}/hook`, init)],
];
// Rounds in rotating order, median per sender: the machine is shared and JIT warm-up favours later runs.
const rounds = 5;
const samples = new Map<string, number[]>(senders.map(([label]) => [label, []]));
for (let round = 0; round < rounds; round++)
  for (let i = 0; i < senders.length; i++) {
    const [label, send] = senders[(i + round) % senders.length] as (typeof senders)[number];
    samples.get(label)?.push((await run(label, send)).perSecond);
  }
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const results = senders.map(([label]) => ({ label, perSecond: median(samples.get(label) ?? []) }));
const baseline = results[0]?.perSecond ?? 1;

console.log(`URL check: ${checkMicros.toFixed(2)} µs per URL (${checks} checks, ${refused} refused)`);
for (const { label, perSecond } of results)
  console.log(
    `${label.padEnd(40)} ${perSecond.toFixed(0).padStart(6)} requests/s (median of ${rounds})  ×${(perSecond / baseline).toFixed(2)} of plain`,
  );

await plainAgent.close();
await guard.close();
server.close();

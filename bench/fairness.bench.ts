/**
 * npm run bench:fairness — one organization flooding must not slow another down (issue 7, part 3).
 * Prints, never asserts.
 *
 * The server runs in this process with the default rate limits; clients run in
 * bench/fairness-clients.ts (two forked processes: the quiet reporter and the flood).
 *  1. quiet: organization A alone sends single reports one after another → p50/p95 (the baseline,
 *     measured again right before each flood);
 *  2. flood: 50 clients of organization B send 500-happening batches back to back, ignoring
 *     Retry-After, for BENCH_SECONDS (default 20) while A keeps sending single reports → A's
 *     p50/p95/max, B's accepted and limited batches, and A's p95 over its quiet p95 (target ≤ 3×).
 * The flood runs once per entry of BENCH_FAIRNESS_KEYS (default "1,50"): B's clients sharing one
 * API key, then each with its own key (an organization may create many keys).
 * PostgreSQL: DATABASE_URL, else a fresh database on the local server (dropped afterwards), else PGlite.
 */
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { createApp } from '../src/app.js';
import { readConfig } from '../src/config.js';
import { openDatabase } from '../src/db/database.js';
import { createApiKey } from '../src/services/organizations.js';
import { seedOrganization } from './seed-organization.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const KEYS = (process.env.BENCH_FAIRNESS_KEYS ?? '1,50').split(',').map(Number);
const CLIENTS = 50;
const BATCH = 500;
const QUIET_EVERY_MS = 20;
const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

interface Reply {
  ok: boolean;
  error?: string;
  latencies?: number[];
  outcomes?: Record<string, number>;
}

async function startClients(): Promise<{ child: ChildProcess; ask(command: object): Promise<Reply> }> {
  const child = fork(new URL('./fairness-clients.ts', import.meta.url).pathname, [], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  await new Promise((resolve) => child.once('message', resolve));
  const ask = (command: object) =>
    new Promise<Reply>((resolve, reject) => {
      child.once('message', (reply: Reply) => (reply.ok ? resolve(reply) : reject(new Error(reply.error))));
      child.send(command);
    });
  return { child, ask };
}

function percentiles(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
  return { n: sorted.length, p50: at(50), p95: at(95), max: sorted[sorted.length - 1] ?? Number.NaN };
}

let pgUrl: string | undefined = process.env.DATABASE_URL;
let created = false;
if (!pgUrl) {
  try {
    pgUrl = execFileSync('npx', ['tsx', 'scripts/fresh-postgres.ts', 'create'], { encoding: 'utf8' }).trim();
    created = true;
  } catch {
    console.log('PostgreSQL not reachable: running on PGlite');
  }
}
const database = await openDatabase({ databaseUrl: pgUrl, dataDir: 'memory://' });
const config = { ...readConfig(), port: 0, tokenSecret: 'bench', databaseUrl: pgUrl, redisUrl: undefined, analyticsTickMs: 0 };
const app = await createApp({ config, database });
const url = await app.start(0);
// Only ingestion is measured: no operator has an email address, so the delivery queue stays empty.
const noEmails = (organizationId: string) => database.prisma.operator.updateMany({ where: { organizationId }, data: { email: null } });
const quietClient = await startClients();
const floodClient = await startClients();
try {
  console.log(
    `\n== fairness (${database.kind}; limits per ${config.rateLimitWindowSeconds} s: ${config.rateLimitApiKeyHappenings} happenings per API key; ${config.ingestionInFlightPerOrganization || 'unbounded'} happenings in flight per organization) ==`,
  );
  const a = await seedOrganization(database.prisma, config.tokenSecret, 10);
  await noEmails(a.organizationId);
  await quietClient.ask({ cmd: 'quiet', url, apiKey: a.apiKey, count: 30, every: 0 }); // warm-up
  for (const keys of KEYS) {
    // The baseline right before each flood: the machine's other load drifts over minutes.
    const quiet = await quietClient.ask({ cmd: 'quiet', url, apiKey: a.apiKey, count: 300, every: QUIET_EVERY_MS });
    const base = percentiles(quiet.latencies ?? []);
    console.log(`\nA quiet:   ${base.n} single reports, p50 ${fmt(base.p50)} ms, p95 ${fmt(base.p95)} ms, max ${fmt(base.max)} ms`);
    const b = await seedOrganization(database.prisma, config.tokenSecret, 10);
    await noEmails(b.organizationId);
    const apiKeys = [b.apiKey];
    for (let i = 1; i < keys; i++) apiKeys.push((await createApiKey(database.prisma, b.organizationId, `flood ${i}`)).key);
    const started = performance.now();
    const [during, flood] = await Promise.all([
      quietClient.ask({ cmd: 'quiet', url, apiKey: a.apiKey, seconds: SECONDS, every: QUIET_EVERY_MS }),
      floodClient.ask({ cmd: 'flood', url, apiKeys, clients: CLIENTS, batch: BATCH, seconds: SECONDS }),
    ]);
    const elapsed = (performance.now() - started) / 1000;
    const loaded = percentiles(during.latencies ?? []);
    const outcomes = flood.outcomes ?? {};
    const accepted = outcomes.MutationReportHappeningsSuccess ?? 0;
    const limited = outcomes.RATE_LIMITED ?? 0;
    const refusedOnSight = outcomes.RATE_LIMITED_429 ?? 0;
    const other = Object.entries(outcomes).filter(
      ([k]) => !['MutationReportHappeningsSuccess', 'RATE_LIMITED', 'RATE_LIMITED_429'].includes(k),
    );
    console.log(
      `\nB flood: ${CLIENTS} clients × ${BATCH}-happening batches for ${fmt(elapsed)} s on ${keys} API key(s), ignoring Retry-After`,
    );
    console.log(
      `  B: ${accepted} batches accepted (${fmt((accepted * BATCH) / elapsed, 0)} happenings/s), ${limited + refusedOnSight} limited (${limited} typed AppError, ${refusedOnSight} HTTP 429 before being read)${other.length ? `, other: ${JSON.stringify(Object.fromEntries(other))}` : ''}`,
    );
    console.log(
      `  A during: ${loaded.n} single reports (${JSON.stringify(during.outcomes)}), p50 ${fmt(loaded.p50)} ms, p95 ${fmt(loaded.p95)} ms, max ${fmt(loaded.max)} ms`,
    );
    console.log(`  A p95 under flood / quiet p95: ${fmt(loaded.p95 / base.p95, 2)}×  (target ≤ 3×)`);
  }
} finally {
  quietClient.child.kill();
  floodClient.child.kill();
  await app.stop();
  await database.close();
  if (created && pgUrl) execFileSync('npx', ['tsx', 'scripts/fresh-postgres.ts', 'drop', pgUrl.split('/').pop() as string]);
}

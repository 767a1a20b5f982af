/**
 * What catch-up on return (E7) adds to a presence round: `recordDeparturesAndReturns` beside
 * `storePresence` (live.ts runs both per stored round), measured against storePresence itself in
 * the same run. Rounds of N operators alternate ONLINE (returns) and OFFLINE (departures), with
 * inbox counters present, as in a shift start and end. PGlite in memory, or DATABASE_URL.
 *
 *   npx tsx bench/departures.bench.ts            (N = 300, 30 rounds)
 *   BENCH_OPERATORS=50 BENCH_ROUNDS=10 npx tsx bench/departures.bench.ts
 */
import { loadavg } from 'node:os';
import { openDatabase } from '../src/db/database.js';
import { recordDeparturesAndReturns } from '../src/services/attention/departures.js';
import { storePresence } from '../src/services/live/store-presence.js';
import { seedOrganization } from './seed-organization.js';

const OPERATORS = Number(process.env.BENCH_OPERATORS ?? 300);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);

const database = await openDatabase({ databaseUrl: process.env.DATABASE_URL, dataDir: 'memory://' });
const prisma = database.prisma;
const { organizationId, operatorIds } = await seedOrganization(prisma, 'bench-secret', OPERATORS);
await prisma.inboxCounter.createMany({ data: operatorIds.map((operatorId, i) => ({ operatorId, lastSeq: BigInt(i) })) });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const store: number[] = [];
const catchUp: number[] = [];
let returns = 0;
for (let round = 0; round < ROUNDS; round++) {
  const presence = round % 2 === 0 ? ('ONLINE' as const) : ('OFFLINE' as const);
  const changes = operatorIds.map((operatorId) => ({ operatorId, presence }));
  // Alternate which goes first, so neither always meets a warmer cache.
  const steps: [number[], () => Promise<unknown>][] = [
    [store, () => storePresence(prisma, organizationId, changes)],
    [
      catchUp,
      async () => {
        returns += (await recordDeparturesAndReturns(prisma, organizationId, changes)).length;
      },
    ],
  ];
  if (round % 4 >= 2) steps.reverse();
  for (const [times, step] of steps) {
    const started = performance.now();
    await step();
    times.push(performance.now() - started);
  }
}
const [s, c] = [median(store.slice(2)), median(catchUp.slice(2))];
console.log(
  `${OPERATORS} operators × ${ROUNDS} rounds on ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}, load ${loadavg()[0]?.toFixed(2)}`,
);
console.log(`storePresence (baseline)      median ${s.toFixed(2)} ms per round`);
console.log(`recordDeparturesAndReturns    median ${c.toFixed(2)} ms per round (${(c / s).toFixed(2)}× the baseline), ${returns} returns`);
await database.close();

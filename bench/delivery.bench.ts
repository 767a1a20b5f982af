/**
 * Deliveries per second through the queue on PostgreSQL: N events with one webhook delivery each are
 * enqueued (through the real ingestion pipeline and the outbox sink), then the worker(s) drain the
 * queue to a local HTTP receiver. Run: DATABASE_URL=<fresh database> npx tsx bench/delivery.bench.ts
 * (env: BENCH_DELIVERIES, default 2000; BENCH_WORKERS, default 2; DELIVERY_BATCH_SIZE, default 50).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../src/app.js';
import { readConfig } from '../src/config.js';
import { reportHappenings } from '../src/services/ingestion/report-happenings.js';
import { createApiKey, createOrganization } from '../src/services/organizations.js';

const total = Number(process.env.BENCH_DELIVERIES ?? 2000);
const workers = Number(process.env.BENCH_WORKERS ?? 2);
const base = readConfig();
if (!base.databaseUrl) throw new Error('set DATABASE_URL to a fresh PostgreSQL database (npx tsx scripts/fresh-postgres.ts create)');

let received = 0;
const receiver = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    received++;
    res.end('ok');
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

const config = {
  ...base,
  port: 0,
  analyticsTickMs: 0,
  // The receiver listens on loopback, which the outbound guard refuses by default.
  outboundAllowPrivate: true,
  deliveryPollMs: 20,
  deliveryBatchSize: Number(process.env.DELIVERY_BATCH_SIZE ?? 50),
};
const first = await createApp({ config });
const prisma = first.database.prisma;
const { organization, admin } = await createOrganization(prisma, { name: 'Bench', adminName: 'Admin', adminEmail: null });
await createApiKey(prisma, organization.id, 'bench');
await prisma.addon.create({
  data: {
    organizationId: organization.id,
    kind: 'WEBHOOK',
    name: 'Bench hook',
    events: ['OPERATOR_ONLINE', 'OPERATOR_OFFLINE'],
    config: { url, secret: 'bench-secret-bench-secret' },
  },
});

// Enqueue with no worker running: OFFLINE→ONLINE→OFFLINE… raises one addon event per happening.
const enqueueStart = performance.now();
for (let i = 0; i < total; i += 100) {
  const inputs = Array.from({ length: Math.min(100, total - i) }, (_, j) => ({
    kind: 'PRESENCE_CHANGED' as const,
    operatorId: admin.id,
    presence: (i + j) % 2 === 0 ? ('ONLINE' as const) : ('OFFLINE' as const),
  }));
  for (const input of inputs) await reportHappenings(first.services, organization.id, { kind: 'SERVICE', id: 'bench' }, [input]);
}
const enqueueSeconds = (performance.now() - enqueueStart) / 1000;
const queued = await prisma.delivery.count({ where: { organizationId: organization.id } });

const apps = [first, ...(await Promise.all(Array.from({ length: workers - 1 }, () => createApp({ config }))))];
const start = performance.now();
await Promise.all(apps.map((app) => app.start(0)));
while ((await prisma.delivery.count({ where: { organizationId: organization.id, status: 'DELIVERED' } })) < queued) {
  await new Promise((resolve) => setTimeout(resolve, 20));
}
const seconds = (performance.now() - start) / 1000;
console.log(
  `enqueued ${queued} deliveries with their decisions in ${enqueueSeconds.toFixed(1)} s; ` +
    `${workers} instance(s) delivered them in ${seconds.toFixed(2)} s: ${(queued / seconds).toFixed(0)} deliveries/s ` +
    `(receiver got ${received}, duplicates ${received - queued})`,
);
await Promise.all(apps.map((app) => app.stop()));
receiver.close();

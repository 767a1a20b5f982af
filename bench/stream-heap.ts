/**
 * What one idle live stream holds on the heap, by constructor: the service (bench/compare-server.ts)
 * with N/2 idle operator streams, then N, a heap snapshot after a full GC at each, and the
 * difference per stream of each constructor's count and bytes (self size), largest first. The
 * figure bench:compare prints as "memory per idle stream", taken apart.
 *
 * Options (environment): BENCH_STREAMS (default 600), BENCH_TOP rows (40), DATABASE_URL (else a
 * fresh database on the local PostgreSQL, dropped at the end), BENCH_SNAPSHOTS=<dir> keeps the
 * snapshots there (else a temporary directory, removed).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../src/db/database.js';
import { issueOperatorToken } from '../src/services/organizations.js';
import { forkChild } from './ipc-child.js';
import { seedOrganization } from './seed-organization.js';

const STREAMS = Number(process.env.BENCH_STREAMS ?? 600);
const TOP = Number(process.env.BENCH_TOP ?? 40);
const TOKEN_SECRET = 'bench-heap-secret';
const here = (file: string) => new URL(file, import.meta.url).pathname;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const child = (file: string) => forkChild<{ ok: boolean; error?: string; url?: string }>(here(file));

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

/** count and self size per `type:name` (objects by constructor, closures by function name, strings together). */
function byConstructor(file: string): Map<string, { count: number; bytes: number }> {
  const heap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = heap.snapshot.meta.node_fields;
  const types = heap.snapshot.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
  const totals = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < heap.nodes.length; i += width) {
    const type = types[heap.nodes[i + typeAt] ?? 0] ?? '?';
    const name = ['string', 'concatenated string', 'sliced string', 'number', 'code'].includes(type)
      ? ''
      : (heap.strings[heap.nodes[i + nameAt] ?? 0] ?? '?').slice(0, 60);
    const key = `${type}:${name}`;
    const entry = totals.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += heap.nodes[i + sizeAt] ?? 0;
    totals.set(key, entry);
  }
  return totals;
}

async function main() {
  let databaseUrl = process.env.DATABASE_URL;
  const fresh = databaseUrl === undefined;
  databaseUrl ??= execFileSync('npx', ['tsx', here('../scripts/fresh-postgres.ts'), 'create'], { encoding: 'utf8' }).trim();
  const dir = process.env.BENCH_SNAPSHOTS ?? mkdtempSync(join(tmpdir(), 'stream-heap-'));
  mkdirSync(dir, { recursive: true });
  const database = await openDatabase({ databaseUrl });
  const service = await child('./compare-server.ts');
  const clients = await child('./live-clients.ts');
  try {
    const org = await seedOrganization(database.prisma, TOKEN_SECRET, STREAMS);
    await database.prisma.operator.updateMany({
      where: { organizationId: org.organizationId },
      data: { email: null, presence: 'ONLINE', presenceAnnounced: 'ONLINE' },
    });
    const url = (await service.ask({ cmd: 'start', mode: 'service', databaseUrl, tokenSecret: TOKEN_SECRET })).url ?? '';
    const connect = (ids: string[]) =>
      clients.ask({
        cmd: 'graphql',
        url: `${url.replace(/^http/, 'ws')}/graphql`,
        tokens: ids.map((id) => issueOperatorToken(TOKEN_SECRET, 3600, { id, organizationId: org.organizationId }).token),
      });
    const half = Math.floor(STREAMS / 2);
    await connect(org.operatorIds.slice(0, half));
    await sleep(1000);
    await service.ask({ cmd: 'heapSnapshot', file: join(dir, 'half.heapsnapshot') });
    await connect(org.operatorIds.slice(half));
    await sleep(1000);
    await service.ask({ cmd: 'heapSnapshot', file: join(dir, 'all.heapsnapshot') });
    const before = byConstructor(join(dir, 'half.heapsnapshot'));
    const after = byConstructor(join(dir, 'all.heapsnapshot'));
    const added = STREAMS - half;
    const rows = [...after]
      .map(([key, a]) => {
        const b = before.get(key) ?? { count: 0, bytes: 0 };
        return { key, count: (a.count - b.count) / added, bytes: (a.bytes - b.bytes) / added };
      })
      .sort((x, y) => y.bytes - x.bytes);
    const total = rows.reduce((sum, r) => sum + r.bytes, 0);
    console.log(`heap per idle stream: ${(total / 1024).toFixed(2)} KB (${added} streams added)\n`);
    console.log(`${'bytes'.padStart(8)} ${'count'.padStart(7)}  type:constructor`);
    for (const r of rows.slice(0, TOP)) console.log(`${r.bytes.toFixed(0).padStart(8)} ${r.count.toFixed(2).padStart(7)}  ${r.key}`);
  } finally {
    await clients.ask({ cmd: 'close' }).catch(() => undefined);
    await service.ask({ cmd: 'stop' }).catch(() => undefined);
    await database.close();
    if (!process.env.BENCH_SNAPSHOTS) rmSync(dir, { recursive: true, force: true });
    if (fresh) execFileSync('npx', ['tsx', here('../scripts/fresh-postgres.ts'), 'drop', databaseUrl.split('/').pop() ?? '']);
  }
}

await main();
process.exit(0);

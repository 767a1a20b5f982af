/**
 * npm run bench:limits — what the bomb queries cost once refused (issue 7, part 1). Prints,
 * never asserts. Two real servers over HTTP on one PGlite database of 10 roles × 50 operators: one
 * with the default limits, one with every limit lifted (what the issue measured). For each query:
 * the request size, the median and worst wall time of the refusal (loopback round trip included),
 * the heap it left allocated (heapUsed after − before, no GC in between: an upper bound that
 * includes the client's own request), and the same query admitted without limits, run once.
 * Baselines of the same run: `{ __typename }` and a small legitimate query. A second table times the
 * refusal alone, in process: the app's parse and validate (the same envelop plugins), no HTTP.
 */
import { performance } from 'node:perf_hooks';
import { parse, validate } from 'graphql';
import { envelop } from 'graphql-yoga';
import { createApp } from '../src/app.js';
import { type Config, readConfig } from '../src/config.js';
import { openDatabase } from '../src/db/database.js';
import { operationLimitPlugins } from '../src/graphql/operation-limits.js';
import { schema } from '../src/graphql/schema.js';
import { seedOrganization } from './seed-organization.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
if (!(globalThis as { gc?: unknown }).gc) console.warn('run with node --expose-gc for the heap figures (npm run bench:limits does)');
const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function nestedBomb(levels: number): string {
  let inner = 'id name';
  for (let i = 0; i < levels; i++) inner = `operators(first: 50) { edges { node { id role { id ${inner} } } } }`;
  return `query { roles(first: 50) { edges { node { ${inner} } } } }`;
}
const QUERIES: [string, string, boolean][] = [
  ['baseline { __typename }', '{ __typename }', true],
  ['baseline roles { name }', 'query { roles { edges { node { id name } } } }', true],
  ['nested bomb, 2 levels, first: 50', nestedBomb(2), true],
  ['nested bomb, 3 levels, first: 50', nestedBomb(3), false],
  [
    '1,000 aliases of operators(first: 100)',
    `query { ${Array.from({ length: 1000 }, (_, i) => `a${i}: operators(first: 100) { edges { node { id name } } }`).join(' ')} }`,
    true,
  ],
  ['500,000 tokens', `query { ${'__typename '.repeat(500_000)} }`, true],
];

const database = await openDatabase({ dataDir: 'memory://' });
const base: Config = {
  ...readConfig(),
  port: 0,
  tokenSecret: 'bench-secret',
  redisUrl: undefined,
  analyticsTickMs: 0,
  deliveryPollMs: 60_000,
};
const limited = await createApp({ config: base, database });
const unlimited = await createApp({
  config: { ...base, maxQueryDepth: 1e6, maxQueryAliases: 1e6, maxQueryTokens: 1e7, maxQueryDirectives: 1e6, maxQueryCost: 1e12 },
  database,
});
const urls = { limited: await limited.start(0), unlimited: await unlimited.start(0) };
const org = await seedOrganization(database.prisma, 'bench-secret', 500);
// Ten roles of 50 operators each, so every `first: 50` page is full.
const prisma = database.prisma;
const roles = await Promise.all(
  Array.from({ length: 10 }, (_, i) => prisma.role.create({ data: { organizationId: org.organizationId, name: `Team ${i}` } })),
);
for (const [i, role] of roles.entries())
  await prisma.operator.updateMany({
    where: { id: { in: org.operatorIds.slice(1 + i * 50, 1 + (i + 1) * 50) } },
    data: { roleId: role.id },
  });

async function send(url: string, query: string) {
  const body = JSON.stringify({ query });
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${org.adminToken}` },
    body,
  });
  const text = await response.text();
  const ms = performance.now() - started;
  const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
  const code = (JSON.parse(text) as { errors?: { extensions?: { code?: string } }[] }).errors?.[0]?.extensions?.code ?? 'ok';
  return { ms, heapMb, code, bytes: body.length, answerBytes: text.length };
}

console.log(`\n== operation limits: ${RUNS} runs each against the default limits; once without limits ==`);
console.log('query | request KB | limited: answer | median ms | max ms | heap Δ MB | unlimited: ms | heap Δ MB | answer KB | time ratio');
const baseline: number[] = [];
for (const [name, query, runUnlimited] of QUERIES) {
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(await send(urls.limited, query));
  const times = runs.map((r) => r.ms).sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] ?? 0;
  const heap = runs.map((r) => r.heapMb).sort((a, b) => a - b)[Math.floor(runs.length / 2)] ?? 0;
  if (name.startsWith('baseline')) baseline.push(median);
  const open = runUnlimited ? await send(urls.unlimited, query) : null;
  console.log(
    [
      name,
      fmt((runs[0]?.bytes ?? 0) / 1024),
      runs[0]?.code,
      fmt(median, 2),
      fmt(times.at(-1) ?? 0, 2),
      fmt(heap, 2),
      open ? fmt(open.ms, 0) : 'not run (minutes)',
      open ? fmt(open.heapMb, 1) : '-',
      open ? fmt(open.answerBytes / 1024, 0) : '-',
      open ? `${fmt(open.ms / median, 0)}×` : '-',
    ].join(' | '),
  );
}
console.log(`(baseline medians: ${baseline.map((b) => fmt(b, 2)).join(' ms, ')} ms)`);

// The refusal alone: parse + validate through the same plugins, median of RUNS, heap left allocated.
const getEnveloped = envelop({
  plugins: [
    {
      onPluginInit: ({ setSchema }) => setSchema(schema),
      onParse: ({ setParseFn }) => setParseFn(parse),
      onValidate: ({ setValidationFn }) => setValidationFn(validate),
    },
    ...operationLimitPlugins(base),
  ],
});
console.log('\n== the refusal alone (parse + validate in process, no HTTP) ==');
console.log('query | outcome | median µs | heap Δ KB');
for (const [name, query] of QUERIES) {
  const samples: { us: number; kb: number; outcome: string }[] = [];
  for (let i = 0; i < RUNS; i++) {
    const enveloped = getEnveloped({ params: { query, variables: {} } });
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    let outcome = 'valid';
    try {
      const errors = enveloped.validate(enveloped.schema, enveloped.parse(query));
      if (errors.length > 0) outcome = String(errors[0]?.extensions.code ?? errors[0]?.message);
    } catch (error) {
      outcome = String((error as { extensions?: { code?: string } }).extensions?.code ?? (error as Error).message);
    }
    samples.push({ us: (performance.now() - started) * 1000, kb: (process.memoryUsage().heapUsed - heapBefore) / 1024, outcome });
  }
  const middle = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  console.log([name, samples[0]?.outcome, fmt(middle(samples.map((s) => s.us)), 0), fmt(middle(samples.map((s) => s.kb)), 1)].join(' | '));
}

await limited.stop();
await unlimited.stop();
await database.close();

/**
 * npx tsx bench/request-path.bench.ts — the generic HTTP/GraphQL request path alone (issue 8):
 * `{ __typename }` against the minimal graphql-yoga baseline, in ROUNDS rounds, each service figure
 * right after a baseline figure, in a rotating order (so no credential always runs first or last).
 * Same processes as bench:compare (compare-server.ts, compare-load.ts), one small organization only,
 * so a round takes seconds and the spread of repeated rounds shows how noisy the machine is.
 * Prints, never asserts.
 *
 * Options (environment): BENCH_ROUNDS (5), BENCH_SECONDS per figure (3), BENCH_CONNECTIONS (32),
 * BENCH_PROFILE=<dir> (CPU profiles of the service AND the baseline over every round, to diff with
 * scripts/profile-summary.ts), BENCH_OTHER_TREE=<dir> (a second service from another checkout of
 * this repository, e.g. the commit before a change, measured in the same rounds: an A/B on a
 * shared machine), BENCH_CREDENTIALS (comma list of none, api-key, token: the cases to run; default
 * all, one alone gives a profile of that case), DATABASE_URL (else a fresh database on the local PostgreSQL).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { openDatabase } from '../src/db/database.js';
import { issueOperatorToken } from '../src/services/organizations.js';
import type { LoadCommand, LoadResult, Scenario } from './compare-load.js';
import { forkChild } from './ipc-child.js';
import { seedOrganization } from './seed-organization.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const PROFILE = process.env.BENCH_PROFILE;
const OTHER_TREE = process.env.BENCH_OTHER_TREE;
const CREDENTIALS = process.env.BENCH_CREDENTIALS?.split(',');
const TOKEN_SECRET = 'bench-request-path-secret';
const here = (file: string) => new URL(file, import.meta.url).pathname;
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const load = () =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(' / ');

interface Reply extends LoadResult {
  url?: string;
  cpuUs?: number;
}

const child = (path: string) => forkChild<Reply>(path);

async function main() {
  let databaseUrl = process.env.DATABASE_URL;
  const fresh = databaseUrl === undefined;
  databaseUrl ??= execFileSync('npx', ['tsx', here('../scripts/fresh-postgres.ts'), 'create'], { encoding: 'utf8' }).trim();
  const cleanups: (() => unknown)[] = [];
  try {
    const database = await openDatabase({ databaseUrl });
    cleanups.push(() => database.close());
    const org = await seedOrganization(database.prisma, TOKEN_SECRET, 1);
    const operatorToken = issueOperatorToken(TOKEN_SECRET, 3600, {
      id: org.operatorIds[0] ?? '',
      organizationId: org.organizationId,
    }).token;
    const services: { name: string; server: Awaited<ReturnType<typeof child>>; url: string }[] = [];
    for (const [name, path] of [
      ['service', here('./compare-server.ts')],
      ...(OTHER_TREE ? [[`other (${OTHER_TREE})`, `${OTHER_TREE}/bench/compare-server.ts`]] : []),
    ] as [string, string][]) {
      const server = await child(path);
      cleanups.push(() => server.ask({ cmd: 'stop' }));
      services.push({
        name,
        server,
        url: (await server.ask({ cmd: 'start', mode: 'service', databaseUrl, tokenSecret: TOKEN_SECRET })).url ?? '',
      });
    }
    const baseline = await child(here('./compare-server.ts'));
    cleanups.push(() => baseline.ask({ cmd: 'stop' }));
    const baselineUrl = (await baseline.ask({ cmd: 'start', mode: 'baseline' })).url ?? '';
    const loader = await child(here('./compare-load.ts'));
    cleanups.push(() => loader.kill());

    const run = async (server: typeof baseline, url: string, scenario: Scenario, seconds = SECONDS) => {
      const cpu0 = (await server.ask({ cmd: 'cpu' })).cpuUs ?? 0;
      const result = await loader.ask({
        cmd: 'autocannon',
        urls: [url],
        scenario,
        connections: CONNECTIONS,
        seconds,
      } satisfies LoadCommand);
      const cpu = ((await server.ask({ cmd: 'cpu' })).cpuUs ?? 0) - cpu0;
      const rps = result.requestsPerSecond ?? 0;
      if (result.failures) console.error(`  ${result.failures} failures`);
      return { rps, cpuPerRequest: cpu / Math.max(1, rps * seconds) };
    };
    const credentials = (
      [
        ['none', 'no credential', { kind: 'typename' }],
        ['api-key', 'API key', { kind: 'typename', credential: org.apiKey }],
        ['token', 'operator token', { kind: 'typename', credential: operatorToken }],
      ] as [string, string, Scenario][]
    )
      .filter(([key]) => CREDENTIALS === undefined || CREDENTIALS.includes(key))
      .map(([, name, scenario]) => [name, scenario] as const);
    const cases = services.flatMap((service) =>
      credentials.map(([name, scenario]) => ({ name: services.length > 1 ? `${service.name}, ${name}` : name, service, scenario })),
    );
    // Warm-ups: JIT, connection pools, the credential cache.
    await run(baseline, baselineUrl, { kind: 'typename' }, 3);
    for (const { service, scenario } of cases) await run(service.server, service.url, scenario, 3);

    if (PROFILE) {
      mkdirSync(PROFILE, { recursive: true });
      await Promise.all([...services.map((s) => s.server.ask({ cmd: 'profileStart' })), baseline.ask({ cmd: 'profileStart' })]);
    }
    console.log(`\n== request path: { __typename }, ${CONNECTIONS} connections, ${SECONDS} s per figure, load ${load()} ==`);
    const ratios = new Map<string, { rps: number[]; cpu: number[]; cpuUs: number[]; baseCpu: number[] }>(
      cases.map(({ name }) => [name, { rps: [], cpu: [], cpuUs: [], baseCpu: [] }]),
    );
    for (let round = 0; round < ROUNDS; round++) {
      const order = cases.map((_, i) => cases[(i + round) % cases.length] as (typeof cases)[number]);
      const line: string[] = [];
      for (const { name, service, scenario } of order) {
        const base = await run(baseline, baselineUrl, { kind: 'typename' });
        const r = await run(service.server, service.url, scenario);
        const entry = ratios.get(name);
        entry?.rps.push(r.rps / base.rps);
        entry?.cpu.push(r.cpuPerRequest / base.cpuPerRequest);
        entry?.baseCpu.push(base.cpuPerRequest);
        entry?.cpuUs.push(r.cpuPerRequest);
        line.push(
          `${name}: ${fmt(r.rps)}/s = ${fmt((r.rps / base.rps) * 100, 1)}% of ${fmt(base.rps)}/s, ` +
            `${fmt(r.cpuPerRequest)} µs/req = ${fmt(r.cpuPerRequest / base.cpuPerRequest, 2)}× ${fmt(base.cpuPerRequest)}`,
        );
      }
      console.log(`round ${round + 1} (load ${load()}):\n  ${line.join('\n  ')}`);
    }
    if (PROFILE) {
      await Promise.all([
        ...services.map((s, i) => s.server.ask({ cmd: 'profileStop', file: `${PROFILE}/request-path-service-${i}.cpuprofile` })),
        baseline.ask({ cmd: 'profileStop', file: `${PROFILE}/request-path-baseline.cpuprofile` }),
      ]);
    }
    // On a loaded machine a figure is only ever made worse by the others' work: the lowest CPU per
    // request of the rounds is the closest to what the request path itself costs.
    const bestBaseline = Math.min(...[...ratios.values()].flatMap((r) => r.baseCpu));
    console.log(`\nover the rounds (baseline's best CPU: ${fmt(bestBaseline)} µs/req):`);
    for (const [name, r] of ratios) {
      console.log(
        `  ${name}:\n    median ${fmt(median(r.rps) * 100, 1)}% of the adjacent baseline's req/s ` +
          `(${r.rps.map((x) => fmt(x * 100, 0)).join(', ')}), median CPU ${fmt(median(r.cpu), 2)}× the adjacent baseline's ` +
          `(${r.cpu.map((x) => fmt(x, 2)).join(', ')}); best CPU ${fmt(Math.min(...r.cpuUs))} µs/req = ` +
          `${fmt(Math.min(...r.cpuUs) / bestBaseline, 2)}× the baseline's best`,
      );
    }
    console.log(`load average at end ${load()}`);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
    if (fresh)
      execFileSync('npx', ['tsx', here('../scripts/fresh-postgres.ts'), 'drop', databaseUrl.split('/').pop() ?? ''], { stdio: 'inherit' });
  }
}

await main();
process.exit(0);

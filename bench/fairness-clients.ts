/**
 * The client side of bench/fairness.bench.ts, run as a separate process (child_process.fork) so
 * that neither load generation nor latency measurement shares the server's event loop.
 *  - `quiet`: one client sending single reports one after another (`every` ms apart) and timing each;
 *  - `flood`: `clients` clients each sending `batch`-happening batches back to back, ignoring
 *    Retry-After (the worst case), for `seconds`; counts accepted and limited batches.
 */
import { performance } from 'node:perf_hooks';

type Command =
  | { cmd: 'quiet'; url: string; apiKey: string; count?: number; seconds?: number; every: number }
  | { cmd: 'flood'; url: string; apiKeys: string[]; clients: number; batch: number; seconds: number };

const SINGLE =
  'mutation ($input: ReportSystemMessageInput!) { reportSystemMessage(input: $input) { __typename ... on AppError { code } } }';
const BATCH = 'mutation ($input: ReportHappeningsInput!) { reportHappenings(input: $input) { __typename ... on AppError { code } } }';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function post(url: string, apiKey: string, body: string): Promise<string> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body,
  });
  const result = (await response.json()) as {
    data?: Record<string, { __typename: string; code?: string }>;
    errors?: { extensions?: { code?: string } }[];
  };
  const answer = result.data && Object.values(result.data)[0];
  // An exhausted credential is refused before its request is read: HTTP 429 and a top-level error.
  if (response.status === 429 && result.errors?.[0]?.extensions?.code === 'RATE_LIMITED') return 'RATE_LIMITED_429';
  return answer?.code ?? answer?.__typename ?? `ERROR ${JSON.stringify(result.errors).slice(0, 200)}`;
}

async function quiet(command: Extract<Command, { cmd: 'quiet' }>) {
  const latencies: number[] = [];
  const outcomes: Record<string, number> = {};
  const until = command.seconds ? performance.now() + command.seconds * 1000 : Number.POSITIVE_INFINITY;
  for (let i = 0; (command.count === undefined || i < command.count) && performance.now() < until; i++) {
    const body = JSON.stringify({ query: SINGLE, variables: { input: { title: `quiet ${i}`, body: 'bench' } } });
    const started = performance.now();
    const outcome = await post(command.url, command.apiKey, body);
    latencies.push(performance.now() - started);
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    await sleep(command.every);
  }
  return { latencies, outcomes };
}

async function flood(command: Extract<Command, { cmd: 'flood' }>) {
  const happenings = Array.from({ length: command.batch }, (_, i) => ({ systemMessage: { title: `flood ${i}`, body: 'bench' } }));
  const body = JSON.stringify({ query: BATCH, variables: { input: { happenings } } });
  const outcomes: Record<string, number> = {};
  const until = performance.now() + command.seconds * 1000;
  const client = async (index: number) => {
    const apiKey = command.apiKeys[index % command.apiKeys.length] as string;
    while (performance.now() < until) {
      const outcome = await post(command.url, apiKey, body).catch((error: Error) => `FAILED ${error.message}`);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: command.clients }, (_, i) => client(i)));
  return { outcomes };
}

process.on('message', async (command: Command) => {
  try {
    const result = command.cmd === 'quiet' ? await quiet(command) : await flood(command);
    process.send?.({ ok: true, ...result });
  } catch (error) {
    process.send?.({ ok: false, error: String(error) });
  }
});
process.send?.({ ready: true });

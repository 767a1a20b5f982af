/**
 * The load generator of bench/compare.bench.ts, a separate process (child_process.fork): every
 * throughput figure is autocannon run from here with the same settings, so the baseline and the
 * service are measured the same way. The report → receive latency uses an open-loop sender (one
 * request every 1/rate s whatever the answers, each carrying its send time in its text) instead,
 * since autocannon builds a request before its rate limiter lets it go.
 *
 * Scenarios (the request bodies are built per request, from counters of this process):
 *  - typename: `{ __typename }`, with an optional credential;
 *  - visitorMessage: reportVisitorMessage, request n on chat n mod chats;
 *  - chatStarted: reportChatStarted of a new chat, request n given to operator n mod operators;
 *  - batch: reportHappenings of `batch` happenings (whole chat lives of 7), operators in turn.
 */
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { post } from './http-post.js';

export type Scenario =
  | { kind: 'typename'; credential?: string }
  | { kind: 'visitorMessage'; apiKey: string; chats: string[] }
  | { kind: 'chatStarted'; apiKey: string; widgetId: string; operatorIds: string[]; prefix: string }
  | { kind: 'batch'; apiKey: string; widgetId: string; operatorIds: string[]; prefix: string; batch: number };

export type LoadCommand =
  | { cmd: 'autocannon'; urls: string[]; scenario: Scenario; connections: number; seconds: number }
  | { cmd: 'rate'; urls: string[]; apiKey: string; chats: string[]; rate: number; seconds: number };

export interface LoadResult {
  ok: boolean;
  error?: string;
  /** Requests answered with a success (autocannon's 2xx minus GraphQL errors) per second. */
  requestsPerSecond?: number;
  /** Happenings stored per second (batch size × successful requests / s). */
  happeningsPerSecond?: number;
  failures?: number;
  p50?: number;
  p99?: number;
  sent?: number;
  /** Rate mode: how late the sender itself was (ms past each request's scheduled time). */
  lateP99?: number;
  lateMax?: number;
  /** Rate mode: the slowest HTTP answers, with when each was sent (epoch ms). */
  slowAnswers?: { at: number; ms: number }[];
}

const SINGLE_VISITOR =
  'mutation ($input: ReportVisitorMessageInput!) { reportVisitorMessage(input: $input) { __typename ... on AppError { code message } } }';
const SINGLE_STARTED =
  'mutation ($input: ReportChatStartedInput!) { reportChatStarted(input: $input) { __typename ... on AppError { code message } } }';
const BATCH =
  'mutation ($input: ReportHappeningsInput!) { reportHappenings(input: $input) { __typename ... on AppError { code message } } }';

let counter = 0;
const now = () => performance.timeOrigin + performance.now();

function chatLife(chatId: string, widgetId: string, operatorId: string): Record<string, unknown>[] {
  return [
    { chatStarted: { chatId, widgetId, operatorId } },
    { visitorMessage: { chatId, text: 'Hello' } },
    { operatorMessage: { chatId, text: 'Hi, how can I help?' } },
    { visitorMessage: { chatId, text: 'My order is late' } },
    { operatorMessage: { chatId, text: 'Let me check' } },
    { visitorMessage: { chatId, text: 'Thanks' } },
    { chatFinished: { chatId, summary: 'Order status' } },
  ];
}

/** The next request body of a scenario. */
function bodyOf(scenario: Scenario): string {
  const n = counter++;
  switch (scenario.kind) {
    case 'typename':
      return '{"query":"{ __typename }"}';
    case 'visitorMessage':
      return JSON.stringify({
        query: SINGLE_VISITOR,
        variables: { input: { chatId: scenario.chats[n % scenario.chats.length], text: 'ping' } },
      });
    case 'chatStarted': {
      const operatorId = scenario.operatorIds[n % scenario.operatorIds.length];
      return JSON.stringify({
        query: SINGLE_STARTED,
        variables: { input: { chatId: `${scenario.prefix}-${n}`, widgetId: scenario.widgetId, operatorId } },
      });
    }
    case 'batch': {
      const happenings: Record<string, unknown>[] = [];
      for (let c = 0; happenings.length < scenario.batch; c++) {
        const operatorId = scenario.operatorIds[(n + c) % scenario.operatorIds.length] ?? '';
        happenings.push(...chatLife(`${scenario.prefix}-${n}-${c}`, scenario.widgetId, operatorId));
      }
      return JSON.stringify({ query: BATCH, variables: { input: { happenings: happenings.slice(0, scenario.batch) } } });
    }
  }
}

const credentialOf = (scenario: Scenario) => (scenario.kind === 'typename' ? scenario.credential : scenario.apiKey);

/** A success: no GraphQL error, and for a mutation no AppError member of its result union. */
const succeeded = (scenario: Scenario, status: number, body: string) =>
  status === 200 && !body.includes('"errors"') && (scenario.kind === 'typename' || !body.includes('AppError'));

async function runAutocannon(url: string, scenario: Scenario, connections: number, seconds: number) {
  let failures = 0;
  let firstFailure: string | null = null;
  const credential = credentialOf(scenario);
  const result = await autocannon({
    url: `${url}/graphql`,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(credential ? { authorization: `Bearer ${credential}` } : {}) },
        setupRequest: (request) => ({ ...request, body: bodyOf(scenario) }),
        onResponse: (status, body) => {
          if (succeeded(scenario, status, body)) return;
          failures++;
          firstFailure ??= `${status} ${body.slice(0, 300)}`;
        },
      },
    ],
  });
  if (firstFailure) console.error(`  (first failure: ${firstFailure})`);
  const answered = result.requests.total;
  return { answered, failures, elapsed: result.duration, p50: result.latency.p50, p99: result.latency.p99 };
}

/**
 * Open loop: request i leaves at start + i/rate whatever happened to the others. Each carries the
 * time it actually left, so a stall of this process delays sends (reported as lateness) and is not
 * counted as the service's latency.
 */
async function runRate(urls: string[], apiKey: string, chats: string[], rate: number, seconds: number): Promise<LoadResult> {
  const total = Math.round(rate * seconds);
  const started = now();
  const inFlight: Promise<boolean>[] = [];
  const late: number[] = [];
  const answers: { at: number; ms: number }[] = [];
  for (let i = 0; i < total; i++) {
    const scheduled = started + (i * 1000) / rate;
    const wait = scheduled - now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const sent = now();
    late.push(sent - scheduled);
    const body = JSON.stringify({ query: SINGLE_VISITOR, variables: { input: { chatId: chats[i % chats.length], text: `t:${sent}` } } });
    inFlight.push(
      post(`${urls[i % urls.length]}/graphql`, apiKey, body).then(({ status, text }) => {
        answers.push({ at: sent, ms: now() - sent });
        return succeeded({ kind: 'visitorMessage', apiKey, chats }, status, text);
      }),
    );
  }
  const outcomes = await Promise.all(inFlight);
  late.sort((a, b) => a - b);
  return {
    ok: true,
    sent: total,
    failures: outcomes.filter((ok) => !ok).length,
    lateP99: late[Math.floor(late.length * 0.99)] ?? 0,
    lateMax: late.at(-1) ?? 0,
    slowAnswers: answers.sort((a, b) => b.ms - a.ms).slice(0, 12),
  };
}

process.on('message', async (command: LoadCommand) => {
  try {
    if (command.cmd === 'rate') {
      process.send?.(await runRate(command.urls, command.apiKey, command.chats, command.rate, command.seconds));
      return;
    }
    // One autocannon per instance, the connections split between them, run side by side.
    const { urls, scenario, seconds } = command;
    const runs = await Promise.all(
      urls.map((url, i) =>
        runAutocannon(
          url,
          scenario,
          Math.floor(command.connections / urls.length) + (i < command.connections % urls.length ? 1 : 0),
          seconds,
        ),
      ),
    );
    const answered = runs.reduce((sum, r) => sum + r.answered, 0);
    const failures = runs.reduce((sum, r) => sum + r.failures, 0);
    const elapsed = Math.max(...runs.map((r) => r.elapsed));
    const perRequest = scenario.kind === 'batch' ? scenario.batch : 1;
    process.send?.({
      ok: true,
      requestsPerSecond: (answered - failures) / elapsed,
      happeningsPerSecond: ((answered - failures) * perRequest) / elapsed,
      failures,
      p50: Math.max(...runs.map((r) => r.p50)),
      p99: Math.max(...runs.map((r) => r.p99)),
    } satisfies LoadResult);
  } catch (error) {
    process.send?.({ ok: false, error: String(error instanceof Error ? error.stack : error) });
  }
});
process.send?.({ ok: true, ready: true });

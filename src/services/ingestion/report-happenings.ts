/**
 * The ingestion pipeline: validate → replay known idempotency keys → (in one transaction) load the
 * settings in bulk, derive the events, decide with the pure engine, store happenings, chat state,
 * events and decisions, run the sinks' in-transaction work → after commit, the sinks' fan-out.
 *
 * Concurrency: the chats named are locked (FOR NO KEY UPDATE; lock order in load-ingestion-state.ts), so two reports on one chat run one
 * after the other and only one raises FIRST_MESSAGE_RECEIVED. Two reports with the same new key race
 * on the unique (organizationId, idempotencyKey): the loser's transaction fails with a unique violation, is rolled
 * back, and is answered from the winner's stored result. A chat id started twice concurrently fails
 * the same way and is answered CHAT_ALREADY_STARTED.
 *
 * Most reports take the hot path first (report-in-one-statement.ts: one statement, no interactive
 * transaction); what it cannot write safely comes back here, to the transaction. Single reports
 * in flight together are joined into one such statement first (coalesce-reports.ts).
 */
import type { HappeningInput } from '../../domain/derive-events.js';
import type { Prisma } from '../../generated/prisma/client.js';
import { log } from '../../observability/logger.js';
import { metrics } from '../../observability/metrics.js';
import { runAfterCommit, type StoredEvent } from '../decision-sinks.js';
import type { Services } from '../services.js';
import { chatStateCacheFor } from './chat-state-cache.js';
import { ReportCoalescer } from './coalesce-reports.js';
import { persistHappenings, type Reporter, storedEventsOf } from './persist-happenings.js';
import { planHappenings } from './plan-happenings.js';
import { findReplays, loadStoredEvents } from './replay-happenings.js';
import { reportInOneStatement } from './report-in-one-statement.js';
import { settingsCacheFor } from './settings-cache.js';
import { validateHappenings } from './validate-happenings.js';

export type { HappeningInput } from '../../domain/derive-events.js';
export type { Reporter } from './persist-happenings.js';

/** Who reports presence changes: the live streams (a batch names many operators, each in its payload). */
export const PRESENCE_REPORTER: Reporter = { kind: 'SERVICE', id: 'presence' };

export interface ReportResult {
  happeningId: string;
  replayed: boolean;
  events: StoredEvent[];
}

export interface ReportOptions {
  /** Run inside this transaction (e.g. a widget mutation raising WIDGET_CHANGED) instead of a new one. */
  tx?: Prisma.TransactionClient;
}

const TRANSACTION_OPTIONS = { maxWait: 60_000, timeout: 60_000 } as const;

/** PostgreSQL's unique violation, serialization failure and deadlock. */
const RACE_SQLSTATES = ['23505', '40001', '40P01'];

/**
 * A unique clash with a concurrent report (P2002), or a write conflict PostgreSQL resolved by
 * aborting us (P2034); from a raw statement (P2010), the same by its SQLSTATE; from the hot path's
 * statement sent over pg directly (hotQueryFor), the SQLSTATE is the error's code.
 */
const isRaceLost = (error: unknown) => {
  if (typeof error !== 'object' || error === null) return false;
  const { code, meta } = error as { code?: string; meta?: { driverAdapterError?: { cause?: { originalCode?: string } } } };
  if (code === 'P2002' || code === 'P2034' || RACE_SQLSTATES.includes(code ?? '')) return true;
  return code === 'P2010' && RACE_SQLSTATES.includes(meta?.driverAdapterError?.cause?.originalCode ?? '');
};

async function reportWithin(
  tx: Prisma.TransactionClient,
  services: Services,
  organizationId: string,
  reporter: Reporter,
  inputs: readonly HappeningInput[],
): Promise<{ results: ReportResult[]; events: StoredEvent[] }> {
  const replays = await findReplays(tx, organizationId, inputs);
  const fresh = inputs.filter((_, index) => !replays.has(index));
  const stored = await loadStoredEvents(tx, [...replays.values()]);
  const plan =
    fresh.length > 0
      ? await planHappenings(tx, organizationId, fresh, { lock: true, allChannels: false, cache: settingsCacheFor(services.prisma) })
      : null;
  const freshEvents = plan ? storedEventsOf(organizationId, plan) : [];
  const events = freshEvents.flat();
  if (plan) {
    await persistHappenings(tx, organizationId, reporter, plan, events);
    for (const sink of services.sinks) await sink.inTransaction?.(tx, events);
  }
  let next = 0;
  const results = inputs.map((_, index): ReportResult => {
    const replayed = replays.get(index);
    if (replayed !== undefined) return { happeningId: replayed, replayed: true, events: stored.get(replayed) ?? [] };
    const position = next++;
    return { happeningId: plan?.happenings[position]?.id ?? '', replayed: false, events: freshEvents[position] ?? [] };
  });
  return { results, events };
}

/** The hot path alone: the results, or null when the batch must take the transaction (nothing written). */
async function reportHot(services: Services, organizationId: string, reporter: Reporter, inputs: readonly HappeningInput[]) {
  const fast = await reportInOneStatement(services, organizationId, reporter, inputs);
  if (fast === null) return null;
  // Committed: from here nothing may throw (a joined group that threw would be written again alone).
  try {
    fast.committed();
  } catch (error) {
    log.error({ err: error }, 'hot path: committed work failed');
  }
  runAfterCommit(services.sinks, fast.events.flat());
  for (const input of inputs) metrics.happenings.inc({ kind: input.kind });
  return fast.happeningIds.map((happeningId, i): ReportResult => ({ happeningId, replayed: false, events: fast.events[i] ?? [] }));
}

/** The hot path, then the transaction for what it could not write. */
async function reportAlone(
  services: Services,
  organizationId: string,
  reporter: Reporter,
  inputs: readonly HappeningInput[],
): Promise<ReportResult[]> {
  const fast = await reportHot(services, organizationId, reporter, inputs).catch((error: unknown) => {
    // A concurrent report won a race: nothing was written; the transaction below replays or refuses.
    if (isRaceLost(error)) return null;
    throw error;
  });
  if (fast !== null) return fast;
  const run = () => services.prisma.$transaction((tx) => reportWithin(tx, services, organizationId, reporter, inputs), TRANSACTION_OPTIONS);
  const runOnce = async () => {
    try {
      return await run();
    } catch (error) {
      if (!isRaceLost(error)) throw error;
      // A concurrent report won the race: rerun to replay its result or refuse a chat started twice.
      return await run();
    }
  };
  // Fairness: one organization's reports hold a bounded share of this instance at once.
  const outcome = services.ingestionGate ? await services.ingestionGate.run(organizationId, inputs.length, runOnce) : await runOnce();
  // The transactional path changes chats behind the hot path's cache: their next report reads them.
  forgetChats(services, organizationId, inputs);
  runAfterCommit(services.sinks, outcome.events);
  outcome.results.forEach((result, i) => {
    if (!result.replayed) metrics.happenings.inc({ kind: inputs[i]?.kind ?? 'UNKNOWN' });
  });
  return outcome.results;
}

const forgetChats = (services: Services, organizationId: string, inputs: readonly HappeningInput[]) =>
  chatStateCacheFor(services.prisma).forget(
    organizationId,
    inputs.flatMap((i) => ('chatId' in i ? [i.chatId] : [])),
  );

const coalescers = new WeakMap<Services, ReportCoalescer<ReportResult>>();

/** The group commit of this service's single reports (coalesce-reports.ts). */
function coalescerFor(services: Services): ReportCoalescer<ReportResult> {
  let coalescer = coalescers.get(services);
  if (coalescer === undefined) {
    coalescer = new ReportCoalescer<ReportResult>(
      {
        together: (organizationId, reporter, inputs) => reportHot(services, organizationId, reporter, inputs),
        alone: async (organizationId, reporter, input) =>
          (await reportAlone(services, organizationId, reporter, [input]))[0] as ReportResult,
      },
      { maxGroupSize: services.maxBatchSize, maxInFlight: 1 },
    );
    coalescers.set(services, coalescer);
  }
  return coalescer;
}

/**
 * Validates all inputs (AppError with `field` like `happenings.3.chatId`; nothing stored if any is
 * bad), then decides and stores them in one transaction (or inside `options.tx`). The same
 * idempotency key again returns the first result with `replayed: true`. A single report may be
 * written together with concurrent ones (coalesce-reports.ts); its answer is the same.
 */
export async function reportHappenings(
  services: Services,
  organizationId: string,
  reporter: Reporter,
  inputs: readonly HappeningInput[],
  options: ReportOptions = {},
): Promise<ReportResult[]> {
  validateHappenings(inputs, services.maxBatchSize);
  if (options.tx) {
    forgetChats(services, organizationId, inputs);
    return (await reportWithin(options.tx, services, organizationId, reporter, inputs)).results;
  }
  const [single] = inputs;
  // Presence changes never take the hot path: nothing to join.
  if (inputs.length === 1 && single !== undefined && single.kind !== 'PRESENCE_CHANGED') {
    return [await coalescerFor(services).report(organizationId, reporter, single)];
  }
  return reportAlone(services, organizationId, reporter, inputs);
}

/**
 * Coalesced, lossless presence writes (issue 14). Each change is written twice, in two steps:
 *  1. `store` (optional): the presence itself, at once — one short statement per organization and
 *     window, whatever the backlog, so `operatorPresence` is current within `windowMs` plus one
 *     statement even when 1,000 operators connect at once (Operator.presence).
 *  2. `report`: its announcement — the PRESENCE_CHANGED happening raising OPERATOR_* for every
 *     other operator (the N² part: inbox items, decisions, live fan-out), which a storm's backlog
 *     writes over seconds; it compares with and sets Operator.presenceAnnounced. A change is
 *     announced only after it was stored, and `submit` resolves once both are done.
 * Presence changes of one organization that arrive within `windowMs` are reported together
 * (reportHappenings takes many happenings and derives them in order), so 300 operators coming
 * online is a handful of transactions instead of 300 contending ones. Rules:
 *  - Order: changes are kept in arrival order per organization, so each operator's changes stay in
 *    order; one batch per organization is in flight at a time (the next waits for its commit).
 *  - Size: a batch raises one event per change for every other operator (the N² part), so it is cut
 *    into chunks whose transactions stay short: the chunk size adapts to take about TARGET_MS per
 *    transaction (halved when slower, doubled when much faster). Inbox counters stay locked only
 *    that long, so an alert waits at most one chunk.
 *  - Database share: at most `concurrency` presence transactions run at once on this instance
 *    (every organization included), so the pool always has room for reports and stream handshakes.
 *  - No loss, no duplicate: each change carries an idempotency key of its own; a chunk that fails
 *    (deadlock, serialization failure, lost connection) is retried with backoff until it commits,
 *    and a retry after an ambiguous commit replays instead of raising its events twice. A chunk
 *    refused as a whole (AppError: e.g. an operator deactivated meanwhile) is retried change by
 *    change, and only a change refused on its own is given up (its submitter gets the error).
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '../../errors.js';
import { log } from '../../observability/logger.js';
import { concurrencyLimit } from './concurrency-limit.js';
import type { PresenceValue } from './presence-tracker.js';

export interface PresenceChange {
  operatorId: string;
  presence: PresenceValue;
  idempotencyKey: string;
}

/**
 * Reports changes of one organization in one transaction, in order; may resolve to the number of
 * decisions it wrote (the batch's size in work: a change in an organization of N operators is ~2N).
 */
export type PresenceBatchReporter = (organizationId: string, changes: readonly PresenceChange[]) => Promise<unknown>;

/** Stores the presence of each operator named (the last change of each wins; they come in order). */
export type PresenceStore = (
  organizationId: string,
  changes: readonly { operatorId: string; presence: PresenceValue }[],
) => Promise<unknown>;

export interface PresenceBatcherOptions {
  report: PresenceBatchReporter;
  /** Step 1, the presence alone; without it, the report stores presence and announces it together. */
  store?: PresenceStore;
  /** How long the first change of a batch waits for others. */
  windowMs: number;
  /** Presence transactions in flight at once on this instance. */
  concurrency: number;
  /** Happenings one report may carry (MAX_BATCH_SIZE): a chunk never exceeds it. */
  maxBatch?: number;
}

export interface PresenceBatcher {
  /**
   * Resolves once the change is stored (or rejects with the AppError that refused it alone).
   * `urgent` (someone waits: setMyPresence) moves the operator's pending changes, and this one after
   * them, to the front of the organization's backlog: their order is kept, others' do not depend on it.
   */
  submit(organizationId: string, operatorId: string, presence: PresenceValue, urgent?: boolean): Promise<void>;

  /** Writes what is pending without waiting for the window, and waits for it (retrying until `deadlineMs`). */
  stop(deadlineMs?: number): Promise<void>;
}

/**
 * Aimed duration of one presence transaction. Counters are locked only by its last statement (the
 * inbox rows, about a quarter of it), so an alert waits well under this; much shorter, and the fixed
 * cost of a transaction (~50 ms) dominates: 300 changes in chunks of 2 took 33 s instead of 6.
 */
const TARGET_MS = 250;
/**
 * Decisions one chunk may write. Deciding, rendering and fanning out a chunk runs on the event loop
 * (~10 µs a decision): 16 changes of a 1,000-operator organization held it for ~300 ms at a time
 * and visitors' reports waited behind. 6,000 keeps each stretch near 50 ms; with 300 operators a
 * chunk is still ~10 changes.
 */
const DECISIONS_PER_CHUNK = 6000;
const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 5000;

interface Pending extends PresenceChange {
  stored: boolean;
  done: () => void;
  failed: (error: unknown) => void;
}

interface OrganizationQueue {
  pending: Pending[];
  /** Changes not stored yet (step 1), in arrival order. */
  unstored: Pending[];
  storing: Promise<void> | null;
  storeTimer: NodeJS.Timeout | null;
  timer: NodeJS.Timeout | null;
  running: Promise<void> | null;
  chunk: number;
  /** Decisions per change in the last chunk written (0: not known yet). */
  decisionsPerChange: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

export function createPresenceBatcher(options: PresenceBatcherOptions): PresenceBatcher {
  const { report, windowMs } = options;
  const maxChunk = Math.max(1, options.maxBatch ?? 500);
  const queues = new Map<string, OrganizationQueue>();
  let stopping = false;
  let giveUpAt = Number.POSITIVE_INFINITY;
  // Presence transactions in flight on this instance, all organizations included.
  const withSlot = concurrencyLimit(options.concurrency);

  /** Runs `write` until it succeeds: null once done, else the error that ended the retries (an AppError, or shutdown's deadline). */
  const untilDone = async (organizationId: string, changes: readonly Pending[], write: () => Promise<unknown>): Promise<unknown> => {
    for (let attempt = 0; ; attempt++) {
      try {
        await write();
        return null;
      } catch (error) {
        if (error instanceof AppError) return error;
        if (Date.now() >= giveUpAt) {
          log.warn({ organizationId, changes: changes.length, error: String(error) }, 'presence: giving up changes at shutdown');
          return error;
        }
        const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** attempt) * (0.5 + Math.random() / 2);
        if (attempt >= 2)
          log.warn({ attempt: attempt + 1, retryInMs: Math.round(delay), error: String(error) }, 'presence: write failed, retrying');
        await sleep(delay);
      }
    }
  };

  const dropIfIdle = (organizationId: string, queue: OrganizationQueue) => {
    const idle = queue.pending.length === 0 && queue.unstored.length === 0 && queue.running === null && queue.storing === null;
    if (idle && queue.timer === null && queue.storeTimer === null && queues.get(organizationId) === queue) queues.delete(organizationId);
  };

  // Step 1: stores every unstored change of the organization, in one statement per round, in order.
  // Not under the slot limit: it is one short statement, and must not wait behind announcements.
  const storeAll = (organizationId: string, queue: OrganizationQueue): Promise<void> => {
    if (queue.storeTimer !== null) clearTimeout(queue.storeTimer);
    queue.storeTimer = null;
    if (queue.storing !== null) return queue.storing;
    if (options.store === undefined || queue.unstored.length === 0) {
      for (const change of queue.unstored.splice(0)) change.stored = true;
      return Promise.resolve();
    }
    const store = options.store;
    const run = async () => {
      while (queue.unstored.length > 0) {
        const round = queue.unstored.splice(0);
        const changes = round.map(({ operatorId, presence }) => ({ operatorId, presence }));
        const refused = await untilDone(organizationId, round, () => store(organizationId, changes));
        // Given up only at shutdown's deadline: announced anyway (events are not lost); the presence stays as it was.
        if (refused !== null)
          log.warn({ organizationId, changes: round.length, error: String(refused) }, 'presence: changes not stored at shutdown');
        for (const change of round) change.stored = true;
      }
    };
    queue.storing = run().finally(() => {
      queue.storing = null;
      dropIfIdle(organizationId, queue);
    });
    return queue.storing;
  };

  const writeChunk = async (organizationId: string, queue: OrganizationQueue, chunk: Pending[]) => {
    const started = Date.now();
    if (chunk.some((change) => !change.stored)) await storeAll(organizationId, queue);
    let decisions = 0;
    const refused = await untilDone(organizationId, chunk, () =>
      withSlot(async () => {
        const written = await report(organizationId, chunk);
        decisions = typeof written === 'number' ? written : 0;
      }),
    );
    const took = Date.now() - started;
    if (refused === null) {
      if (took > TARGET_MS) queue.chunk = Math.max(1, Math.floor(queue.chunk / 2));
      else if (took < TARGET_MS / 2) queue.chunk = Math.min(maxChunk, queue.chunk * 2);
      if (decisions > 0) queue.decisionsPerChange = decisions / chunk.length;
      if (queue.decisionsPerChange > 0)
        queue.chunk = Math.max(1, Math.min(queue.chunk, Math.floor(DECISIONS_PER_CHUNK / queue.decisionsPerChange)));
      for (const change of chunk) change.done();
      return;
    }
    if (!(refused instanceof AppError) || chunk.length === 1) {
      for (const change of chunk) change.failed(refused);
      return;
    }
    // Refused as a whole: find the change at fault by writing them one by one, in order.
    for (const change of chunk) await writeChunk(organizationId, queue, [change]);
  };

  const drain = async (organizationId: string, queue: OrganizationQueue) => {
    while (queue.pending.length > 0) {
      const chunk = queue.pending.splice(0, queue.chunk);
      const started = Date.now();
      await writeChunk(organizationId, queue, chunk);
      // A breather as long as half the chunk took: its live fan-out (every other operator's stream)
      // and the alerts queued meanwhile get the process and the database first.
      if (queue.pending.length > 0 && !stopping) await sleep(Math.min(TARGET_MS, (Date.now() - started) / 2));
    }
  };

  const flush = (organizationId: string, queue: OrganizationQueue) => {
    void storeAll(organizationId, queue);
    if (queue.timer !== null) clearTimeout(queue.timer);
    queue.timer = null;
    if (queue.running !== null) return;
    queue.running = drain(organizationId, queue).finally(() => {
      queue.running = null;
      if (queue.pending.length > 0) flush(organizationId, queue);
      else dropIfIdle(organizationId, queue);
    });
  };

  const enqueue = (organizationId: string, operatorId: string, presence: PresenceValue, urgent: boolean) =>
    new Promise<void>((done, failed) => {
      const queue = queues.get(organizationId) ?? {
        pending: [],
        unstored: [],
        storing: null,
        storeTimer: null,
        timer: null,
        running: null,
        chunk: Math.min(4, maxChunk),
        decisionsPerChange: 0,
      };
      queues.set(organizationId, queue);
      const change: Pending = { operatorId, presence, idempotencyKey: `presence:${randomUUID()}`, stored: false, done, failed };
      queue.unstored.push(change);
      // Stored within the window even while a backlog of announcements is being written.
      if (queue.storeTimer === null && queue.storing === null && queue.timer === null) {
        if (urgent || stopping || windowMs === 0) void storeAll(organizationId, queue);
        else {
          queue.storeTimer = setTimeout(() => void storeAll(organizationId, queue), windowMs);
          queue.storeTimer.unref();
        }
      }
      if (urgent) {
        const own = queue.pending.filter((p) => p.operatorId === operatorId);
        queue.pending = [...own, change, ...queue.pending.filter((p) => p.operatorId !== operatorId)];
      } else queue.pending.push(change);
      // While a batch is in flight, the next one gathers until it commits.
      if (queue.running !== null || queue.timer !== null) return;
      if (stopping || windowMs === 0) flush(organizationId, queue);
      else {
        queue.timer = setTimeout(() => flush(organizationId, queue), windowMs);
        queue.timer.unref();
      }
    });

  return {
    submit: (organizationId, operatorId, presence, urgent = false) => enqueue(organizationId, operatorId, presence, urgent),
    async stop(deadlineMs = 10_000) {
      stopping = true;
      giveUpAt = Date.now() + deadlineMs;
      for (const [organizationId, queue] of queues) flush(organizationId, queue);
      for (;;) {
        const running = [...queues.values()].flatMap((q) => [q.running, q.storing].filter((p) => p !== null));
        if (running.length === 0) return;
        await Promise.allSettled(running);
      }
    },
  };
}

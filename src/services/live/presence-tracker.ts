/**
 * Presence from live streams (notification-rules.md, OPERATOR_* events): an operator's first open
 * stream reports PRESENCE_CHANGED ONLINE; the last one closing reports OFFLINE after `graceMs`, so a
 * page reload (close then open within the grace period) changes nothing. Explicit changes (AWAY,
 * back to ONLINE, OFFLINE) are reported as they come. Ingestion raises an event only when presence
 * actually changes, so reporting ONLINE for an operator already online is harmless.
 *
 * This is the in-process tracker (one instance). With REDIS_URL, redis-presence-tracker.ts counts
 * the streams of every instance instead. Both hand their changes to presence-batcher.ts, which
 * coalesces them per organization and retries each until it is stored (in order, exactly once).
 */

import { log } from '../../observability/logger.js';
import type { PresenceBatcher } from './presence-batcher.js';
import type { OpenStream } from './stream-registry.js';

export type PresenceValue = 'ONLINE' | 'AWAY' | 'OFFLINE';

export interface PresenceTracker {
  streamOpened(stream: OpenStream): void;
  /** A Chat Panel change updated the preferences in effect on an open stream. */
  streamChanged(stream: OpenStream): void;
  streamClosed(stream: OpenStream): void;
  /** Explicit change by the operator (setMyPresence). */
  set(organizationId: string, operatorId: string, presence: PresenceValue): Promise<void>;
  /** Open streams of each operator, on every instance (missing operators have none). */
  openStreams(operatorIds: readonly string[]): Promise<Map<string, number>>;
  /** Cancels pending OFFLINE reports and writes the changes already submitted. */
  stop(): Promise<void>;
}

/** Runs the presence work of one operator one step after the other, in the order it was asked for. */
export function createPresenceQueue() {
  const inFlight = new Set<Promise<unknown>>();
  const chains = new Map<string, Promise<unknown>>();
  const enqueue = (operatorId: string, work: () => Promise<unknown>): Promise<void> => {
    const run = (chains.get(operatorId) ?? Promise.resolve()).then(async () => {
      await work();
    });
    const settled = run.catch(() => {});
    chains.set(operatorId, settled);
    inFlight.add(settled);
    void settled.finally(() => {
      inFlight.delete(settled);
      if (chains.get(operatorId) === settled) chains.delete(operatorId);
    });
    return run;
  };
  return {
    enqueue,
    /** Same, logging a failure instead of returning it. */
    background(operatorId: string, what: string, work: () => Promise<unknown>): void {
      enqueue(operatorId, work).catch((error: unknown) => log.warn({ err: error, operatorId }, `presence ${what} failed`));
    },
    settle: () => Promise.allSettled([...inFlight]),
  };
}

/** Submits a change nobody waits for; the batcher retries it, so a failure here is a refusal (logged). */
export function submitInBackground(batcher: PresenceBatcher, organizationId: string, operatorId: string, presence: PresenceValue): void {
  batcher
    .submit(organizationId, operatorId, presence)
    .catch((error: unknown) => log.warn({ err: error, operatorId, presence }, 'presence change refused'));
}

export function createPresenceTracker(batcher: PresenceBatcher, graceMs: number): PresenceTracker {
  const counts = new Map<string, number>();
  const offlineTimers = new Map<string, NodeJS.Timeout>();
  let stopped = false;

  return {
    streamOpened({ organizationId, operatorId }) {
      const count = (counts.get(operatorId) ?? 0) + 1;
      counts.set(operatorId, count);
      const timer = offlineTimers.get(operatorId);
      if (timer !== undefined) {
        // Reopened within the grace period: the operator never went offline.
        clearTimeout(timer);
        offlineTimers.delete(operatorId);
        return;
      }
      if (count === 1) submitInBackground(batcher, organizationId, operatorId, 'ONLINE');
    },
    // This process's streams are in the registry, preferences included.
    streamChanged() {},
    streamClosed({ organizationId, operatorId }) {
      const count = (counts.get(operatorId) ?? 1) - 1;
      if (count > 0) {
        counts.set(operatorId, count);
        return;
      }
      counts.delete(operatorId);
      if (stopped) return;
      const timer = setTimeout(() => {
        offlineTimers.delete(operatorId);
        if (!counts.has(operatorId) && !stopped) submitInBackground(batcher, organizationId, operatorId, 'OFFLINE');
      }, graceMs);
      timer.unref();
      offlineTimers.set(operatorId, timer);
    },
    set: (organizationId, operatorId, presence) => batcher.submit(organizationId, operatorId, presence, true),
    openStreams: async (operatorIds) => new Map(operatorIds.map((id) => [id, counts.get(id) ?? 0])),
    async stop() {
      stopped = true;
      for (const timer of offlineTimers.values()) clearTimeout(timer);
      offlineTimers.clear();
      await batcher.stop();
    },
  };
}

/**
 * Presence from live streams (notification-rules.md, OPERATOR_* events): an operator's first open
 * stream reports PRESENCE_CHANGED ONLINE; the last one closing reports OFFLINE after `graceMs`, so a
 * page reload (close then open within the grace period) changes nothing. Explicit changes (AWAY,
 * back to ONLINE, OFFLINE) are reported as they come. Ingestion raises an event only when presence
 * actually changes, so reporting ONLINE for an operator already online is harmless.
 *
 * Counts are per process: with several instances, an operator whose streams are spread over them
 * goes OFFLINE when the streams of one instance all close (see the report: shared counts in Redis).
 */

export type PresenceValue = 'ONLINE' | 'AWAY' | 'OFFLINE';
export type PresenceReporter = (organizationId: string, operatorId: string, presence: PresenceValue) => Promise<unknown>;

export interface PresenceTracker {
  streamOpened(organizationId: string, operatorId: string): void;
  streamClosed(organizationId: string, operatorId: string): void;
  /** Explicit change by the operator (setMyPresence). */
  set(organizationId: string, operatorId: string, presence: PresenceValue): Promise<void>;
  /** Open streams of the operator in this process. */
  openStreams(operatorId: string): number;
  /** Cancels pending OFFLINE reports and waits for reports in flight. */
  stop(): Promise<void>;
}

export function createPresenceTracker(report: PresenceReporter, graceMs: number): PresenceTracker {
  const counts = new Map<string, number>();
  const offlineTimers = new Map<string, NodeJS.Timeout>();
  const inFlight = new Set<Promise<unknown>>();
  // Reports of one operator run one after the other, in the order they were asked for.
  const chains = new Map<string, Promise<unknown>>();
  let stopped = false;

  const enqueue = (organizationId: string, operatorId: string, presence: PresenceValue): Promise<void> => {
    const previous = chains.get(operatorId) ?? Promise.resolve();
    const run = previous.then(async () => {
      if (!stopped || presence !== 'OFFLINE') await report(organizationId, operatorId, presence);
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
  const background = (organizationId: string, operatorId: string, presence: PresenceValue) => {
    enqueue(organizationId, operatorId, presence).catch((error: unknown) =>
      console.warn(`presence ${presence} of operator ${operatorId} not reported:`, error),
    );
  };

  return {
    streamOpened(organizationId, operatorId) {
      const count = (counts.get(operatorId) ?? 0) + 1;
      counts.set(operatorId, count);
      const timer = offlineTimers.get(operatorId);
      if (timer !== undefined) {
        // Reopened within the grace period: the operator never went offline.
        clearTimeout(timer);
        offlineTimers.delete(operatorId);
        return;
      }
      if (count === 1) background(organizationId, operatorId, 'ONLINE');
    },
    streamClosed(organizationId, operatorId) {
      const count = (counts.get(operatorId) ?? 1) - 1;
      if (count > 0) {
        counts.set(operatorId, count);
        return;
      }
      counts.delete(operatorId);
      if (stopped) return;
      const timer = setTimeout(() => {
        offlineTimers.delete(operatorId);
        if (!counts.has(operatorId)) background(organizationId, operatorId, 'OFFLINE');
      }, graceMs);
      timer.unref();
      offlineTimers.set(operatorId, timer);
    },
    set(organizationId, operatorId, presence) {
      return enqueue(organizationId, operatorId, presence);
    },
    openStreams: (operatorId) => counts.get(operatorId) ?? 0,
    async stop() {
      stopped = true;
      for (const timer of offlineTimers.values()) clearTimeout(timer);
      offlineTimers.clear();
      await Promise.allSettled([...inFlight]);
    },
  };
}

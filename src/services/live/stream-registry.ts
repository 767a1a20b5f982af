/**
 * The open notification streams of this process, per operator, each with the preferences in effect
 * on it (for `streamsInEffect`, and so a test can see that an unsubscribed stream is gone). With
 * Redis, the redis presence tracker also publishes them to every instance (StreamSnapshot).
 */
import type { StreamPreferences } from '../../domain/decide-live-delivery.js';

export interface OpenStream {
  id: string;
  organizationId: string;
  operatorId: string;
  openedAt: Date;
  /** The preferences this stream evaluates with: its start snapshot plus Chat Panel changes. */
  preferences(): StreamPreferences;
  /** Items waiting to be sent (bounded by STREAM_BUFFER_LIMIT). */
  buffered(): number;
}

/** An open stream as `streamsInEffect` shows it, whichever instance holds it. */
export interface StreamSnapshot {
  id: string;
  openedAt: Date;
  preferences: StreamPreferences;
  /** Items waiting to be sent: known only on the stream's own instance (null elsewhere). */
  buffered: number | null;
}

export interface StreamRegistry {
  add(stream: OpenStream): void;
  remove(stream: OpenStream): void;
  streamsOf(operatorId: string): readonly OpenStream[];
  /** Every open stream of this process. */
  size(): number;
}

export function createStreamRegistry(): StreamRegistry {
  const byOperator = new Map<string, Set<OpenStream>>();
  let size = 0;
  return {
    add(stream) {
      const set = byOperator.get(stream.operatorId) ?? new Set();
      if (!set.has(stream)) size++;
      set.add(stream);
      byOperator.set(stream.operatorId, set);
    },
    remove(stream) {
      const set = byOperator.get(stream.operatorId);
      if (!set?.delete(stream)) return;
      size--;
      if (set.size === 0) byOperator.delete(stream.operatorId);
    },
    streamsOf: (operatorId) => [...(byOperator.get(operatorId) ?? [])],
    size: () => size,
  };
}

/**
 * What happens to decisions once they are taken. The ingestion pipeline stores events and decisions
 * in one transaction and hands them to every sink: `inTransaction` runs inside that transaction
 * (inbox rows, the delivery outbox: stored together or not at all), `afterCommit` runs once it is
 * committed (live fan-out). Sinks are registered by createApp.
 */

import type { Channel, NotificationEventKind } from '../domain/catalog.js';
import type { Reason } from '../domain/decide-notifications.js';
import type { Prisma } from '../generated/prisma/client.js';

export interface StoredDecision {
  operatorId: string | null;
  addonId: string | null;
  channel: Channel;
  delivered: boolean;
  reason: Reason;
}

export interface StoredEvent {
  id: string;
  organizationId: string;
  happeningId: string | null;
  kind: NotificationEventKind;
  chatId: string | null;
  widgetId: string | null;
  subjectOperatorId: string | null;
  /** Details for rendering (visitor, message text, rating, changes…), as stored on the event. */
  payload: Record<string, unknown>;
  createdAt: Date;
  decisions: StoredDecision[];
}

export interface DecisionSink {
  name: string;
  inTransaction?(tx: Prisma.TransactionClient, events: readonly StoredEvent[]): Promise<void>;
  /** Must not throw: the happening is already committed. */
  afterCommit?(events: readonly StoredEvent[]): void;
}

/**
 * Hands committed events to every sink's after-commit work. The events are already stored, so a
 * failing sink is logged and never turns the committed change into an error.
 */
export function runAfterCommit(sinks: readonly DecisionSink[], events: readonly StoredEvent[]): void {
  if (events.length === 0) return;
  for (const sink of sinks) {
    try {
      sink.afterCommit?.(events);
    } catch (error) {
      console.error(`sink ${sink.name} failed after commit:`, error);
    }
  }
}

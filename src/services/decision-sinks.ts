/**
 * What happens to decisions once they are taken. The ingestion pipeline stores events and decisions
 * in one transaction and hands them to every sink: `inTransaction` runs inside that transaction
 * (inbox rows, the delivery outbox: stored together or not at all), `afterCommit` runs once it is
 * committed (live fan-out). Sinks are registered by createApp.
 *
 * The hot path (report-in-one-statement.ts) writes a report in ONE statement, without an
 * interactive transaction: there a sink adds its writes to that statement (`inStatement`) instead.
 * A sink that needs to read first, or cannot tell, answers null and the report takes the
 * transactional path; a sink with `inTransaction` and no `inStatement` always sends it there.
 */

import type { DecisionLock } from '../domain/admin-locks.js';
import type { Channel, NotificationEventKind } from '../domain/catalog.js';
import type { Reason } from '../domain/decide-notifications.js';
import type { Prisma } from '../generated/prisma/client.js';
import { log } from '../observability/logger.js';
import type { OrganizationSettings } from './ingestion/load-organization-settings.js';

/** A reason as stored: the engine's, or UNREAD_ESCALATION (extension E5: an email of an item left unread). */
export type StoredReason = Reason | 'UNREAD_ESCALATION';

export interface StoredDecision {
  operatorId: string | null;
  addonId: string | null;
  channel: Channel;
  delivered: boolean;
  reason: StoredReason;
  /** The admin lock that applied (E1), if any. */
  lock?: DecisionLock | null;
  /** A delivered email deferred by quiet time (E2): when it is due. */
  dueAt?: Date | null;
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

/** What a sink is given to add its writes to the one statement of the hot path. */
export interface StatementContext {
  /** Adds a positional parameter (text, cast it in SQL) and returns its placeholder (`$n`). */
  param(value: string): string;
  /** A boolean SQL expression: every write must be conditioned on it (the report's guard held). */
  gate: string;
  /** The settings snapshot the events were decided with. */
  settings: OrganizationSettings;
}

/** A sink's part of the statement: its CTEs (`name AS (…)`), and what it reads back. */
export interface StatementWork {
  ctes: string[];
  /** A SQL expression selected once the CTEs ran; its value is handed to `committed`. */
  result?: string;
  /** Called once the statement committed, before any sink's afterCommit. */
  committed?(result: unknown): void;
}

export interface DecisionSink {
  name: string;
  inTransaction?(tx: Prisma.TransactionClient, events: readonly StoredEvent[]): Promise<void>;
  /** The same work as `inTransaction` as part of the hot path's statement; null: not possible here. */
  inStatement?(events: readonly StoredEvent[], statement: StatementContext): StatementWork | null;
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
      log.error({ err: error, sink: sink.name }, 'sink failed after commit');
    }
  }
}

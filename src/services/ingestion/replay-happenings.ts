/**
 * Idempotency: a happening reported again with the same key is not decided again; the caller gets
 * the first result back. The same key with a different happening is refused (IDEMPOTENCY_KEY_REUSED).
 */
import type { HappeningInput } from '../../domain/derive-events.js';
import { eventPayloadOf, STORED_EVENT_CHAT } from '../../domain/stored-event-payload.js';
import { AppError } from '../../errors.js';
import type { StoredEvent } from '../decision-sinks.js';
import type { Tx } from './load-ingestion-state.js';
import { fieldOf, payloadHash, storedPayload } from './validate-happenings.js';

/** The stored happening id of every input whose key was already used, by input index. */
export async function findReplays(db: Tx, organizationId: string, inputs: readonly HappeningInput[]): Promise<Map<number, string>> {
  const keys = inputs.flatMap((input) => (input.idempotencyKey ? [input.idempotencyKey] : []));
  const replays = new Map<number, string>();
  if (keys.length === 0) return replays;
  const stored = await db.happening.findMany({
    where: { organizationId, idempotencyKey: { in: keys } },
    select: { id: true, idempotencyKey: true, payloadHash: true },
  });
  const byKey = new Map(stored.map((h) => [h.idempotencyKey, h]));
  inputs.forEach((input, index) => {
    const first = input.idempotencyKey ? byKey.get(input.idempotencyKey) : undefined;
    if (first === undefined) return;
    if (first.payloadHash !== payloadHash(storedPayload(input))) {
      throw new AppError(
        'IDEMPOTENCY_KEY_REUSED',
        'This idempotency key was already used for a different happening',
        fieldOf(index, 'idempotencyKey'),
      );
    }
    replays.set(index, first.id);
  });
  return replays;
}

/**
 * The stored events (with decisions) of the given happenings, in the order they were raised (ids are
 * time-ordered). Two queries: Decision has no relation to join on (its references are checked by
 * triggers, see schema.prisma), so its rows are read by the events' ids and grouped here.
 */
export async function loadStoredEvents(db: Tx, happeningIds: readonly string[]): Promise<Map<string, StoredEvent[]>> {
  const result = new Map<string, StoredEvent[]>(happeningIds.map((id) => [id, []]));
  if (happeningIds.length === 0) return result;
  const events = await db.notificationEvent.findMany({
    where: { happeningId: { in: [...happeningIds] } },
    include: { chat: { select: STORED_EVENT_CHAT } },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  if (events.length === 0) return result;
  const decisions = await db.decision.findMany({
    // A decision's createdAt is its event's, or later (an unread escalation's, unread-escalations.ts):
    // the days' partitions before the first event's are not read.
    where: { eventId: { in: events.map((e) => e.id) }, createdAt: { gte: events[0]?.createdAt } },
    select: { eventId: true, operatorId: true, addonId: true, channel: true, delivered: true, reason: true },
    orderBy: { id: 'asc' },
  });
  const byEvent = new Map<string, Omit<(typeof decisions)[number], 'eventId'>[]>();
  for (const { eventId, ...decision } of decisions) {
    const list = byEvent.get(eventId);
    if (list) list.push(decision);
    else byEvent.set(eventId, [decision]);
  }
  for (const event of events) {
    if (event.happeningId === null) continue;
    const { chat, ...stored } = event;
    result
      .get(event.happeningId)
      ?.push({ ...stored, decisions: byEvent.get(event.id) ?? [], payload: eventPayloadOf(event.payload, event, chat) });
  }
  return result;
}

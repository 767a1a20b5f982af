/**
 * The live DecisionSink. In the ingestion transaction: one InboxItem per delivered BROWSER decision,
 * numbered per operator from InboxCounter (rows upserted in operator-id order, so two transactions
 * never wait on each other in a cycle; each counter row stays locked until commit, so an operator's
 * items commit in seq order). After commit: every live candidate (decide-live-delivery.ts) is
 * published on its operator's `operator:notification` topic, in seq order.
 *
 * Statements per ingestion: at most three, whatever the number of operators (widgets and names
 * only when the settings snapshot the ingestion decided with does not have them, then counters and
 * inbox rows in one statement), and none when no decision concerns the live channels. The counter
 * rows are taken by that last statement, as late as possible, so they stay locked for a short time.
 */
import { randomUUID } from 'node:crypto';
import { findMutingSwitch } from '../../domain/catalog.js';
import { isLiveCandidate, type LiveCandidacy, liveCandidacy } from '../../domain/decide-live-delivery.js';
import type { Reason } from '../../domain/decide-notifications.js';
import { renderNotification } from '../../domain/render-notification.js';
import type { Prisma } from '../../generated/prisma/client.js';
import type { PubSub } from '../../pubsub.js';
import type { DecisionSink, StoredEvent } from '../decision-sinks.js';
import { settingsUsedBy } from '../ingestion/settings-cache.js';
import type { LiveItem } from './live-item.js';

interface Candidate {
  event: StoredEvent;
  operatorId: string;
  candidacy: LiveCandidacy;
}

interface Pending {
  at: number;
  items: { operatorId: string; item: LiveItem }[];
}

/** Published items wait here between inTransaction and afterCommit; a rolled-back batch is swept. */
const PENDING_TTL_MS = 10 * 60_000;

function candidatesOf(event: StoredEvent, widgetBrowserOn: ReadonlyMap<string, boolean>): Candidate[] {
  const reasons = new Map<string, { browser: Reason | null; audio: Reason | null }>();
  for (const d of event.decisions) {
    if (d.operatorId === null || (d.channel !== 'BROWSER' && d.channel !== 'AUDIO')) continue;
    const entry = reasons.get(d.operatorId) ?? { browser: null, audio: null };
    if (d.channel === 'BROWSER') entry.browser = d.reason;
    else entry.audio = d.reason;
    reasons.set(d.operatorId, entry);
  }
  const muting = event.widgetId !== null && findMutingSwitch(event.kind, 'BROWSER') !== null;
  const mutes = muting && widgetBrowserOn.get(event.widgetId ?? '') === false;
  const candidates: Candidate[] = [];
  for (const [operatorId, r] of reasons) {
    const candidacy = liveCandidacy(r.browser, r.audio, mutes);
    if (isLiveCandidate(candidacy)) candidates.push({ event, operatorId, candidacy });
  }
  return candidates;
}

/** Widgets whose browser switch matters: an opted-out decision did not reach check 5. */
async function loadWidgetSwitches(tx: Prisma.TransactionClient, events: readonly StoredEvent[]): Promise<Map<string, boolean>> {
  const ids = new Set<string>();
  for (const e of events) {
    if (e.widgetId === null || findMutingSwitch(e.kind, 'BROWSER') === null) continue;
    if (e.decisions.some((d) => d.channel === 'BROWSER' && d.reason === 'OPERATOR_OPTED_OUT')) ids.add(e.widgetId);
  }
  const known = new Map<string, boolean>();
  const settings = settingsUsedBy(tx);
  for (const id of ids) {
    const widget = settings?.organizationId === events[0]?.organizationId ? settings?.widgets.get(id) : undefined;
    if (widget !== undefined) {
      known.set(id, widget.browser);
      ids.delete(id);
    }
  }
  if (ids.size === 0) return known;
  const widgets = await tx.widget.findMany({ where: { id: { in: [...ids] } }, select: { id: true, browserEnabled: true } });
  for (const w of widgets) known.set(w.id, w.browserEnabled);
  return known;
}

async function loadOperatorNames(tx: Prisma.TransactionClient, events: readonly StoredEvent[]): Promise<Record<string, string>> {
  const ids = new Set<string>();
  for (const e of events) {
    for (const id of [e.subjectOperatorId, e.payload.fromOperatorId, e.payload.toOperatorId]) if (typeof id === 'string') ids.add(id);
  }
  const names: Record<string, string> = {};
  const settings = settingsUsedBy(tx);
  for (const id of ids) {
    const operator = settings?.organizationId === events[0]?.organizationId ? settings?.operatorsById.get(id) : undefined;
    if (operator !== undefined) {
      names[id] = operator.name;
      ids.delete(id);
    }
  }
  if (ids.size === 0) return names;
  const operators = await tx.operator.findMany({ where: { id: { in: [...ids] } }, select: { id: true, name: true } });
  for (const o of operators) names[o.id] = o.name;
  return names;
}

/**
 * Reserves seqs on the operators' counters (upserted in operator-id order) and inserts the inbox
 * rows numbered from them, in one statement; returns the last seq of each operator. An item's seq
 * is its operator's last seq − the operator's item count + its ordinal among them (1-based).
 */
async function insertInboxItems(
  tx: Prisma.TransactionClient,
  organizationId: string,
  counts: ReadonlyMap<string, number>,
  items: readonly { operatorId: string; ordinal: number; item: LiveItem }[],
): Promise<Map<string, number>> {
  const counters = [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([o, n]) => ({ o, n }));
  const rows = items.map(({ operatorId, ordinal, item }) => ({
    id: item.inboxItemId,
    organizationId,
    operatorId,
    ordinal,
    count: counts.get(operatorId) ?? 0,
    eventId: item.eventId,
    kind: item.kind,
    chatId: item.chatId,
    chatExternalId: item.chatExternalId,
    widgetId: item.widgetId,
    title: item.title,
    body: item.body,
    sound: item.sound,
    createdAt: item.createdAt,
  }));
  const updated = await tx.$queryRawUnsafe<{ operatorId: string; lastSeq: bigint | number }[]>(
    `WITH counters AS (
       INSERT INTO "InboxCounter" ("operatorId", "lastSeq")
       SELECT (r->>'o')::uuid, (r->>'n')::bigint FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(r, i) ORDER BY i
       ON CONFLICT ("operatorId") DO UPDATE SET "lastSeq" = "InboxCounter"."lastSeq" + EXCLUDED."lastSeq"
       RETURNING "operatorId", "lastSeq"
     ), items AS (
       INSERT INTO "InboxItem" ("id", "organizationId", "operatorId", "seq", "eventId", "kind", "chatId", "chatExternalId", "widgetId", "title", "body", "sound", "createdAt")
       SELECT r."id", r."organizationId", r."operatorId", c."lastSeq" - r."count" + r."ordinal", r."eventId", r."kind"::"NotificationEventKind", r."chatId",
              r."chatExternalId", r."widgetId", r."title", r."body", r."sound", r."createdAt"
       FROM jsonb_to_recordset($2::jsonb) AS r("id" uuid, "organizationId" uuid, "operatorId" uuid, "ordinal" bigint, "count" bigint, "eventId" uuid,
            "kind" text, "chatId" uuid, "chatExternalId" text, "widgetId" uuid, "title" text, "body" text, "sound" text, "createdAt" timestamp(3))
       JOIN counters c ON c."operatorId" = r."operatorId"
     )
     SELECT "operatorId"::text AS "operatorId", "lastSeq" FROM counters`,
    JSON.stringify(counters),
    JSON.stringify(rows),
  );
  return new Map(updated.map((u) => [u.operatorId, Number(u.lastSeq)]));
}

export function createInboxSink(pubsub: PubSub): DecisionSink {
  const pending = new Map<string, Pending>();
  const sweep = (now: number) => {
    for (const [key, entry] of pending) if (now - entry.at > PENDING_TTL_MS) pending.delete(key);
  };
  return {
    name: 'live-inbox',
    async inTransaction(tx, events) {
      if (!events.some((e) => e.decisions.some((d) => d.channel === 'BROWSER' || d.channel === 'AUDIO'))) return;
      const switches = await loadWidgetSwitches(tx, events);
      const candidates = events.flatMap((e) => candidatesOf(e, switches));
      if (candidates.length === 0) return;
      const names = await loadOperatorNames(
        tx,
        candidates.map((c) => c.event),
      );
      const counts = new Map<string, number>();
      const byEvent = new Map<string, Pending['items']>();
      const inbox: { operatorId: string; ordinal: number; item: LiveItem }[] = [];
      for (const { event, operatorId, candidacy } of candidates) {
        const rendered = renderNotification({
          kind: event.kind,
          payload: event.payload,
          subjectOperatorId: event.subjectOperatorId,
          operatorNames: names,
        });
        const item: LiveItem = {
          seq: null,
          inboxItemId: candidacy.inInbox ? randomUUID() : null,
          eventId: event.id,
          kind: event.kind,
          chatId: event.chatId,
          chatExternalId: typeof event.payload.chatExternalId === 'string' ? event.payload.chatExternalId : null,
          widgetId: event.widgetId,
          title: rendered.title,
          body: rendered.body,
          browser: candidacy.browser,
          sound: candidacy.audio ? rendered.sound : null,
          createdAt: event.createdAt.toISOString(),
        };
        if (candidacy.inInbox) {
          const ordinal = (counts.get(operatorId) ?? 0) + 1;
          counts.set(operatorId, ordinal);
          inbox.push({ operatorId, ordinal, item });
        }
        const list = byEvent.get(event.id) ?? [];
        list.push({ operatorId, item });
        byEvent.set(event.id, list);
      }
      if (inbox.length > 0) {
        // Last, so the counter rows stay locked only until the commit that follows.
        const last = await insertInboxItems(tx, candidates[0]?.event.organizationId ?? '', counts, inbox);
        for (const { operatorId, ordinal, item } of inbox) item.seq = (last.get(operatorId) ?? 0) - (counts.get(operatorId) ?? 0) + ordinal;
      }
      const now = Date.now();
      sweep(now);
      for (const [eventId, items] of byEvent) pending.set(eventId, { at: now, items });
    },
    afterCommit(events) {
      for (const event of events) {
        const entry = pending.get(event.id);
        if (entry === undefined) continue;
        pending.delete(event.id);
        for (const { operatorId, item } of entry.items) pubsub.publish('operator:notification', operatorId, item);
      }
    },
  };
}

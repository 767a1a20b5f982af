/**
 * The live DecisionSink. In the ingestion transaction: one InboxItem per delivered BROWSER decision,
 * numbered per operator from InboxCounter (rows upserted in operator-id order, so two transactions
 * never wait on each other in a cycle; each counter row stays locked until commit, so an operator's
 * items commit in seq order). After commit: every live candidate (decide-live-delivery.ts) is
 * published on its operator's `operator:notification` topic, in seq order.
 *
 * Statements per ingestion: at most four, whatever the number of operators (widgets, names,
 * counters, inbox rows), and none when no decision concerns the live channels.
 */
import { randomUUID } from 'node:crypto';
import { findMutingSwitch } from '../../domain/catalog.js';
import { isLiveCandidate, type LiveCandidacy, liveCandidacy } from '../../domain/decide-live-delivery.js';
import type { Reason } from '../../domain/decide-notifications.js';
import { renderNotification } from '../../domain/render-notification.js';
import type { Prisma } from '../../generated/prisma/client.js';
import type { PubSub } from '../../pubsub.js';
import type { DecisionSink, StoredEvent } from '../decision-sinks.js';
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
  if (ids.size === 0) return new Map();
  const widgets = await tx.widget.findMany({ where: { id: { in: [...ids] } }, select: { id: true, browserEnabled: true } });
  return new Map(widgets.map((w) => [w.id, w.browserEnabled]));
}

async function loadOperatorNames(tx: Prisma.TransactionClient, events: readonly StoredEvent[]): Promise<Record<string, string>> {
  const ids = new Set<string>();
  for (const e of events) {
    for (const id of [e.subjectOperatorId, e.payload.fromOperatorId, e.payload.toOperatorId]) if (typeof id === 'string') ids.add(id);
  }
  if (ids.size === 0) return {};
  const operators = await tx.operator.findMany({ where: { id: { in: [...ids] } }, select: { id: true, name: true } });
  return Object.fromEntries(operators.map((o) => [o.id, o.name]));
}

/** Reserves `count` seqs per operator; returns the first seq of each. */
async function reserveSeqs(tx: Prisma.TransactionClient, counts: Map<string, number>): Promise<Map<string, number>> {
  const rows = [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([o, n]) => ({ o, n }));
  const updated = await tx.$queryRawUnsafe<{ operatorId: string; lastSeq: bigint | number }[]>(
    `INSERT INTO "InboxCounter" ("operatorId", "lastSeq")
     SELECT (r->>'o')::uuid, (r->>'n')::bigint FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(r, i) ORDER BY i
     ON CONFLICT ("operatorId") DO UPDATE SET "lastSeq" = "InboxCounter"."lastSeq" + EXCLUDED."lastSeq"
     RETURNING "operatorId", "lastSeq"`,
    JSON.stringify(rows),
  );
  return new Map(updated.map((u) => [u.operatorId, Number(u.lastSeq) - (counts.get(u.operatorId) ?? 0) + 1]));
}

async function insertInboxItems(
  tx: Prisma.TransactionClient,
  organizationId: string,
  items: readonly LiveItem[],
  owners: readonly string[],
) {
  const rows = items.map((item, i) => ({
    id: item.inboxItemId,
    organizationId,
    operatorId: owners[i],
    seq: item.seq,
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
  await tx.$executeRawUnsafe(
    `INSERT INTO "InboxItem" ("id", "organizationId", "operatorId", "seq", "eventId", "kind", "chatId", "chatExternalId", "widgetId", "title", "body", "sound", "createdAt")
     SELECT r."id", r."organizationId", r."operatorId", r."seq", r."eventId", r."kind"::"NotificationEventKind", r."chatId",
            r."chatExternalId", r."widgetId", r."title", r."body", r."sound", r."createdAt"
     FROM jsonb_to_recordset($1::jsonb) AS r("id" uuid, "organizationId" uuid, "operatorId" uuid, "seq" bigint, "eventId" uuid,
          "kind" text, "chatId" uuid, "chatExternalId" text, "widgetId" uuid, "title" text, "body" text, "sound" text, "createdAt" timestamp(3))`,
    JSON.stringify(rows),
  );
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
      for (const c of candidates) if (c.candidacy.inInbox) counts.set(c.operatorId, (counts.get(c.operatorId) ?? 0) + 1);
      const next = counts.size > 0 ? await reserveSeqs(tx, counts) : new Map<string, number>();
      const byEvent = new Map<string, Pending['items']>();
      const inbox: LiveItem[] = [];
      const owners: string[] = [];
      for (const { event, operatorId, candidacy } of candidates) {
        const rendered = renderNotification({
          kind: event.kind,
          payload: event.payload,
          subjectOperatorId: event.subjectOperatorId,
          operatorNames: names,
        });
        const seq = candidacy.inInbox ? (next.get(operatorId) ?? 0) : null;
        if (seq !== null) next.set(operatorId, seq + 1);
        const item: LiveItem = {
          seq,
          inboxItemId: seq !== null ? randomUUID() : null,
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
        if (seq !== null) {
          inbox.push(item);
          owners.push(operatorId);
        }
        const list = byEvent.get(event.id) ?? [];
        list.push({ operatorId, item });
        byEvent.set(event.id, list);
      }
      if (inbox.length > 0) await insertInboxItems(tx, candidates[0]?.event.organizationId ?? '', inbox, owners);
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

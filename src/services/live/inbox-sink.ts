/**
 * The live DecisionSink. In the ingestion transaction: one InboxItem per delivered BROWSER decision,
 * numbered per operator from InboxCounter (rows upserted in operator-id order, so two transactions
 * never wait on each other in a cycle; each counter row stays locked until commit, so an operator's
 * items commit in seq order). After commit: every live candidate (decide-live-delivery.ts) is
 * published on its operator's `operator:notification` topic, in seq order. Presence announcements
 * (OPERATOR_*: one item for every other operator, ~300,000 in a 1,000-operator shift start) are
 * published in slices, yielding the event loop between them (issue 14), so a visitor's report is not
 * held up behind their fan-out; an alert published meanwhile may overtake them, and the stream then
 * reads the items it skipped from the inbox (notification-stream.ts): none lost, none twice.
 *
 * Statements per ingestion: at most three, whatever the number of operators (widgets and names
 * only when the settings snapshot the ingestion decided with does not have them, then counters and
 * inbox rows in one statement), and none when no decision concerns the live channels. The counter
 * rows are taken by that last statement, as late as possible, so they stay locked for a short time.
 *
 * On the hot path (report-in-one-statement.ts) the same counters and rows are CTEs of the report's
 * one statement (`inStatement`), after its chat guard: the lock order stays chats, then counters in
 * operator-id order, and the counters are held only for that statement. It needs the widgets and
 * names in the settings snapshot; when one is missing it answers null (the transactional path).
 */
import { findMutingSwitch } from '../../domain/catalog.js';
import { isLiveCandidate, type LiveCandidacy, liveCandidacy, type RequiredChannels } from '../../domain/decide-live-delivery.js';
import type { Reason } from '../../domain/decide-notifications.js';
import { renderNotification } from '../../domain/render-notification.js';
import type { Prisma } from '../../generated/prisma/client.js';
import type { PubSub } from '../../pubsub.js';
import { unreadEscalationCtes } from '../attention/unread-escalations.js';
import type { DecisionSink, StoredEvent } from '../decision-sinks.js';
import type { OrganizationSettings } from '../ingestion/load-organization-settings.js';
import { orderedId } from '../ingestion/ordered-id.js';
import { arrayLiteral, statementParams, textArrayLiteral } from '../ingestion/persist-happenings.js';
import { settingsUsedBy } from '../ingestion/settings-cache.js';
import { type LiveItem, partsOf, storedParts } from './live-item.js';

interface Candidate {
  event: StoredEvent;
  operatorId: string;
  candidacy: LiveCandidacy;
  required: RequiredChannels | null;
}

const isRequired = (lock: string | null | undefined) => lock === 'ROLE_REQUIRED' || lock === 'ORGANIZATION_REQUIRED';

interface Pending {
  at: number;
  items: { operatorId: string; item: LiveItem }[];
}

/** Published items wait here between inTransaction and afterCommit; a rolled-back batch is swept. */
const PENDING_TTL_MS = 10 * 60_000;

function candidatesOf(event: StoredEvent, widgetBrowserOn: ReadonlyMap<string, boolean>): Candidate[] {
  const reasons = new Map<string, { browser: Reason | null; audio: Reason | null; required: RequiredChannels | null }>();
  for (const d of event.decisions) {
    if (d.operatorId === null || (d.channel !== 'BROWSER' && d.channel !== 'AUDIO') || d.reason === 'UNREAD_ESCALATION') continue;
    const entry = reasons.get(d.operatorId) ?? { browser: null, audio: null, required: null };
    if (d.channel === 'BROWSER') entry.browser = d.reason;
    else entry.audio = d.reason;
    if (isRequired(d.lock)) {
      entry.required ??= { browser: false, audio: false };
      entry.required[d.channel === 'BROWSER' ? 'browser' : 'audio'] = true;
    }
    reasons.set(d.operatorId, entry);
  }
  const muting = event.widgetId !== null && findMutingSwitch(event.kind, 'BROWSER') !== null;
  const mutes = muting && widgetBrowserOn.get(event.widgetId ?? '') === false;
  const candidates: Candidate[] = [];
  for (const [operatorId, r] of reasons) {
    const candidacy = liveCandidacy(r.browser, r.audio, mutes);
    // An inbox item that pushes nothing (quiet time) still travels, so streams keep their position.
    if (isLiveCandidate(candidacy) || candidacy.inInbox) candidates.push({ event, operatorId, candidacy, required: r.required });
  }
  return candidates;
}

/** Widgets whose browser switch matters: an opted-out decision did not reach check 5. */
function switchesNeeded(events: readonly StoredEvent[]): Set<string> {
  const ids = new Set<string>();
  for (const e of events) {
    if (e.widgetId === null || findMutingSwitch(e.kind, 'BROWSER') === null) continue;
    if (e.decisions.some((d) => d.channel === 'BROWSER' && d.reason === 'OPERATOR_OPTED_OUT')) ids.add(e.widgetId);
  }
  return ids;
}

/** Operators an event's text names. */
function namesNeeded(events: readonly StoredEvent[]): Set<string> {
  const ids = new Set<string>();
  for (const e of events) {
    for (const id of [e.subjectOperatorId, e.payload.fromOperatorId, e.payload.toOperatorId]) if (typeof id === 'string') ids.add(id);
  }
  return ids;
}

/** Widget switches and operator names from the snapshot; the ids it lacks are left in the sets. */
function fromSettings(
  settings: OrganizationSettings | undefined,
  events: readonly StoredEvent[],
  widgetIds: Set<string>,
  operatorIds: Set<string>,
) {
  const switches = new Map<string, boolean>();
  const names: Record<string, string> = {};
  if (settings === undefined || settings.organizationId !== events[0]?.organizationId) return { switches, names };
  for (const id of widgetIds) {
    const widget = settings.widgets.get(id);
    if (widget === undefined) continue;
    switches.set(id, widget.browser);
    widgetIds.delete(id);
  }
  for (const id of operatorIds) {
    const operator = settings.operatorsById.get(id);
    if (operator === undefined) continue;
    names[id] = operator.name;
    operatorIds.delete(id);
  }
  return { switches, names };
}

async function loadWidgetSwitches(tx: Prisma.TransactionClient, events: readonly StoredEvent[]): Promise<Map<string, boolean>> {
  const ids = switchesNeeded(events);
  const { switches } = fromSettings(settingsUsedBy(tx), events, ids, new Set());
  if (ids.size === 0) return switches;
  const widgets = await tx.widget.findMany({ where: { id: { in: [...ids] } }, select: { id: true, browserEnabled: true } });
  for (const w of widgets) switches.set(w.id, w.browserEnabled);
  return switches;
}

async function loadOperatorNames(tx: Prisma.TransactionClient, events: readonly StoredEvent[]): Promise<Record<string, string>> {
  const ids = namesNeeded(events);
  const { names } = fromSettings(settingsUsedBy(tx), events, new Set(), ids);
  if (ids.size === 0) return names;
  const operators = await tx.operator.findMany({ where: { id: { in: [...ids] } }, select: { id: true, name: true } });
  for (const o of operators) names[o.id] = o.name;
  return names;
}

type InboxRow = { operatorId: string; ordinal: number; item: LiveItem };

/**
 * Reserves seqs on the operators' counters (upserted in operator-id order) and inserts the inbox
 * rows numbered from them: CTEs `inbox_counters` (RETURNING each operator's last seq) and
 * `inbox_items`, conditioned on `gate`. An item's seq is its operator's last seq − the operator's
 * item count + its ordinal among them (1-based). `escalations` false leaves out the unread
 * escalation CTEs (the caller knows no row can match them).
 *
 * What every recipient of an event shares (its text, chat, time) travels once per event, the rows
 * index it: a chat start's 10 rows were 5.5 KB of the same fields repeated in the statement.
 */
function inboxCtes(
  param: (value: string) => string,
  gate: string,
  organizationId: string,
  counts: ReadonlyMap<string, number>,
  items: readonly InboxRow[],
  escalations = true,
): string[] {
  const operators = [...counts.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const operatorAt = new Map(operators.map((o, i) => [o, i + 1]));
  const heads: {
    eventId: string;
    kind: string;
    chatId: string | null;
    chatExternalId: string | null;
    widgetId: string | null;
    title: string;
    body: string;
    createdAt: string;
  }[] = [];
  const headAt = new Map<string, number>();
  const ids: string[] = [];
  const operator: number[] = [];
  const ordinal: number[] = [];
  const head: number[] = [];
  const sound: (string | null)[] = [];
  const parts: unknown[] = [];
  let anyParts = false;
  for (const { operatorId, ordinal: n, item } of items) {
    let at = headAt.get(item.eventId);
    if (at === undefined) {
      const { eventId, kind, chatId, chatExternalId, widgetId, title, body, createdAt } = item;
      at = heads.push({ eventId, kind, chatId, chatExternalId, widgetId, title, body, createdAt });
      headAt.set(eventId, at);
    }
    ids.push(item.inboxItemId as string);
    operator.push(operatorAt.get(operatorId) as number);
    ordinal.push(n);
    head.push(at);
    sound.push(item.sound);
    const stored = storedParts(item); // with the admin lock, so that replay shows what live did
    parts.push(stored);
    anyParts ||= stored !== null;
  }
  const ops = param(arrayLiteral(operators));
  const counted = param(arrayLiteral(operators.map((o) => counts.get(o) ?? 0)));
  const countersIn = `unnest(${ops}::uuid[], ${counted}::bigint[]) WITH ORDINALITY AS k("o", "n", "i")`;
  // jsonb null (an item without parts) is stored as SQL NULL, as before.
  const partsOf = anyParts ? `nullif((${param(JSON.stringify(parts))}::jsonb) -> (i."n"::int - 1), 'null'::jsonb)` : 'NULL::jsonb';
  return [
    `inbox_counters AS (
       INSERT INTO "InboxCounter" ("operatorId", "lastSeq")
       SELECT k."o", k."n" FROM ${countersIn}
        WHERE ${gate} ORDER BY k."i"
       ON CONFLICT ("operatorId") DO UPDATE SET "lastSeq" = "InboxCounter"."lastSeq" + EXCLUDED."lastSeq"
       RETURNING "operatorId", "lastSeq"
     )`,
    `inbox_items AS (
       INSERT INTO "InboxItem" ("id", "organizationId", "operatorId", "seq", "eventId", "kind", "chatId", "chatExternalId", "widgetId", "title", "body", "sound", "parts", "createdAt")
       SELECT i."id", ${param(organizationId)}::uuid, c."operatorId", c."lastSeq" - k."n" + i."ordinal", h."eventId", h."kind"::"NotificationEventKind", h."chatId",
              h."chatExternalId", h."widgetId", h."title", h."body", i."sound", ${partsOf}, h."createdAt"
       FROM unnest(${param(arrayLiteral(ids))}::uuid[], ${param(arrayLiteral(operator))}::int[], ${param(arrayLiteral(ordinal))}::bigint[],
                   ${param(arrayLiteral(head))}::int[], ${param(textArrayLiteral(sound))}::text[]) WITH ORDINALITY AS i("id", "operator", "ordinal", "head", "sound", "n")
       JOIN ${countersIn} ON k."i" = i."operator"
       JOIN inbox_counters c ON c."operatorId" = k."o"
       JOIN ROWS FROM (jsonb_to_recordset(${param(JSON.stringify(heads))}::jsonb) AS ("eventId" uuid, "kind" text, "chatId" uuid, "chatExternalId" text,
            "widgetId" uuid, "title" text, "body" text, "createdAt" timestamp(3))) WITH ORDINALITY AS h("eventId", "kind", "chatId", "chatExternalId", "widgetId",
            "title", "body", "createdAt", "i") ON h."i" = i."head"
       RETURNING "id", "organizationId", "operatorId", "eventId", "kind"
     )`,
    // Attention (E5): emails due when an item stays unread, scheduled with the rows.
    ...(escalations ? unreadEscalationCtes() : []),
  ];
}

/**
 * Whether an unread escalation (E5) may be due for one of the rows: false only when the snapshot
 * knows every row's operator and none asked for its event. Two fewer inserts (Delivery, Decision)
 * to plan and run per report; the guard's settings version check covers a preference set since.
 */
const mayEscalate = (settings: OrganizationSettings, items: readonly InboxRow[]) =>
  items.some(
    ({ operatorId, item }) => !settings.operatorsById.has(operatorId) || settings.unreadEscalations.has(`${operatorId}:${item.kind}`),
  );

/** The inbox rows of a transaction, in one statement; returns the last seq of each operator. */
async function insertInboxItems(
  tx: Prisma.TransactionClient,
  organizationId: string,
  counts: ReadonlyMap<string, number>,
  items: readonly InboxRow[],
): Promise<Map<string, number>> {
  const { values, param } = statementParams();
  const ctes = inboxCtes(param, 'true', organizationId, counts, items);
  const updated = await tx.$queryRawUnsafe<{ operatorId: string; lastSeq: bigint | number }[]>(
    `WITH ${ctes.join(',\n')} SELECT "operatorId"::text AS "operatorId", "lastSeq" FROM inbox_counters`,
    ...values,
  );
  return new Map(updated.map((u) => [u.operatorId, Number(u.lastSeq)]));
}

/** Numbers every inbox row from its operator's last seq (the counters' RETURNING). */
function numberItems(inbox: readonly InboxRow[], counts: ReadonlyMap<string, number>, last: ReadonlyMap<string, number>): void {
  for (const { operatorId, ordinal, item } of inbox) item.seq = (last.get(operatorId) ?? 0) - (counts.get(operatorId) ?? 0) + ordinal;
}

/**
 * The live items of the candidates, by event, and the inbox rows among them. Extension E6: the
 * candidates of one happening for one operator (a first visitor message raises two events) make ONE
 * item carrying every event as `parts`, titled after the first; it is in the inbox when any part
 * is, and sounds at most once. It is published with its first event (afterCommit).
 */
function itemsOf(candidates: readonly Candidate[], names: Record<string, string>) {
  const counts = new Map<string, number>();
  const byEvent = new Map<string, Pending['items']>();
  const inbox: InboxRow[] = [];
  const collapsed = new Map<string, LiveItem>();
  const addToInbox = (operatorId: string, item: LiveItem) => {
    // Time-ordered like every other row the report writes: the primary key index grows at its end
    // instead of taking each row at a random leaf page (random v4 ids), and the id costs no crypto call.
    item.inboxItemId = orderedId();
    const ordinal = (counts.get(operatorId) ?? 0) + 1;
    counts.set(operatorId, ordinal);
    inbox.push({ operatorId, ordinal, item });
  };
  // The same text and time for every recipient of an event (a presence event has N − 1 of them).
  const renderedByEvent = new Map<string, ReturnType<typeof renderNotification> & { createdAt: string }>();
  for (const { event, operatorId, candidacy, required } of candidates) {
    let rendered = renderedByEvent.get(event.id);
    if (rendered === undefined) {
      const text = renderNotification({
        kind: event.kind,
        payload: event.payload,
        subjectOperatorId: event.subjectOperatorId,
        operatorNames: names,
      });
      rendered = { ...text, createdAt: event.createdAt.toISOString() };
      renderedByEvent.set(event.id, rendered);
    }
    const sound = candidacy.audio ? rendered.sound : null;
    const part = { kind: event.kind, eventId: event.id, browser: candidacy.browser, sound };
    const key = event.happeningId === null ? null : `${event.happeningId}:${operatorId}`;
    const first = key === null ? undefined : collapsed.get(key);
    if (first !== undefined) {
      first.parts = [...partsOf(first), part];
      first.browser ||= part.browser;
      first.sound ??= sound;
      // A channel locked REQUIRED (E1) for any of its events is required for the one item.
      if (required !== null) {
        first.required = {
          browser: (first.required?.browser ?? false) || required.browser,
          audio: (first.required?.audio ?? false) || required.audio,
        };
      }
      if (candidacy.inInbox && first.inboxItemId === null) addToInbox(operatorId, first);
      continue;
    }
    const item: LiveItem = {
      seq: null,
      inboxItemId: null,
      eventId: event.id,
      kind: event.kind,
      chatId: event.chatId,
      chatExternalId: typeof event.payload.chatExternalId === 'string' ? event.payload.chatExternalId : null,
      widgetId: event.widgetId,
      title: rendered.title,
      body: rendered.body,
      browser: candidacy.browser,
      sound,
      createdAt: rendered.createdAt,
      ...(required === null ? {} : { required }),
    };
    if (key !== null) collapsed.set(key, item);
    if (candidacy.inInbox) addToInbox(operatorId, item);
    const list = byEvent.get(event.id) ?? [];
    list.push({ operatorId, item });
    byEvent.set(event.id, list);
  }
  return { counts, byEvent, inbox };
}

/** Presence items published per turn of the event loop (their serialization to each stream follows at once). */
const PRESENCE_SLICE = 256;
const isPresence = (kind: string) => kind.startsWith('OPERATOR_');

const concernsLive = (events: readonly StoredEvent[]) =>
  events.some((e) => e.decisions.some((d) => d.channel === 'BROWSER' || d.channel === 'AUDIO'));

export function createInboxSink(pubsub: PubSub): DecisionSink {
  const pending = new Map<string, Pending>();
  const sweep = (now: number) => {
    for (const [key, entry] of pending) if (now - entry.at > PENDING_TTL_MS) pending.delete(key);
  };
  // Presence items still to publish, in commit order; a slice per turn of the event loop.
  const presenceBacklog: Pending['items'][] = [];
  let draining = false;
  const drainPresence = () => {
    let budget = PRESENCE_SLICE;
    while (budget > 0 && presenceBacklog.length > 0) {
      const items = presenceBacklog[0] as Pending['items'];
      const slice = items.splice(0, budget);
      budget -= slice.length;
      for (const { operatorId, item } of slice) pubsub.publish('operator:notification', operatorId, item);
      if (items.length === 0) presenceBacklog.shift();
    }
    if (presenceBacklog.length > 0) setImmediate(drainPresence);
    else draining = false;
  };
  const remember = (byEvent: ReadonlyMap<string, Pending['items']>) => {
    const now = Date.now();
    sweep(now);
    for (const [eventId, items] of byEvent) pending.set(eventId, { at: now, items });
  };
  return {
    name: 'live-inbox',
    async inTransaction(tx, events) {
      if (!concernsLive(events)) return;
      const switches = await loadWidgetSwitches(tx, events);
      const candidates = events.flatMap((e) => candidatesOf(e, switches));
      if (candidates.length === 0) return;
      const names = await loadOperatorNames(
        tx,
        candidates.map((c) => c.event),
      );
      const { counts, byEvent, inbox } = itemsOf(candidates, names);
      if (inbox.length > 0) {
        // Last, so the counter rows stay locked only until the commit that follows.
        const last = await insertInboxItems(tx, candidates[0]?.event.organizationId ?? '', counts, inbox);
        numberItems(inbox, counts, last);
      }
      remember(byEvent);
    },
    inStatement(events, { param, gate, settings }) {
      if (!concernsLive(events)) return { ctes: [] };
      const widgetIds = switchesNeeded(events);
      const { switches } = fromSettings(settings, events, widgetIds, new Set());
      if (widgetIds.size > 0) return null;
      const candidates = events.flatMap((e) => candidatesOf(e, switches));
      if (candidates.length === 0) return { ctes: [] };
      const operatorIds = namesNeeded(candidates.map((c) => c.event));
      const { names } = fromSettings(settings, events, new Set(), operatorIds);
      if (operatorIds.size > 0) return null;
      const { counts, byEvent, inbox } = itemsOf(candidates, names);
      if (inbox.length === 0) return { ctes: [], committed: () => remember(byEvent) };
      return {
        ctes: inboxCtes(param, gate, candidates[0]?.event.organizationId ?? '', counts, inbox, mayEscalate(settings, inbox)),
        result: `(SELECT coalesce(json_agg(json_build_array("operatorId", "lastSeq")), '[]'::json) FROM inbox_counters)`,
        committed(result) {
          const last = new Map((result as [string, number][]).map(([operatorId, seq]) => [operatorId, Number(seq)]));
          numberItems(inbox, counts, last);
          remember(byEvent);
        },
      };
    },
    afterCommit(events) {
      for (const event of events) {
        const entry = pending.get(event.id);
        if (entry === undefined) continue;
        pending.delete(event.id);
        if (isPresence(event.kind)) presenceBacklog.push(entry.items);
        else for (const { operatorId, item } of entry.items) pubsub.publish('operator:notification', operatorId, item);
      }
      if (presenceBacklog.length > 0 && !draining) {
        draining = true;
        setImmediate(drainPresence);
      }
    },
  };
}

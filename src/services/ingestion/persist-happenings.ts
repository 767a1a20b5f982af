/**
 * Writes a planned batch in ONE statement, whatever its size (data-modifying CTEs): new chats,
 * changed chats, presence changes, happenings, events and decisions. Rows travel as JSON
 * (jsonb_to_recordset) and decisions, the bulk, as parallel arrays (unnest), inserted in the
 * order they were decided (Decision ids follow it). A unique clash (a chat started twice, an
 * idempotency key reported concurrently) fails the statement like the ORM's createMany would; see
 * isRaceLost in report-happenings.ts.
 *
 * Stored decisions (decision): every operator decision on the channels the event offers, plus
 * every addon decision, even CHANNEL_NOT_AVAILABLE ones (addons are few, and "why did Slack not get
 * the system message?" stays answerable). An operator decision on a channel the event does not
 * offer is the same for everyone and for ever, so it is not stored; previews still show it.
 */
import { decisionLockOf } from '../../domain/admin-locks.js';
import { lockOfDecision } from '../../domain/decide-notifications.js';
import { compactEventPayload } from '../../domain/stored-event-payload.js';
import type { Prisma } from '../../generated/prisma/client.js';
import type { StoredEvent } from '../decision-sinks.js';
import type { HappeningsPlan } from './plan-happenings.js';
import { payloadHash, storedPayload } from './validate-happenings.js';

export interface Reporter {
  kind: 'INTEGRATOR' | 'OPERATOR' | 'SERVICE';
  id: string;
}

const iso = (date: Date | null) => date?.toISOString() ?? null;

/** A PostgreSQL array literal of any text (each element quoted). */
export const textArrayLiteral = (values: readonly (string | null)[]) =>
  `{${values.map((v) => (v === null ? 'NULL' : `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`)).join(',')}}`;

/** A PostgreSQL array literal of uuids, numbers, enum labels or booleans (nothing to quote). */
export const arrayLiteral = (values: readonly (string | number | boolean | null)[]) =>
  `{${values.map((v) => (v === null ? 'NULL' : v === true ? 't' : v === false ? 'f' : v)).join(',')}}`;

/** The events of the plan as handed to sinks and returned to callers. */
export function storedEventsOf(organizationId: string, plan: HappeningsPlan): StoredEvent[][] {
  return plan.happenings.map((h) =>
    h.events.map((e) => ({
      id: e.id,
      organizationId,
      happeningId: h.id,
      kind: e.kind,
      chatId: e.chatId,
      widgetId: e.widgetId,
      subjectOperatorId: e.subjectOperatorId,
      payload: e.payload,
      createdAt: plan.now,
      decisions: e.decisions.map((d) => {
        const operatorId = d.target.kind === 'OPERATOR' ? d.target.operatorId : null;
        const lock = lockOfDecision(d);
        // Email in quiet time is delivered, due when the quiet spell ends (E2), unless locked required.
        const deferred = d.channel === 'EMAIL' && d.delivered && operatorId !== null && lock?.value !== 'REQUIRED';
        return {
          operatorId,
          addonId: d.target.kind === 'ADDON' ? d.target.addonId : null,
          channel: d.channel,
          delivered: d.delivered,
          reason: d.reason,
          lock: lock === null ? null : decisionLockOf(lock),
          dueAt: deferred ? (plan.quietUntil.get(operatorId) ?? null) : null,
        };
      }),
    })),
  );
}

/**
 * The payload an event row stores (stored-event-payload.ts): a chat event's copies of its chat (the
 * Chat row written or read with the same values) and operator are left out; sinks and callers keep
 * the whole payload.
 */
function storedEventPayload(event: Pick<StoredEvent, 'payload' | 'chatId' | 'widgetId' | 'subjectOperatorId'>) {
  const p = event.payload;
  const chat =
    event.chatId !== null && typeof p.chatExternalId === 'string'
      ? {
          externalId: p.chatExternalId,
          visitorName: (p.visitorName as string | null) ?? null,
          visitorEmail: (p.visitorEmail as string | null) ?? null,
        }
      : null;
  return compactEventPayload(p, event, chat);
}

/**
 * The Decision rows as parallel arrays (unnest), in decision order. Ids repeated on every row (the
 * event, the operator, the addon) travel once, in a list the rows index (1-based): a chat start's
 * 24 decisions were 3.7 KB of repeated uuids and times in the statement, parsed by PostgreSQL and
 * built here for every report.
 */
interface DecisionColumns {
  /** The events' ids; `event[i]` indexes it. */
  eventIds: string[];
  event: number[];
  operatorIds: string[];
  operator: (number | null)[];
  addonIds: string[];
  addon: (number | null)[];
  channel: string[];
  delivered: boolean[];
  reason: string[];
  /** The events' time when they share one (a plan's events do), else one per row. */
  createdAt: string | string[];
  /** Lock and due time (E1, E2) are rare: null unless some decision has one. */
  lock: (string | null)[] | null;
  dueAt: (string | null)[] | null;
}

/** 1-based positions of distinct values, in order of first use. */
function indexer() {
  const values: string[] = [];
  const positions = new Map<string, number>();
  const at = (value: string | null | undefined): number | null => {
    if (value === null || value === undefined) return null;
    let position = positions.get(value);
    if (position === undefined) {
      position = values.push(value);
      positions.set(value, position);
    }
    return position;
  };
  return { values, at };
}

/**
 * The Decision rows as parallel arrays, in decision order; null when there are none. One pass, each
 * event's time formatted once: this ran per decision, 30+ per new chat, in the profile.
 */
function decisionColumns(events: readonly StoredEvent[]): DecisionColumns | null {
  const operators = indexer();
  const addons = indexer();
  const c: DecisionColumns = {
    eventIds: [],
    event: [],
    operatorIds: operators.values,
    operator: [],
    addonIds: addons.values,
    addon: [],
    channel: [],
    delivered: [],
    reason: [],
    createdAt: [],
    lock: null,
    dueAt: null,
  };
  const times: string[] = [];
  let oneTime = true;
  let extended = false;
  for (const e of events) {
    if (e.decisions.length === 0) continue;
    // createdAt: the event's (retention partitions Decision by day on it).
    const createdAt = e.createdAt.toISOString();
    oneTime &&= times.length === 0 || times[0] === createdAt;
    const event = c.eventIds.push(e.id);
    for (const d of e.decisions) {
      c.event.push(event);
      c.operator.push(operators.at(d.operatorId));
      c.addon.push(addons.at(d.addonId));
      c.channel.push(d.channel);
      c.delivered.push(d.delivered);
      c.reason.push(d.reason);
      times.push(createdAt);
      extended ||= (d.lock ?? null) !== null || (d.dueAt ?? null) !== null;
    }
  }
  if (c.event.length === 0) return null;
  c.createdAt = oneTime ? (times[0] as string) : times;
  if (extended) {
    c.lock = events.flatMap((e) => e.decisions.map((d) => d.lock ?? null));
    c.dueAt = events.flatMap((e) => e.decisions.map((d) => (d.dueAt ? `"${d.dueAt.toISOString()}"` : null)));
  }
  return c;
}

/** Positional parameters of one statement: `param(value)` adds one and returns its placeholder. */
export function statementParams() {
  const values: string[] = [];
  const param = (value: string) => {
    values.push(value);
    return `$${values.length}`;
  };
  return { values, param };
}

export async function persistHappenings(
  tx: Prisma.TransactionClient,
  organizationId: string,
  reporter: Reporter,
  plan: HappeningsPlan,
  events: readonly StoredEvent[],
): Promise<void> {
  const { values, param } = statementParams();
  const parts = persistCtes(param, 'true', organizationId, reporter, plan, events);
  await tx.$executeRawUnsafe(`WITH ${parts.join(',\n')} SELECT 1`, ...values);
}

/**
 * The CTEs writing the plan; every write is conditioned on `gate` (a boolean SQL expression: 'true'
 * inside a transaction, the guard's verdict in report-in-one-statement.ts).
 */
export function persistCtes(
  param: (value: string) => string,
  gate: string,
  organizationId: string,
  reporter: Reporter,
  plan: HappeningsPlan,
  events: readonly StoredEvent[],
): string[] {
  const parts: string[] = [];
  if (plan.newChats.length > 0) {
    const rows = plan.newChats.map((c) => ({ ...c, firstVisitorMessageAt: iso(c.firstVisitorMessageAt), finishedAt: iso(c.finishedAt) }));
    parts.push(`new_chats AS (
      INSERT INTO "Chat" ("id", "organizationId", "externalId", "widgetId", "operatorId", "visitorName", "visitorEmail", "firstVisitorMessageAt", "startedAt", "finishedAt")
      SELECT r."id", ${param(organizationId)}::uuid, r."externalId", r."widgetId", r."operatorId", r."visitorName", r."visitorEmail", r."firstVisitorMessageAt",
             ${param(plan.now.toISOString())}::timestamp(3), r."finishedAt"
        FROM jsonb_to_recordset(${param(JSON.stringify(rows))}::jsonb) AS r("id" uuid, "externalId" text, "widgetId" uuid, "operatorId" uuid,
             "visitorName" text, "visitorEmail" text, "firstVisitorMessageAt" timestamp(3), "finishedAt" timestamp(3))
       WHERE ${gate})`);
  }
  if (plan.changedChats.length > 0) {
    const rows = plan.changedChats.map((c) => ({
      id: c.id,
      operatorId: c.operatorId,
      firstVisitorMessageAt: iso(c.firstVisitorMessageAt),
      finishedAt: iso(c.finishedAt),
    }));
    parts.push(`changed_chats AS (
      UPDATE "Chat" AS c SET "operatorId" = r."operatorId", "firstVisitorMessageAt" = r."firstVisitorMessageAt", "finishedAt" = r."finishedAt"
        FROM jsonb_to_recordset(${param(JSON.stringify(rows))}::jsonb) AS r("id" uuid, "operatorId" uuid, "firstVisitorMessageAt" timestamp(3), "finishedAt" timestamp(3))
       WHERE c."id" = r."id" AND ${gate})`);
  }
  if (plan.presence.length > 0) {
    // The streams' presence was stored already (store-presence.ts; a later change may be there by
    // now): their report only announces it. Anyone else's sets both.
    const alreadyStored = reporter.kind === 'SERVICE' && reporter.id === 'presence';
    parts.push(`presence AS (
      UPDATE "Operator" AS o SET "presenceAnnounced" = r."presence"::"Presence"${alreadyStored ? '' : `, "presence" = r."presence"::"Presence"`}
        FROM jsonb_to_recordset(${param(JSON.stringify(plan.presence))}::jsonb) AS r("operatorId" uuid, "presence" text)
       WHERE o."id" = r."operatorId" AND ${gate})`);
  }
  const happenings = plan.happenings.map((h) => {
    const payload = storedPayload(h.input);
    // The kind and the integrator's chat id are the row's "kind" and "chatId" (Chat.externalId), and
    // a message's text is its event's: not stored twice (nothing reads them from the happening). The
    // hash is only ever compared for a key reported again (replay-happenings.ts).
    const { kind: _kind, chatId: reportedChatId, ...rest } = payload;
    if (typeof rest.text === 'string' && h.events.some((e) => e.payload.text === rest.text)) delete rest.text;
    const idempotencyKey = h.input.idempotencyKey ?? null;
    return {
      id: h.id,
      kind: h.input.kind,
      idempotencyKey,
      payloadHash: idempotencyKey === null ? null : payloadHash(payload),
      payload: h.chatId === null && reportedChatId !== undefined ? { chatId: reportedChatId, ...rest } : rest,
      chatId: h.chatId,
    };
  });
  parts.push(`happenings AS (
    INSERT INTO "Happening" ("id", "organizationId", "kind", "idempotencyKey", "payloadHash", "payload", "chatId", "reportedBy", "createdAt")
    SELECT r."id", ${param(organizationId)}::uuid, r."kind"::"HappeningKind", r."idempotencyKey", r."payloadHash", r."payload", r."chatId",
           ${param(`${reporter.kind}:${reporter.id}`)}, ${param(plan.now.toISOString())}::timestamp(3)
      FROM jsonb_to_recordset(${param(JSON.stringify(happenings))}::jsonb) AS r("id" uuid, "kind" text, "idempotencyKey" text, "payloadHash" text,
           "payload" jsonb, "chatId" uuid)
     WHERE ${gate})`);
  if (events.length > 0) {
    const rows = events.map(({ decisions: _decisions, organizationId: _org, createdAt, ...event }) => ({
      ...event,
      payload: storedEventPayload(event),
      createdAt: createdAt.toISOString(),
    }));
    parts.push(`events AS (
      INSERT INTO "NotificationEvent" ("id", "organizationId", "happeningId", "kind", "chatId", "widgetId", "subjectOperatorId", "payload", "createdAt")
      SELECT r."id", ${param(organizationId)}::uuid, r."happeningId", r."kind"::"NotificationEventKind", r."chatId", r."widgetId", r."subjectOperatorId",
             r."payload", r."createdAt"
        FROM jsonb_to_recordset(${param(JSON.stringify(rows))}::jsonb) AS r("id" uuid, "happeningId" uuid, "kind" text, "chatId" uuid, "widgetId" uuid,
             "subjectOperatorId" uuid, "payload" jsonb, "createdAt" timestamp(3))
       WHERE ${gate})`);
    const columns = decisionColumns(events);
    if (columns !== null) {
      const column = (values: readonly (string | number | boolean | null)[]) => param(arrayLiteral(values));
      const extended = columns.lock !== null && columns.dueAt !== null;
      const createdAt = typeof columns.createdAt === 'string' ? `${param(columns.createdAt)}::timestamp(3)` : `d."createdAt"`;
      const eventIds = `${column(columns.eventIds)}::uuid[]`;
      const operatorIds = `${column(columns.operatorIds)}::uuid[]`;
      const addonIds = `${column(columns.addonIds)}::uuid[]`;
      parts.push(`decisions AS (
        INSERT INTO "Decision" ("eventId", "operatorId", "addonId", "channel", "delivered", "reason", "createdAt"${extended ? ', "lock", "dueAt"' : ''})
        SELECT (${eventIds})[d."event"], (${operatorIds})[d."operator"], (${addonIds})[d."addon"], d."channel", d."delivered", d."reason", ${createdAt}${
          extended ? ', d."lock", d."dueAt"' : ''
        }
          FROM unnest(${column(columns.event)}::int[], ${column(columns.operator)}::int[], ${column(columns.addon)}::int[], ${column(columns.channel)}::"Channel"[],
                      ${column(columns.delivered)}::boolean[], ${column(columns.reason)}::"Reason"[]${
                        typeof columns.createdAt === 'string' ? '' : `, ${column(columns.createdAt)}::timestamp(3)[]`
                      }${extended ? `, ${column(columns.lock ?? [])}::"DecisionLock"[], ${column(columns.dueAt ?? [])}::timestamp(3)[]` : ''})
               WITH ORDINALITY AS d("event", "operator", "addon", "channel", "delivered", "reason"${
                 typeof columns.createdAt === 'string' ? '' : ', "createdAt"'
               }${extended ? ', "lock", "dueAt"' : ''}, "n")
         WHERE ${gate}
         ORDER BY d."n")`);
    }
  }
  return parts;
}

/**
 * The hot path of ingestion: a report written in ONE statement, without an interactive
 * transaction. Two round trips (read, then write) instead of five (BEGIN, read and lock, write,
 * inbox, COMMIT); under load every round trip is a wake-up of PostgreSQL and of this process.
 *
 * A report on chats this instance knows (chat-state-cache.ts) and an organization whose settings
 * snapshot it holds skips the read: ONE round trip. The guard below checks that cached state
 * exactly as it checks a read one, plus the settings version; a chat started by the batch and
 * unknown here is assumed new (the unique chat id refuses it otherwise, see below).
 *
 * How it stays as correct as the transactional path (report-happenings.ts):
 *  - The chats named are read without a lock, decided on, and the write statement starts with a
 *    guard: it locks those chats (FOR NO KEY UPDATE, id order, as the transactional path does) and checks
 *    that each still has the state the decisions were taken on. A chat changed in between (another
 *    report committed first) fails the guard; then every write of the statement is skipped (each
 *    is conditioned on the guard's verdict) and the report takes the transactional path.
 *  - Lock order is the transactional path's: chats first, then the operators the rows refer to
 *    (KEY SHARE, id order: what the transactional path's foreign keys and Decision's reference check
 *    take before it reaches the counters; here those checks run at the end of the statement, after
 *    the counters — Decision's is a statement trigger, load-ingestion-state.ts — so they are taken
 *    explicitly first), then the inbox counters (their upsert cannot produce a row
 *    before the guard's verdict exists), all held until the statement commits, so an operator's
 *    inbox items still commit in seq order.
 *  - A unique clash (a chat started twice, an idempotency key reported concurrently) fails the
 *    statement, which wrote nothing; the transactional path then replays or refuses it.
 *  - A batch changing presence (row locks on operators), a known idempotency key (a replay), or a
 *    sink that cannot add its work to the statement (a delivery to enqueue, a name missing from the
 *    settings snapshot) takes the transactional path from the start.
 */
import { hotQueryFor } from '../../db/database.js';
import type { ChatState, HappeningInput } from '../../domain/derive-events.js';
import { AppError } from '../../errors.js';
import type { StatementWork, StoredEvent } from '../decision-sinks.js';
import type { Services } from '../services.js';
import { type ChatStateCache, chatStateCacheFor } from './chat-state-cache.js';
import { persistCtes, type Reporter, statementParams, storedEventsOf } from './persist-happenings.js';
import { type HappeningsPlan, type KnownState, planHappenings } from './plan-happenings.js';
import { findReplays } from './replay-happenings.js';
import { type SettingsCache, settingsCacheFor } from './settings-cache.js';

export interface OneStatementOutcome {
  happeningIds: string[];
  /** The events of each happening, in input order. */
  events: StoredEvent[][];
  /** Run once committed: each sink's `committed`. */
  committed(): void;
}

/** A json column as the driver hands it (parsed, or text on some adapters). */
const parsed = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value);

const iso = (date: Date | null) => date?.toISOString() ?? null;

/**
 * The guard: the chats read, locked, each still in the state read, then the operators referred to
 * (KEY SHARE, after the chats); `guard_ok` is the verdict, which also requires the organization's
 * settings to be at the version of the snapshot decided with.
 */
function guardCtes(
  param: (value: string) => string,
  chats: readonly ChatState[],
  operatorIds: readonly string[],
  organizationId: string,
  settingsVersion: bigint,
): string[] {
  const rows = chats.map((c) => ({
    id: c.id,
    widgetId: c.widgetId,
    operatorId: c.operatorId,
    visitorName: c.visitorName,
    visitorEmail: c.visitorEmail,
    firstVisitorMessageAt: iso(c.firstVisitorMessageAt),
    finishedAt: iso(c.finishedAt),
  }));
  // No chat read (a report starting its chat): nothing to lock or compare.
  const guard =
    rows.length === 0
      ? `guard AS (SELECT NULL::uuid AS "id" WHERE false)`
      : // The id list lets the cached generic plan fetch the chats by primary key: joined to the
        // recordset alone (estimated at 100 rows), it hash-joins a scan of every chat stored.
        `guard AS (
       SELECT c."id" FROM "Chat" c
         JOIN jsonb_to_recordset(${param(JSON.stringify(rows))}::jsonb) AS g("id" uuid, "widgetId" uuid, "operatorId" uuid, "visitorName" text,
              "visitorEmail" text, "firstVisitorMessageAt" timestamp(3), "finishedAt" timestamp(3)) ON c."id" = g."id"
        WHERE c."id" = ANY(${param(`{${rows.map((r) => r.id).join(',')}}`)}::uuid[])
          AND c."widgetId" = g."widgetId" AND c."operatorId" IS NOT DISTINCT FROM g."operatorId"
          AND c."visitorName" IS NOT DISTINCT FROM g."visitorName" AND c."visitorEmail" IS NOT DISTINCT FROM g."visitorEmail"
          AND c."firstVisitorMessageAt" IS NOT DISTINCT FROM g."firstVisitorMessageAt" AND c."finishedAt" IS NOT DISTINCT FROM g."finishedAt"
        ORDER BY c."id" FOR NO KEY UPDATE OF c)`;
  return [
    guard,
    `guard_operators AS (
       SELECT o."id" FROM "Operator" o WHERE o."id" = ANY(${param(`{${[...operatorIds].sort().join(',')}}`)}::uuid[]) AND (SELECT count(*) FROM guard) >= 0
        ORDER BY o."id" FOR KEY SHARE)`,
    `guard_ok AS (SELECT (SELECT count(*) FROM guard) = ${param(String(chats.length))}::bigint AND (SELECT count(*) FROM guard_operators) >= 0
       AND (SELECT "settingsVersion" FROM "Organization" WHERE "id" = ${param(organizationId)}::uuid) = ${param(String(settingsVersion))}::bigint AS "ok")`,
  ];
}

/** Every operator a row of the report refers to (a foreign key or Decision's reference check locks it). */
function operatorsReferredTo(plan: HappeningsPlan, events: readonly StoredEvent[]): string[] {
  const ids = new Set<string>();
  for (const chat of [...plan.newChats, ...plan.changedChats]) if (chat.operatorId !== null) ids.add(chat.operatorId);
  for (const event of events) {
    if (event.subjectOperatorId !== null) ids.add(event.subjectOperatorId);
    for (const d of event.decisions) if (d.operatorId !== null) ids.add(d.operatorId);
  }
  return [...ids];
}

/**
 * The state to decide on without reading, or null (read it): every chat the batch names is cached,
 * or is started by the batch before anything else names it, and the settings snapshot is cached.
 */
function knownState(
  chatCache: ChatStateCache,
  settingsCache: SettingsCache,
  organizationId: string,
  inputs: readonly HappeningInput[],
): KnownState | null {
  const settings = settingsCache.latest(organizationId);
  if (settings === undefined) return null;
  const chats = new Map<string, ChatState>();
  const started = new Set<string>();
  for (const input of inputs) {
    if (!('chatId' in input) || chats.has(input.chatId) || started.has(input.chatId)) continue;
    const cached = chatCache.get(organizationId, input.chatId);
    if (cached !== undefined) chats.set(input.chatId, cached);
    else if (input.kind === 'CHAT_STARTED') started.add(input.chatId);
    else return null;
  }
  return { chats, settings };
}

/** The plan, decided on cached state when there is one; a refusal is confirmed on a fresh read. */
async function planOf(services: Services, organizationId: string, inputs: readonly HappeningInput[]): Promise<HappeningsPlan> {
  const db = services.prisma;
  const cache = settingsCacheFor(db);
  const known = knownState(chatStateCacheFor(db), cache, organizationId, inputs);
  const options = { lock: false, allChannels: false, cache };
  if (known !== null) {
    const plan = await planHappenings(db, organizationId, inputs, { ...options, known }).catch((error: unknown) => {
      if (error instanceof AppError) return null;
      throw error;
    });
    if (plan !== null) return plan;
  }
  return planHappenings(db, organizationId, inputs, options);
}

const chatIdsOf = (inputs: readonly HappeningInput[]) => inputs.flatMap((i) => ('chatId' in i ? [i.chatId] : []));

/**
 * Decides and writes `inputs` in one statement; null when the report must take the transactional
 * path (nothing was written then). Throws what planning throws (AppError refusals).
 */
export async function reportInOneStatement(
  services: Services,
  organizationId: string,
  reporter: Reporter,
  inputs: readonly HappeningInput[],
): Promise<OneStatementOutcome | null> {
  if (inputs.some((input) => input.kind === 'PRESENCE_CHANGED')) return null;
  const db = services.prisma;
  if ((await findReplays(db, organizationId, inputs)).size > 0) return null;
  const plan = await planOf(services, organizationId, inputs);
  const events = storedEventsOf(organizationId, plan);
  const flat = events.flat();
  const { values, param } = statementParams();
  const gate = '(SELECT "ok" FROM guard_ok)';
  const ctes = [
    ...guardCtes(param, plan.chatsRead, operatorsReferredTo(plan, flat), organizationId, plan.settings.version),
    ...persistCtes(param, gate, organizationId, reporter, plan, flat),
  ];
  const works: StatementWork[] = [];
  for (const sink of services.sinks) {
    if (sink.inStatement === undefined) {
      if (sink.inTransaction !== undefined) return null;
      continue;
    }
    const work = sink.inStatement(flat, { param, gate, settings: plan.settings });
    if (work === null) return null;
    ctes.push(...work.ctes);
    works.push(work);
  }
  const results = works.map((w, i) => `${w.result ?? 'NULL'} AS "r${i}"`);
  const [row] = await hotQueryFor(db)(
    `WITH ${ctes.join(',\n')} SELECT (SELECT "ok" FROM guard_ok) AS "ok"${results.map((r) => `, ${r}`).join('')}`,
    values,
  );
  const chatCache = chatStateCacheFor(db);
  if (row?.ok !== true) {
    chatCache.forget(organizationId, chatIdsOf(inputs));
    return null;
  }
  // Committed: the chats as this report left them (later entries win: final states last).
  chatCache.remember(organizationId, [...plan.chatsRead, ...plan.newChats, ...plan.changedChats]);
  return {
    happeningIds: plan.happenings.map((h) => h.id),
    events,
    committed: () => {
      for (const [i, work] of works.entries()) work.committed?.(parsed(row[`r${i}`]));
    },
  };
}

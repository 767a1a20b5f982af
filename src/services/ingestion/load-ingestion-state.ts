/**
 * Everything deciding a batch of happenings reads, in a constant number of statements whatever the
 * number of operators or happenings:
 *  1. the organization's settings version together with the chats named (locked when reporting, so
 *     two concurrent reports on one chat see each other's state) — one statement;
 *  2. only for presence changes: the announced presence of the operators named (locked likewise;
 *     `presenceAnnounced`, what their last OPERATOR_* event said: an event is raised when it changes);
 *
 * LOCK ORDER of a reporting transaction (every path touching chats, operators and inbox counters
 * takes them in this order and strength, so no two transactions wait on each other in a cycle):
 *  a. Chat rows named by the batch, in id order, FOR NO KEY UPDATE;
 *  b. Operator rows whose presence the batch changes, in id order, FOR NO KEY UPDATE;
 *  c. KEY SHARE on the rows that new rows reference: taken by PostgreSQL's foreign keys (Chat →
 *     Operator, NotificationEvent → Chat…) and by Decision's reference check, a statement trigger at
 *     the end of each INSERT into Decision (→ NotificationEvent, Operator, Addon, each in id order;
 *     migration decision_statement_checks): it conflicts with FOR UPDATE only, never with FOR NO KEY
 *     UPDATE;
 *  d. InboxCounter rows, in operator-id order, last, until commit (inbox-sink.ts).
 * Neither a chat nor a presence change alters a key, hence NO KEY: with FOR UPDATE, each presence
 * batch holding its operators' rows waited for the others' Decision rows referencing them (KEY
 * SHARE) and they for it — every presence change notifies every other operator — the shift-start
 * deadlock of issue 14 (verified on PostgreSQL: tuple lock + ShareLock on the holder's xid,
 * "deadlock detected" after deadlock_timeout). Nothing takes FOR UPDATE / FOR SHARE on Operator.
 * The streams' presence store (store-presence.ts) takes only step b, in a one-statement transaction.
 *  3. only when the cached settings snapshot is not at that version: the snapshot, in one statement
 *     (load-organization-settings.ts, settings-cache.ts).
 */
import type { ChatState, HappeningInput, Presence } from '../../domain/derive-events.js';
import { Prisma } from '../../generated/prisma/client.js';
import {
  loadOrganizationSettings,
  type OrganizationSettings,
  type SettingsOperator,
  type Tx,
  type WidgetRow,
} from './load-organization-settings.js';
import { rememberSettingsOf, type SettingsCache } from './settings-cache.js';

export type { Tx, WidgetRow } from './load-organization-settings.js';

export interface IngestionState {
  /** By the integrator's chat id. */
  chats: Map<string, ChatState>;
  widgets: ReadonlyMap<string, WidgetRow>;
  /** Active operators, oldest first. */
  operators: readonly SettingsOperator[];
  operatorsById: ReadonlyMap<string, SettingsOperator>;
  /** Presence of the operators whose presence the batch changes. */
  presence: Map<string, Presence>;
  settings: OrganizationSettings;
}

const chatIdsOf = (inputs: readonly HappeningInput[]) => [...new Set(inputs.flatMap((i) => ('chatId' in i ? [i.chatId] : [])))];
const presenceOperatorIdsOf = (inputs: readonly HappeningInput[]) => [
  ...new Set(inputs.flatMap((i) => (i.kind === 'PRESENCE_CHANGED' ? [i.operatorId] : []))),
];

interface ChatRow {
  version: bigint | number | string;
  id: string | null;
  externalId: string;
  widgetId: string;
  operatorId: string | null;
  visitorName: string | null;
  visitorEmail: string | null;
  firstVisitorMessageAt: Date | null;
  finishedAt: Date | null;
}

/** The settings version (null: no such organization) and the chats named, in one statement. */
async function loadVersionAndChats(
  db: Tx,
  organizationId: string,
  externalIds: string[],
  lock: boolean,
): Promise<{ version: bigint | null; chats: Map<string, ChatState> }> {
  if (externalIds.length === 0) {
    const rows = await db.$queryRaw<
      { version: bigint }[]
    >`SELECT "settingsVersion" AS "version" FROM "Organization" WHERE "id" = ${organizationId}::uuid`;
    return { version: rows[0] === undefined ? null : BigInt(rows[0].version), chats: new Map() };
  }
  const rows = await db.$queryRaw<ChatRow[]>`
    SELECT org."settingsVersion" AS "version", c."id"::text AS "id", c."externalId", c."widgetId"::text AS "widgetId",
           c."operatorId"::text AS "operatorId", c."visitorName", c."visitorEmail", c."firstVisitorMessageAt", c."finishedAt"
      FROM "Organization" org
      LEFT JOIN (SELECT * FROM "Chat" WHERE "organizationId" = ${organizationId}::uuid AND "externalId" IN (${Prisma.join(externalIds)})
                 ORDER BY "id" ${lock ? Prisma.sql`FOR NO KEY UPDATE` : Prisma.empty}) c ON true
     WHERE org."id" = ${organizationId}::uuid`;
  const chats = new Map<string, ChatState>();
  for (const row of rows) {
    if (row.id === null) continue;
    chats.set(row.externalId, {
      id: row.id,
      externalId: row.externalId,
      widgetId: row.widgetId,
      operatorId: row.operatorId,
      visitorName: row.visitorName,
      visitorEmail: row.visitorEmail,
      firstVisitorMessageAt: row.firstVisitorMessageAt,
      finishedAt: row.finishedAt,
    });
  }
  return { version: rows[0] === undefined ? null : BigInt(rows[0].version), chats };
}

async function loadPresence(db: Tx, organizationId: string, ids: string[], lock: boolean): Promise<Map<string, Presence>> {
  if (ids.length === 0) return new Map();
  const rows = await db.$queryRaw<{ id: string; presence: Presence }[]>`
    SELECT "id"::text AS "id", "presenceAnnounced"::text AS "presence" FROM "Operator"
     WHERE "organizationId" = ${organizationId}::uuid AND "id" IN (${Prisma.join(ids.map((id) => Prisma.sql`${id}::uuid`))})
     ORDER BY "id" ${lock ? Prisma.sql`FOR NO KEY UPDATE` : Prisma.empty}`;
  return new Map(rows.map((r) => [r.id, r.presence]));
}

/** The cached snapshot when it is at `version`, otherwise a fresh one (then cached). */
async function settingsAt(db: Tx, cache: SettingsCache, organizationId: string, version: bigint | null): Promise<OrganizationSettings> {
  const cached = version === null ? undefined : cache.get(organizationId, version);
  if (cached !== undefined) return cached;
  const settings = await loadOrganizationSettings(db, organizationId);
  if (settings === null) throw new Error(`Organization ${organizationId} does not exist`);
  cache.set(settings);
  return settings;
}

/** Loads the state a batch reads; `lock` takes row locks on its chats and presence operators (inside a transaction). */
export async function loadIngestionState(
  db: Tx,
  cache: SettingsCache,
  organizationId: string,
  inputs: readonly HappeningInput[],
  lock: boolean,
): Promise<IngestionState> {
  const { version, chats } = await loadVersionAndChats(db, organizationId, chatIdsOf(inputs), lock);
  const presence = await loadPresence(db, organizationId, presenceOperatorIdsOf(inputs), lock);
  const settings = await settingsAt(db, cache, organizationId, version);
  rememberSettingsOf(db, settings);
  return { chats, widgets: settings.widgets, operators: settings.operators, operatorsById: settings.operatorsById, presence, settings };
}

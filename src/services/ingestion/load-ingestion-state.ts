/**
 * Everything deciding a batch of happenings reads, loaded in a constant number of queries whatever
 * the number of operators or happenings: the chats named (locked FOR UPDATE in id order when reporting,
 * so two concurrent reports on one chat see each other's state and two batches cannot deadlock), the widgets, every active operator with
 * their role switch and group ids, the addons, and the preference rows of the derived kinds only.
 */

import type { Db } from '../../db/database.js';
import type { AddonKind, NotificationEventKind, OperatorChannel } from '../../domain/catalog.js';
import type { AddonSettings, OperatorSettings, WidgetSettings } from '../../domain/decide-notifications.js';
import type { ChatState, HappeningInput, Presence } from '../../domain/derive-events.js';
import { productDefaultPreferencesFor } from '../../domain/product-defaults.js';
import { Prisma } from '../../generated/prisma/client.js';

export type Tx = Prisma.TransactionClient | Db;

export interface OperatorRow {
  id: string;
  presence: Presence;
  roleNotificationsEnabled: boolean;
  groupIds: string[];
}

export interface WidgetRow extends WidgetSettings {
  deletedAt: Date | null;
}

export interface IngestionState {
  /** By the integrator's chat id. */
  chats: Map<string, ChatState>;
  widgets: Map<string, WidgetRow>;
  /** Active operators, oldest first. */
  operators: OperatorRow[];
  operatorsById: Map<string, OperatorRow>;
  addons: AddonSettings[];
}

const chatIdsOf = (inputs: readonly HappeningInput[]) => [...new Set(inputs.flatMap((i) => ('chatId' in i ? [i.chatId] : [])))];
const widgetIdsOf = (inputs: readonly HappeningInput[]) => inputs.flatMap((i) => ('widgetId' in i ? [i.widgetId] : []));
const presenceOperatorIdsOf = (inputs: readonly HappeningInput[]) => [
  ...new Set(inputs.flatMap((i) => (i.kind === 'PRESENCE_CHANGED' ? [i.operatorId] : []))),
];

async function loadChats(db: Tx, organizationId: string, externalIds: string[], lock: boolean): Promise<Map<string, ChatState>> {
  if (externalIds.length === 0) return new Map();
  if (lock) {
    await db.$queryRaw`SELECT "id" FROM "Chat" WHERE "organizationId" = ${organizationId}::uuid AND "externalId" IN (${Prisma.join(externalIds)}) ORDER BY "id" FOR UPDATE`;
  }
  const rows = await db.chat.findMany({
    where: { organizationId, externalId: { in: externalIds } },
    select: {
      id: true,
      externalId: true,
      widgetId: true,
      operatorId: true,
      visitorName: true,
      visitorEmail: true,
      firstVisitorMessageAt: true,
      finishedAt: true,
    },
  });
  return new Map(rows.map((chat) => [chat.externalId, chat]));
}

async function loadOperators(db: Tx, organizationId: string, lockIds: string[]): Promise<OperatorRow[]> {
  if (lockIds.length > 0) {
    await db.$queryRaw`SELECT "id" FROM "Operator" WHERE "organizationId" = ${organizationId}::uuid AND "id" IN (${Prisma.join(lockIds.map((id) => Prisma.sql`${id}::uuid`))}) ORDER BY "id" FOR UPDATE`;
  }
  const rows = await db.operator.findMany({
    where: { organizationId, deletedAt: null },
    select: { id: true, presence: true, role: { select: { notificationsEnabled: true } }, memberships: { select: { groupId: true } } },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  return rows.map((o) => ({
    id: o.id,
    presence: o.presence,
    roleNotificationsEnabled: o.role.notificationsEnabled,
    groupIds: o.memberships.map((m) => m.groupId),
  }));
}

async function loadWidgets(db: Tx, organizationId: string, ids: string[]): Promise<Map<string, WidgetRow>> {
  if (ids.length === 0) return new Map();
  const rows = await db.widget.findMany({ where: { organizationId, id: { in: [...new Set(ids)] } } });
  return new Map(
    rows.map((w) => [
      w.id,
      {
        id: w.id,
        groupId: w.groupId,
        email: w.emailEnabled,
        browser: w.browserEnabled,
        addons: w.addonsEnabled,
        emailSameGroupOnly: w.emailSameGroupOnly,
        deletedAt: w.deletedAt,
      },
    ]),
  );
}

async function loadAddons(db: Tx, organizationId: string): Promise<AddonSettings[]> {
  const rows = await db.addon.findMany({
    where: { organizationId, deletedAt: null },
    select: { id: true, kind: true, enabled: true, events: true },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  return rows.map((a) => ({ id: a.id, kind: a.kind as AddonKind, enabled: a.enabled, events: a.events }));
}

/** Loads the state a batch reads; `lock` takes row locks on its chats and presence operators (inside a transaction). */
export async function loadIngestionState(
  db: Tx,
  organizationId: string,
  inputs: readonly HappeningInput[],
  lock: boolean,
): Promise<IngestionState> {
  const chats = await loadChats(db, organizationId, chatIdsOf(inputs), lock);
  const operators = await loadOperators(db, organizationId, lock ? presenceOperatorIdsOf(inputs) : []);
  const widgets = await loadWidgets(db, organizationId, [...widgetIdsOf(inputs), ...[...chats.values()].map((c) => c.widgetId)]);
  const addons = await loadAddons(db, organizationId);
  return { chats, widgets, operators, operatorsById: new Map(operators.map((o) => [o.id, o])), addons };
}

/**
 * The operators' settings for each kind, in one query: preference rows of these kinds only, a
 * missing row filled from the product defaults.
 */
export async function loadOperatorSettings(
  db: Tx,
  organizationId: string,
  operators: readonly OperatorRow[],
  kinds: readonly NotificationEventKind[],
): Promise<Map<NotificationEventKind, OperatorSettings[]>> {
  const result = new Map<NotificationEventKind, OperatorSettings[]>();
  if (kinds.length === 0) return result;
  const rows = await db.operatorPreference.findMany({
    where: { organizationId, event: { in: [...kinds] } },
    select: { operatorId: true, event: true, channel: true, enabled: true },
  });
  const stored = new Map<string, boolean>();
  for (const row of rows) stored.set(`${row.operatorId}:${row.event}:${row.channel}`, row.enabled);
  for (const kind of kinds) {
    const defaults = productDefaultPreferencesFor(kind);
    const preferenceOf = (operatorId: string, channel: OperatorChannel) =>
      stored.get(`${operatorId}:${kind}:${channel}`) ?? defaults[channel];
    result.set(
      kind,
      operators.map((o) => ({
        id: o.id,
        roleNotificationsEnabled: o.roleNotificationsEnabled,
        groupIds: o.groupIds,
        preferences: { BROWSER: preferenceOf(o.id, 'BROWSER'), AUDIO: preferenceOf(o.id, 'AUDIO'), EMAIL: preferenceOf(o.id, 'EMAIL') },
      })),
    );
  }
  return result;
}

/**
 * The settings of one organization that deciding reads, loaded in ONE statement whatever the number
 * of operators: active operators (role switch, groups, name, email), every widget (deleted ones too,
 * so a chat of a deleted widget still decides as before), active addons (with their configuration,
 * for the delivery queue) and the whole preference grid, together with the organization's
 * `settingsVersion` read by the same statement (so the snapshot is exactly that version).
 *
 * The per-kind operator settings the engine takes are built on first use and kept with the
 * snapshot, which is shared by every report of the organization until its version changes: treat
 * everything here as read-only.
 */

import type { Db } from '../../db/database.js';
import type { AddonKind, NotificationEventKind, OperatorChannel } from '../../domain/catalog.js';
import type { AddonSettings, OperatorSettings, WidgetSettings } from '../../domain/decide-notifications.js';
import { productDefaultPreferencesFor } from '../../domain/product-defaults.js';
import type { Prisma } from '../../generated/prisma/client.js';

export type Tx = Prisma.TransactionClient | Db;

export interface SettingsOperator {
  id: string;
  name: string;
  email: string | null;
  roleNotificationsEnabled: boolean;
  groupIds: string[];
}

export interface WidgetRow extends WidgetSettings {
  deletedAt: Date | null;
}

export interface SettingsAddon extends AddonSettings {
  config: unknown;
}

export interface OrganizationSettings {
  organizationId: string;
  version: bigint;
  /** Active operators, oldest first. */
  operators: readonly SettingsOperator[];
  operatorsById: ReadonlyMap<string, SettingsOperator>;
  /** Every widget of the organization, deleted ones included. */
  widgets: ReadonlyMap<string, WidgetRow>;
  /** Active addons, oldest first. */
  addons: readonly SettingsAddon[];
  /** Every active operator's settings for `kind`, a missing preference row filled from the product defaults. */
  operatorSettingsFor(kind: NotificationEventKind): readonly OperatorSettings[];
}

interface SettingsRow {
  version: bigint | number | string;
  operators: string;
  preferences: string;
  widgets: string;
  addons: string;
}

type OperatorJson = [id: string, name: string, email: string | null, roleOn: boolean, groupIds: string[]];
/** One operator's stored preferences: "EVENT:CHANNEL" pairs switched on and off. */
type PreferencesJson = [operatorId: string, on: string[] | null, off: string[] | null];
interface WidgetJson {
  id: string;
  groupId: string | null;
  emailEnabled: boolean;
  browserEnabled: boolean;
  addonsEnabled: boolean;
  emailSameGroupOnly: boolean;
  deletedAt: string | null;
}
interface AddonJson {
  id: string;
  kind: AddonKind;
  enabled: boolean;
  events: NotificationEventKind[];
  config: unknown;
}

/** Null when the organization does not exist. */
export async function loadOrganizationSettings(db: Tx, organizationId: string): Promise<OrganizationSettings | null> {
  const rows = await db.$queryRaw<SettingsRow[]>`
    SELECT org."settingsVersion" AS "version",
      (SELECT COALESCE(json_agg(json_build_array(o."id", o."name", o."email", r."notificationsEnabled",
                 ARRAY(SELECT m."groupId"::text FROM "GroupMembership" m WHERE m."operatorId" = o."id" ORDER BY m."groupId"))
               ORDER BY o."createdAt", o."id"), '[]')::text
         FROM "Operator" o JOIN "Role" r ON r."id" = o."roleId"
        WHERE o."organizationId" = org."id" AND o."deletedAt" IS NULL) AS "operators",
      (SELECT COALESCE(json_agg(json_build_array(p."operatorId", p."on", p."off")), '[]')::text
         FROM (SELECT "operatorId",
                      array_agg("event"::text || ':' || "channel"::text) FILTER (WHERE "enabled") AS "on",
                      array_agg("event"::text || ':' || "channel"::text) FILTER (WHERE NOT "enabled") AS "off"
                 FROM "OperatorPreference" WHERE "organizationId" = org."id" GROUP BY "operatorId") p) AS "preferences",
      (SELECT COALESCE(json_agg(json_build_object('id', w."id", 'groupId', w."groupId", 'emailEnabled', w."emailEnabled",
                 'browserEnabled', w."browserEnabled", 'addonsEnabled', w."addonsEnabled",
                 'emailSameGroupOnly', w."emailSameGroupOnly", 'deletedAt', w."deletedAt")), '[]')::text
         FROM "Widget" w WHERE w."organizationId" = org."id") AS "widgets",
      (SELECT COALESCE(json_agg(json_build_object('id', a."id", 'kind', a."kind", 'enabled', a."enabled", 'events', a."events",
                 'config', a."config") ORDER BY a."createdAt", a."id"), '[]')::text
         FROM "Addon" a WHERE a."organizationId" = org."id" AND a."deletedAt" IS NULL) AS "addons"
    FROM "Organization" org WHERE org."id" = ${organizationId}::uuid`;
  const row = rows[0];
  if (row === undefined) return null;
  const operators = (JSON.parse(row.operators) as OperatorJson[]).map(
    ([id, name, email, roleOn, groupIds]): SettingsOperator => ({ id, name, email, roleNotificationsEnabled: roleOn, groupIds }),
  );
  const stored = new Map<string, boolean>();
  for (const [operatorId, on, off] of JSON.parse(row.preferences) as PreferencesJson[]) {
    for (const pair of on ?? []) stored.set(`${operatorId}:${pair}`, true);
    for (const pair of off ?? []) stored.set(`${operatorId}:${pair}`, false);
  }
  const widgets = new Map(
    (JSON.parse(row.widgets) as WidgetJson[]).map((w): [string, WidgetRow] => [
      w.id,
      {
        id: w.id,
        groupId: w.groupId,
        email: w.emailEnabled,
        browser: w.browserEnabled,
        addons: w.addonsEnabled,
        emailSameGroupOnly: w.emailSameGroupOnly,
        deletedAt: w.deletedAt === null ? null : new Date(w.deletedAt),
      },
    ]),
  );
  const addons = (JSON.parse(row.addons) as AddonJson[]).map(
    (a): SettingsAddon => ({ id: a.id, kind: a.kind, enabled: a.enabled, events: a.events, config: a.config }),
  );
  const byKind = new Map<NotificationEventKind, readonly OperatorSettings[]>();
  const operatorSettingsFor = (kind: NotificationEventKind): readonly OperatorSettings[] => {
    let settings = byKind.get(kind);
    if (settings === undefined) {
      const defaults = productDefaultPreferencesFor(kind);
      const preferenceOf = (operatorId: string, channel: OperatorChannel) =>
        stored.get(`${operatorId}:${kind}:${channel}`) ?? defaults[channel];
      settings = operators.map((o) => ({
        id: o.id,
        roleNotificationsEnabled: o.roleNotificationsEnabled,
        groupIds: o.groupIds,
        preferences: { BROWSER: preferenceOf(o.id, 'BROWSER'), AUDIO: preferenceOf(o.id, 'AUDIO'), EMAIL: preferenceOf(o.id, 'EMAIL') },
      }));
      byKind.set(kind, settings);
    }
    return settings;
  };
  return {
    organizationId,
    version: BigInt(row.version),
    operators,
    operatorsById: new Map(operators.map((o) => [o.id, o])),
    widgets,
    addons,
    operatorSettingsFor,
  };
}

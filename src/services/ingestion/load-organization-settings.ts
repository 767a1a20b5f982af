/**
 * The settings of one organization that deciding reads, loaded in ONE statement whatever the number
 * of operators: active operators (role switch, groups, name, email), every widget (deleted ones too,
 * so a chat of a deleted widget still decides as before), active addons (with their configuration,
 * for the delivery queue) and the whole preference grid, together with the organization's
 * `settingsVersion` read by the same statement (so the snapshot is exactly that version). Admin
 * locks and quiet-time settings (extensions E1, E2) and the unread escalations asked for (E5) come with it.
 *
 * The per-kind operator settings the engine takes are built on first use and kept with the
 * snapshot, which is shared by every report of the organization until its version changes: treat
 * everything here as read-only.
 */

import type { Db } from '../../db/database.js';
import { type AdminLock, type ChannelLocks, locksForRole } from '../../domain/admin-locks.js';
import type { AddonKind, NotificationEventKind, OperatorChannel } from '../../domain/catalog.js';
import type { AddonSettings, OperatorSettings, WidgetSettings } from '../../domain/decide-notifications.js';
import { productDefaultPreferencesFor } from '../../domain/product-defaults.js';
import { isInQuietTime, type QuietSettings, type QuietWindow } from '../../domain/quiet-time.js';
import type { Prisma } from '../../generated/prisma/client.js';

export type Tx = Prisma.TransactionClient | Db;

export interface SettingsOperator {
  id: string;
  name: string;
  email: string | null;
  roleNotificationsEnabled: boolean;
  groupIds: string[];
  roleId: string;
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
  /** Admin locks of the organization (E1). */
  locks: readonly AdminLock[];
  /** Quiet-time settings of the operators who have some (E2). */
  quietTimes: ReadonlyMap<string, QuietSettings>;
  /** The operators in quiet time at `at`. */
  quietOperatorsAt(at: Date): ReadonlySet<string>;
  /** "operatorId:EVENT" of every unread email escalation its operators asked for (E5). */
  unreadEscalations: ReadonlySet<string>;
}

interface SettingsRow {
  version: bigint | number | string;
  operators: string;
  preferences: string;
  widgets: string;
  addons: string;
  locks: string;
  quietTimes: string;
  unreadEscalations: string;
}

type OperatorJson = [id: string, name: string, email: string | null, roleOn: boolean, groupIds: string[], roleId: string];
type QuietTimeJson = [operatorId: string, timeZone: string, windows: QuietWindow[], doNotDisturbUntil: string | null];
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
                 ARRAY(SELECT m."groupId"::text FROM "GroupMembership" m WHERE m."operatorId" = o."id" ORDER BY m."groupId"), o."roleId")
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
         FROM "Addon" a WHERE a."organizationId" = org."id" AND a."deletedAt" IS NULL) AS "addons",
      (SELECT COALESCE(json_agg(json_build_object('roleId', l."roleId", 'event', l."event", 'channel', l."channel", 'value', l."value")), '[]')::text
         FROM "AdminLock" l WHERE l."organizationId" = org."id") AS "locks",
      (SELECT COALESCE(json_agg(json_build_array(q."operatorId", q."timeZone", q."windows", q."doNotDisturbUntil")), '[]')::text
         FROM "OperatorQuietTime" q WHERE q."organizationId" = org."id") AS "quietTimes",
      (SELECT COALESCE(json_agg(u."operatorId"::text || ':' || u."event"::text), '[]')::text
         FROM "UnreadEscalationPreference" u JOIN "Operator" o ON o."id" = u."operatorId"
        WHERE o."organizationId" = org."id") AS "unreadEscalations"
    FROM "Organization" org WHERE org."id" = ${organizationId}::uuid`;
  const row = rows[0];
  if (row === undefined) return null;
  const operators = (JSON.parse(row.operators) as OperatorJson[]).map(
    ([id, name, email, roleOn, groupIds, roleId]): SettingsOperator => ({
      id,
      name,
      email,
      roleNotificationsEnabled: roleOn,
      groupIds,
      roleId,
    }),
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
  const locks = JSON.parse(row.locks) as AdminLock[];
  const quietTimes = new Map(
    (JSON.parse(row.quietTimes) as QuietTimeJson[]).map(([operatorId, timeZone, windows, until]): [string, QuietSettings] => [
      operatorId,
      // A timestamp(3) read through json is local-time text without a zone: it is UTC.
      { timeZone, windows, doNotDisturbUntil: until === null ? null : new Date(`${until}Z`) },
    ]),
  );
  const locksOfRole = new Map<string, Map<string, ChannelLocks>>();
  /** The locks of `kind` applying to an operator of `roleId`, by channel; undefined when none. */
  const locksOf = (roleId: string, kind: NotificationEventKind): ChannelLocks | undefined => {
    if (locks.length === 0) return undefined;
    let byKind = locksOfRole.get(roleId);
    if (byKind === undefined) {
      byKind = new Map();
      for (const [key, lock] of locksForRole(locks, roleId)) {
        const [event, channel] = key.split(':') as [NotificationEventKind, OperatorChannel];
        byKind.set(event, { ...byKind.get(event), [channel]: lock });
      }
      locksOfRole.set(roleId, byKind);
    }
    return byKind.get(kind);
  };
  const byKind = new Map<NotificationEventKind, readonly OperatorSettings[]>();
  const operatorSettingsFor = (kind: NotificationEventKind): readonly OperatorSettings[] => {
    let settings = byKind.get(kind);
    if (settings === undefined) {
      const defaults = productDefaultPreferencesFor(kind);
      const preferenceOf = (operatorId: string, channel: OperatorChannel) =>
        stored.get(`${operatorId}:${kind}:${channel}`) ?? defaults[channel];
      settings = operators.map((o): OperatorSettings => {
        const settings: OperatorSettings = {
          id: o.id,
          roleNotificationsEnabled: o.roleNotificationsEnabled,
          groupIds: o.groupIds,
          preferences: { BROWSER: preferenceOf(o.id, 'BROWSER'), AUDIO: preferenceOf(o.id, 'AUDIO'), EMAIL: preferenceOf(o.id, 'EMAIL') },
        };
        const applied = locksOf(o.roleId, kind);
        if (applied !== undefined) settings.locks = applied;
        return settings;
      });
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
    locks,
    quietTimes,
    unreadEscalations: new Set(JSON.parse(row.unreadEscalations) as string[]),
    quietOperatorsAt(at) {
      const quiet = new Set<string>();
      for (const [operatorId, settings] of quietTimes) if (isInQuietTime(settings, at)) quiet.add(operatorId);
      return quiet;
    },
  };
}

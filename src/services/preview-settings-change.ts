/**
 * `previewSettingsChange` (extensions.md E3): checks a settings change exactly as its mutation
 * would (same refusals, same field paths), then previews it against the organization's current
 * settings snapshot (the ingestion cache: usually no query beyond the version) with the pure
 * domain/preview-settings-change.ts. Stores nothing.
 */
import type { Db } from '../db/database.js';
import type { LockValue } from '../domain/admin-locks.js';
import type { NotificationEventKind, OperatorChannel } from '../domain/catalog.js';
import type { WidgetSettings } from '../domain/decide-notifications.js';
import { type ImpactCell, previewSettingsChange, type SettingsChange } from '../domain/preview-settings-change.js';
import { AppError, invalidInput, notFound } from '../errors.js';
import { checkAdminLockInput, locksOfOperator } from './admin-locks.js';
import type { OrganizationSettings } from './ingestion/load-organization-settings.js';
import { loadOrganizationSettings } from './ingestion/load-organization-settings.js';
import { settingsCacheFor } from './ingestion/settings-cache.js';
import { assertChannelsAvailable } from './preferences.js';

/** The change, as the mutation that would make it takes it (raw ids). Exactly one is set. */
export interface SettingsChangeRequest {
  updateRole?: { id: string; notificationsEnabled?: boolean | null | undefined } | null | undefined;
  updateOperator?: { id: string; roleId?: string | null | undefined } | null | undefined;
  updateWidget?:
    | {
        id: string;
        groupId?: string | null | undefined;
        email?: boolean | null | undefined;
        browser?: boolean | null | undefined;
        addons?: boolean | null | undefined;
        emailSameGroupOnly?: boolean | null | undefined;
      }
    | null
    | undefined;
  setAdminLock?:
    | { roleId: string | null; event: NotificationEventKind; channel: OperatorChannel; value: LockValue | null }
    | null
    | undefined;
  updateDashboardPreferences?:
    | { operatorId: string; changes: readonly { event: NotificationEventKind; channel: OperatorChannel; enabled: boolean }[] }
    | null
    | undefined;
  addGroupMember?: { groupId: string; operatorId: string } | null | undefined;
  removeGroupMember?: { groupId: string; operatorId: string } | null | undefined;
}

export interface SettingsChangePreview {
  cells: ImpactCell[];
  /** The widget the typical chat happening came through; null: none. */
  widgetId: string | null;
}

async function currentSettings(prisma: Db, organizationId: string): Promise<OrganizationSettings> {
  const rows = await prisma.$queryRaw<{ version: bigint | number | string }[]>`
    SELECT "settingsVersion" AS "version" FROM "Organization" WHERE "id" = ${organizationId}::uuid`;
  const cache = settingsCacheFor(prisma);
  const version = rows[0] === undefined ? null : BigInt(rows[0].version);
  const cached = version === null ? undefined : cache.get(organizationId, version);
  if (cached !== undefined) return cached;
  const settings = await loadOrganizationSettings(prisma, organizationId);
  if (settings === null) throw notFound('Organization');
  cache.set(settings);
  return settings;
}

const activeOperator = (settings: OrganizationSettings, id: string, field: string) => {
  if (!settings.operatorsById.has(id)) throw notFound('Operator', field);
};

const activeWidget = (settings: OrganizationSettings, id: string, field: string) => {
  const widget = settings.widgets.get(id);
  if (widget === undefined || widget.deletedAt !== null) throw notFound('Widget', field);
  return widget;
};

async function roleEnabled(prisma: Db, organizationId: string, roleId: string, field: string): Promise<boolean> {
  const role = await prisma.role.findFirst({ where: { id: roleId, organizationId }, select: { notificationsEnabled: true } });
  if (role === null) throw notFound('Role', field);
  return role.notificationsEnabled;
}

async function groupExists(prisma: Db, organizationId: string, groupId: string, field: string): Promise<void> {
  if ((await prisma.operatorGroup.count({ where: { id: groupId, organizationId } })) === 0) throw notFound('Operator group', field);
}

/** The one change asked for, checked as its mutation checks it, in domain terms. */
async function toChange(
  prisma: Db,
  organizationId: string,
  settings: OrganizationSettings,
  r: SettingsChangeRequest,
): Promise<SettingsChange> {
  const given = Object.entries(r).filter(([, v]) => v !== null && v !== undefined);
  if (given.length !== 1) throw invalidInput('Give exactly one settings change', 'change');
  if (r.updateRole) {
    const enabled = await roleEnabled(prisma, organizationId, r.updateRole.id, 'change.updateRole.id');
    return { kind: 'ROLE_SWITCH', roleId: r.updateRole.id, notificationsEnabled: r.updateRole.notificationsEnabled ?? enabled };
  }
  if (r.updateOperator) {
    activeOperator(settings, r.updateOperator.id, 'change.updateOperator.id');
    const roleId = r.updateOperator.roleId ?? settings.operatorsById.get(r.updateOperator.id)?.roleId ?? '';
    const enabled = await roleEnabled(prisma, organizationId, roleId, 'change.updateOperator.roleId');
    return { kind: 'OPERATOR_ROLE', operatorId: r.updateOperator.id, roleId, roleNotificationsEnabled: enabled };
  }
  if (r.updateWidget) {
    const w = r.updateWidget;
    const current = activeWidget(settings, w.id, 'change.updateWidget.id');
    if (w.groupId) await groupExists(prisma, organizationId, w.groupId, 'change.updateWidget.groupId');
    const widget: WidgetSettings = {
      id: current.id,
      groupId: w.groupId === undefined ? current.groupId : w.groupId,
      email: w.email ?? current.email,
      browser: w.browser ?? current.browser,
      addons: w.addons ?? current.addons,
      emailSameGroupOnly: w.emailSameGroupOnly ?? current.emailSameGroupOnly,
    };
    return { kind: 'WIDGET', widget };
  }
  if (r.setAdminLock) {
    const lock = r.setAdminLock;
    await checkAdminLockInput(prisma, { organizationId, ...lock }, 'change.setAdminLock');
    return { kind: 'LOCK', lock };
  }
  if (r.updateDashboardPreferences) {
    const { operatorId, changes } = r.updateDashboardPreferences;
    assertChannelsAvailable(changes, 'change.updateDashboardPreferences.changes');
    activeOperator(settings, operatorId, 'change.updateDashboardPreferences.operatorId');
    const locks = await locksOfOperator(prisma, organizationId, operatorId);
    changes.forEach((c, index) => {
      if (locks.has(`${c.event}:${c.channel}`))
        throw new AppError(
          'PREFERENCE_LOCKED',
          `${c.event} on ${c.channel} is locked by an admin`,
          `change.updateDashboardPreferences.changes.${index}`,
        );
    });
    return { kind: 'PREFERENCES', operatorId, changes };
  }
  const membership = r.addGroupMember ?? r.removeGroupMember;
  const field = r.addGroupMember ? 'change.addGroupMember' : 'change.removeGroupMember';
  if (!membership) throw invalidInput('Give exactly one settings change', 'change');
  activeOperator(settings, membership.operatorId, `${field}.operatorId`);
  await groupExists(prisma, organizationId, membership.groupId, `${field}.groupId`);
  return { kind: 'GROUP_MEMBERSHIP', operatorId: membership.operatorId, groupId: membership.groupId, member: Boolean(r.addGroupMember) };
}

/**
 * The typical widget: the changed one, else the one asked for, else the organization's only active
 * widget (none: chat events come through none; several: the caller must name one).
 */
function typicalWidget(settings: OrganizationSettings, change: SettingsChange, widgetId: string | null): WidgetSettings | null {
  if (change.kind === 'WIDGET') return settings.widgets.get(change.widget.id) ?? null;
  if (widgetId !== null) return activeWidget(settings, widgetId, 'widgetId');
  const active = [...settings.widgets.values()].filter((w) => w.deletedAt === null);
  if (active.length > 1) throw invalidInput('The organization has several widgets: name the one chat happenings come through', 'widgetId');
  return active[0] ?? null;
}

export async function previewSettingsChangeFor(
  prisma: Db,
  organizationId: string,
  request: SettingsChangeRequest,
  widgetId: string | null,
  at: Date = new Date(),
): Promise<SettingsChangePreview> {
  const settings = await currentSettings(prisma, organizationId);
  const change = await toChange(prisma, organizationId, settings, request);
  const widget = typicalWidget(settings, change, widgetId);
  const cells = previewSettingsChange(
    {
      operatorSettingsFor: settings.operatorSettingsFor,
      roleOf: (id) => settings.operatorsById.get(id)?.roleId,
      locks: settings.locks,
      widget: widget === null ? null : stripped(widget),
      quietOperatorIds: settings.quietOperatorsAt(at),
    },
    change,
  );
  return { cells, widgetId: widget?.id ?? null };
}

const stripped = ({ id, groupId, email, browser, addons, emailSameGroupOnly }: WidgetSettings): WidgetSettings => ({
  id,
  groupId,
  email,
  browser,
  addons,
  emailSameGroupOnly,
});

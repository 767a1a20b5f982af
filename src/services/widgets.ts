/**
 * Chat widget writes. "WIDGET_CHANGED is raised by the service itself whenever a widget's
 * configuration is changed through the API" (notification-rules.md): an update that changes
 * something, and a deletion, report it in the same transaction as the write, so a widget change
 * and its notification are stored together or not at all.
 */
import type { Db } from '../db/database.js';
import { notFound } from '../errors.js';
import type { Prisma } from '../generated/prisma/client.js';
import { runAfterCommit, type StoredEvent } from './decision-sinks.js';
import { type HappeningInput, type ReportResult, reportHappenings } from './ingestion/report-happenings.js';
import type { Services } from './services.js';

export interface WidgetSettings {
  name: string;
  groupId: string | null;
  emailEnabled: boolean;
  browserEnabled: boolean;
  addonsEnabled: boolean;
  emailSameGroupOnly: boolean;
}

export type WidgetPatch = { [K in keyof WidgetSettings]?: WidgetSettings[K] | undefined };

export interface WidgetChange {
  field: string;
  from: unknown;
  to: unknown;
}

/** Names of the changed fields as the API shows them (the switches are `email`, `browser`, `addons`). */
const API_FIELD: Readonly<Record<keyof WidgetSettings, string>> = {
  name: 'name',
  groupId: 'groupId',
  emailEnabled: 'email',
  browserEnabled: 'browser',
  addonsEnabled: 'addons',
  emailSameGroupOnly: 'emailSameGroupOnly',
};

/** What a patch would really change: fields left out or set to their current value are no change. */
export function diffWidget(current: WidgetSettings, patch: WidgetPatch): WidgetChange[] {
  return (Object.keys(API_FIELD) as (keyof WidgetSettings)[]).flatMap((key) => {
    const to = patch[key];
    return to === undefined || to === current[key] ? [] : [{ field: API_FIELD[key], from: current[key], to }];
  });
}

type Tx = Prisma.TransactionClient | Db;

/** A group of the organization, or NOT_FOUND on `field`. */
export async function assertGroupInOrganization(tx: Tx, organizationId: string, groupId: string | null | undefined, field: string) {
  if (groupId === null || groupId === undefined) return;
  const group = await tx.operatorGroup.findFirst({ where: { id: groupId, organizationId }, select: { id: true } });
  if (!group) throw notFound('Operator group', field);
}

async function findLiveWidget(tx: Tx, organizationId: string, widgetId: string, field: string) {
  const widget = await tx.widget.findFirst({ where: { id: widgetId, organizationId, deletedAt: null } });
  if (!widget) throw notFound('Widget', field);
  return widget;
}

/**
 * Raises WIDGET_CHANGED inside the caller's transaction `tx` ("reported" by `actorId`) and returns
 * the stored events; the caller hands them to `runAfterCommit` once its transaction committed
 * (reportHappenings leaves that to whoever owns the transaction).
 */
export async function raiseWidgetChanged(
  services: Services,
  tx: Prisma.TransactionClient,
  organizationId: string,
  actorId: string,
  inputs: readonly HappeningInput[],
): Promise<StoredEvent[]> {
  const results: ReportResult[] = await reportHappenings(services, organizationId, { kind: 'OPERATOR', id: actorId }, inputs, { tx });
  return results.flatMap((result) => result.events);
}

/** Applies a patch; raises WIDGET_CHANGED (reported by `actorId`) only when something changed. */
export async function updateWidget(services: Services, organizationId: string, actorId: string, widgetId: string, patch: WidgetPatch) {
  const { widget, events } = await services.prisma.$transaction(async (tx) => {
    const current = await findLiveWidget(tx, organizationId, widgetId, 'input.id');
    await assertGroupInOrganization(tx, organizationId, patch.groupId, 'input.groupId');
    const changes = diffWidget(current, patch);
    if (changes.length === 0) return { widget: current, events: [] };
    const updated = await tx.widget.update({ where: { id: widgetId }, data: patch });
    const raised = await raiseWidgetChanged(services, tx, organizationId, actorId, [{ kind: 'WIDGET_CHANGED', widgetId, changes }]);
    return { widget: updated, events: raised };
  });
  runAfterCommit(services.sinks, events);
  return widget;
}

/** Soft-deletes a widget (its chats and events stay explainable) and raises WIDGET_CHANGED. */
export async function deleteWidget(services: Services, organizationId: string, actorId: string, widgetId: string) {
  const { widget, events } = await services.prisma.$transaction(async (tx) => {
    await findLiveWidget(tx, organizationId, widgetId, 'id');
    // Reported before the soft delete: the ingestion pipeline refuses events of deleted widgets.
    const changes = [{ field: 'deleted', from: false, to: true }];
    const raised = await raiseWidgetChanged(services, tx, organizationId, actorId, [{ kind: 'WIDGET_CHANGED', widgetId, changes }]);
    return { widget: await tx.widget.update({ where: { id: widgetId }, data: { deletedAt: new Date() } }), events: raised };
  });
  runAfterCommit(services.sinks, events);
  return widget;
}

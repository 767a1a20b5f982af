/**
 * Addons that keep failing are switched off: every dead delivery of an addon counts, a delivered
 * one resets the count, and at `autoDisableAfter` dead deliveries in a row the addon is disabled
 * and the organization is told with a SYSTEM_MESSAGE (raised by the service itself).
 */

import type { Db } from '../../db/database.js';
import type { Prisma } from '../../generated/prisma/client.js';
import { reportHappenings } from '../ingestion/report-happenings.js';
import type { Services } from '../services.js';

type Client = Db | Prisma.TransactionClient;

export interface DisabledAddon {
  id: string;
  organizationId: string;
  name: string;
  kind: string;
  deadInARow: number;
}

/** Counts a dead delivery; returns the addon when this one disabled it. */
export async function recordAddonDead(tx: Client, addonId: string, autoDisableAfter: number): Promise<DisabledAddon | null> {
  const addon = await tx.addon.update({
    where: { id: addonId },
    data: { consecutiveDeadDeliveries: { increment: 1 } },
    select: { id: true, organizationId: true, name: true, kind: true, enabled: true, consecutiveDeadDeliveries: true },
  });
  if (autoDisableAfter <= 0 || !addon.enabled || addon.consecutiveDeadDeliveries < autoDisableAfter) return null;
  const { count } = await tx.addon.updateMany({ where: { id: addonId, enabled: true }, data: { enabled: false } });
  return count === 1 ? { ...addon, deadInARow: addon.consecutiveDeadDeliveries } : null;
}

/** A delivered addon delivery ends a run of dead ones. */
export async function recordAddonDelivered(prisma: Client, addonId: string): Promise<void> {
  await prisma.addon.updateMany({ where: { id: addonId, consecutiveDeadDeliveries: { gt: 0 } }, data: { consecutiveDeadDeliveries: 0 } });
}

/** Tells the organization's operators (admins included) that an addon was switched off. */
export async function reportAddonDisabled(services: Services, addon: DisabledAddon, lastError: string, deliveryId: string) {
  await reportHappenings(services, addon.organizationId, { kind: 'SERVICE', id: 'delivery-queue' }, [
    {
      kind: 'SYSTEM_MESSAGE',
      title: `Addon "${addon.name}" was disabled`,
      body:
        `The ${addon.kind} addon "${addon.name}" failed ${addon.deadInARow} deliveries in a row and was disabled. ` +
        `Last error: ${lastError}. Fix its configuration or the receiving side, enable it again, and retry or replay its dead deliveries.`,
      idempotencyKey: `addon-disabled:${addon.id}:${deliveryId}`,
    },
  ]);
}

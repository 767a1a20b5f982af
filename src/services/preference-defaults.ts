/**
 * The preference grid a new operator starts from: the product defaults overlaid with the
 * organization's own defaults. Materialized at creation, so later default changes never rewrite
 * an operator's choices.
 */
import type { Db } from '../db/database.js';
import { PRODUCT_DEFAULT_PREFERENCES } from '../domain/product-defaults.js';
import type { Prisma } from '../generated/prisma/client.js';

type Tx = Prisma.TransactionClient | Db;

export async function organizationDefaultGrid(tx: Tx, organizationId: string) {
  const overrides = await tx.organizationDefaultPreference.findMany({ where: { organizationId } });
  const byKey = new Map(overrides.map((o) => [`${o.event}:${o.channel}`, o.enabled]));
  return PRODUCT_DEFAULT_PREFERENCES.map((p) => ({ ...p, enabled: byKey.get(`${p.event}:${p.channel}`) ?? p.enabled }));
}

/** Writes the starting preference rows of new operators (one statement). */
export async function materializePreferences(tx: Tx, organizationId: string, operatorIds: readonly string[]): Promise<void> {
  const grid = await organizationDefaultGrid(tx, organizationId);
  await tx.operatorPreference.createMany({
    data: operatorIds.flatMap((operatorId) =>
      grid.map((p) => ({
        operatorId,
        organizationId,
        event: p.event,
        channel: p.channel,
        enabled: p.enabled,
        changedVia: 'DEFAULT' as const,
      })),
    ),
  });
}

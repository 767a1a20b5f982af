/**
 * Admin actions on the delivery log: send a dead delivery again (with a fresh set of attempts), and
 * replay an addon's deliveries over a time range as new deliveries (new ids, so webhook receivers
 * that drop duplicates still take them; `replayOfId` points at the original).
 */
import type { Db } from '../../db/database.js';
import { AppError, invalidInput, notFound } from '../../errors.js';
import { addonTarget } from './enqueue-deliveries.js';

export async function retryDelivery(prisma: Db, organizationId: string, id: string) {
  const delivery = await prisma.delivery.findFirst({ where: { id, organizationId }, select: { status: true } });
  if (!delivery) throw notFound('The delivery', 'id');
  if (delivery.status !== 'DEAD')
    throw new AppError('CONFLICT', `Only a dead delivery can be retried; this one is ${delivery.status}`, 'id');
  const { count } = await prisma.delivery.updateMany({
    where: { id, organizationId, status: 'DEAD' },
    data: { status: 'PENDING', attempts: 0, runAt: new Date(), deadAt: null, lockedUntil: null, lockedBy: null },
  });
  if (count !== 1) throw new AppError('CONFLICT', 'The delivery changed meanwhile; reload it', 'id');
  return prisma.delivery.findUniqueOrThrow({ where: { id } });
}

/** Re-enqueues every delivery of the addon created in [from, to); returns how many. */
export async function replayAddonDeliveries(prisma: Db, organizationId: string, addonId: string, from: Date, to: Date): Promise<number> {
  if (!(from < to)) throw invalidInput('from must be before to', 'input.from');
  const addon = await prisma.addon.findFirst({ where: { id: addonId, organizationId, deletedAt: null } });
  if (!addon) throw notFound('The addon', 'input.addonId');
  const originals = await prisma.delivery.findMany({
    where: { addonId, organizationId, replayOfId: null, createdAt: { gte: from, lt: to } },
    select: { id: true, eventId: true },
    orderBy: { createdAt: 'asc' },
  });
  if (originals.length === 0) return 0;
  const target = addonTarget(addon.kind, addon.config);
  await prisma.delivery.createMany({
    data: originals.map((o) => ({ organizationId, eventId: o.eventId, channel: 'ADDON' as const, addonId, target, replayOfId: o.id })),
  });
  return originals.length;
}

/**
 * Admin locks (extensions.md E1): stored per organization, one per scope (a role, or the whole
 * organization) and (event, operator channel). Deciding reads them from the settings snapshot (a
 * trigger bumps the settings version, so the next event on every instance decides with them: they
 * take effect at once, like role switches). Preference grids show them; a preference change on a
 * locked cell is refused with PREFERENCE_LOCKED (preferences.ts).
 */
import type { Db } from '../db/database.js';
import { type AdminLock, type AppliedLock, type LockValue, locksForRole } from '../domain/admin-locks.js';
import { isChannelAvailable, type NotificationEventKind, type OperatorChannel } from '../domain/catalog.js';
import { AppError, notFound } from '../errors.js';
import type { Prisma } from '../generated/prisma/client.js';

type Tx = Prisma.TransactionClient | Db;

export const ORGANIZATION_SCOPE_KEY = 'ORGANIZATION';

export interface StoredAdminLock extends AdminLock {
  id: string;
  organizationId: string;
  changedById: string | null;
  updatedAt: Date;
}

export interface SetAdminLockInput {
  organizationId: string;
  actorId: string;
  /** Null: the whole organization. */
  roleId: string | null;
  event: NotificationEventKind;
  channel: OperatorChannel;
  /** Null removes the lock. */
  value: LockValue | null;
}

const toLock = (row: {
  id: string;
  organizationId: string;
  roleId: string | null;
  event: NotificationEventKind;
  channel: string;
  value: LockValue;
  changedById: string | null;
  updatedAt: Date;
}): StoredAdminLock => ({ ...row, channel: row.channel as OperatorChannel });

export async function listAdminLocks(tx: Tx, organizationId: string): Promise<StoredAdminLock[]> {
  const rows = await tx.adminLock.findMany({
    where: { organizationId },
    orderBy: [{ scopeKey: 'asc' }, { event: 'asc' }, { channel: 'asc' }],
  });
  return rows.map(toLock);
}

/** Refuses what cannot be locked: a channel the event does not offer, a role of another organization. */
export async function checkAdminLockInput(tx: Tx, input: Omit<SetAdminLockInput, 'actorId' | 'value'>, field: string): Promise<void> {
  if (!isChannelAvailable(input.event, input.channel)) {
    throw new AppError('CHANNEL_NOT_AVAILABLE', `${input.event} is not offered on ${input.channel}: nothing to lock`, `${field}.channel`);
  }
  if (input.roleId !== null && (await tx.role.count({ where: { id: input.roleId, organizationId: input.organizationId } })) === 0) {
    throw notFound('Role', `${field}.roleId`);
  }
}

/** Sets (or with a null value removes) one lock; returns every lock of the organization. */
export async function setAdminLock(prisma: Db, input: SetAdminLockInput): Promise<StoredAdminLock[]> {
  await checkAdminLockInput(prisma, input, 'input');
  const { organizationId, roleId, event, channel, value, actorId } = input;
  const scopeKey = roleId ?? ORGANIZATION_SCOPE_KEY;
  return prisma.$transaction(async (tx) => {
    if (value === null) {
      await tx.adminLock.deleteMany({ where: { organizationId, scopeKey, event, channel } });
    } else {
      const values = { value, changedById: actorId, updatedAt: new Date() };
      await tx.adminLock.upsert({
        where: { organizationId_scopeKey_event_channel: { organizationId, scopeKey, event, channel } },
        create: { organizationId, roleId, scopeKey, event, channel, ...values },
        update: values,
      });
    }
    return listAdminLocks(tx, organizationId);
  });
}

/** The locks applying to one operator, keyed "EVENT:CHANNEL" (role over organization). */
export async function locksOfOperator(tx: Tx, organizationId: string, operatorId: string): Promise<Map<string, AppliedLock>> {
  const operator = await tx.operator.findFirst({ where: { id: operatorId, organizationId }, select: { roleId: true } });
  if (operator === null) return new Map();
  const locks = await tx.adminLock.findMany({
    where: { organizationId, OR: [{ roleId: null }, { roleId: operator.roleId }] },
    select: { roleId: true, event: true, channel: true, value: true },
  });
  return locksForRole(
    locks.map((l) => ({ ...l, channel: l.channel as OperatorChannel })),
    operator.roleId,
  );
}

/**
 * An organization's retention windows: reading the overrides its admins stored, and changing them
 * inside the bounds (src/domain/retention-windows.ts). A window may only be shortened below the
 * service's: the service drops whole day partitions at its own windows.
 */
import type { Db } from '../../db/database.js';
import {
  checkWindow,
  RETENTION_KINDS,
  type RetentionKind,
  type RetentionWindows,
  windowsInEffect,
} from '../../domain/retention-windows.js';
import { AppError } from '../../errors.js';
import type { RetentionSql } from './retention-sql.js';

export type RetentionOverrides = Partial<Record<RetentionKind, number | null>>;

const COLUMNS = RETENTION_KINDS.map((k) => `"${k}"`).join(', ');

export async function loadOverrides(sql: RetentionSql): Promise<Map<string, RetentionOverrides>> {
  const rows = await sql.query<Record<string, number | null> & { organizationId: string }>(
    `SELECT "organizationId", ${COLUMNS} FROM "OrganizationRetention"`,
  );
  return new Map(rows.map(({ organizationId, ...windows }) => [organizationId, windows as RetentionOverrides]));
}

export interface OrganizationRetention {
  inEffect: RetentionWindows;
  overrides: RetentionOverrides;
  service: RetentionWindows;
}

export async function organizationRetention(prisma: Db, organizationId: string, service: RetentionWindows): Promise<OrganizationRetention> {
  const row = await prisma.organizationRetention.findUnique({ where: { organizationId } });
  const overrides: RetentionOverrides = {};
  for (const kind of RETENTION_KINDS) overrides[kind] = row?.[kind] ?? null;
  return { inEffect: windowsInEffect(service, overrides), overrides, service };
}

/**
 * Stores the given overrides (a number sets one, null goes back to the service's window, absent
 * leaves it); refuses the whole change (INVALID_INPUT on the field) when one is out of bounds.
 */
export async function setOrganizationRetention(
  prisma: Db,
  organizationId: string,
  adminId: string,
  input: RetentionOverrides,
  service: RetentionWindows,
): Promise<OrganizationRetention> {
  const data: RetentionOverrides = {};
  for (const kind of RETENTION_KINDS) {
    const value = input[kind];
    if (value === undefined) continue;
    if (value !== null) {
      const refusal = checkWindow(kind, value, service[kind]);
      if (refusal !== null) throw new AppError('INVALID_INPUT', refusal, `input.${kind}`);
    }
    data[kind] = value;
  }
  const current = await organizationRetention(prisma, organizationId, service);
  const next = { ...current.overrides, ...data };
  const read = next.inboxReadDays ?? service.inboxReadDays;
  const unread = next.inboxUnreadDays ?? service.inboxUnreadDays;
  if (read > unread)
    throw new AppError('INVALID_INPUT', `inboxReadDays (${read}) may not exceed inboxUnreadDays (${unread})`, 'input.inboxReadDays');
  await prisma.organizationRetention.upsert({
    where: { organizationId },
    create: { organizationId, updatedById: adminId, ...data },
    update: { updatedById: adminId, ...data },
  });
  return organizationRetention(prisma, organizationId, service);
}

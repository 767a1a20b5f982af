/**
 * Operator lifecycle. A new operator starts from the organization's default preference grid
 * (materialized in the same transaction); a deleted operator is deactivated, never removed, so the
 * decisions taken for them stay explainable. The organization always keeps an active admin.
 */
import type { Db } from '../db/database.js';
import { AppError, invalidInput, notFound } from '../errors.js';
import type { Prisma } from '../generated/prisma/client.js';
import { materializePreferences } from './preference-defaults.js';

type Tx = Prisma.TransactionClient | Db;

export interface NewOperator {
  roleId: string;
  name: string;
  email?: string | null;
  groupIds?: readonly string[] | null;
  /** Host-app sign-in: the host application's id of this person, unique in the organization. */
  externalId?: string | null;
}

export interface OperatorPatch {
  roleId?: string | null;
  name?: string | null;
  email?: string | null;
  externalId?: string | null;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function normalizeName(name: string, field: string): string {
  const trimmed = name.trim();
  if (trimmed === '') throw invalidInput('name must not be empty', field);
  return trimmed;
}

/** An email address, or null for "no email" (an empty string clears it too). */
export function normalizeEmail(email: string | null, field: string): string | null {
  const trimmed = email?.trim() ?? '';
  if (trimmed === '') return null;
  if (!EMAIL.test(trimmed)) throw invalidInput('email must be an email address', field);
  return trimmed;
}

/** An external id, or null for none (an empty string clears it). */
export function normalizeExternalId(externalId: string | null | undefined): string | null {
  const trimmed = externalId?.trim() ?? '';
  return trimmed === '' ? null : trimmed;
}

/** Two operators of one organization cannot share an external id: the clash is a typed CONFLICT. */
async function uniqueExternalId<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    const target = JSON.stringify((error as { meta?: unknown }).meta ?? '');
    if ((error as { code?: string }).code === 'P2002' && target.includes('externalId'))
      throw new AppError('CONFLICT', 'Another operator of the organization has this externalId', 'input.externalId');
    throw error;
  }
}

async function findRole(tx: Tx, organizationId: string, roleId: string, field: string) {
  const role = await tx.role.findFirst({ where: { id: roleId, organizationId } });
  if (!role) throw notFound('Role', field);
  return role;
}

async function assertGroupsInOrganization(tx: Tx, organizationId: string, groupIds: readonly string[], field: string) {
  const found = await tx.operatorGroup.findMany({ where: { id: { in: [...groupIds] }, organizationId }, select: { id: true } });
  const known = new Set(found.map((g) => g.id));
  const missing = groupIds.findIndex((id) => !known.has(id));
  if (missing >= 0) throw notFound('Operator group', `${field}.${missing}`);
}

/** Active admins other than `exceptOperatorId`. */
const countOtherAdmins = (tx: Tx, organizationId: string, exceptOperatorId: string) =>
  tx.operator.count({ where: { organizationId, deletedAt: null, id: { not: exceptOperatorId }, role: { isAdmin: true } } });

export async function createOperator(prisma: Db, organizationId: string, input: NewOperator) {
  const name = normalizeName(input.name, 'input.name');
  const email = normalizeEmail(input.email ?? null, 'input.email');
  const groupIds = [...new Set(input.groupIds ?? [])];
  const externalId = normalizeExternalId(input.externalId);
  return prisma.$transaction(async (tx) => {
    await findRole(tx, organizationId, input.roleId, 'input.roleId');
    await assertGroupsInOrganization(tx, organizationId, groupIds, 'input.groupIds');
    const operator = await uniqueExternalId(() =>
      tx.operator.create({ data: { organizationId, roleId: input.roleId, name, email, externalId } }),
    );
    if (groupIds.length > 0)
      await tx.groupMembership.createMany({ data: groupIds.map((groupId) => ({ groupId, operatorId: operator.id })) });
    await materializePreferences(tx, organizationId, [operator.id]);
    return operator;
  });
}

async function findActiveOperator(tx: Tx, organizationId: string, operatorId: string, field: string) {
  const operator = await tx.operator.findFirst({ where: { id: operatorId, organizationId, deletedAt: null }, include: { role: true } });
  if (!operator) throw notFound('Operator', field);
  return operator;
}

/** Changes name, email or role; a role change must leave the organization an active admin. */
export async function updateOperator(prisma: Db, organizationId: string, operatorId: string, patch: OperatorPatch) {
  const name = patch.name === undefined || patch.name === null ? undefined : normalizeName(patch.name, 'input.name');
  const email = patch.email === undefined ? undefined : normalizeEmail(patch.email, 'input.email');
  const externalId = patch.externalId === undefined ? undefined : normalizeExternalId(patch.externalId);
  return prisma.$transaction(async (tx) => {
    const operator = await findActiveOperator(tx, organizationId, operatorId, 'input.id');
    if (patch.roleId && patch.roleId !== operator.roleId) {
      const role = await findRole(tx, organizationId, patch.roleId, 'input.roleId');
      if (operator.role.isAdmin && !role.isAdmin && (await countOtherAdmins(tx, organizationId, operatorId)) === 0)
        throw new AppError('CONFLICT', 'This is the last admin of the organization: make another operator admin first', 'input.roleId');
    }
    return uniqueExternalId(() =>
      tx.operator.update({ where: { id: operatorId }, data: { name, email, externalId, roleId: patch.roleId ?? undefined } }),
    );
  });
}

/** Deactivates an operator and removes their group memberships; rows and decisions stay. */
export async function deleteOperator(prisma: Db, organizationId: string, actorId: string, operatorId: string) {
  if (operatorId === actorId) throw new AppError('CONFLICT', 'You cannot delete yourself', 'id');
  return prisma.$transaction(async (tx) => {
    const operator = await findActiveOperator(tx, organizationId, operatorId, 'id');
    if (operator.role.isAdmin && (await countOtherAdmins(tx, organizationId, operatorId)) === 0)
      throw new AppError('CONFLICT', 'This is the last admin of the organization', 'id');
    await tx.groupMembership.deleteMany({ where: { operatorId } });
    return tx.operator.update({ where: { id: operatorId }, data: { deletedAt: new Date() } });
  });
}

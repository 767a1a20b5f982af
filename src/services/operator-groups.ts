/**
 * Operator groups and their membership. Membership changes are idempotent. Deleting a group takes
 * its memberships with it and leaves its widgets without a group, which is a change of those
 * widgets' configuration: WIDGET_CHANGED is raised for each, in the same transaction.
 */
import type { Db } from '../db/database.js';
import { notFound } from '../errors.js';
import { runAfterCommit } from './decision-sinks.js';
import { normalizeName } from './operators.js';
import { mapPrismaErrors } from './prisma-errors.js';
import type { Services } from './services.js';
import { raiseWidgetChanged } from './widgets.js';

export async function createOperatorGroup(prisma: Db, organizationId: string, input: { name: string; memberIds: readonly string[] }) {
  const name = normalizeName(input.name, 'input.name');
  const memberIds = [...new Set(input.memberIds)];
  return mapPrismaErrors('Operator group', () =>
    prisma.$transaction(async (tx) => {
      const members = await tx.operator.findMany({
        where: { id: { in: memberIds }, organizationId, deletedAt: null },
        select: { id: true },
      });
      const known = new Set(members.map((m) => m.id));
      const missing = memberIds.findIndex((id) => !known.has(id));
      if (missing >= 0) throw notFound('Operator', `input.memberIds.${missing}`);
      const group = await tx.operatorGroup.create({ data: { organizationId, name } });
      if (memberIds.length > 0)
        await tx.groupMembership.createMany({ data: memberIds.map((operatorId) => ({ operatorId, groupId: group.id })) });
      return group;
    }),
  );
}

async function assertMembershipParties(prisma: Db, organizationId: string, groupId: string, operatorId: string) {
  const [group, operator] = await Promise.all([
    prisma.operatorGroup.findFirst({ where: { id: groupId, organizationId }, select: { id: true } }),
    prisma.operator.findFirst({ where: { id: operatorId, organizationId }, select: { id: true, deletedAt: true } }),
  ]);
  if (!group) throw notFound('Operator group', 'input.groupId');
  if (!operator) throw notFound('Operator', 'input.operatorId');
  return operator;
}

export async function addGroupMember(prisma: Db, organizationId: string, groupId: string, operatorId: string): Promise<void> {
  const operator = await assertMembershipParties(prisma, organizationId, groupId, operatorId);
  if (operator.deletedAt) throw notFound('Active operator', 'input.operatorId');
  await prisma.groupMembership.createMany({ data: [{ groupId, operatorId }], skipDuplicates: true });
}

export async function removeGroupMember(prisma: Db, organizationId: string, groupId: string, operatorId: string): Promise<void> {
  await assertMembershipParties(prisma, organizationId, groupId, operatorId);
  await prisma.groupMembership.deleteMany({ where: { groupId, operatorId } });
}

export async function deleteOperatorGroup(services: Services, organizationId: string, actorId: string, groupId: string) {
  const { group, events } = await services.prisma.$transaction(async (tx) => {
    const found = await tx.operatorGroup.findFirst({ where: { id: groupId, organizationId } });
    if (!found) throw notFound('Operator group', 'id');
    const widgets = await tx.widget.findMany({ where: { groupId, organizationId, deletedAt: null }, select: { id: true } });
    await tx.operatorGroup.delete({ where: { id: groupId } });
    const changes = [{ field: 'groupId', from: groupId, to: null }];
    const inputs = widgets.map((w) => ({ kind: 'WIDGET_CHANGED' as const, widgetId: w.id, changes }));
    return { group: found, events: inputs.length > 0 ? await raiseWidgetChanged(services, tx, organizationId, actorId, inputs) : [] };
  });
  runAfterCommit(services.sinks, events);
  return group;
}

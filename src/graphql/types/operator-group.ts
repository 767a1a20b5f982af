import { prismaConnectionHelpers } from '@pothos/plugin-prisma';
import { organizationOf } from '../../context.js';
import { notFound } from '../../errors.js';
import { addGroupMember, createOperatorGroup, deleteOperatorGroup, removeGroupMember } from '../../services/operator-groups.js';
import { normalizeName } from '../../services/operators.js';
import { mapPrismaErrors } from '../../services/prisma-errors.js';
import { builder } from '../builder.js';
import { selection } from '../selection.js';
import { sameOrganization } from '../tenancy.js';
import { OperatorNode } from './operator.js';

const membersHelpers = prismaConnectionHelpers(builder, 'GroupMembership', {
  cursor: 'operatorId_groupId',
  query: { orderBy: { createdAt: 'asc' } },
  select: (nodeSelection) => ({ operator: nodeSelection() }),
  resolveNode: (membership) => membership.operator,
});

export const OperatorGroupNode = builder.prismaNode('OperatorGroup', {
  id: { field: 'id' },
  description: 'A group of operators. A widget can belong to a group and restrict some emails to its members.',
  authScopes: sameOrganization,
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Display name, unique in the organization.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the group was created.' }),
    members: t.connection({
      type: OperatorNode,
      description: 'The operators of the group (deactivated operators leave their groups).',
      select: (args, ctx, nestedSelection) => ({ memberships: membersHelpers.getQuery(args, ctx, nestedSelection) }),
      resolve: (group, args, ctx) => membersHelpers.resolve(group.memberships, args, ctx),
    }),
    widgets: t.relation('widgets', {
      description: 'The (not deleted) chat widgets of this group.',
      query: { where: { deletedAt: null }, orderBy: { createdAt: 'asc' } },
    }),
  }),
});

builder.prismaObjectField(OperatorNode, 'groups', (t) =>
  t.field({
    type: [OperatorGroupNode],
    description: 'The operator groups the operator belongs to.',
    select: (_args, _ctx, nestedSelection) => ({
      memberships: { orderBy: { createdAt: 'asc' }, select: { group: nestedSelection(true) } },
    }),
    resolve: (operator) => operator.memberships.map((membership) => membership.group),
  }),
);

builder.queryField('operatorGroups', (t) =>
  t.prismaConnection({
    type: 'OperatorGroup',
    cursor: 'id',
    description: "The organization's operator groups.",
    authScopes: { operator: true },
    resolve: (query, _root, _args, ctx) =>
      ctx.prisma.operatorGroup.findMany({
        ...selection(query),
        where: { organizationId: organizationOf(ctx.viewer) },
        orderBy: { createdAt: 'asc' },
      }),
  }),
);

const CreateOperatorGroupInput = builder.inputType('CreateOperatorGroupInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: 'Display name, unique in the organization.' }),
    memberIds: t.globalIDList({ for: OperatorNode, description: 'Operators to put in the group at once.' }),
  }),
});

const UpdateOperatorGroupInput = builder.inputType('UpdateOperatorGroupInput', {
  fields: (t) => ({
    id: t.globalID({ required: true, for: OperatorGroupNode, description: 'The group to change.' }),
    name: t.string({ required: true, description: 'New name.' }),
  }),
});

export const GroupMemberInput = builder.inputType('GroupMemberInput', {
  fields: (t) => ({
    groupId: t.globalID({ required: true, for: OperatorGroupNode, description: 'The group.' }),
    operatorId: t.globalID({ required: true, for: OperatorNode, description: 'The operator.' }),
  }),
});

builder.mutationField('createOperatorGroup', (t) =>
  t.prismaField({
    type: 'OperatorGroup',
    description: 'Creates an operator group (admins only).',
    authScopes: { admin: true },
    errors: {},
    args: { input: t.arg({ type: CreateOperatorGroupInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const group = await createOperatorGroup(ctx.prisma, organizationOf(ctx.viewer), {
        name: input.name,
        memberIds: (input.memberIds ?? []).map((id) => id.id),
      });
      return ctx.prisma.operatorGroup.findUniqueOrThrow({ ...selection(query), where: { id: group.id } });
    },
  }),
);

builder.mutationField('updateOperatorGroup', (t) =>
  t.prismaField({
    type: 'OperatorGroup',
    description: 'Renames an operator group (admins only).',
    authScopes: { admin: true },
    errors: {},
    args: { input: t.arg({ type: UpdateOperatorGroupInput, required: true }) },
    resolve: (query, _root, { input }, ctx) =>
      mapPrismaErrors(
        'Operator group',
        () =>
          ctx.prisma.operatorGroup.update({
            ...selection(query),
            where: { id: input.id.id, organizationId: organizationOf(ctx.viewer) },
            data: { name: normalizeName(input.name, 'input.name') },
          }),
        'input.id',
      ),
  }),
);

builder.mutationField('deleteOperatorGroup', (t) =>
  t.prismaField({
    type: 'OperatorGroup',
    description:
      'Deletes an operator group (admins only): its memberships go with it and its widgets lose their group (raising WIDGET_CHANGED).',
    authScopes: { admin: true },
    errors: {},
    args: { id: t.arg.globalID({ required: true, for: OperatorGroupNode, description: 'The group to delete.' }) },
    resolve: async (_query, _root, { id }, ctx) => {
      const viewer = ctx.viewer;
      if (viewer.kind !== 'operator') throw new Error('unreachable: scope guarantees an operator');
      return deleteOperatorGroup(ctx.services, viewer.organizationId, viewer.operatorId, id.id);
    },
  }),
);

builder.mutationField('addGroupMember', (t) =>
  t.prismaField({
    type: 'OperatorGroup',
    description: 'Puts an active operator in a group (admins only). Adding a member twice is not an error.',
    authScopes: { admin: true },
    errors: {},
    args: { input: t.arg({ type: GroupMemberInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const organizationId = organizationOf(ctx.viewer);
      await addGroupMember(ctx.prisma, organizationId, input.groupId.id, input.operatorId.id);
      return ctx.prisma.operatorGroup.findUniqueOrThrow({ ...selection(query), where: { id: input.groupId.id } });
    },
  }),
);

builder.mutationField('removeGroupMember', (t) =>
  t.prismaField({
    type: 'OperatorGroup',
    description: 'Takes an operator out of a group (admins only). Removing a non-member is not an error.',
    authScopes: { admin: true },
    errors: {},
    args: { input: t.arg({ type: GroupMemberInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const organizationId = organizationOf(ctx.viewer);
      await removeGroupMember(ctx.prisma, organizationId, input.groupId.id, input.operatorId.id);
      const group = await ctx.prisma.operatorGroup.findFirst({ ...selection(query), where: { id: input.groupId.id, organizationId } });
      if (!group) throw notFound('Operator group', 'input.groupId');
      return group;
    },
  }),
);

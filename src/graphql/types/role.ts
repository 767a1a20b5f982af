import { organizationOf } from '../../context.js';
import { AppError } from '../../errors.js';
import { invalidateCredentials } from '../../services/invalidate-credentials.js';
import { mapPrismaErrors } from '../../services/prisma-errors.js';
import { builder } from '../builder.js';
import { selection } from '../selection.js';
import { sameOrganization } from '../tenancy.js';

export const RoleNode = builder.prismaNode('Role', {
  id: { field: 'id' },
  description: 'A role of operators. Its switch silences every operator notification of its operators.',
  authScopes: sameOrganization,
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Display name, unique in the organization.' }),
    notificationsEnabled: t.exposeBoolean('notificationsEnabled', {
      description: 'Off: no operator of this role receives any operator notification, on any channel, at once.',
    }),
    isAdmin: t.exposeBoolean('isAdmin', { description: 'Operators of this role manage the whole organization.' }),
    operators: t.relatedConnection('operators', {
      cursor: 'id',
      query: { where: { deletedAt: null }, orderBy: { createdAt: 'asc' } },
      description: 'The active operators with this role.',
    }),
  }),
});

builder.queryField('roles', (t) =>
  t.prismaConnection({
    type: 'Role',
    cursor: 'id',
    description: "The organization's roles.",
    authScopes: { operator: true },
    resolve: (query, _root, _args, ctx) =>
      ctx.prisma.role.findMany({
        ...selection(query),
        where: { organizationId: organizationOf(ctx.viewer) },
        orderBy: { createdAt: 'asc' },
      }),
  }),
);

const CreateRoleInput = builder.inputType('CreateRoleInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: 'Display name, unique in the organization.' }),
    notificationsEnabled: t.boolean({ defaultValue: true, description: 'Whether its operators receive notifications (default on).' }),
    isAdmin: t.boolean({ defaultValue: false, description: 'Whether its operators are admins (default off).' }),
  }),
});

export const UpdateRoleInput = builder.inputType('UpdateRoleInput', {
  fields: (t) => ({
    id: t.globalID({ required: true, for: RoleNode, description: 'The role to change.' }),
    name: t.string({ description: 'New name.' }),
    notificationsEnabled: t.boolean({ description: 'Switch notifications for every operator of the role, at once.' }),
    isAdmin: t.boolean({ description: 'Grant or withdraw the admin permission.' }),
  }),
});

const requireName = (name: string | null | undefined) => {
  if (name !== undefined && name !== null && name.trim() === '')
    throw new AppError('INVALID_INPUT', 'name must not be empty', 'input.name');
  return name?.trim() ?? undefined;
};

builder.mutationField('createRole', (t) =>
  t.prismaField({
    type: 'Role',
    description: 'Creates a role (admins only).',
    authScopes: { admin: true },
    errors: {},
    args: { input: t.arg({ type: CreateRoleInput, required: true }) },
    resolve: (query, _root, { input }, ctx) =>
      mapPrismaErrors('Role', () =>
        ctx.prisma.role.create({
          ...selection(query),
          data: {
            organizationId: organizationOf(ctx.viewer),
            name: requireName(input.name) ?? '',
            notificationsEnabled: input.notificationsEnabled ?? true,
            isAdmin: input.isAdmin ?? false,
          },
        }),
      ),
  }),
);

builder.mutationField('updateRole', (t) =>
  t.prismaField({
    type: 'Role',
    description: 'Changes a role (admins only). The notifications switch takes effect at once.',
    authScopes: { admin: true },
    errors: {},
    args: { input: t.arg({ type: UpdateRoleInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const role = await mapPrismaErrors(
        'Role',
        () =>
          ctx.prisma.role.update({
            ...selection(query),
            where: { id: input.id.id, organizationId: organizationOf(ctx.viewer) },
            data: {
              name: requireName(input.name),
              notificationsEnabled: input.notificationsEnabled ?? undefined,
              isAdmin: input.isAdmin ?? undefined,
            },
          }),
        'input.id',
      );
      // The admin right of every operator of the role is in their cached credentials.
      if (input.isAdmin !== undefined && input.isAdmin !== null)
        await invalidateCredentials(ctx.services, { kind: 'organization', id: organizationOf(ctx.viewer) });
      return role;
    },
  }),
);

builder.mutationField('deleteRole', (t) =>
  t.prismaField({
    type: 'Role',
    description: 'Deletes a role that no operator has (admins only).',
    authScopes: { admin: true },
    errors: {},
    args: { id: t.arg.globalID({ required: true, for: RoleNode, description: 'The role to delete.' }) },
    resolve: async (query, _root, { id }, ctx) => {
      const organizationId = organizationOf(ctx.viewer);
      const inUse = await ctx.prisma.operator.count({ where: { roleId: id.id, organizationId } });
      if (inUse > 0) throw new AppError('CONFLICT', `The role still has ${inUse} operator(s); move them first`, 'id');
      return mapPrismaErrors('Role', () => ctx.prisma.role.delete({ ...selection(query), where: { id: id.id, organizationId } }), 'id');
    },
  }),
);

import { organizationOf } from '../../context.js';
import { AppError } from '../../errors.js';
import { invalidateCredentials } from '../../services/invalidate-credentials.js';
import { createOperator, deleteOperator, updateOperator } from '../../services/operators.js';
import { announceRevocation, revokeOperatorTokens } from '../../services/revoke-operator-tokens.js';
import { builder } from '../builder.js';
import { selection } from '../selection.js';
import { sameOrganization } from '../tenancy.js';
import { PresenceEnum } from './enums.js';
import { RoleNode } from './role.js';

export const OperatorNode = builder.prismaNode('Operator', {
  id: { field: 'id' },
  description: 'A support agent of the organization.',
  authScopes: sameOrganization,
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Display name.' }),
    // An API key sees operators only in its report results: their names, not their contacts or roles.
    email: t.exposeString('email', {
      nullable: true,
      authScopes: { operator: true },
      description: 'Where email notifications go; none means no email (operators only).',
    }),
    externalId: t.exposeString('externalId', {
      nullable: true,
      authScopes: { operator: true },
      description: "The host application's own id of this person: host-app sign-in maps a JWT claim to it (operators only).",
    }),
    presence: t.expose('presence', { type: PresenceEnum, description: 'ONLINE, AWAY or OFFLINE.' }),
    role: t.relation('role', { authScopes: { operator: true }, description: "The operator's role (operators only)." }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the operator was created.' }),
    deactivatedAt: t.expose('deletedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the operator was deleted; deleted operators are kept for history.',
    }),
  }),
});

builder.queryField('me', (t) =>
  t.prismaField({
    type: 'Operator',
    description: 'The calling operator.',
    authScopes: { operator: true },
    resolve: (query, _root, _args, ctx) => {
      const viewer = ctx.viewer;
      if (viewer.kind !== 'operator') throw new Error('unreachable: scope guarantees an operator');
      return ctx.prisma.operator.findFirstOrThrow({
        ...selection(query),
        where: { id: viewer.operatorId, organizationId: organizationOf(viewer) },
      });
    },
  }),
);

builder.queryField('operators', (t) =>
  t.prismaConnection({
    type: 'Operator',
    cursor: 'id',
    description: "The organization's operators, oldest first.",
    authScopes: { operator: true },
    args: {
      includeDeactivated: t.arg.boolean({ defaultValue: false, description: 'Also list deleted (deactivated) operators.' }),
    },
    resolve: (query, _root, { includeDeactivated }, ctx) =>
      ctx.prisma.operator.findMany({
        ...selection(query),
        where: { organizationId: organizationOf(ctx.viewer), ...(includeDeactivated ? {} : { deletedAt: null }) },
        orderBy: { createdAt: 'asc' },
      }),
  }),
);

const CreateOperatorInput = builder.inputType('CreateOperatorInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: 'Display name.' }),
    email: t.string({ description: 'Where email notifications go; none means no email.' }),
    roleId: t.globalID({ required: true, for: RoleNode, description: "The operator's role." }),
    externalId: t.string({ description: "The host application's own id of this person (host-app sign-in maps a JWT claim to it)." }),
    groupIds: t.globalIDList({ description: 'Operator groups to put the operator in.' }),
  }),
});

export const UpdateOperatorInput = builder.inputType('UpdateOperatorInput', {
  fields: (t) => ({
    id: t.globalID({ required: true, for: OperatorNode, description: 'The operator to change.' }),
    name: t.string({ description: 'New display name.' }),
    email: t.string({ description: 'New email address; null or empty removes it.' }),
    roleId: t.globalID({ for: RoleNode, description: 'New role; the organization must keep an active admin.' }),
    externalId: t.string({ description: 'New external id (host-app sign-in); null or empty removes it.' }),
  }),
});

builder.mutationField('createOperator', (t) =>
  t.prismaField({
    type: 'Operator',
    description: "Creates an operator (admins only), starting from the organization's default preferences.",
    authScopes: { admin: true },
    errors: {},
    args: { input: t.arg({ type: CreateOperatorInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const operator = await createOperator(ctx.prisma, organizationOf(ctx.viewer), {
        name: input.name,
        email: input.email,
        roleId: input.roleId.id,
        groupIds: input.groupIds?.map((id) => id.id),
        externalId: input.externalId,
      });
      return ctx.prisma.operator.findUniqueOrThrow({ ...selection(query), where: { id: operator.id } });
    },
  }),
);

builder.mutationField('updateOperator', (t) =>
  t.prismaField({
    type: 'Operator',
    description: "Changes an operator's name, email or role (admins only).",
    authScopes: { admin: true },
    errors: {},
    args: { input: t.arg({ type: UpdateOperatorInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const operator = await updateOperator(ctx.prisma, organizationOf(ctx.viewer), input.id.id, {
        name: input.name,
        email: input.email,
        roleId: input.roleId?.id,
        externalId: input.externalId,
      });
      // Role (admin right), email and externalId decide what their credentials resolve to.
      await invalidateCredentials(ctx.services, { kind: 'operator', id: operator.id });
      return ctx.prisma.operator.findUniqueOrThrow({ ...selection(query), where: { id: operator.id } });
    },
  }),
);

builder.mutationField('deleteOperator', (t) =>
  t.prismaField({
    type: 'Operator',
    description:
      'Deactivates an operator (admins only): their tokens stop working and they leave their groups, but they are kept so past decisions stay explainable. You cannot delete yourself or the last admin.',
    authScopes: { admin: true },
    errors: {},
    args: { id: t.arg.globalID({ required: true, for: OperatorNode, description: 'The operator to delete.' }) },
    resolve: async (query, _root, { id }, ctx) => {
      const viewer = ctx.viewer;
      if (viewer.kind !== 'operator') throw new Error('unreachable: scope guarantees an operator');
      await deleteOperator(ctx.prisma, viewer.organizationId, viewer.operatorId, id.id);
      // Their tokens stop working at once (resolveViewer skips deleted operators); so do their open streams.
      await announceRevocation(ctx.services, id.id);
      return ctx.prisma.operator.findUniqueOrThrow({ ...selection(query), where: { id: id.id } });
    },
  }),
);

builder.mutationField('revokeOperatorTokens', (t) =>
  t.prismaField({
    type: 'Operator',
    description:
      "Revokes every token issued so far for an operator (admins, or an operator for themselves): they are refused from now on and the operator's open streams close with 4403. Tokens issued afterwards work.",
    authScopes: { operator: true },
    errors: {},
    args: { operatorId: t.arg.globalID({ required: true, for: OperatorNode, description: 'The operator whose tokens to revoke.' }) },
    resolve: async (query, _root, { operatorId }, ctx) => {
      const viewer = ctx.viewer;
      if (viewer.kind !== 'operator') throw new Error('unreachable: scope guarantees an operator');
      if (!viewer.isAdmin && viewer.operatorId !== operatorId.id) {
        throw new AppError('FORBIDDEN', "Only admins may revoke another operator's tokens", 'operatorId');
      }
      await revokeOperatorTokens(ctx.services, viewer.organizationId, operatorId.id);
      return ctx.prisma.operator.findUniqueOrThrow({ ...selection(query), where: { id: operatorId.id } });
    },
  }),
);

import { organizationOf } from '../../context.js';
import { builder } from '../builder.js';
import { sameOrganization } from '../tenancy.js';
import { PresenceEnum } from './enums.js';

export const OperatorNode = builder.prismaNode('Operator', {
  id: { field: 'id' },
  description: 'A support agent of the organization.',
  authScopes: sameOrganization,
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Display name.' }),
    email: t.exposeString('email', { nullable: true, description: 'Where email notifications go; none means no email.' }),
    presence: t.expose('presence', { type: PresenceEnum, description: 'ONLINE, AWAY or OFFLINE.' }),
    role: t.relation('role', { description: "The operator's role." }),
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
      return ctx.prisma.operator.findFirstOrThrow({ ...query, where: { id: viewer.operatorId, organizationId: organizationOf(viewer) } });
    },
  }),
);

/**
 * Admin locks (extensions.md E1): `adminLocks` lists them, `setAdminLock` sets or removes one.
 * Locks apply at once to every decision taken from then on, on every instance.
 */
import { encodeGlobalID } from '@pothos/plugin-relay';
import { organizationOf } from '../../context.js';
import { listAdminLocks, type StoredAdminLock, setAdminLock } from '../../services/admin-locks.js';
import { builder } from '../builder.js';
import { LockScopeEnum, LockValueEnum, NotificationEventKindEnum, OperatorChannelEnum } from './enums.js';
import { RoleNode } from './role.js';

const AdminLockObject = builder.objectRef<StoredAdminLock>('AdminLock').implement({
  description: 'An operator channel of an event locked by an admin, for one role or for the whole organization.',
  fields: (t) => ({
    scope: t.field({
      type: LockScopeEnum,
      description: 'ROLE or ORGANIZATION.',
      resolve: (l) => (l.roleId === null ? 'ORGANIZATION' : 'ROLE'),
    }),
    roleId: t.id({
      nullable: true,
      description: 'The role it applies to; null for the organization.',
      resolve: (l) => (l.roleId === null ? null : encodeGlobalID('Role', l.roleId)),
    }),
    event: t.expose('event', { type: NotificationEventKindEnum, description: 'The notification event.' }),
    channel: t.expose('channel', { type: OperatorChannelEnum, description: 'The operator channel (locks never touch addons).' }),
    value: t.expose('value', { type: LockValueEnum, description: 'REQUIRED or FORBIDDEN.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'When it was last set.' }),
  }),
});

builder.queryField('adminLocks', (t) =>
  t.field({
    type: [AdminLockObject],
    description: "The organization's admin locks (role locks win over organization locks). Readable by every operator.",
    authScopes: { operator: true },
    resolve: (_root, _args, ctx) => listAdminLocks(ctx.prisma, organizationOf(ctx.viewer)),
  }),
);

export const SetAdminLockInput = builder.inputType('SetAdminLockInput', {
  description: 'One lock to set or remove. The channel must be offered for the event, else CHANNEL_NOT_AVAILABLE.',
  fields: (t) => ({
    roleId: t.globalID({ for: RoleNode, description: 'Lock for this role; omit for the whole organization.' }),
    event: t.field({ type: NotificationEventKindEnum, required: true, description: 'The notification event.' }),
    channel: t.field({ type: OperatorChannelEnum, required: true, description: 'The operator channel.' }),
    value: t.field({ type: LockValueEnum, description: 'REQUIRED or FORBIDDEN; omit (null) to remove the lock.' }),
  }),
});

builder.mutationField('setAdminLock', (t) =>
  t.field({
    type: [AdminLockObject],
    description:
      'Locks (or with no value unlocks) an operator channel of an event, for a role or the organization (admins only). Takes effect at once for every event decided from then on; preview it first with `previewSettingsChange`. Returns every lock.',
    authScopes: { admin: true },
    errors: {},
    args: { input: t.arg({ type: SetAdminLockInput, required: true }) },
    resolve: (_root, { input }, ctx) => {
      const viewer = ctx.viewer;
      if (viewer.kind !== 'operator') throw new Error('unreachable: scope guarantees an operator');
      return setAdminLock(ctx.prisma, {
        organizationId: viewer.organizationId,
        actorId: viewer.operatorId,
        roleId: input.roleId?.id ?? null,
        event: input.event,
        channel: input.channel,
        value: input.value ?? null,
      });
    },
  }),
);

import { type Context, organizationOf, type Viewer } from '../../context.js';
import { type AdminLock, effectivePreference, locksForRole } from '../../domain/admin-locks.js';
import { defaultSoundOf } from '../../domain/render-notification.js';
import { AppError } from '../../errors.js';
import { listAdminLocks } from '../../services/admin-locks.js';
import {
  type DefaultPreferenceCell,
  fillPreferenceGrid,
  loadOrganizationDefaultGrid,
  type PreferenceCell,
  updateOrganizationDefaultPreferences,
  updatePreferences,
  withLocks,
} from '../../services/preferences.js';
import { builder } from '../builder.js';
import { AppliedLockObject, NotificationEventKindEnum, NotificationSoundEnum, OperatorChannelEnum, PreferenceSourceEnum } from './enums.js';
import { OperatorNode } from './operator.js';

const OperatorPreference = builder.objectRef<PreferenceCell>('OperatorPreference').implement({
  description: "One cell of an operator's preference grid: whether they want event E on channel C.",
  fields: (t) => ({
    event: t.expose('event', { type: NotificationEventKindEnum, description: 'The notification event.' }),
    channel: t.expose('channel', { type: OperatorChannelEnum, description: 'The channel.' }),
    enabled: t.exposeBoolean('enabled', {
      description: 'The stored preference: whether the operator wants this event on this channel (a lock may override it).',
    }),
    lock: t.field({
      type: AppliedLockObject,
      nullable: true,
      description: 'The admin lock that overrides the stored preference (role lock, else organization lock), if any.',
      resolve: (cell) => cell.lock ?? null,
    }),
    effective: t.boolean({
      description: 'The value in effect: the lock when there is one (REQUIRED on, FORBIDDEN off), else the stored preference.',
      resolve: (cell) => effectivePreference(cell.enabled, cell.lock),
    }),
    changedVia: t.expose('changedVia', {
      type: PreferenceSourceEnum,
      description: 'Where it was last changed: the Dashboard and the Chat Panel take effect differently.',
    }),
    changedAt: t.expose('changedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When it was last stored; null for a pair never stored (the organization default applies).',
    }),
    sound: t.field({
      type: NotificationSoundEnum,
      nullable: true,
      description:
        'AUDIO cells: the sound played for the event (the one chosen in the "Audio" tab, else the event\'s own); null on other channels.',
      resolve: (cell) => (cell.channel === 'AUDIO' ? ((cell.sound ?? defaultSoundOf(cell.event)) as never) : null),
    }),
    changedBy: t.loadable({
      type: OperatorNode,
      nullable: true,
      description: 'Who last changed it (the operator or an admin); null for a default.',
      load: (ids: string[], ctx) =>
        ctx.prisma.operator.findMany({ where: { id: { in: ids }, organizationId: organizationOf(ctx.viewer) } }),
      sort: (operator) => operator.id,
      resolve: (cell) => cell.changedById,
    }),
  }),
});

/** The organization's locks, read once per request however many grids it shows (no N+1). */
const requestLocks = new WeakMap<object, Promise<AdminLock[]>>();
function locksOfRequest(ctx: Context): Promise<AdminLock[]> {
  let locks = requestLocks.get(ctx);
  if (locks === undefined) {
    locks = listAdminLocks(ctx.prisma, organizationOf(ctx.viewer));
    requestLocks.set(ctx, locks);
  }
  return locks;
}

const isSelfOrAdmin = (operatorId: string, ctx: { viewer: Viewer }) =>
  ctx.viewer.kind === 'operator' && (ctx.viewer.isAdmin || ctx.viewer.operatorId === operatorId);

builder.prismaObjectField(OperatorNode, 'preferences', (t) =>
  t.field({
    type: [OperatorPreference],
    description: "The operator's full preference grid: every available (event, channel) pair. Readable by the operator and admins.",
    authScopes: (operator, _args, ctx) => isSelfOrAdmin(operator.id, ctx),
    select: { id: true, organizationId: true, roleId: true, preferences: true },
    resolve: async (operator, _args, ctx) => {
      const [grid, locks] = await Promise.all([fillPreferenceGrid(ctx.prisma, operator, operator.preferences), locksOfRequest(ctx)]);
      return withLocks(grid, locksForRole(locks, operator.roleId));
    },
  }),
);

const PreferenceChangeInput = builder.inputType('PreferenceChangeInput', {
  description: 'One preference to set. The channel must be offered for the event, else CHANNEL_NOT_AVAILABLE.',
  fields: (t) => ({
    event: t.field({ type: NotificationEventKindEnum, required: true, description: 'The notification event.' }),
    channel: t.field({ type: OperatorChannelEnum, required: true, description: 'The channel.' }),
    enabled: t.boolean({ required: true, description: 'On or off.' }),
    sound: t.field({
      type: NotificationSoundEnum,
      required: false,
      description:
        'AUDIO only: the sound to play for the event (the "Audio" tab); null goes back to the event\'s own, omitted keeps the current one.',
    }),
  }),
});

export const UpdateDashboardPreferencesInput = builder.inputType('UpdateDashboardPreferencesInput', {
  fields: (t) => ({
    operatorId: t.globalID({
      required: true,
      for: OperatorNode,
      description: 'Whose preferences: yourself, or anyone if you are an admin.',
    }),
    changes: t.field({ type: [PreferenceChangeInput], required: true, description: 'The preferences to set, all or nothing.' }),
  }),
});

const UpdateChatPanelPreferencesInput = builder.inputType('UpdateChatPanelPreferencesInput', {
  fields: (t) => ({
    changes: t.field({ type: [PreferenceChangeInput], required: true, description: 'The preferences to set, all or nothing.' }),
  }),
});

builder.mutationField('updateDashboardPreferences', (t) =>
  t.field({
    type: [OperatorPreference],
    description:
      "Changes preferences from the Dashboard (the operator themself or an admin). Stored at once; the operator's live streams pick them up when they next connect. A cell an admin locked is refused with PREFERENCE_LOCKED and nothing is stored. Returns the whole grid.",
    authScopes: { operator: true },
    errors: {},
    args: { input: t.arg({ type: UpdateDashboardPreferencesInput, required: true }) },
    resolve: (_root, { input }, ctx) => {
      const viewer = ctx.viewer;
      if (viewer.kind !== 'operator') throw new Error('unreachable: scope guarantees an operator');
      if (!isSelfOrAdmin(input.operatorId.id, ctx))
        throw new AppError('FORBIDDEN', "Only admins can change other operators' preferences", 'input.operatorId');
      return updatePreferences(ctx.prisma, {
        organizationId: viewer.organizationId,
        operatorId: input.operatorId.id,
        actorId: viewer.operatorId,
        source: 'DASHBOARD',
        changes: input.changes,
      });
    },
  }),
);

builder.mutationField('updateChatPanelPreferences', (t) =>
  t.field({
    type: [OperatorPreference],
    description:
      "Changes the calling operator's own preferences from the Chat Panel: stored and applied at once to their open live streams. A cell an admin locked is refused with PREFERENCE_LOCKED and nothing is stored. Returns the whole grid.",
    authScopes: { operator: true },
    errors: {},
    args: { input: t.arg({ type: UpdateChatPanelPreferencesInput, required: true }) },
    resolve: (_root, { input }, ctx) => {
      const viewer = ctx.viewer;
      if (viewer.kind !== 'operator') throw new Error('unreachable: scope guarantees an operator');
      return updatePreferences(ctx.prisma, {
        organizationId: viewer.organizationId,
        operatorId: viewer.operatorId,
        actorId: viewer.operatorId,
        source: 'CHAT_PANEL',
        changes: input.changes,
      });
    },
  }),
);

const OrganizationDefaultPreference = builder.objectRef<DefaultPreferenceCell>('OrganizationDefaultPreference').implement({
  description: 'One cell of the grid new operators start from.',
  fields: (t) => ({
    event: t.expose('event', { type: NotificationEventKindEnum, description: 'The notification event.' }),
    channel: t.expose('channel', { type: OperatorChannelEnum, description: 'The channel.' }),
    enabled: t.exposeBoolean('enabled', { description: 'What operators created from now on start with.' }),
    productDefault: t.exposeBoolean('productDefault', { description: 'The value shipped with the product.' }),
    isProductDefault: t.exposeBoolean('isProductDefault', {
      description: 'Whether the organization keeps the shipped value (no override of its own).',
    }),
  }),
});

builder.queryField('organizationDefaultPreferences', (t) =>
  t.field({
    type: [OrganizationDefaultPreference],
    description: 'The preference grid new operators of the organization start from, with every available pair.',
    authScopes: { operator: true },
    resolve: (_root, _args, ctx) => loadOrganizationDefaultGrid(ctx.prisma, organizationOf(ctx.viewer)),
  }),
);

builder.mutationField('updateOrganizationDefaultPreferences', (t) =>
  t.field({
    type: [OrganizationDefaultPreference],
    description:
      'Changes the defaults operators created from now on start from (admins only). Existing operators keep their preferences. Returns the whole grid.',
    authScopes: { admin: true },
    errors: {},
    args: { changes: t.arg({ type: [PreferenceChangeInput], required: true, description: 'The defaults to set, all or nothing.' }) },
    resolve: (_root, { changes }, ctx) => updateOrganizationDefaultPreferences(ctx.prisma, organizationOf(ctx.viewer), changes),
  }),
);

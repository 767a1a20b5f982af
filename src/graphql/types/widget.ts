import { organizationOf, type Viewer } from '../../context.js';
import { EVENT_CATALOG, NOTIFICATION_EVENTS, type WidgetSwitch } from '../../domain/catalog.js';
import { normalizeName } from '../../services/operators.js';
import { assertGroupInOrganization, deleteWidget, updateWidget, type WidgetPatch } from '../../services/widgets.js';
import { builder } from '../builder.js';
import { selection } from '../selection.js';
import { sameOrganization } from '../tenancy.js';
import { OperatorGroupNode } from './operator-group.js';

/** "Switching X off mutes: …", listing exactly the events the spec table says the switch mutes. */
const mutes = (widgetSwitch: WidgetSwitch, channel: string) =>
  `Off: mutes ${channel} notifications of chats of this widget for ${NOTIFICATION_EVENTS.filter((kind) =>
    EVENT_CATALOG[kind].mutedBy.includes(widgetSwitch),
  ).join(', ')}; no other event. On: operators' own preferences decide (a widget mutes but never forces).`;

const SWITCH_DESCRIPTIONS = {
  email: mutes('email', 'email'),
  browser: mutes('browser', 'browser'),
  addons: mutes('addons', 'addon'),
  emailSameGroupOnly:
    "On: emails for ALL_FINISHED_CHAT_SESSIONS and ALL_OFFLINE_MESSAGES of this widget go only to operators of the widget's group.",
} as const;

export const WidgetNode = builder.prismaNode('Widget', {
  id: { field: 'id' },
  description: 'A chat widget: the entry point of chats. Its switches can mute some notifications of its chats.',
  authScopes: sameOrganization,
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Display name.' }),
    group: t.relation('group', {
      nullable: true,
      authScopes: { operator: true },
      description: 'The operator group the widget belongs to, if any (operators only: an API key reads no further than its reports).',
    }),
    email: t.exposeBoolean('emailEnabled', { description: SWITCH_DESCRIPTIONS.email }),
    browser: t.exposeBoolean('browserEnabled', { description: SWITCH_DESCRIPTIONS.browser }),
    addons: t.exposeBoolean('addonsEnabled', { description: SWITCH_DESCRIPTIONS.addons }),
    emailSameGroupOnly: t.exposeBoolean('emailSameGroupOnly', { description: SWITCH_DESCRIPTIONS.emailSameGroupOnly }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the widget was created.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'When the widget was last changed.' }),
    deletedAt: t.expose('deletedAt', { type: 'DateTime', nullable: true, description: 'When the widget was deleted; kept for history.' }),
  }),
});

builder.queryField('widgets', (t) =>
  t.prismaConnection({
    type: 'Widget',
    cursor: 'id',
    description: "The organization's chat widgets, oldest first.",
    authScopes: { operator: true },
    args: { includeDeleted: t.arg.boolean({ defaultValue: false, description: 'Also list deleted widgets.' }) },
    resolve: (query, _root, { includeDeleted }, ctx) =>
      ctx.prisma.widget.findMany({
        ...selection(query),
        where: { organizationId: organizationOf(ctx.viewer), ...(includeDeleted ? {} : { deletedAt: null }) },
        orderBy: { createdAt: 'asc' },
      }),
  }),
);

const CreateWidgetInput = builder.inputType('CreateWidgetInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: 'Display name.' }),
    groupId: t.globalID({ for: OperatorGroupNode, description: 'The operator group of the widget.' }),
    email: t.boolean({ defaultValue: true, description: SWITCH_DESCRIPTIONS.email }),
    browser: t.boolean({ defaultValue: true, description: SWITCH_DESCRIPTIONS.browser }),
    addons: t.boolean({ defaultValue: true, description: SWITCH_DESCRIPTIONS.addons }),
    emailSameGroupOnly: t.boolean({ defaultValue: false, description: SWITCH_DESCRIPTIONS.emailSameGroupOnly }),
  }),
});

export const UpdateWidgetInput = builder.inputType('UpdateWidgetInput', {
  fields: (t) => ({
    id: t.globalID({ required: true, for: WidgetNode, description: 'The widget to change.' }),
    name: t.string({ description: 'New name.' }),
    groupId: t.globalID({ for: OperatorGroupNode, description: 'New operator group; null removes the group, absent keeps it.' }),
    email: t.boolean({ description: SWITCH_DESCRIPTIONS.email }),
    browser: t.boolean({ description: SWITCH_DESCRIPTIONS.browser }),
    addons: t.boolean({ description: SWITCH_DESCRIPTIONS.addons }),
    emailSameGroupOnly: t.boolean({ description: SWITCH_DESCRIPTIONS.emailSameGroupOnly }),
  }),
});

const viewerOperator = (ctx: { viewer: Viewer }) => {
  if (ctx.viewer.kind !== 'operator') throw new Error('unreachable: scope guarantees an operator');
  return ctx.viewer;
};

builder.mutationField('createWidget', (t) =>
  t.prismaField({
    type: 'Widget',
    description: 'Creates a chat widget (admins only); every switch is on unless given.',
    authScopes: { admin: true },
    errors: {},
    args: { input: t.arg({ type: CreateWidgetInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const organizationId = organizationOf(ctx.viewer);
      await assertGroupInOrganization(ctx.prisma, organizationId, input.groupId?.id, 'input.groupId');
      return ctx.prisma.widget.create({
        ...selection(query),
        data: {
          organizationId,
          name: normalizeName(input.name, 'input.name'),
          groupId: input.groupId?.id ?? null,
          emailEnabled: input.email ?? true,
          browserEnabled: input.browser ?? true,
          addonsEnabled: input.addons ?? true,
          emailSameGroupOnly: input.emailSameGroupOnly ?? false,
        },
      });
    },
  }),
);

builder.mutationField('updateWidget', (t) =>
  t.prismaField({
    type: 'Widget',
    description: 'Changes a chat widget (admins only). Takes effect at once; raises WIDGET_CHANGED when something changed.',
    authScopes: { admin: true },
    errors: {},
    args: { input: t.arg({ type: UpdateWidgetInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const viewer = viewerOperator(ctx);
      const patch: WidgetPatch = {
        name: input.name === null || input.name === undefined ? undefined : normalizeName(input.name, 'input.name'),
        groupId: input.groupId === undefined ? undefined : (input.groupId?.id ?? null),
        emailEnabled: input.email ?? undefined,
        browserEnabled: input.browser ?? undefined,
        addonsEnabled: input.addons ?? undefined,
        emailSameGroupOnly: input.emailSameGroupOnly ?? undefined,
      };
      const widget = await updateWidget(ctx.services, viewer.organizationId, viewer.operatorId, input.id.id, patch);
      return ctx.prisma.widget.findUniqueOrThrow({ ...selection(query), where: { id: widget.id } });
    },
  }),
);

builder.mutationField('deleteWidget', (t) =>
  t.prismaField({
    type: 'Widget',
    description: 'Deletes a chat widget (admins only). It is kept, marked deleted, so past events stay explainable; raises WIDGET_CHANGED.',
    authScopes: { admin: true },
    errors: {},
    args: { id: t.arg.globalID({ required: true, for: WidgetNode, description: 'The widget to delete.' }) },
    resolve: async (query, _root, { id }, ctx) => {
      const viewer = viewerOperator(ctx);
      await deleteWidget(ctx.services, viewer.organizationId, viewer.operatorId, id.id);
      return ctx.prisma.widget.findUniqueOrThrow({ ...selection(query), where: { id: id.id } });
    },
  }),
);

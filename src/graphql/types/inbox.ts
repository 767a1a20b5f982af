import { encodeGlobalID } from '@pothos/plugin-relay';
import { cancelReadEscalations } from '../../services/attention/unread-escalations.js';
import { encodeCursor } from '../../services/live/live-item.js';
import { builder } from '../builder.js';
import { selection } from '../selection.js';
import { NotificationEventKindEnum } from './enums.js';
import { liveOf } from './notification-stream.js';

export const InboxItemNode = builder.prismaNode('InboxItem', {
  id: { field: 'id' },
  description: "A browser notification in the operator's inbox, kept whether or not a stream was open.",
  authScopes: (item, ctx) => ctx.viewer.kind === 'operator' && item.operatorId === ctx.viewer.operatorId,
  fields: (t) => ({
    event: t.expose('kind', { type: NotificationEventKindEnum, description: 'The notification event.' }),
    title: t.exposeString('title', { description: 'Human-readable title.' }),
    body: t.exposeString('body', { description: 'Human-readable text (may be empty).' }),
    chatId: t.exposeString('chatExternalId', { nullable: true, description: "The integrator's id of the chat it concerns, if any." }),
    widgetId: t.id({
      nullable: true,
      description: 'The chat widget it concerns, if any.',
      resolve: (item) => (item.widgetId ? encodeGlobalID('Widget', item.widgetId) : null),
    }),
    cursor: t.string({
      description: 'Subscribe with `notifications(after:)` this cursor to receive what came after it.',
      resolve: (i) => encodeCursor(Number(i.seq)),
    }),
    read: t.boolean({ description: 'Whether it was marked read.', resolve: (item) => item.readAt !== null }),
    readAt: t.expose('readAt', { type: 'DateTime', nullable: true, description: 'When it was marked read.' }),
    occurredAt: t.expose('createdAt', { type: 'DateTime', description: 'When the event happened.' }),
  }),
});

builder.queryField('inbox', (t) =>
  t.prismaConnection({
    type: 'InboxItem',
    cursor: 'id',
    description: "The calling operator's inbox, newest first.",
    authScopes: { operator: true },
    args: { unreadOnly: t.arg.boolean({ defaultValue: false, description: 'Only the items not marked read.' }) },
    resolve: (query, _root, { unreadOnly }, ctx) => {
      const { viewer } = liveOf(ctx);
      return ctx.prisma.inboxItem.findMany({
        ...selection(query),
        where: { operatorId: viewer.operatorId, ...(unreadOnly ? { readAt: null } : {}) },
        orderBy: { seq: 'desc' },
      });
    },
  }),
);

builder.queryField('inboxUnreadCount', (t) =>
  t.int({
    description: "How many items of the calling operator's inbox are not read.",
    authScopes: { operator: true },
    resolve: (_root, _args, ctx) => ctx.prisma.inboxItem.count({ where: { operatorId: liveOf(ctx).viewer.operatorId, readAt: null } }),
  }),
);

const MarkReadResult = builder.simpleObject('MarkNotificationsReadResult', {
  description: 'The outcome of marking inbox items read.',
  fields: (t) => ({
    updatedCount: t.int({ description: 'Items that were unread and are now read.' }),
    unreadCount: t.int({ description: 'Items still unread.' }),
  }),
});

async function markRead(ctx: Parameters<typeof liveOf>[0], ids: string[] | null) {
  const { operatorId } = liveOf(ctx).viewer;
  const { count } = await ctx.prisma.inboxItem.updateMany({
    where: { operatorId, readAt: null, ...(ids ? { id: { in: ids } } : {}) },
    data: { readAt: new Date() },
  });
  // Attention (E5): reading an item cancels its pending unread-escalation email.
  if (count > 0) await cancelReadEscalations(ctx.prisma, operatorId);
  return { updatedCount: count, unreadCount: await ctx.prisma.inboxItem.count({ where: { operatorId, readAt: null } }) };
}

builder.mutationField('markNotificationsRead', (t) =>
  t.field({
    type: MarkReadResult,
    description: "Marks one or many of the calling operator's inbox items read; ids of others' items are ignored.",
    authScopes: { operator: true },
    errors: {},
    args: { ids: t.arg.globalIDList({ required: true, for: InboxItemNode, description: 'The inbox items to mark read.' }) },
    resolve: (_root, { ids }, ctx) =>
      markRead(
        ctx,
        ids.map((id) => id.id),
      ),
  }),
);

builder.mutationField('markAllNotificationsRead', (t) =>
  t.field({
    type: MarkReadResult,
    description: "Marks every item of the calling operator's inbox read.",
    authScopes: { operator: true },
    errors: {},
    resolve: (_root, _args, ctx) => markRead(ctx, null),
  }),
);

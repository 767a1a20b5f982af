import { encodeGlobalID } from '@pothos/plugin-relay';
import type { Context } from '../../context.js';
import { decodeCursor, type StreamedNotification } from '../../services/live/live-item.js';
import { builder } from '../builder.js';
import { NotificationEventKindEnum } from './enums.js';

/** The calling operator and the live services; only call behind `authScopes: { operator: true }`. */
export function liveOf(ctx: Context) {
  const { viewer } = ctx;
  if (viewer.kind !== 'operator') throw new Error('unreachable: scope guarantees an operator');
  if (ctx.services.live === undefined) throw new Error('live notifications are not running in this process');
  return { viewer, live: ctx.services.live };
}

export const LiveNotificationRef = builder.objectRef<StreamedNotification>('LiveNotification').implement({
  description: "One live notification of the authenticated operator's stream.",
  fields: (t) => ({
    cursor: t.exposeString('cursor', { description: 'Pass it as `after` when reconnecting to receive everything after this item.' }),
    event: t.field({ type: NotificationEventKindEnum, description: 'The notification event.', resolve: (n) => n.item.kind }),
    eventId: t.id({
      description: 'The stored notification event, as `explainEvent(eventId:)` and `node(id:)` take it.',
      resolve: (n) => encodeGlobalID('NotificationEvent', n.item.eventId),
    }),
    inboxItemId: t.id({
      nullable: true,
      description: 'The inbox item, when it is in the inbox (its stored browser decision was delivered).',
      resolve: (n) => (n.item.inboxItemId ? encodeGlobalID('InboxItem', n.item.inboxItemId) : null),
    }),
    chatId: t.string({
      nullable: true,
      description: "The integrator's id of the chat it concerns, if any.",
      resolve: (n) => n.item.chatExternalId,
    }),
    widgetId: t.id({
      nullable: true,
      description: 'The chat widget it concerns, if any.',
      resolve: (n) => (n.item.widgetId ? encodeGlobalID('Widget', n.item.widgetId) : null),
    }),
    title: t.string({ description: 'Human-readable title.', resolve: (n) => n.item.title }),
    body: t.string({ description: 'Human-readable text (may be empty).', resolve: (n) => n.item.body }),
    showNotification: t.exposeBoolean('showNotification', {
      description: "Show it as a browser notification (this stream's BROWSER preference); false for a sound-only item.",
    }),
    playSound: t.exposeBoolean('playSound', { description: "Play `sound` (this stream's AUDIO preference)." }),
    sound: t.string({
      nullable: true,
      description:
        'The sound to play when `playSound`: the one the operator chose for this event (the "Audio" tab), else the event\'s own.',
      resolve: (n) => (n.playSound ? n.sound : null),
    }),
    replayed: t.exposeBoolean('replayed', { description: 'Sent from the inbox because the stream asked for what came after its cursor.' }),
    occurredAt: t.field({ type: 'DateTime', description: 'When the event happened.', resolve: (n) => new Date(n.item.createdAt) }),
  }),
});

builder.subscriptionType({ description: 'Live streams over graphql-ws, always of the authenticated operator.' });

builder.subscriptionField('notifications', (t) =>
  t.field({
    type: LiveNotificationRef,
    description:
      "The authenticated operator's browser and audio notifications, in order, each once. With `after`, everything after that cursor is sent first, then live ones follow with no gap and no duplicate. Opening the first stream makes the operator ONLINE.",
    authScopes: { operator: true },
    args: { after: t.arg.string({ description: 'The cursor of the last notification received, to resume after it.' }) },
    subscribe: (_root, { after }, ctx) => {
      const { viewer, live } = liveOf(ctx);
      return live.openStream(viewer, after ? decodeCursor(after) : null, ctx);
    },
    resolve: (notification) => notification,
  }),
);

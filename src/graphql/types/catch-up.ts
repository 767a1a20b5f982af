/**
 * Catch-up on return (extension E7): the `notificationFeed` subscription, the `notifications`
 * stream with a catch-up summary first whenever the operator comes back. A separate field with a
 * union, so that `notifications` and its item type stay exactly as they were for every client.
 */
import type { CatchUpChat, CatchUpSummary } from '../../domain/catch-up.js';
import { type FeedItem, isCatchUp, openCatchUpFeed } from '../../services/attention/catch-up-feed.js';
import { decodeCursor, encodeCursor } from '../../services/live/live-item.js';
import { builder } from '../builder.js';
import { UnreadEventCount } from './attention.js';
import { PresenceEnum } from './enums.js';
import { LiveNotificationRef, liveOf } from './notification-stream.js';

const CatchUpChatRef = builder.objectRef<CatchUpChat>('CatchUpChat').implement({
  description: 'The unread items of one chat that arrived while the operator was away.',
  fields: (t) => ({
    chatId: t.exposeString('chatId', {
      nullable: true,
      description: "The integrator's id of the chat; null for the items about no chat (colleagues' presence, system messages…).",
    }),
    unreadCount: t.exposeInt('unreadCount', { description: 'Unread items (a collapsed item counts once, under its first event).' }),
    events: t.field({ type: [UnreadEventCount], description: 'Unread items per event, most frequent first.', resolve: (c) => c.events }),
    after: t.string({
      description: "Pass it as `after` to replay from this chat's first unread item on.",
      resolve: (c) => encodeCursor(c.afterSeq),
    }),
    latestAt: t.field({ type: 'DateTime', description: 'When its newest unread item happened.', resolve: (c) => c.latestAt }),
  }),
});

const CatchUpSummaryRef = builder.objectRef<{ catchUp: CatchUpSummary }>('CatchUpSummary').implement({
  description:
    'Sent first on `notificationFeed` when the operator comes back (AWAY or OFFLINE to ONLINE): what arrived unread since they left. Not an inbox item: it has no cursor of its own and does not move the resume cursor.',
  fields: (t) => ({
    presence: t.field({
      type: PresenceEnum,
      description: 'What the operator had left to: AWAY or OFFLINE.',
      resolve: (s) => s.catchUp.presence,
    }),
    leftAt: t.field({ type: 'DateTime', description: 'When they left (their presence left ONLINE).', resolve: (s) => s.catchUp.leftAt }),
    after: t.string({
      description: 'Pass it as `after` (here or on `notifications`) to replay everything counted, in order.',
      resolve: (s) => encodeCursor(s.catchUp.afterSeq),
    }),
    through: t.string({
      description: 'The cursor of the last position counted: the replay from `after` up to this one gives the items counted.',
      resolve: (s) => encodeCursor(s.catchUp.throughSeq),
    }),
    unreadCount: t.int({ description: 'Unread items that arrived since they left, all chats.', resolve: (s) => s.catchUp.unreadCount }),
    chats: t.field({
      type: [CatchUpChatRef],
      description: 'Per chat, newest first (at most 100; `unreadCount` counts them all); the items about no chat last.',
      resolve: (s) => s.catchUp.chats,
    }),
  }),
});

const LiveFeedItem = builder.unionType('LiveFeedItem', {
  description: 'One item of `notificationFeed`: a live notification, or a catch-up summary.',
  types: [LiveNotificationRef, CatchUpSummaryRef],
  resolveType: (item: FeedItem) => (isCatchUp(item) ? 'CatchUpSummary' : 'LiveNotification'),
});

builder.subscriptionField('notificationFeed', (t) =>
  t.field({
    type: LiveFeedItem,
    description:
      'The `notifications` stream (same `after`, same items, same order) with a `CatchUpSummary` first whenever the operator comes back: when it opens after they were OFFLINE, and on an open feed when they go from AWAY (or OFFLINE) to ONLINE. Opening the first stream makes the operator ONLINE.',
    authScopes: { operator: true },
    args: { after: t.arg.string({ description: 'The cursor of the last notification received, to resume after it.' }) },
    subscribe: (_root, { after }, ctx) => {
      const { viewer, live } = liveOf(ctx);
      const afterSeq = after ? decodeCursor(after) : null;
      return openCatchUpFeed({
        prisma: ctx.prisma,
        pubsub: live.pubsub,
        operatorId: viewer.operatorId,
        open: () => live.openStream(viewer, afterSeq, ctx),
      });
    },
    resolve: (item) => item,
  }),
);

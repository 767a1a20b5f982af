/**
 * Attention (issue 12, extensions E4-E6): acknowledgements of live items, the organization's
 * missed-chat escalation delay, operators' unread-escalation emails, notification tags and unread
 * items grouped by chat. Over 150 lines: one extension set, kept together for merging.
 */
import { encodeGlobalID } from '@pothos/plugin-relay';
import { organizationOf } from '../../context.js';
import type { NotificationEventKind } from '../../domain/catalog.js';
import { isValidEscalationDelay } from '../../domain/escalation.js';
import { notificationTag } from '../../domain/notification-tag.js';
import { AppError, invalidInput } from '../../errors.js';
import { acknowledgeNotifications } from '../../services/attention/acknowledge-notifications.js';
import { unreadByChat } from '../../services/attention/unread-by-chat.js';
import { listUnreadEscalations, setUnreadEscalation } from '../../services/attention/unread-escalations.js';
import { partsOf } from '../../services/live/live-item.js';
import { builder } from '../builder.js';
import { NotificationEventKindEnum } from './enums.js';
import { InboxItemNode } from './inbox.js';
import { LiveNotificationRef, liveOf } from './notification-stream.js';
import { OperatorNode } from './operator.js';
import { OrganizationNode } from './organization.js';

const AcknowledgeResult = builder.simpleObject('AcknowledgeNotificationsResult', {
  description: 'The outcome of acknowledging live notifications.',
  fields: (t) => ({
    acknowledgedCount: t.int({ description: "Distinct events acknowledged (the caller's own items only)." }),
    cancelledEscalations: t.int({ description: 'Missed-chat escalations this acknowledgement cancelled.' }),
  }),
});

builder.mutationField('acknowledgeNotifications', (t) =>
  t.field({
    type: AcknowledgeResult,
    description:
      "Says what a live client really did with items of the caller's stream: shown (a notification appeared) and/or played (the sound was heard). A new chat acknowledged as shown or played within the organization's escalateAfterSeconds is not escalated (CHAT_NOT_ACKNOWLEDGED). Cursors of others' items are ignored.",
    authScopes: { operator: true },
    errors: {},
    args: {
      cursors: t.arg.stringList({ required: true, description: 'The `cursor` of each live notification acknowledged.' }),
      shown: t.arg.boolean({ required: true, description: 'The notification was shown to the operator.' }),
      played: t.arg.boolean({ required: true, description: 'Its sound was played.' }),
    },
    resolve: (_root, { cursors, shown, played }, ctx) => acknowledgeNotifications(ctx.prisma, liveOf(ctx).viewer, cursors, shown, played),
  }),
);

builder.prismaObjectField(OrganizationNode, 'escalateAfterSeconds', (t) =>
  t.exposeInt('escalateAfterSeconds', {
    description:
      'Seconds a new chat may stay unacknowledged (not shown or played by its receiver) before CHAT_NOT_ACKNOWLEDGED is raised; 0 turns it off. Default 30.',
  }),
);

builder.mutationField('updateEscalationSettings', (t) =>
  t.prismaField({
    type: 'Organization',
    description: "Changes the organization's missed-chat escalation delay (admins only). Applies to chats started from now on.",
    authScopes: { admin: true },
    errors: {},
    args: {
      escalateAfterSeconds: t.arg.int({ required: true, description: '0 (off) or 1 to 3600 seconds.' }),
    },
    resolve: (query, _root, { escalateAfterSeconds }, ctx) => {
      if (!isValidEscalationDelay(escalateAfterSeconds)) {
        throw invalidInput('escalateAfterSeconds must be 0 (off) or 1 to 3600', 'escalateAfterSeconds');
      }
      return ctx.prisma.organization.update({ ...query, where: { id: organizationOf(ctx.viewer) }, data: { escalateAfterSeconds } });
    },
  }),
);

const UnreadEscalation = builder.simpleObject('UnreadEmailEscalation', {
  description: 'An "email me if I have not read it within N minutes" choice of one operator for one event.',
  fields: (t) => ({
    event: t.field({ type: NotificationEventKindEnum, description: 'The event.' }),
    minutes: t.int({ description: '5, 15 or 60.' }),
  }),
});

const isSelfOrAdmin = (operatorId: string, viewer: { isAdmin: boolean; operatorId: string }) =>
  viewer.isAdmin || viewer.operatorId === operatorId;

builder.prismaObjectField(OperatorNode, 'unreadEmailEscalations', (t) =>
  t.field({
    type: [UnreadEscalation],
    description: 'The events this operator gets an email for when their browser notification stays unread (the operator and admins).',
    authScopes: (operator, _args, ctx) => ctx.viewer.kind === 'operator' && isSelfOrAdmin(operator.id, ctx.viewer),
    select: { id: true },
    resolve: (operator, _args, ctx) => listUnreadEscalations(ctx.prisma, operator.id),
  }),
);

const SetUnreadEmailEscalationInput = builder.inputType('SetUnreadEmailEscalationInput', {
  fields: (t) => ({
    operatorId: t.globalID({ for: OperatorNode, description: 'The operator (default: the caller; others: admins only).' }),
    event: t.field({ type: NotificationEventKindEnum, required: true, description: 'An event offered on the browser channel.' }),
    minutes: t.int({ description: '5, 15 or 60; null or absent clears the choice.' }),
  }),
});

builder.mutationField('setUnreadEmailEscalation', (t) =>
  t.field({
    type: [UnreadEscalation],
    description:
      'Email me if I have not read a browser notification of this event within N minutes (5, 15 or 60); null clears. Returns all of the operator’s choices.',
    authScopes: { operator: true },
    errors: {},
    args: { input: t.arg({ type: SetUnreadEmailEscalationInput, required: true }) },
    resolve: (_root, { input }, ctx) => {
      const { viewer } = liveOf(ctx);
      const operatorId = input.operatorId?.id ?? viewer.operatorId;
      if (!isSelfOrAdmin(operatorId, viewer)) {
        throw new AppError('FORBIDDEN', "Only admins can change other operators' escalations", 'input.operatorId');
      }
      return setUnreadEscalation(ctx.prisma, viewer.organizationId, operatorId, input.event, input.minutes ?? null);
    },
  }),
);

// ---------------------------------------------------------------------------------------------
// Extension E6: a `tag` per item for the browser's Notification API; unread items grouped by chat.
// ---------------------------------------------------------------------------------------------

builder.objectField(LiveNotificationRef, 'tag', (t) =>
  t.string({
    description:
      "Pass it as the Notification API's `tag`: a notification of the same chat and kind of activity (session, messages, feedback) replaces the previous one instead of stacking.",
    resolve: (n) => notificationTag(n.item),
  }),
);

builder.prismaObjectField(InboxItemNode, 'tag', (t) =>
  t.string({
    description: 'The same `tag` the live notification carried.',
    select: { kind: true, eventId: true, chatExternalId: true, widgetId: true },
    resolve: (item) => notificationTag(item),
  }),
);

builder.objectField(LiveNotificationRef, 'events', (t) =>
  t.field({
    type: [NotificationEventKindEnum],
    description:
      'Every event this one notification stands for: one visitor action that raised several (a first message: FIRST_MESSAGE_RECEIVED and MESSAGE_RECEIVED) is one notification with one sound at most. The first is `event`.',
    resolve: (n) => partsOf(n.item).map((p) => p.kind),
  }),
);

builder.objectField(LiveNotificationRef, 'eventIds', (t) =>
  t.idList({
    description: 'The stored events of `events`, in the same order.',
    resolve: (n) => partsOf(n.item).map((p) => encodeGlobalID('NotificationEvent', p.eventId)),
  }),
);

builder.prismaObjectField(InboxItemNode, 'events', (t) =>
  t.field({
    type: [NotificationEventKindEnum],
    description: 'Every event this item stands for (see LiveNotification.events); the first is `event`.',
    select: { kind: true, parts: true },
    resolve: (item) => (Array.isArray(item.parts) ? (item.parts as { kind: NotificationEventKind }[]).map((p) => p.kind) : [item.kind]),
  }),
);

export const UnreadEventCount = builder.simpleObject('UnreadEventCount', {
  description: 'How many unread items of one event a chat has.',
  fields: (t) => ({
    event: t.field({ type: NotificationEventKindEnum, description: 'The event.' }),
    count: t.int({ description: 'Unread items of it.' }),
  }),
});

const UnreadChat = builder.simpleObject('UnreadChat', {
  description: "One chat's unread items in the caller's inbox.",
  fields: (t) => ({
    chatId: t.string({ description: "The integrator's id of the chat." }),
    unreadCount: t.int({ description: 'Unread items of this chat.' }),
    events: t.field({ type: [UnreadEventCount], description: 'The unread items per event, most frequent first.' }),
    latestAt: t.field({ type: 'DateTime', description: 'When the newest unread item happened.' }),
  }),
});

builder.queryField('inboxUnreadByChat', (t) =>
  t.field({
    type: [UnreadChat],
    description:
      "The calling operator's unread inbox items about chats, grouped by chat with counts per event, newest chat first (at most 100 chats).",
    authScopes: { operator: true },
    resolve: (_root, _args, ctx) => unreadByChat(ctx.prisma, liveOf(ctx).viewer.operatorId),
  }),
);

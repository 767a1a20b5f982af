/**
 * Stored notification events and their decisions ("why did (not) operator O get event E?"): the
 * `NotificationEvent` node, the `events` list and `explainEvent`. Lists have no N+1: the decisions
 * of a list's events are read in one query per field path (decision.ts), widgets and subject
 * operators batched by DataLoader.
 */

import type { Context } from '../../context.js';
import { organizationOf } from '../../context.js';
import type { NotificationEventKind } from '../../domain/catalog.js';
import { isInAudience } from '../../domain/decide-notifications.js';
import { audienceStoredIn } from '../../domain/escalation.js';
import { cutoffsOf, uuidV7Time } from '../../domain/retention-windows.js';
import { eventPayloadOf, STORED_EVENT_CHAT } from '../../domain/stored-event-payload.js';
import { AppError, notFound } from '../../errors.js';
import { organizationRetention } from '../../services/retention/retention-settings.js';
import { builder } from '../builder.js';
import { selection } from '../selection.js';
import { sameOrganization } from '../tenancy.js';
import { DECISION_SELECT, DecisionObject, decisionLoader, loadOperators, loadWidgets } from './decision.js';
import { ChannelEnum, NotificationEventKindEnum } from './enums.js';
import { OperatorNode } from './operator.js';
import { WidgetNode } from './widget.js';

/** What an event's payload is rebuilt from (stored-event-payload.ts). */
const PAYLOAD_SELECT = {
  payload: true,
  chatId: true,
  widgetId: true,
  subjectOperatorId: true,
  chat: { select: STORED_EVENT_CHAT },
} as const;

export const NotificationEventNode = builder.prismaNode('NotificationEvent', {
  id: { field: 'id' },
  description: 'A notification event the service derived from a reported happening, with every decision taken for it.',
  authScopes: sameOrganization,
  fields: (t) => ({
    kind: t.expose('kind', { type: NotificationEventKindEnum, description: 'Which event.' }),
    chatExternalId: t.string({
      nullable: true,
      description: "The integrator's id of the chat, when the event is about a chat.",
      select: PAYLOAD_SELECT,
      resolve: (event) => {
        const id = eventPayloadOf(event.payload, event, event.chat).chatExternalId;
        return typeof id === 'string' ? id : null;
      },
    }),
    widget: t.loadable({
      type: WidgetNode,
      nullable: true,
      description: 'The chat widget the event came through, if any.',
      load: loadWidgets,
      resolve: (event) => event.widgetId,
    }),
    subjectOperator: t.loadable({
      type: OperatorNode,
      nullable: true,
      description: "The receiver (new chats), the chat's operator (messages, chat events) or the operator whose presence changed.",
      load: loadOperators,
      resolve: (event) => event.subjectOperatorId,
    }),
    payload: t.field({
      type: 'JSON',
      description: 'Details for rendering: visitor, message text, rating, changes…',
      select: PAYLOAD_SELECT,
      resolve: (event) => eventPayloadOf(event.payload, event, event.chat),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the event was raised.' }),
    decisions: t.field({
      type: [DecisionObject],
      description: 'Every stored decision: operators on the channels the event offers, and every addon.',
      args: {
        operatorId: t.arg.globalID({ for: OperatorNode, description: "Only this operator's decisions." }),
        channel: t.arg({ type: ChannelEnum, description: 'Only decisions on this channel.' }),
      },
      select: { createdAt: true, kind: true, widgetId: true, payload: true },
      resolve: (event, args, ctx, info) => decisionLoader(args, ctx, info).load(event),
    }),
  }),
});

builder.queryField('events', (t) =>
  t.prismaConnection({
    type: 'NotificationEvent',
    cursor: 'id',
    description: "The organization's notification events, newest first.",
    authScopes: { operator: true },
    args: { kind: t.arg({ type: NotificationEventKindEnum, description: 'Only events of this kind.' }) },
    resolve: (query, _root, { kind }, ctx) =>
      ctx.prisma.notificationEvent.findMany({
        ...selection(query),
        where: { organizationId: organizationOf(ctx.viewer), ...(kind ? { kind } : {}) },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      }),
  }),
);

interface Explanation {
  event: {
    id: string;
    kind: NotificationEventKind;
    subjectOperatorId: string | null;
    widgetId: string | null;
    createdAt: Date;
    payload: unknown;
  };
  operatorId: string | null;
}

const EventExplanation = builder.objectRef<Explanation>('EventExplanation').implement({
  description: 'Why each operator and addon did (not) get a stored event, channel by channel.',
  fields: (t) => ({
    event: t.prismaField({
      type: 'NotificationEvent',
      description: 'The event explained.',
      resolve: (query, parent, _args, ctx) =>
        ctx.prisma.notificationEvent.findUniqueOrThrow({ ...selection(query), where: { id: parent.event.id } }),
    }),
    operatorInAudience: t.boolean({
      nullable: true,
      description: "Whether the operator asked about is in the event's audience (not in it: no decision at all); null when none was asked.",
      resolve: ({ event, operatorId }) =>
        operatorId === null ? null : isInAudience({ ...event, audienceOperatorIds: audienceStoredIn(event.payload) }, operatorId),
    }),
    decisions: t.field({
      type: [DecisionObject],
      description: "The decisions, the operator's only when one was asked about (addons always), with reasons and traces.",
      resolve: async ({ event, operatorId }, _args, ctx) => {
        const rows = await ctx.prisma.decision.findMany({
          select: DECISION_SELECT,
          // createdAt: a decision's is its event's, so only that day's partition is read.
          where: {
            eventId: event.id,
            createdAt: event.createdAt,
            ...(operatorId === null ? {} : { OR: [{ operatorId }, { addonId: { not: null } }] }),
          },
          orderBy: { id: 'asc' },
        });
        return rows.map((row) => ({ ...row, event }));
      },
    }),
  }),
});

/**
 * EVENT_EXPIRED when an event id names a time before the organization's events window (event ids
 * are time-ordered UUIDs): it existed, or could have, and was removed. Said whatever the id, so it
 * tells nothing about another organization's events.
 */
async function expiredEvent(ctx: Context, organizationId: string, eventId: string): Promise<AppError | null> {
  const at = uuidV7Time(eventId);
  const retention = ctx.services.retention;
  if (at === null || retention === undefined) return null;
  const { inEffect } = await organizationRetention(ctx.prisma, organizationId, retention.windows);
  if (at.getTime() >= cutoffsOf(inEffect, new Date()).events.getTime()) return null;
  return new AppError(
    'EVENT_EXPIRED',
    `This event is older than the organization's ${inEffect.eventsDays}-day retention window: it and its decisions were removed`,
    'eventId',
  );
}

builder.queryField('explainEvent', (t) =>
  t.field({
    type: EventExplanation,
    description: 'Explains a stored event: every decision per operator or addon and channel, with its reason.',
    authScopes: { operator: true },
    errors: {},
    args: {
      eventId: t.arg.globalID({ required: true, for: NotificationEventNode, description: 'The event to explain.' }),
      operatorId: t.arg.globalID({ for: OperatorNode, description: 'Only explain for this operator (and the addons).' }),
    },
    resolve: async (_root, { eventId, operatorId }, ctx) => {
      const organizationId = organizationOf(ctx.viewer);
      const event = await ctx.prisma.notificationEvent.findFirst({
        where: { id: eventId.id, organizationId },
        select: { id: true, kind: true, subjectOperatorId: true, widgetId: true, createdAt: true, payload: true },
      });
      if (!event) throw (await expiredEvent(ctx, organizationId, eventId.id)) ?? notFound('Notification event', 'eventId');
      if (operatorId && !(await ctx.prisma.operator.count({ where: { id: operatorId.id, organizationId } }))) {
        throw notFound('Operator', 'operatorId');
      }
      return { event, operatorId: operatorId?.id ?? null };
    },
  }),
);

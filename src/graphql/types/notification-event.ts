/**
 * Stored notification events and their decisions ("why did (not) operator O get event E?"): the
 * `NotificationEvent` node, the `events` list and `explainEvent`. Lists have no N+1: the decisions
 * of a list's events are read in one query per field path, widgets, subject operators and the
 * decisions' operators and addons batched by DataLoader. Decision has no Prisma relation (its
 * references are checked by triggers, see schema.prisma), so none of it goes through the plugin's
 * relations. Over 300 lines since the Decision type and its loader came here from the plugin's
 * relations: they share this file's trace helpers and loaders, which notification-preview.ts also
 * imports; moving the lot to a decision.ts is the next tidy-up.
 */

import { pathDataloaderGetter } from '@pothos/plugin-dataloader';
import type { Context } from '../../context.js';
import { organizationOf } from '../../context.js';
import { appliedLockOf } from '../../domain/admin-locks.js';
import type { Channel, NotificationEventKind } from '../../domain/catalog.js';
import { CHECKS, type CheckName, FAILURE_REASONS, isInAudience, traceFor } from '../../domain/decide-notifications.js';
import { audienceStoredIn } from '../../domain/escalation.js';
import { cutoffsOf, uuidV7Time } from '../../domain/retention-windows.js';
import { eventPayloadOf, STORED_EVENT_CHAT } from '../../domain/stored-event-payload.js';
import { AppError, notFound } from '../../errors.js';
import type { Decision } from '../../generated/prisma/client.js';
import { organizationRetention } from '../../services/retention/retention-settings.js';
import { builder } from '../builder.js';
import { selection } from '../selection.js';
import { sameOrganization } from '../tenancy.js';
import { AddonNode } from './addon.js';
import { AppliedLockObject, ChannelEnum, NotificationEventKindEnum, ReasonEnum } from './enums.js';
import { OperatorNode } from './operator.js';
import { WidgetNode } from './widget.js';

const CHECK_DESCRIPTIONS: Record<CheckName, string> = {
  CHANNEL_AVAILABLE: 'The event is offered on the channel.',
  ROLE_ENABLED: "The operator's role has notifications enabled.",
  ADMIN_LOCK: 'The (event, channel) is not locked FORBIDDEN for the operator (only when locked; `lock` tells which lock).',
  OPERATOR_PREFERENCE: "The operator's own preference for the event and channel is on (skipped when locked REQUIRED).",
  OUTSIDE_QUIET_TIME: 'The operator is not in quiet time (browser and audio, only while in quiet time; skipped when locked REQUIRED).',
  WIDGET_SWITCH: "The chat widget's switch for the channel is on (only when it can mute the event).",
  WIDGET_GROUP: "The operator is in the widget's group (same-group emails only).",
  ADDON_ENABLED: 'The addon instance is enabled.',
  ADDON_SUPPORTS_EVENT: "The addon's kind implements the event.",
  ADDON_CHOSE_EVENT: 'The addon instance chose the event.',
};

export const CheckEnum = builder.enumType('Check', {
  description: `One check of the precedence rule, in the order they run. A failing check gives its reason: ${CHECKS.map(
    (check) => `${check} → ${FAILURE_REASONS[check]}`,
  ).join(', ')}.`,
  values: Object.fromEntries(CHECKS.map((check) => [check, { value: check, description: CHECK_DESCRIPTIONS[check] }])) as Record<
    CheckName,
    { value: CheckName; description: string }
  >,
});

export const TraceStep = builder.simpleObject('TraceStep', {
  description: 'A check the precedence rule ran for a decision, and its outcome; the first failed one is the reason.',
  fields: (t) => ({
    check: t.field({ type: CheckEnum, description: 'The check.' }),
    passed: t.boolean({ description: 'Whether it held.' }),
    lock: t.field({ type: AppliedLockObject, nullable: true, description: 'ADMIN_LOCK: the lock that applied (scope and value).' }),
  }),
});

/** The widget option a stored decision's trace depends on, as it was when the event was decided. */
export const traceWidgetOf = (event: { widgetId: string | null; payload: unknown }) =>
  event.widgetId === null
    ? null
    : { emailSameGroupOnly: (event.payload as { widgetEmailSameGroupOnly?: unknown } | null)?.widgetEmailSameGroupOnly === true };

const loadByIds = async <T extends { id: string }>(ids: readonly string[], rows: Promise<T[]>) => {
  const byId = new Map((await rows).map((row) => [row.id, row]));
  return ids.map((id) => byId.get(id) ?? new Error(`${id} not found`));
};

export const loadOperators = (ids: readonly string[], ctx: Context) =>
  loadByIds(ids, ctx.prisma.operator.findMany({ where: { id: { in: [...ids] }, organizationId: organizationOf(ctx.viewer) } }));

export const loadAddons = (ids: readonly string[], ctx: Context) =>
  loadByIds(ids, ctx.prisma.addon.findMany({ where: { id: { in: [...ids] }, organizationId: organizationOf(ctx.viewer) } }));

export const loadWidgets = (ids: readonly string[], ctx: Context) =>
  loadByIds(ids, ctx.prisma.widget.findMany({ where: { id: { in: [...ids] }, organizationId: organizationOf(ctx.viewer) } }));

/** What a decision's trace depends on of its event (traceFor). */
interface TraceEvent {
  kind: NotificationEventKind;
  widgetId: string | null;
  payload: unknown;
}

/** A stored decision as the API shows it, with its event's part of the trace. */
export type DecisionShape = Pick<Decision, 'operatorId' | 'addonId' | 'channel' | 'delivered' | 'reason' | 'lock' | 'dueAt'> & {
  event: TraceEvent;
};

const DECISION_SELECT = {
  eventId: true,
  operatorId: true,
  addonId: true,
  channel: true,
  delivered: true,
  reason: true,
  lock: true,
  dueAt: true,
} as const;

export const DecisionObject = builder.objectRef<DecisionShape>('Decision').implement({
  description: 'One (operator or addon) × channel outcome of the precedence rule for a stored event, delivered or not.',
  fields: (t) => ({
    operator: t.loadable({
      type: OperatorNode,
      nullable: true,
      description: 'The operator decided for; null for an addon.',
      load: loadOperators,
      resolve: (decision) => decision.operatorId,
    }),
    addon: t.loadable({
      type: AddonNode,
      nullable: true,
      description: 'The addon instance decided for; null for an operator.',
      load: loadAddons,
      resolve: (decision) => decision.addonId,
    }),
    channel: t.expose('channel', { type: ChannelEnum, description: 'The channel decided.' }),
    delivered: t.exposeBoolean('delivered', { description: 'Whether the notification goes out on this channel.' }),
    reason: t.expose('reason', { type: ReasonEnum, description: 'DELIVERED, or the first check that failed.' }),
    lock: t.field({
      type: AppliedLockObject,
      nullable: true,
      description: "The admin lock that applied to this operator's (event, channel) when it was decided, if any.",
      resolve: (decision) => (decision.lock === null ? null : appliedLockOf(decision.lock)),
    }),
    dueAt: t.expose('dueAt', {
      type: 'DateTime',
      nullable: true,
      description: "A delivered email deferred by the operator's quiet time: when it is due (sent in one digest).",
    }),
    trace: t.field({
      type: [TraceStep],
      description: 'The checks run, in order, with their outcome.',
      // An unread escalation (E5) is the operator's own request, not the precedence rule: no checks ran.
      resolve: (decision) =>
        decision.reason === 'UNREAD_ESCALATION'
          ? []
          : traceFor(
              decision.reason,
              decision.channel as Channel,
              decision.event.kind,
              traceWidgetOf(decision.event),
              decision.lock === null ? null : appliedLockOf(decision.lock),
            ),
    }),
  }),
});

/** An event whose decisions are loaded: its id, time and what the decisions' traces need. */
type DecidedEvent = TraceEvent & { id: string; createdAt: Date };

interface DecisionFilter {
  operatorId?: { id: string } | null;
  channel?: Channel | null;
}

/**
 * The decisions of each event (one query for all of them), filtered, in id order. A decision's
 * createdAt is its event's or later (an unread escalation's), so the day partitions before the
 * first event's are not read.
 */
async function loadDecisionsOf(events: readonly DecidedEvent[], ctx: Context, args: DecisionFilter) {
  const since = new Date(Math.min(...events.map((e) => e.createdAt.getTime())));
  const rows = await ctx.prisma.decision.findMany({
    select: DECISION_SELECT,
    where: {
      eventId: { in: events.map((e) => e.id) },
      createdAt: { gte: since },
      ...(args.operatorId ? { operatorId: args.operatorId.id } : {}),
      ...(args.channel ? { channel: args.channel } : {}),
    },
    orderBy: { id: 'asc' },
  });
  const byEvent = new Map<string, DecisionShape[]>(events.map((e) => [e.id, []]));
  const eventsById = new Map(events.map((e) => [e.id, e]));
  for (const { eventId, ...row } of rows) {
    const event = eventsById.get(eventId);
    if (event) byEvent.get(eventId)?.push({ ...row, event });
  }
  return events.map((e) => byEvent.get(e.id) ?? []);
}

/** One loader per field path (so the events batched together share its arguments) and request. */
const decisionLoader = pathDataloaderGetter<DecidedEvent, DecisionShape[], string, DecisionFilter>(
  { cacheKeyFn: (event) => event.id },
  (events, ctx, args) => loadDecisionsOf(events, ctx as Context, args),
  undefined,
  false,
  true,
);

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

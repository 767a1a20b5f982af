/**
 * A stored decision as the API shows it: the `Decision` type with its trace (`Check`, `TraceStep`),
 * the loader reading the decisions of a list's events in one query per field path, and the
 * operator, addon and widget loaders the decision and event types share. Decision has no Prisma
 * relation (its references are checked by triggers, see schema.prisma), so nothing here goes through
 * the Prisma plugin's relations.
 */
import { pathDataloaderGetter } from '@pothos/plugin-dataloader';
import type { Context } from '../../context.js';
import { organizationOf } from '../../context.js';
import { appliedLockOf } from '../../domain/admin-locks.js';
import type { Channel, NotificationEventKind } from '../../domain/catalog.js';
import { CHECKS, type CheckName, FAILURE_REASONS, traceFor } from '../../domain/decide-notifications.js';
import type { Decision } from '../../generated/prisma/client.js';
import { builder } from '../builder.js';
import { AddonNode } from './addon.js';
import { AppliedLockObject, ChannelEnum, ReasonEnum } from './enums.js';
import { OperatorNode } from './operator.js';

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
const traceWidgetOf = (event: { widgetId: string | null; payload: unknown }) =>
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

export const DECISION_SELECT = {
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
export const decisionLoader = pathDataloaderGetter<DecidedEvent, DecisionShape[], string, DecisionFilter>(
  { cacheKeyFn: (event) => event.id },
  (events, ctx, args) => loadDecisionsOf(events, ctx as Context, args),
  undefined,
  false,
  true,
);

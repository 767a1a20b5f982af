/**
 * Quiet time (extensions.md E2): `Operator.quietTime`, `setQuietTime` / `setDoNotDisturb` (the
 * operator for themself, admins for anyone) and the `quietTime` subscription telling a live client
 * when quiet time starts and ends.
 */
import type { Viewer } from '../../context.js';
import { type QuietSettings, type QuietState, quietTimeState, WEEKDAYS } from '../../domain/quiet-time.js';
import { AppError } from '../../errors.js';
import { openQuietTimeStream } from '../../services/live/quiet-time-stream.js';
import { setQuietTime } from '../../services/quiet-time.js';
import { builder } from '../builder.js';
import { liveOf } from './notification-stream.js';
import { OperatorNode } from './operator.js';

const WeekdayEnum = builder.enumType('Weekday', {
  description: 'A day of the week, in the time zone of the quiet time.',
  values: Object.fromEntries(WEEKDAYS.map((day) => [day, { value: day, description: `Local ${day.toLowerCase()}.` }])) as Record<
    (typeof WEEKDAYS)[number],
    { value: (typeof WEEKDAYS)[number]; description: string }
  >,
});

const QuietWindowObject = builder.simpleObject('QuietWindow', {
  description:
    'A weekly quiet window: from `start` to `end` local time on each of `days` (ending the next day when `end` is not after `start`).',
  fields: (t) => ({
    days: t.field({ type: [WeekdayEnum], description: 'The days it starts on.' }),
    start: t.string({ description: 'Local start, "HH:MM" (24-hour).' }),
    end: t.string({ description: 'Local end, "HH:MM"; not after `start`: the next day.' }),
  }),
});

const QuietTimeStatusObject = builder.objectRef<QuietState>('QuietTimeStatus').implement({
  description: 'Whether the operator is in quiet time now, until when, and when that next changes.',
  fields: (t) => ({
    quiet: t.exposeBoolean('quiet', { description: 'In quiet time: browser and audio are not pushed, emails wait for one digest.' }),
    endsAt: t.expose('endsAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the current quiet time ends (deferred emails are due then).',
    }),
    nextChangeAt: t.expose('nextChangeAt', {
      type: 'DateTime',
      nullable: true,
      description: 'The next moment `quiet` changes (within 8 days).',
    }),
  }),
});

const QuietTimeObject = builder.objectRef<QuietSettings>('QuietTime').implement({
  description: "An operator's quiet time: weekly windows in their time zone and a do-not-disturb until a moment.",
  fields: (t) => ({
    timeZone: t.exposeString('timeZone', { description: 'IANA time zone of the windows.' }),
    windows: t.field({
      type: [QuietWindowObject],
      description: 'Weekly windows.',
      resolve: (q) => q.windows.map((w) => ({ ...w, days: [...w.days] })),
    }),
    doNotDisturbUntil: t.expose('doNotDisturbUntil', { type: 'DateTime', nullable: true, description: 'Do not disturb until then.' }),
    status: t.field({ type: QuietTimeStatusObject, description: 'The state now.', resolve: (q) => quietTimeState(q, new Date()) }),
  }),
});

const isSelfOrAdmin = (operatorId: string, viewer: Viewer) =>
  viewer.kind === 'operator' && (viewer.isAdmin || viewer.operatorId === operatorId);

builder.prismaObjectField(OperatorNode, 'quietTime', (t) =>
  t.field({
    type: QuietTimeObject,
    nullable: true,
    description: "The operator's quiet time; null when none is set. Readable by the operator and admins.",
    authScopes: (operator, _args, ctx) => isSelfOrAdmin(operator.id, ctx.viewer),
    select: { quietTime: true },
    resolve: (operator) =>
      operator.quietTime === null
        ? null
        : {
            timeZone: operator.quietTime.timeZone,
            windows: operator.quietTime.windows as unknown as QuietSettings['windows'],
            doNotDisturbUntil: operator.quietTime.doNotDisturbUntil,
          },
  }),
);

const QuietWindowInput = builder.inputType('QuietWindowInput', {
  description: 'A weekly quiet window.',
  fields: (t) => ({
    days: t.field({ type: [WeekdayEnum], required: true, description: 'The days it starts on (one or more, distinct).' }),
    start: t.string({ required: true, description: 'Local start, "HH:MM" (24-hour).' }),
    end: t.string({ required: true, description: 'Local end, "HH:MM"; not after `start`: the next day.' }),
  }),
});

const SetQuietTimeInput = builder.inputType('SetQuietTimeInput', {
  fields: (t) => ({
    operatorId: t.globalID({ for: OperatorNode, description: 'Whose quiet time: yourself by default, anyone if you are an admin.' }),
    timeZone: t.string({ required: true, description: 'IANA time zone of the windows, e.g. "Europe/Berlin".' }),
    windows: t.field({
      type: [QuietWindowInput],
      required: true,
      description: 'The weekly windows (replace the current ones; empty: none).',
    }),
  }),
});

const SetDoNotDisturbInput = builder.inputType('SetDoNotDisturbInput', {
  fields: (t) => ({
    operatorId: t.globalID({ for: OperatorNode, description: 'Whose: yourself by default, anyone if you are an admin.' }),
    until: t.field({ type: 'DateTime', description: 'Do not disturb until then; null ends it.' }),
  }),
});

function targetOf(viewer: Viewer, operatorId: string | undefined): { organizationId: string; operatorId: string; actorId: string } {
  if (viewer.kind !== 'operator') throw new Error('unreachable: scope guarantees an operator');
  const target = operatorId ?? viewer.operatorId;
  if (!isSelfOrAdmin(target, viewer))
    throw new AppError('FORBIDDEN', "Only admins can change other operators' quiet time", 'input.operatorId');
  return { organizationId: viewer.organizationId, operatorId: target, actorId: viewer.operatorId };
}

builder.mutationField('setQuietTime', (t) =>
  t.field({
    type: QuietTimeObject,
    description:
      'Sets weekly quiet windows (yourself, or anyone if you are an admin). In quiet time browser and audio are not pushed (kept in the inbox) and emails wait for one digest at its end. Takes effect at once. Returns the quiet time now in effect.',
    authScopes: { operator: true },
    errors: {},
    args: { input: t.arg({ type: SetQuietTimeInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      setQuietTime(ctx.prisma, { ...targetOf(ctx.viewer, input.operatorId?.id), timeZone: input.timeZone, windows: input.windows }),
  }),
);

builder.mutationField('setDoNotDisturb', (t) =>
  t.field({
    type: QuietTimeObject,
    description:
      'Sets (or with a null `until` ends) do-not-disturb: quiet time until that moment. Takes effect at once; ending it early sends the deferred emails now. Returns the quiet time now in effect.',
    authScopes: { operator: true },
    errors: {},
    args: { input: t.arg({ type: SetDoNotDisturbInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      setQuietTime(ctx.prisma, { ...targetOf(ctx.viewer, input.operatorId?.id), doNotDisturbUntil: input.until ?? null }),
  }),
);

builder.subscriptionField('quietTime', (t) =>
  t.field({
    type: QuietTimeStatusObject,
    description:
      "The authenticated operator's quiet-time state now, then each time quiet time starts or ends and each time it is changed, without reconnecting.",
    authScopes: { operator: true },
    subscribe: (_root, _args, ctx) => {
      const { viewer, live } = liveOf(ctx);
      return openQuietTimeStream({
        prisma: ctx.prisma,
        pubsub: live.pubsub,
        organizationId: viewer.organizationId,
        operatorId: viewer.operatorId,
      });
    },
    resolve: (state) => state,
  }),
);

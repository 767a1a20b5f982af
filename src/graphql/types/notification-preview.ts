/**
 * `previewNotification`: "would operator O get this, and if not, which layer stops it?" — a
 * hypothetical happening evaluated against the current settings and chat state, nothing stored.
 */
import type { Context } from '../../context.js';
import { organizationOf } from '../../context.js';
import type { Decision } from '../../domain/decide-notifications.js';
import { isInAudience } from '../../domain/decide-notifications.js';
import { audienceStoredIn } from '../../domain/escalation.js';
import { AppError, notFound } from '../../errors.js';
import { type PreviewedEvent, previewHappening } from '../../services/ingestion/preview-happening.js';
import { builder } from '../builder.js';
import { AddonNode } from './addon.js';
import { loadAddons, loadOperators, loadWidgets, TraceStep } from './decision.js';
import { ChannelEnum, NotificationEventKindEnum, ReasonEnum } from './enums.js';
import { HappeningInputType, toHappening } from './happening.js';
import { OperatorNode } from './operator.js';
import { WidgetNode } from './widget.js';

const PreviewDecision = builder.objectRef<Decision>('PreviewDecision').implement({
  description: 'What the precedence rule would decide for one operator or addon on one channel.',
  fields: (t) => ({
    operator: t.loadable({
      type: OperatorNode,
      nullable: true,
      description: 'The operator decided for; null for an addon.',
      load: loadOperators,
      resolve: (d) => (d.target.kind === 'OPERATOR' ? d.target.operatorId : null),
    }),
    addon: t.loadable({
      type: AddonNode,
      nullable: true,
      description: 'The addon instance decided for; null for an operator.',
      load: loadAddons,
      resolve: (d) => (d.target.kind === 'ADDON' ? d.target.addonId : null),
    }),
    channel: t.field({ type: ChannelEnum, description: 'The channel.', resolve: (d) => d.channel }),
    delivered: t.exposeBoolean('delivered', { description: 'Whether it would be delivered.' }),
    reason: t.field({ type: ReasonEnum, description: 'DELIVERED, or the layer that stops it.', resolve: (d) => d.reason }),
    trace: t.field({ type: [TraceStep], description: 'The checks run, in order.', resolve: (d) => d.trace }),
  }),
});

type Previewed = PreviewedEvent & { operatorId: string | null };

const PreviewEvent = builder.objectRef<Previewed>('PreviewEvent').implement({
  description: 'An event the happening would raise, with what would be decided for it.',
  fields: (t) => ({
    kind: t.field({ type: NotificationEventKindEnum, description: 'Which event.', resolve: (e) => e.kind }),
    widget: t.loadable({
      type: WidgetNode,
      nullable: true,
      description: 'The widget it would come through, if any.',
      load: loadWidgets,
      resolve: (e) => e.widgetId,
    }),
    subjectOperator: t.loadable({
      type: OperatorNode,
      nullable: true,
      description: "The receiver, the chat's operator or the operator whose presence would change.",
      load: loadOperators,
      resolve: (e) => e.subjectOperatorId,
    }),
    payload: t.field({ type: 'JSON', description: 'Details for rendering.', resolve: (e) => e.payload }),
    operatorInAudience: t.boolean({
      nullable: true,
      description: 'Whether the operator asked about is in the audience (not in it: no decision for them); null when none was asked.',
      resolve: (e) =>
        e.operatorId === null ? null : isInAudience({ ...e, audienceOperatorIds: audienceStoredIn(e.payload) }, e.operatorId),
    }),
    decisions: t.field({
      type: [PreviewDecision],
      description: 'Every decision on every channel (also those the event does not offer), with traces.',
      resolve: (e) => e.decisions,
    }),
  }),
});

const PreviewNotificationInput = builder.inputType('PreviewNotificationInput', {
  description: 'A hypothetical happening, and optionally the operator you ask about.',
  fields: (t) => ({
    happening: t.field({ type: HappeningInputType, required: true, description: 'What would happen.' }),
    operatorId: t.globalID({ for: OperatorNode, description: "Only this operator's decisions (and the addons')." }),
  }),
});

async function preview(ctx: Context, input: typeof PreviewNotificationInput.$inferInput): Promise<Previewed[]> {
  const { happening, field } = toHappening(input.happening);
  const operatorId = input.operatorId?.id ?? null;
  const organizationId = organizationOf(ctx.viewer);
  if (operatorId !== null && (await ctx.prisma.operator.count({ where: { id: operatorId, organizationId } })) === 0) {
    throw notFound('Operator', 'input.operatorId');
  }
  try {
    const events = await previewHappening(ctx.services, organizationId, happening, operatorId);
    return events.map((event) => ({ ...event, operatorId }));
  } catch (error) {
    if (!(error instanceof AppError) || !error.field?.startsWith('happenings.0')) throw error;
    throw new AppError(error.code, error.message, error.field.replace(/^happenings\.0/, `input.happening.${field}`));
  }
}

builder.queryField('previewNotification', (t) =>
  t.field({
    type: [PreviewEvent],
    description: 'Evaluates a hypothetical happening against the current settings, storing nothing: who would get what, and why not.',
    authScopes: { operator: true },
    errors: {},
    args: { input: t.arg({ type: PreviewNotificationInput, required: true, description: 'The hypothetical happening.' }) },
    resolve: (_root, { input }, ctx) => preview(ctx, input),
  }),
);

import { organizationOf } from '../../context.js';
import { invalidInput } from '../../errors.js';
import { replayAddonDeliveries, retryDelivery } from '../../services/delivery/retry-delivery.js';
import { builder } from '../builder.js';
import { selection } from '../selection.js';
import { sameOrganizationAdmin } from '../tenancy.js';
import { AddonNode } from './addon.js';
import { ChannelEnum } from './enums.js';
import { NotificationEventNode } from './notification-event.js';

export const DeliveryStatusEnum = builder.enumType('DeliveryStatus', {
  description: 'Where an email or addon delivery stands in the delivery queue.',
  values: {
    PENDING: { value: 'PENDING', description: 'Waiting for its first attempt or for a retry (see nextAttemptAt).' },
    DELIVERED: { value: 'DELIVERED', description: 'The SMTP server or the receiver accepted it.' },
    DEAD: { value: 'DEAD', description: 'Every attempt failed, or the failure was permanent; kept for retryDelivery.' },
    CANCELLED: { value: 'CANCELLED', description: 'An unread-escalation email whose notification was read before it was due: never sent.' },
  } as const,
});

// The log names addresses and URLs: admins only, within their organization.
export const DeliveryNode = builder.prismaNode('Delivery', {
  id: { field: 'id' },
  description: 'One email or addon call for one event, with its attempts (admins only).',
  authScopes: sameOrganizationAdmin,
  fields: (t) => ({
    channel: t.expose('channel', { type: ChannelEnum, description: 'EMAIL (an operator) or ADDON.' }),
    target: t.exposeString('target', { description: 'The email address or URL it goes to, as known when it was queued.' }),
    status: t.expose('status', { type: DeliveryStatusEnum, description: 'Pending, delivered or dead.' }),
    attempts: t.exposeInt('attempts', { description: 'Attempts made so far (reset by retryDelivery).' }),
    lastError: t.exposeString('lastError', { nullable: true, description: 'Why the last failed attempt failed.' }),
    event: t.relation('event', { description: 'The event delivered.' }),
    addon: t.relation('addon', { nullable: true, description: 'The addon, for ADDON deliveries.' }),
    operator: t.relation('operator', { nullable: true, description: 'The operator emailed, for EMAIL deliveries.' }),
    isReplay: t.boolean({ description: 'Whether replayAddonDeliveries made it.', resolve: (d) => d.replayOfId !== null }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was queued (with its decision).' }),
    lastAttemptAt: t.expose('lastAttemptAt', { type: 'DateTime', nullable: true, description: 'When the last attempt started.' }),
    nextAttemptAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the next attempt is due (pending deliveries only).',
      resolve: (d) => (d.status === 'PENDING' ? d.runAt : null),
    }),
    deliveredAt: t.expose('deliveredAt', { type: 'DateTime', nullable: true, description: 'When it was delivered.' }),
    deadAt: t.expose('deadAt', { type: 'DateTime', nullable: true, description: 'When it was given up.' }),
  }),
});

builder.prismaObjectField(NotificationEventNode, 'deliveries', (t) =>
  t.relation('deliveries', {
    description: 'The email and addon deliveries of this event (admins only).',
    authScopes: { admin: true },
    query: { orderBy: { createdAt: 'asc' } },
  }),
);

builder.prismaObjectField(AddonNode, 'deliveries', (t) =>
  t.relatedConnection('deliveries', {
    cursor: 'id',
    description: "The addon's deliveries, newest first (admins only).",
    authScopes: { admin: true },
    args: { status: t.arg({ type: DeliveryStatusEnum, description: 'Only deliveries in this status.' }) },
    query: (args) => ({ where: args.status ? { status: args.status } : {}, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
  }),
);

builder.queryField('deliveries', (t) =>
  t.prismaConnection({
    type: 'Delivery',
    cursor: 'id',
    description: "The organization's delivery log, newest first (admins only).",
    authScopes: { admin: true },
    args: {
      status: t.arg({ type: DeliveryStatusEnum, description: 'Only deliveries in this status.' }),
      channel: t.arg({ type: ChannelEnum, description: 'Only EMAIL or only ADDON deliveries.' }),
      eventId: t.arg.globalID({ for: NotificationEventNode, description: 'Only the deliveries of this event.' }),
      addonId: t.arg.globalID({ for: AddonNode, description: 'Only the deliveries of this addon.' }),
    },
    resolve: (query, _root, args, ctx) =>
      ctx.prisma.delivery.findMany({
        ...selection(query),
        where: {
          organizationId: organizationOf(ctx.viewer),
          ...(args.status ? { status: args.status } : {}),
          ...(args.channel ? { channel: args.channel } : {}),
          ...(args.eventId ? { eventId: args.eventId.id } : {}),
          ...(args.addonId ? { addonId: args.addonId.id } : {}),
        },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      }),
  }),
);

builder.mutationField('retryDelivery', (t) =>
  t.prismaField({
    type: 'Delivery',
    description: 'Sends a dead delivery again, with a fresh set of attempts (admins only).',
    authScopes: { admin: true },
    errors: {},
    args: { id: t.arg.globalID({ required: true, for: DeliveryNode, description: 'The dead delivery.' }) },
    resolve: (_query, _root, { id }, ctx) => retryDelivery(ctx.prisma, organizationOf(ctx.viewer), id.id),
  }),
);

const ReplayAddonDeliveriesInput = builder.inputType('ReplayAddonDeliveriesInput', {
  fields: (t) => ({
    addonId: t.globalID({ required: true, for: AddonNode, description: 'The addon whose deliveries to send again.' }),
    from: t.field({ type: 'DateTime', required: true, description: 'Replay deliveries queued at or after this instant…' }),
    to: t.field({ type: 'DateTime', required: true, description: '…and before this one.' }),
  }),
});

const ReplayAddonDeliveriesResult = builder.simpleObject('ReplayAddonDeliveriesResult', {
  description: 'What replayAddonDeliveries queued.',
  fields: (t) => ({
    replayed: t.int({ description: 'How many deliveries were queued again, as new deliveries with new ids.' }),
  }),
});

builder.mutationField('replayAddonDeliveries', (t) =>
  t.field({
    type: ReplayAddonDeliveriesResult,
    description:
      "Queues again, as new deliveries, every original delivery of an addon queued in [from, to), whatever their status (admins only). Uses the addon's current configuration.",
    authScopes: { admin: true },
    errors: {},
    args: { input: t.arg({ type: ReplayAddonDeliveriesInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      if (Number.isNaN(input.from.getTime()) || Number.isNaN(input.to.getTime()))
        throw invalidInput('from and to must be instants', 'input.from');
      const replayed = await replayAddonDeliveries(ctx.prisma, organizationOf(ctx.viewer), input.addonId.id, input.from, input.to);
      return { replayed };
    },
  }),
);

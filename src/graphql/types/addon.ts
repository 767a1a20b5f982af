import { organizationOf } from '../../context.js';
import type { AddonConfigByKind } from '../../domain/addon-config.js';
import type { AddonKind } from '../../domain/catalog.js';
import { invalidInput } from '../../errors.js';
import { createAddon, deleteAddon, updateAddon } from '../../services/addons.js';
import { builder } from '../builder.js';
import { selection } from '../selection.js';
import { sameOrganization } from '../tenancy.js';
import { AddonKindEnum, NotificationEventKindEnum } from './enums.js';

// Output: one object type per kind; secrets (Help Scout apiToken, webhook secret) are write-only.
type ConfigOf<K extends AddonKind> = AddonConfigByKind[K] & { kind: K };
type AnyConfig = { [K in AddonKind]: ConfigOf<K> }[AddonKind];
const EmailTicketConfig = builder.objectRef<ConfigOf<'EMAIL_TICKET'>>('EmailTicketConfig').implement({
  description: 'EmailTicket: an email with a JSON attachment of the chat meta information, per chosen event.',
  fields: (t) => ({ toAddress: t.exposeString('toAddress', { description: 'Where the emails go.' }) }),
});
const SlackConfig = builder.objectRef<ConfigOf<'SLACK'>>('SlackConfig').implement({
  description: 'Slack: a formatted message to an incoming webhook.',
  fields: (t) => ({
    webhookUrl: t.exposeString('webhookUrl', { description: 'The Slack incoming-webhook URL.' }),
    channel: t.string({
      nullable: true,
      description: 'Channel override, sent only when legacyWebhook is true.',
      resolve: (c) => c.channel ?? null,
    }),
    legacyWebhook: t.boolean({
      description: 'A legacy incoming webhook that honours `channel`; false for Slack app webhooks, which post to their own channel.',
      resolve: (c) => c.legacyWebhook === true,
    }),
  }),
});
const HelpScoutConfig = builder.objectRef<ConfigOf<'HELP_SCOUT'>>('HelpScoutConfig').implement({
  description: 'Help Scout: a conversation per offline message or finished chat. The API token is write-only.',
  fields: (t) => ({
    apiBaseUrl: t.exposeString('apiBaseUrl', { description: 'The Help Scout API base URL.' }),
    mailboxId: t.exposeString('mailboxId', { description: 'The mailbox conversations are created in.' }),
    fallbackCustomerEmail: t.string({
      nullable: true,
      description: 'Customer email of conversations whose visitor left no email.',
      resolve: (c) => c.fallbackCustomerEmail ?? null,
    }),
    fallbackCustomerId: t.string({
      nullable: true,
      description: 'Help Scout customer id of conversations whose visitor left no email (wins over fallbackCustomerEmail).',
      resolve: (c) => c.fallbackCustomerId ?? null,
    }),
  }),
});
const WebhookConfig = builder.objectRef<ConfigOf<'WEBHOOK'>>('WebhookConfig').implement({
  description: 'Generic webhook: a signed JSON POST. The signing secret is write-only (shown once when generated).',
  fields: (t) => ({ url: t.exposeString('url', { description: 'Where the POSTs go.' }) }),
});
const CONFIG_TYPES = { EMAIL_TICKET: EmailTicketConfig, SLACK: SlackConfig, HELP_SCOUT: HelpScoutConfig, WEBHOOK: WebhookConfig };

const AddonConfigUnion = builder.unionType('AddonConfig', {
  description: "An addon's configuration, by kind.",
  types: [EmailTicketConfig, SlackConfig, HelpScoutConfig, WebhookConfig],
  resolveType: (config) => CONFIG_TYPES[config.kind],
});

export const AddonNode = builder.prismaNode('Addon', {
  id: { field: 'id' },
  description: 'An addon instance: an organization-level integration receiving the events it chose.',
  authScopes: sameOrganization,
  fields: (t) => ({
    kind: t.expose('kind', { type: AddonKindEnum, description: 'What the addon delivers to.' }),
    name: t.exposeString('name', { description: 'Display name.' }),
    enabled: t.exposeBoolean('enabled', { description: 'Off: the addon receives nothing (ADDON_DISABLED).' }),
    events: t.expose('events', { type: [NotificationEventKindEnum], description: 'The events the addon chose.' }),
    config: t.field({
      type: AddonConfigUnion,
      description: 'Where and how it delivers (admins only; secrets are never shown).',
      authScopes: { admin: true },
      resolve: (addon) => ({ ...(addon.config as object), kind: addon.kind }) as AnyConfig,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the addon was created.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'When the addon was last changed.' }),
    deletedAt: t.expose('deletedAt', { type: 'DateTime', nullable: true, description: 'When the addon was deleted; kept for history.' }),
  }),
});

builder.queryField('addons', (t) =>
  t.prismaConnection({
    type: 'Addon',
    cursor: 'id',
    description: "The organization's addon instances, oldest first.",
    authScopes: { operator: true },
    args: { includeDeleted: t.arg.boolean({ defaultValue: false, description: 'Also list deleted addons.' }) },
    resolve: (query, _root, { includeDeleted }, ctx) =>
      ctx.prisma.addon.findMany({
        ...selection(query),
        where: { organizationId: organizationOf(ctx.viewer), ...(includeDeleted ? {} : { deletedAt: null }) },
        orderBy: { createdAt: 'asc' },
      }),
  }),
);

// Input: a @oneOf whose branch must match the addon's kind.
const EmailTicketConfigInput = builder.inputType('EmailTicketConfigInput', {
  fields: (t) => ({ toAddress: t.string({ required: true, description: 'Where the emails go (an email address).' }) }),
});
const SlackConfigInput = builder.inputType('SlackConfigInput', {
  fields: (t) => ({
    webhookUrl: t.string({ required: true, description: 'The Slack incoming-webhook URL (http or https).' }),
    channel: t.string({ description: 'Channel override, sent only to a legacy webhook (legacyWebhook true).' }),
    legacyWebhook: t.boolean({
      description: 'True for a legacy incoming webhook that honours `channel`; default false (Slack app webhooks ignore it).',
    }),
  }),
});
const HelpScoutConfigInput = builder.inputType('HelpScoutConfigInput', {
  fields: (t) => ({
    apiBaseUrl: t.string({ description: 'The Help Scout API base URL; default https://api.helpscout.net/v2.' }),
    apiToken: t.string({ description: 'The API token (write-only). Required on create; absent on update keeps it.' }),
    mailboxId: t.string({ description: 'The mailbox conversations are created in. Required on create.' }),
    fallbackCustomerEmail: t.string({
      description: 'Customer email used when the visitor left none (Help Scout needs an email or customer id; none is invented).',
    }),
    fallbackCustomerId: t.string({ description: 'Id of an existing Help Scout customer used when the visitor left no email.' }),
  }),
});
const WebhookConfigInput = builder.inputType('WebhookConfigInput', {
  fields: (t) => ({
    url: t.string({ description: 'Where the POSTs go (http or https). Required on create.' }),
    secret: t.string({
      description:
        'Standard Webhooks signing secret `whsec_<base64 of 24-64 bytes>` (write-only; any other string of 16+ characters is used as the key bytes); generated and shown once when absent.',
    }),
  }),
});

const AddonConfigInput = builder.inputType('AddonConfigInput', {
  description: "An addon's configuration: exactly one branch, the one of the addon's kind.",
  isOneOf: true,
  fields: (t) => ({
    emailTicket: t.field({ type: EmailTicketConfigInput, description: 'For EMAIL_TICKET addons.' }),
    slack: t.field({ type: SlackConfigInput, description: 'For SLACK addons.' }),
    helpScout: t.field({ type: HelpScoutConfigInput, description: 'For HELP_SCOUT addons.' }),
    webhook: t.field({ type: WebhookConfigInput, description: 'For WEBHOOK addons.' }),
  }),
});

const BRANCH_OF_KIND = { EMAIL_TICKET: 'emailTicket', SLACK: 'slack', HELP_SCOUT: 'helpScout', WEBHOOK: 'webhook' } as const;

/** The fields of the branch for `kind`, or INVALID_INPUT when another branch was given. */
function configBranch(kind: AddonKind, input: Partial<Record<string, object | null | undefined>>): Record<string, unknown> {
  const branch = input[BRANCH_OF_KIND[kind]];
  if (!branch) throw invalidInput(`config must be given as ${BRANCH_OF_KIND[kind]} for a ${kind} addon`, 'input.config');
  return { ...branch };
}

const CreateAddonInput = builder.inputType('CreateAddonInput', {
  fields: (t) => ({
    kind: t.field({ type: AddonKindEnum, required: true, description: 'What the addon delivers to.' }),
    name: t.string({ required: true, description: 'Display name.' }),
    enabled: t.boolean({ defaultValue: true, description: 'On by default.' }),
    events: t.field({ type: [NotificationEventKindEnum], defaultValue: [], description: 'Events to receive; the kind must support each.' }),
    config: t.field({ type: AddonConfigInput, required: true, description: 'Configuration of the kind.' }),
  }),
});

const UpdateAddonInput = builder.inputType('UpdateAddonInput', {
  fields: (t) => ({
    id: t.globalID({ required: true, for: AddonNode, description: 'The addon to change.' }),
    name: t.string({ description: 'New name.' }),
    enabled: t.boolean({ description: 'Switch the addon on or off.' }),
    events: t.field({ type: [NotificationEventKindEnum], description: 'New set of chosen events (replaces the old one).' }),
    config: t.field({ type: AddonConfigInput, description: 'Fields to change (same kind); absent fields, secrets included, are kept.' }),
    rotateSecret: t.boolean({ description: 'Webhooks: generate a new signing secret, returned once.' }),
  }),
});

const AddonWritePayload = builder.simpleObject('AddonWritePayload', {
  description: 'A created or changed addon, with a generated webhook secret shown this once.',
  fields: (t) => ({
    addon: t.field({ type: AddonNode, description: 'The addon.' }),
    webhookSecret: t.string({
      nullable: true,
      description: 'The `whsec_` signing secret the service generated for a webhook by this write; never shown again.',
    }),
  }),
});

builder.mutationField('createAddon', (t) =>
  t.field({
    type: AddonWritePayload,
    description: 'Creates an addon instance (admins only).',
    authScopes: { admin: true },
    errors: {},
    args: { input: t.arg({ type: CreateAddonInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      createAddon(ctx.prisma, ctx.services.outbound, organizationOf(ctx.viewer), {
        kind: input.kind,
        name: input.name,
        enabled: input.enabled ?? true,
        events: input.events ?? [],
        config: configBranch(input.kind, input.config),
      }),
  }),
);

builder.mutationField('updateAddon', (t) =>
  t.field({
    type: AddonWritePayload,
    description: 'Changes an addon instance (admins only); its kind cannot change.',
    authScopes: { admin: true },
    errors: {},
    args: { input: t.arg({ type: UpdateAddonInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const organizationId = organizationOf(ctx.viewer);
      const existing = await ctx.prisma.addon.findFirst({ where: { id: input.id.id, organizationId }, select: { kind: true } });
      const config = input.config && existing ? configBranch(existing.kind, input.config) : null;
      return updateAddon(ctx.prisma, ctx.services.outbound, organizationId, input.id.id, { ...input, config });
    },
  }),
);

builder.mutationField('deleteAddon', (t) =>
  t.field({
    type: AddonNode,
    description: 'Deletes an addon instance (admins only). It is kept, marked deleted, and receives nothing more.',
    authScopes: { admin: true },
    errors: {},
    args: { id: t.arg.globalID({ required: true, for: AddonNode, description: 'The addon to delete.' }) },
    resolve: (_root, { id }, ctx) => deleteAddon(ctx.prisma, organizationOf(ctx.viewer), id.id),
  }),
);

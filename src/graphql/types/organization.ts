import { organizationOf } from '../../context.js';
import { isValidTimeZone } from '../../domain/local-time.js';
import { AppError, invalidInput, notFound } from '../../errors.js';
import { invalidateCredentials } from '../../services/invalidate-credentials.js';
import { createApiKey, issueOperatorToken } from '../../services/organizations.js';
import { mapPrismaErrors } from '../../services/prisma-errors.js';
import { builder } from '../builder.js';
import { selection } from '../selection.js';
import { sameOrganization, sameOrganizationAdmin } from '../tenancy.js';

export const OrganizationNode = builder.prismaNode('Organization', {
  id: { field: 'id' },
  description: 'A customer of the product: owns operators, widgets, addons and every event.',
  authScopes: (org, ctx) => sameOrganization({ organizationId: org.id }, ctx),
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Display name.' }),
    timeZone: t.exposeString('timeZone', { description: 'IANA time zone used for daily figures.' }),
    dailySummaryTime: t.exposeString('dailySummaryTime', {
      nullable: true,
      description: 'Local time (HH:MM) of the daily ANALYTICS_DAILY summary; null uses the service default (ANALYTICS_DAILY_AT).',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the organization was created.' }),
  }),
});

const UpdateOrganizationInput = builder.inputType('UpdateOrganizationInput', {
  fields: (t) => ({
    name: t.string({ description: 'New display name.' }),
    timeZone: t.string({ description: 'IANA time zone, e.g. "Europe/Berlin".' }),
    dailySummaryTime: t.string({ description: 'Local time of the daily summary, "HH:MM" (24 h).' }),
  }),
});

builder.mutationField('updateOrganization', (t) =>
  t.prismaField({
    type: 'Organization',
    description: "Changes the caller's organization: name, time zone, time of the daily summary (admins only).",
    authScopes: { admin: true },
    errors: {},
    args: { input: t.arg({ type: UpdateOrganizationInput, required: true }) },
    resolve: (query, _root, { input }, ctx) => {
      if (input.name !== null && input.name !== undefined && input.name.trim() === '')
        throw invalidInput('name must not be empty', 'input.name');
      if (input.timeZone && !isValidTimeZone(input.timeZone))
        throw invalidInput(`"${input.timeZone}" is not an IANA time zone`, 'input.timeZone');
      if (input.dailySummaryTime && !/^([01]\d|2[0-3]):[0-5]\d$/.test(input.dailySummaryTime)) {
        throw invalidInput('dailySummaryTime must be HH:MM (24 h)', 'input.dailySummaryTime');
      }
      return ctx.prisma.organization.update({
        ...selection(query),
        where: { id: organizationOf(ctx.viewer) },
        data: {
          name: input.name?.trim() ?? undefined,
          timeZone: input.timeZone ?? undefined,
          dailySummaryTime: input.dailySummaryTime ?? undefined,
        },
      });
    },
  }),
);

builder.queryField('organization', (t) =>
  t.prismaField({
    type: 'Organization',
    description: "The caller's organization.",
    authScopes: { operator: true },
    resolve: (query, _root, _args, ctx) =>
      ctx.prisma.organization.findUniqueOrThrow({ ...selection(query), where: { id: organizationOf(ctx.viewer) } }),
  }),
);

const ApiKeyNode = builder.prismaNode('ApiKey', {
  id: { field: 'id' },
  description: 'An integrator credential. It may only report happenings.',
  authScopes: sameOrganizationAdmin,
  fields: (t) => ({
    name: t.exposeString('name', { description: 'What the key is for.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was created.' }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true, description: 'When it was revoked; a revoked key is refused.' }),
  }),
});

builder.queryField('apiKeys', (t) =>
  t.prismaConnection({
    type: 'ApiKey',
    cursor: 'id',
    description: "The organization's integrator API keys (admins only).",
    authScopes: { admin: true },
    resolve: (query, _root, _args, ctx) =>
      ctx.prisma.apiKey.findMany({
        ...selection(query),
        where: { organizationId: organizationOf(ctx.viewer) },
        orderBy: { createdAt: 'asc' },
      }),
  }),
);

const CreatedApiKey = builder.simpleObject('CreatedApiKey', {
  description: 'A new API key. `key` is shown this once and never again.',
  fields: (t) => ({ key: t.string({ description: 'Send as "Authorization: Bearer <key>".' }) }),
});

builder.mutationField('createApiKey', (t) =>
  t.field({
    type: builder.simpleObject('CreateApiKeyPayload', {
      fields: (f) => ({ created: f.field({ type: CreatedApiKey }), apiKey: f.field({ type: ApiKeyNode }) }),
    }),
    description: 'Creates an integrator API key (admins only).',
    authScopes: { admin: true },
    errors: {},
    args: { name: t.arg.string({ required: true, description: 'What the key is for.' }) },
    resolve: async (_root, { name }, ctx) => {
      const { apiKey, key } = await createApiKey(ctx.prisma, organizationOf(ctx.viewer), name);
      return { created: { key }, apiKey };
    },
  }),
);

builder.mutationField('revokeApiKey', (t) =>
  t.prismaField({
    type: 'ApiKey',
    description: 'Revokes an API key at once (admins only).',
    authScopes: { admin: true },
    errors: {},
    args: { id: t.arg.globalID({ required: true, for: ApiKeyNode, description: 'The key to revoke.' }) },
    resolve: async (query, _root, { id }, ctx) => {
      const revoked = await mapPrismaErrors(
        'API key',
        () =>
          ctx.prisma.apiKey.update({
            ...selection(query),
            where: { id: id.id, organizationId: organizationOf(ctx.viewer) },
            data: { revokedAt: new Date() },
          }),
        'id',
      );
      await invalidateCredentials(ctx.services, { kind: 'apiKey', id: id.id });
      return revoked;
    },
  }),
);

builder.mutationField('issueOperatorToken', (t) =>
  t.field({
    type: builder.simpleObject('OperatorToken', {
      description: 'A signed, expiring operator access token.',
      fields: (f) => ({ token: f.string(), expiresAt: f.field({ type: 'DateTime' }) }),
    }),
    description: 'Issues an access token for an operator of the organization (admins only; an operator may renew their own).',
    authScopes: { operator: true },
    errors: {},
    args: { operatorId: t.arg.globalID({ required: true, description: 'The operator the token is for.' }) },
    resolve: async (_root, { operatorId }, ctx) => {
      const viewer = ctx.viewer;
      if (viewer.kind !== 'operator' || (!viewer.isAdmin && viewer.operatorId !== operatorId.id)) {
        throw new AppError('FORBIDDEN', 'Only admins can issue tokens for other operators');
      }
      const operator = await ctx.prisma.operator.findFirst({
        where: { id: operatorId.id, organizationId: viewer.organizationId, deletedAt: null },
      });
      if (!operator) throw notFound('Operator', 'operatorId');
      return issueOperatorToken(ctx.services.tokenSecret, ctx.services.tokenTtlSeconds, operator);
    },
  }),
);

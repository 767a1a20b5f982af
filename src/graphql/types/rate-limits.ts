/**
 * `Organization.rateLimits`: the limits in effect for the organization, readable by its admins.
 * Only the service's operator changes them (`npm run org:limits`): an organization raising its own
 * limits would defeat them.
 */
import { readOrganizationLimits } from '../../services/rate-limits/organization-limits.js';
import { builder } from '../builder.js';
import { OrganizationNode } from './organization.js';

const RateLimitsRef = builder.simpleObject('RateLimits', {
  description: "The organization's rate limits: counted per credential over fixed windows; a call over them gets RATE_LIMITED.",
  fields: (t) => ({
    windowSeconds: t.int({ description: 'Length of a window in seconds; every counter resets when its window ends.' }),
    apiKeyHappenings: t.int({ description: 'Happenings one API key may report per window (a batch counts its happenings).' }),
    apiKeyHappeningsOverridden: t.boolean({
      description: "True when apiKeyHappenings is this organization's own, not the service default.",
    }),
    operatorRequests: t.int({ description: 'Requests one operator token may make per window.' }),
    operatorRequestsOverridden: t.boolean({
      description: "True when operatorRequests is this organization's own, not the service default.",
    }),
  }),
});

builder.objectField(OrganizationNode, 'rateLimits', (t) =>
  t.field({
    type: RateLimitsRef,
    description: 'The rate limits in effect (admins only; set by the operator of the service).',
    authScopes: { admin: true },
    resolve: (organization, _args, ctx) => {
      const defaults = ctx.services.rateLimitDefaults;
      if (!defaults) throw new Error('rate limits are not configured in this process');
      return readOrganizationLimits(ctx.prisma, organization.id, defaults);
    },
  }),
);

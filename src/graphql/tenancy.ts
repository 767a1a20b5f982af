/**
 * Type-level tenancy guard: every organization-owned object checks, wherever it is resolved
 * (root field, relation, node(id:) query), that it belongs to the caller's organization.
 */
import type { Context } from '../context.js';

export const sameOrganization = (parent: { organizationId: string }, ctx: Context) =>
  ctx.viewer.kind !== 'anonymous' && parent.organizationId === ctx.viewer.organizationId;

/** Same organization, and the caller is one of its admins (delivery logs, API keys). */
export const sameOrganizationAdmin = (parent: { organizationId: string }, ctx: Context) =>
  sameOrganization(parent, ctx) && ctx.viewer.kind === 'operator' && ctx.viewer.isAdmin;

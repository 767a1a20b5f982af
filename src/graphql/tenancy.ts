/**
 * Type-level tenancy guard: every organization-owned object checks, wherever it is resolved
 * (root field, relation, node(id:) query), that it belongs to the caller's organization.
 */
import type { Context } from '../context.js';

export const sameOrganization = (parent: { organizationId: string }, ctx: Context) =>
  ctx.viewer.kind !== 'anonymous' && parent.organizationId === ctx.viewer.organizationId;
